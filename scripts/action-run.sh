#!/usr/bin/env bash
# The scan step of action.yml. Inputs arrive as INPUT_* environment variables
# (the composite action maps them explicitly); outputs go to $GITHUB_OUTPUT.
# The SARIF path is written as an output before nhiscan's exit code is passed
# on, so an `if: always()` upload step still finds the report when findings
# fail this step.
set -uo pipefail

sarif="${INPUT_SARIF_FILE:-nhiscan.sarif}"
[[ -n "$sarif" ]] || sarif=nhiscan.sarif
mkdir -p -- "$(dirname -- "$sarif")"

args=(scan --format sarif --output "$sarif")
history=false
case "${INPUT_HISTORY:-false}" in
  true | True | TRUE | yes | 1) history=true ;;
  false | False | FALSE | no | 0 | "") ;;
  *) echo "nhiscan action: history must be true or false, not '${INPUT_HISTORY}'" >&2; exit 2 ;;
esac
# `since` (a pull request's base) scans just the commits after it and takes
# precedence over `history` (nhiscan rejects the two together); on a push,
# where the base expression is empty, `history` applies.
if [[ -n "${INPUT_SINCE:-}" ]]; then
  args+=(--since "$INPUT_SINCE")
elif [[ $history == true ]]; then
  args+=(--history)
fi
[[ -n "${INPUT_FAIL_ON:-}" ]] && args+=(--fail-on "$INPUT_FAIL_ON")
[[ -n "${INPUT_BASELINE:-}" ]] && args+=(--baseline "$INPUT_BASELINE")
[[ -n "${INPUT_CONFIG:-}" ]] && args+=(--config "$INPUT_CONFIG")

# Paths: one per line when the input has several lines (so a path may hold
# spaces), else separated by spaces. `--` so a path is never read as a flag.
paths=()
raw="${INPUT_PATHS:-.}"
if [[ "$raw" == *$'\n'* ]]; then
  while IFS= read -r line; do
    line="${line#"${line%%[![:space:]]*}"}"
    line="${line%"${line##*[![:space:]]}"}"
    [[ -n "$line" ]] && paths+=("$line")
  done <<< "$raw"
else
  read -r -a paths <<< "$raw"
fi
[[ ${#paths[@]} -gt 0 ]] || paths=(.)
args+=(-- "${paths[@]}")

# The install step names the binary it verified; nothing is put on PATH.
nhiscan="${NHISCAN_BIN:-nhiscan}"
echo "nhiscan ${args[*]}"
"$nhiscan" "${args[@]}"
code=$?

out="${GITHUB_OUTPUT:-/dev/null}"
if [[ -f "$sarif" ]]; then
  echo "sarif-file=$sarif" >> "$out"
else
  echo "nhiscan action: no SARIF written (exit $code)" >&2
fi
echo "exit-code=$code" >> "$out"
exit "$code"
