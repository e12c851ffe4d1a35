#!/usr/bin/env bash
# Git-history benchmark: nhiscan --history-only vs kingfisher on the same
# bare clone, alternating runs so both see the same machine load.
#
#   bench/history.sh [CLONE] [RUNS]
#
# CLONE defaults to a full bare clone of rust-lang/cargo (the issue's
# reference: 34k commits, 233k objects); RUNS defaults to 5. Needs kingfisher
# 2.x (`pip install kingfisher-bin`) and GNU time (`apt-get install time`).
# Writes bench/results/history.md.
set -euo pipefail
cd "$(dirname "$0")/.."

CLONE=${1:-/work/.mirror/rust-lang+cargo/repo}
RUNS=${2:-5}
OUT=bench/results/history.md
WORK=bench/work
mkdir -p "$WORK" bench/results

[ -d "$CLONE" ] || { echo "no repository at $CLONE" >&2; exit 2; }
command -v kingfisher >/dev/null || { echo "kingfisher not found: pip install kingfisher-bin" >&2; exit 2; }
[ -x /usr/bin/time ] || { echo "GNU time not found: apt-get install -y time" >&2; exit 2; }

cargo build --release --locked --quiet
NHISCAN=target/release/nhiscan

# One run: prints "seconds peak_kib" for the command.
measure() {
    local log="$WORK/time.log"
    /usr/bin/time -f "%e %M" -o "$log" "$@" >"$WORK/stdout.log" 2>"$WORK/stderr.log" || true
    tail -1 "$log"
}

declare -a N_T N_M K_T K_M
for i in $(seq 1 "$RUNS"); do
    read -r t m < <(measure "$NHISCAN" scan "$CLONE" --history-only --format json -o "$WORK/nhiscan.json" -q --fail-on none)
    N_T+=("$t"); N_M+=("$m")
    read -r t m < <(measure kingfisher scan "$CLONE" --no-validate --no-update-check --format json --output "$WORK/kingfisher.json")
    K_T+=("$t"); K_M+=("$m")
    echo "run $i: nhiscan ${N_T[-1]} s ${N_M[-1]} KiB, kingfisher ${K_T[-1]} s ${K_M[-1]} KiB" >&2
done

median() { printf '%s\n' "$@" | sort -g | awk '{a[NR]=$1} END {print (NR%2) ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2}'; }
max() { printf '%s\n' "$@" | sort -g | tail -1; }

nt=$(median "${N_T[@]}"); kt=$(median "${K_T[@]}")
nm=$(( $(max "${N_M[@]}") / 1024 )); km=$(( $(max "${K_M[@]}") / 1024 ))
ratio=$(awk -v a="$nt" -v b="$kt" 'BEGIN { printf "%.2f", a / b }')
commits=$(git --git-dir="$CLONE" rev-list --all | wc -l)
objects=$(git --git-dir="$CLONE" count-objects -v | awk '/^in-pack/ {print $2}')
nfind=$(python3 -c 'import json,sys; print(len(json.load(open(sys.argv[1]))["findings"]))' "$WORK/nhiscan.json")

cat >"$OUT" <<MD
# Git history benchmark

Repository: \`$CLONE\` (bare, $commits commits, $objects packed objects).
Machine: $(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo), shared with other jobs
(absolute times vary with load; the runs alternate so both tools see the same load).
Date: $(date -u +%Y-%m-%d). $RUNS runs each.

| tool | command | median wall time | peak RSS (max of runs) |
|---|---|---|---|
| nhiscan $($NHISCAN --version | awk '{print $2}') | \`nhiscan scan CLONE --history-only\` | ${nt} s | ${nm} MiB |
| $(kingfisher --version | head -1) | \`kingfisher scan CLONE --no-validate --no-update-check\` | ${kt} s | ${km} MiB |

nhiscan / kingfisher wall time: **${ratio}**. nhiscan findings: $nfind.

Every run (seconds): nhiscan ${N_T[*]}; kingfisher ${K_T[*]}.
MD
cat "$OUT"
