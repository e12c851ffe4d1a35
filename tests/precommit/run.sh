#!/usr/bin/env bash
# Integration test of .pre-commit-hooks.yaml: install the `nhiscan` hook from
# this checkout (repo: <path>, rev: HEAD) into a throwaway git repository with
# pre-commit, then show that a commit adding a secret is blocked and a clean
# commit passes. Needs `pre-commit` (pip) and the debug binary
# (target/debug/nhiscan, built by `cargo test`); reaches no network.
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
bin="${NHISCAN_BIN_DIR:-$root/target/debug}"
[[ -x "$bin/nhiscan" ]] || { echo "precommit: no $bin/nhiscan (run cargo build first)" >&2; exit 2; }
# The module, not the script: pip may put the script where PATH does not look.
python3 -c 'import pre_commit' 2> /dev/null || { echo "precommit: pre-commit is not installed (pip install pre-commit)" >&2; exit 2; }
export PATH="$bin:$PATH"

# shellcheck source=tests/hook_env.sh
source "$root/tests/hook_env.sh"

rev="$(git -C "$root" rev-parse HEAD)"
hook_repo "$root" "$rev"
python3 -m pre_commit install > /dev/null


# 1. A commit that adds a Google client secret is blocked, and the output names
#    the rule without printing the secret.
secret_tail="1a2B3c4D5e6F7g8H9i0JkLmNoPqR"
printf 'GOOGLE_CLIENT_SECRET=GOCSPX-%s\n' "$secret_tail" > .env
git add .env
set +e
out="$(git commit -m "add secret" 2>&1)"
code=$?
set -e
echo "$out" | sed 's/^/  | /'
check "commit with a secret is blocked" "$([[ $code -ne 0 ]]; echo $?)"
check "the hook names the rule" "$([[ "$out" == *NHI101* ]]; echo $?)"
check "the secret is not printed" "$([[ "$out" != *"$secret_tail"* ]]; echo $?)"
check "nothing was committed" "$([[ "$(git rev-list --count HEAD)" == 1 ]]; echo $?)"

# 2. With the secret unstaged (left in the working tree, untracked, where
#    pre-commit does not stash it away) and a clean change staged, the commit
#    passes: the hook scans what is staged, not the working tree.
git rm -q --cached .env
echo "client_secret = os.environ['CLIENT_SECRET']" > app.py
git add app.py
set +e
out="$(git commit -m "clean change" 2>&1)"
code=$?
set -e
echo "$out" | sed 's/^/  | /'
check "clean commit passes" "$([[ $code -eq 0 ]]; echo $?)"
check "the hook ran" "$([[ "$out" == *"nhiscan (credentials in staged changes)"*Passed* ]]; echo $?)"
check "it was committed" "$([[ "$(git rev-list --count HEAD)" == 2 ]]; echo $?)"

report precommit
