#!/usr/bin/env bash
# Time and peak memory of hostile inputs (issue 12), at size n and 4n, for
# two binaries: BEFORE (default /work/bin/nhiscan-before) and AFTER (default
# target/release/nhiscan). Each run is cut at LIMIT seconds (default 60).
# Usage: bench/hostile.sh [shape...]   shapes: git cycle merge flow secrets python json jobs trickle
# Output: one line per run: shape size binary seconds maxrss_MiB exit
set -u
BEFORE=${BEFORE:-/work/bin/nhiscan-before}
AFTER=${AFTER:-$(cd "$(dirname "$0")/.." && pwd)/target/release/nhiscan}
LIMIT=${LIMIT:-60}
W=$(mktemp -d /tmp/hostile.XXXXXX)
trap 'rm -rf "$W"' EXIT
shapes=${*:-git cycle merge flow secrets python json jobs trickle}

measure() { # shape size label dir args...
  local shape=$1 size=$2 label=$3 dir=$4; shift 4
  local bin=$BEFORE; [ "$label" = after ] && bin=$AFTER
  # Virtual memory capped (MEM_KB, default 8 GiB): the runaway git walks of
  # the old binary grow ~0.5 GB/s.
  ( ulimit -v "${MEM_KB:-8388608}"; cd "$dir" && /usr/bin/time -f '%e %U %S %M' -o "$W/time" timeout "$LIMIT" "$bin" "$@" >/dev/null 2>"$W/err" ); local rc=$?
  read -r secs user sys kb < <(tail -1 "$W/time")
  cpu=$(echo "$user + $sys" | bc)
  printf '%-8s %-6s %-6s %8ss wall %8ss cpu %6s MiB  exit %s\n' "$shape" "$size" "$label" "$secs" "$cpu" "$((kb / 1024))" "$rc"
}

both() { for l in before after; do measure "$@" "$l" ; done; }
run2() { local shape=$1 size=$2 dir=$3; shift 3
  measure "$shape" "$size" before "$dir" "$@"; measure "$shape" "$size" after "$dir" "$@"; }

g() { git -c user.name=b -c user.email=b@x.invalid "$@"; }

for shape in $shapes; do case $shape in
git) # levels of 10 copies of the level below: 10^levels paths
  for levels in 8 9; do
    d=$W/git$levels; mkdir -p "$d"; (cd "$d"; g init -q
      b=$(echo 'x=1' | g hash-object -w --stdin)
      t=$(for i in 0 1 2 3 4 5 6 7 8 9; do printf '100644 blob %s\tf%s\n' "$b" "$i"; done | g mktree)
      for _ in $(seq 2 "$levels"); do t=$(for i in 0 1 2 3 4 5 6 7 8 9; do printf '040000 tree %s\td%s\n' "$t" "$i"; done | g mktree); done
      c=$(g commit-tree "$t" -m x); g update-ref refs/heads/master "$c"; g symbolic-ref HEAD refs/heads/master)
    LIMIT=${GIT_LIMIT:-20} run2 git "1e$levels" "$d" scan . --history-only -q
  done ;;
cycle)
  d=$W/cycle; mkdir -p "$d"; (cd "$d"; g init -q
    id=5e1f5e1f5e1f5e1f5e1f5e1f5e1f5e1f5e1f5e1f
    python3 - "$id" <<'PY'
import sys, zlib, os
i = sys.argv[1]
body = b"40000 loop\0" + bytes.fromhex(i)
obj = b"tree %d\0" % len(body) + body
os.makedirs(".git/objects/" + i[:2], exist_ok=True)
open(".git/objects/%s/%s" % (i[:2], i[2:]), "wb").write(zlib.compress(obj))
PY
    c=$(printf 'tree %s\nauthor b <b@x> 1 +0000\ncommitter b <b@x> 1 +0000\n\nx\n' "$id" | g hash-object -w -t commit --literally --stdin)
    g update-ref refs/heads/master "$c")
  LIMIT=${CYCLE_LIMIT:-15} run2 cycle 1 "$d" scan . --history-only -q ;;
