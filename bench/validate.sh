#!/usr/bin/env bash
# Validation benchmark: N planted client secrets (half live, half rotated),
# each with its client id and issuer beside it, validated by
# `scan --validate` against a real OpenID provider (tests/oidc, oidc-provider)
# on 127.0.0.1 over HTTPS. Prints wall time, peak memory, requests sent, the
# request rate against the limit, and the verdicts.
# Usage: bench/validate.sh [N] [RATE]   (needs node and `npm ci` in tests/oidc, openssl)
set -euo pipefail
cd "$(dirname "$0")/.."
N="${1:-1000}"
RATE="${2:-100}"
HALF=$((N / 2))
[[ -d tests/oidc/node_modules/oidc-provider ]] || (cd tests/oidc && npm ci --no-audit --no-fund --loglevel=error)
CARGO_PROFILE_RELEASE_LTO="${CARGO_PROFILE_RELEASE_LTO:-thin}" cargo build --release --quiet --bin nhiscan
dir="$(mktemp -d)"
cleanup() { [[ -n "${pid:-}" ]] && kill "$pid" 2>/dev/null; rm -rf "$dir"; }
trap cleanup EXIT

# A CA and a leaf for 127.0.0.1.
openssl req -x509 -newkey rsa:2048 -nodes -keyout "$dir/ca-key.pem" -out "$dir/ca.pem" -days 1 \
    -subj "/CN=nhiscan bench CA" 2>/dev/null
openssl req -newkey rsa:2048 -nodes -keyout "$dir/leaf-key.pem" -out "$dir/leaf.csr" \
    -subj "/CN=127.0.0.1" 2>/dev/null
printf 'subjectAltName=IP:127.0.0.1\n' > "$dir/ext"
openssl x509 -req -in "$dir/leaf.csr" -CA "$dir/ca.pem" -CAkey "$dir/ca-key.pem" -CAcreateserial \
    -out "$dir/leaf.pem" -days 1 -extfile "$dir/ext" 2>/dev/null

node tests/oidc/server.mjs "$dir/leaf.pem" "$dir/leaf-key.pem" validate unused-basic unused-post "$HALF" \
    > "$dir/port" 2> /dev/null &
pid=$!
for _ in $(seq 100); do grep -q LISTENING "$dir/port" 2>/dev/null && break; sleep 0.1; done
port="$(awk '{print $2}' "$dir/port")"
[[ -n $port ]] || { echo "provider did not start" >&2; exit 2; }

mkdir "$dir/repo"
for i in $(seq 0 $((N - 1))); do
    c=$((i % HALF))
    secret="bench-secret-$c-Qx7Nv3Hb6T"
    [[ $i -ge $HALF ]] && secret="rotated-secret-$c-Zk2Wm8Pq4R"
    printf 'oidc:\n  issuer: https://127.0.0.1:%s\n  client_id: bench-%s\n  client_secret: %s\n' \
        "$port" "$c" "$secret" > "$dir/repo/service-$i.yaml"
done

set +e
/usr/bin/time -f "%e %M" -o "$dir/time" target/release/nhiscan scan "$dir/repo" --no-ignore \
    --validate --validate-allow-private --ca-cert "$dir/ca.pem" --validate-rate "$RATE" \
    --format json -o "$dir/report.json" --fail-on none 2> "$dir/stderr"
code=$?
set -e
read -r wall rss < "$dir/time"
summary="$(grep -- '--validate:' "$dir/stderr" | tail -1)"
requests="$(sed -n 's/.* \([0-9]*\) request(s) sent.*/\1/p' <<< "$summary")"
python3 - "$dir/report.json" "$wall" "$rss" "$requests" "$RATE" "$N" "$code" <<'PY'
import json, sys, collections
report, wall, rss, requests, rate, n, code = sys.argv[1:]
c = collections.Counter(f.get("validity", {}).get("status", "none") for f in json.load(open(report))["findings"])
wall, requests, rate = float(wall), int(requests), float(rate)
print(f"secrets: {n}  exit: {code}  wall: {wall:.1f} s  peak RSS: {int(rss) // 1024} MiB  "
      f"requests: {requests}  rate: {requests / wall:.1f}/s (limit {rate:g}/s per host)  verdicts: {dict(c)}")
PY
