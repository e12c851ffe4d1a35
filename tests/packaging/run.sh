#!/usr/bin/env bash
# Packaging test: build the PyPI wheel with maturin, install it into a fresh
# virtual environment and scan with it; then install the pre-commit mirror's
# `language: python` hook (packaging/pre-commit) with real pre-commit against
# that wheel, with no nhiscan on PATH and no Rust toolchain used by the hook,
# and show that it blocks a commit with a secret. Prints the time to a first
# scan through the wheel. Needs python3 (venv, pip), maturin and pre-commit
# (installed by .ci/run); the mirror's build backend comes from PyPI.
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
python3 -c 'import pre_commit' 2> /dev/null || { echo "packaging: pre-commit is not installed (pip install pre-commit)" >&2; exit 2; }
command -v maturin > /dev/null || { echo "packaging: maturin is not installed (pip install maturin)" >&2; exit 2; }

# shellcheck source=tests/hook_env.sh
source "$root/tests/hook_env.sh"
now() { date +%s.%N; }
secs() { python3 -c "print(f'{$2 - $1:.1f}')"; }

version="$(sed -n 's/^version = "\(.*\)"/\1/p' "$root/Cargo.toml" | head -1)"
mirror_version="$(sed -n 's/^version = "\(.*\)"/\1/p' "$root/packaging/pre-commit/pyproject.toml")"
check "the pre-commit mirror's version is Cargo.toml's ($version)" "$([[ $mirror_version == "$version" ]] &&
  grep -q "\"nhiscan==$version\"" "$root/packaging/pre-commit/pyproject.toml"; echo $?)"

# 1. The wheel. The dev profile reuses the debug build of the test run; a
#    release wheel differs only in optimisation.
t0=$(now)
(cd "$root" && maturin build --profile dev --locked --quiet --out "$work/wheels") 2>&1 | tail -2
t1=$(now)
wheel="$(ls "$work"/wheels/nhiscan-"$version"-*.whl)"
python3 -m venv "$work/venv"
"$work/venv/bin/pip" install --quiet --no-index "$wheel"
t2=$(now)
echo "GOOGLE_CLIENT_SECRET=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" > "$work/leak.env" # nhiscan:ignore (test input)
set +e
out="$("$work/venv/bin/nhiscan" scan "$work/leak.env" --no-ignore 2>&1)"
code=$?
set -e
t3=$(now)
echo "packaging: wheel build $(secs "$t0" "$t1") s, install into a fresh venv $(secs "$t1" "$t2") s, first scan $(secs "$t2" "$t3") s"
check "the wheel's nhiscan reports the secret (exit 1)" "$([[ $code == 1 && $out == *NHI101* ]]; echo $?)"
check "the wheel's nhiscan does not print the secret" "$([[ $out != *1a2B3c4D5e6F7g8H9i0JkLmNoPqR* ]]; echo $?)"
check "the wheel's nhiscan is this version" "$([[ "$("$work/venv/bin/nhiscan" --version)" == "nhiscan $version" ]]; echo $?)"

# 2. The pre-commit mirror as a hook repository, nhiscan resolved from the
#    local wheel (PIP_FIND_LINKS), nothing named nhiscan on PATH.
mirror="$work/mirror"
cp -r "$root/packaging/pre-commit" "$mirror"
git -C "$mirror" init -q
git -C "$mirror" add -A
git -C "$mirror" commit -q -m "mirror"
rev="$(git -C "$mirror" rev-parse HEAD)"
export PIP_FIND_LINKS="$work/wheels"
hook_repo "$mirror" "$rev"
check "no nhiscan on PATH" "$(! command -v nhiscan > /dev/null; echo $?)"
t4=$(now)
python3 -m pre_commit install-hooks 2>&1 | sed 's/^/  | /'
python3 -m pre_commit install > /dev/null
t5=$(now)
echo "packaging: pre-commit hook environment from the wheel $(secs "$t4" "$t5") s"
printf 'GOOGLE_CLIENT_SECRET=GOCSPX-%s\n' "1a2B3c4D5e6F7g8H9i0JkLmNoPqR" > .env
git add .env
set +e
out="$(git commit -m "add secret" 2>&1)"
code=$?
set -e
echo "$out" | sed 's/^/  | /'
check "the python hook blocks a commit with a secret" "$([[ $code -ne 0 && $out == *NHI101* ]]; echo $?)"
check "nothing was committed" "$([[ "$(git rev-list --count HEAD)" == 1 ]]; echo $?)"
git rm -q --cached .env
echo "# more" >> README.md
git add README.md
set +e
out="$(git commit -m "clean change" 2>&1)"
code=$?
set -e
check "a clean commit passes the python hook" "$([[ $code -eq 0 && $out == *Passed* ]]; echo $?)"

report packaging
