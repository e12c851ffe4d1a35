#!/usr/bin/env bash
# Audit benchmark: 1,000 authorization servers (metadata + JWKS each, so
# 2,000 HTTPS requests) served on loopback, audited with the default
# concurrency. Prints wall time and peak memory (max RSS) of nhiscan.
# Usage: bench/audit.sh [N]
set -euo pipefail
cd "$(dirname "$0")/.."
N="${1:-1000}"
cargo build --release --quiet --bin nhiscan --example audit_bench
dir="$(mktemp -d)"
trap 'exec 3>&-; rm -rf "$dir"' EXIT
# The server runs until its stdin (fd 3 here) closes.
exec 3> >(target/release/examples/audit_bench "$dir" "$N" > "$dir/ready")
for _ in $(seq 100); do grep -q READY "$dir/ready" 2>/dev/null && break; sleep 0.1; done
grep -q READY "$dir/ready" || { echo "benchmark server did not start" >&2; exit 2; }
set +e
( cd "$dir" && /usr/bin/time -f "%e s wall, %U s user, %S s sys, %M KiB max RSS" \
    "$OLDPWD/target/release/nhiscan" audit --targets targets.txt --ca-cert ca.pem \
    --format json -o report.json -q ) 2> "$dir/time"
code=$?
set -e
findings=$(python3 -c "import json,sys; print(len(json.load(open(sys.argv[1]))['findings']))" "$dir/report.json")
echo "targets: $N  exit: $code  findings: $findings  $(tail -1 "$dir/time")"
