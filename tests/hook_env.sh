# Shared by the shell integration tests (tests/precommit/run.sh,
# tests/packaging/run.sh): a scratch folder removed on exit, git and
# pre-commit isolated from the machine's own configuration, and a tally of
# named checks. Source it; then end with `report NAME`.
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
export PRE_COMMIT_HOME="$work/cache"   # no shared cache; pre-commit clones hook repos here
export GIT_AUTHOR_NAME=ci GIT_AUTHOR_EMAIL=ci@example.invalid
export GIT_COMMITTER_NAME=ci GIT_COMMITTER_EMAIL=ci@example.invalid
export GIT_CONFIG_NOSYSTEM=1 NO_COLOR=1

passed=0
failed=0
check() { # name, condition result
  if [[ "$2" == 0 ]]; then passed=$((passed + 1)); echo "ok: $1"; else failed=$((failed + 1)); echo "FAILED: $1"; fi
}
# The closing line CI reads ("N passed, N failed"), and the exit status.
report() {
  echo "$1: $passed passed, $failed failed"
  [[ $failed == 0 ]]
}
# A throwaway repository at $work/repo whose .pre-commit-config.yaml uses hook
# `nhiscan` from HOOK_REPO at REV, committed once; the shell is left in it.
hook_repo() { # HOOK_REPO REV
  repo="$work/repo"
  git init -q "$repo"
  cd "$repo"
  cat > .pre-commit-config.yaml <<YAML
repos:
  - repo: $1
    rev: $2
    hooks:
      - id: nhiscan
YAML
  echo "# demo" > README.md
  git add README.md .pre-commit-config.yaml
  git commit -q -m "initial"
}