merge) # J jobs merging an anchor of 10^4 keys (the issue's 162 KB shape), and 4x
  for mul in 1 4; do d=$W/merge$mul; mkdir -p "$d"
    python3 - "$mul" > "$d/.gitlab-ci.yml" <<'PY'
import sys
m = int(sys.argv[1])
print(".d: &d")
for i in range(10000 * m): print(f"  k{i}: v")
for j in range(3000 * m): print(f"j{j}: {{<<: *d, script: x}}")
PY
    run2 merge "$(du -k "$d/.gitlab-ci.yml" | cut -f1)K" "$d" scan . -q
  done ;;
flow) # one-line flow sequence of 200 KB, and 4x
  for mul in 1 4; do d=$W/flow$mul; mkdir -p "$d"
    python3 -c "import sys; m=int(sys.argv[1]); print('variables: {X: [' + ', '.join(['abc']*(40000*m)) + ']}')" "$mul" > "$d/.gitlab-ci.yml"
    run2 flow "$(du -k "$d/.gitlab-ci.yml" | cut -f1)K" "$d" scan . -q
  done ;;
secrets) # a 1 MB line with 32,000 secrets, and 4x
  for mul in 1 4; do d=$W/sec$mul; mkdir -p "$d"
    python3 -c "
import sys
m=int(sys.argv[1])
print('GOOGLE_CLIENT_SECRET=' + ' '.join('GOCSPX-' + ('%dxB3c4D5e6F7g8H9i0Jk' % i).rjust(28, 'Q') for i in range(32000*m)))" "$mul" > "$d/dump.txt"
    run2 secrets "$(du -k "$d/dump.txt" | cut -f1)K" "$d" scan . -q --fail-on none
  done ;;
python) # top-level mentions and calls in functions (71 KB), and 4x
  for mul in 1 4; do d=$W/py$mul; mkdir -p "$d"
    python3 - "$mul" > "$d/app.py" <<'PY'
import sys
m = int(sys.argv[1])
print("import jwt\nopts = {'verify_aud': False}")
for i in range(1000 * m): print(f"print(opts, {i})")
for i in range(700 * m): print(f"def f{i}(t, k):\n    return jwt.decode(t, k, algorithms=['HS256'], options=opts)")
PY
    run2 python "$(du -k "$d/app.py" | cut -f1)K" "$d" scan . -q --fail-on none
  done ;;
json) # a JSON key-file-looking document of 25 MB and 100 MB (kty keyword, big array)
  for mb in 25 100; do d=$W/json$mb; mkdir -p "$d"
    python3 -c "import sys; n=int(sys.argv[1])<<19; sys.stdout.write('{\"kty\": \"oct\", \"a\": [' + '1,'*n + '1]}')" "$mb" > "$d/k.json"
    run2 json "${mb}M" "$d" scan . -q --max-file-size 200MiB
  done ;;
jobs) # -j 1000 on 7 small files
  d=$W/jobs; mkdir -p "$d"; for i in 1 2 3 4 5 6 7; do echo "x=$i" > "$d/f$i.txt"; done
  run2 jobs "-j1000" "$d" scan . -q -j 1000 ;;
trickle) # a body trickled one byte a second, audit --timeout 2 --retries 0
  port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
  python3 - "$port" <<'PY' &
import socket, sys, time, threading
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", int(sys.argv[1]))); s.listen(8)
def serve(c):
    try:
        c.recv(65536)
        c.sendall(b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\n\r\n")
        while True:
            c.sendall(b" "); time.sleep(1)
    except OSError:
        pass
while True:
    c, _ = s.accept(); threading.Thread(target=serve, args=(c,), daemon=True).start()
PY
  srv=$!; sleep 0.5
  LIMIT=${TRICKLE_LIMIT:-150} run2 trickle 1 "$W" audit "http://127.0.0.1:$port/x" --allow-http-loopback --timeout 2 --retries 0
  kill "$srv" ;;
esac; done
