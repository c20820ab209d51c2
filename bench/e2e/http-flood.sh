#!/usr/bin/env bash
# Copyright 2026 The SoundRelay Authors. Licensed under the Apache License, Version 2.0.
#
# What a flood of GET /metrics without a key costs the node (issue 29, finding 8): one client on 127.0.0.9 sends
# N requests back to back (keep-alive where the node keeps the connection), first to a node with the per-address
# limit off (UNAUTH_RATE_PER_SECOND=0: every request is a full scrape), then with the default limit (20/s, burst 60:
# the rest are answered 429). It prints, for each, requests per second, the node's CPU per request (utime + stime of
# its process, from /proc) and the answers by status. Loopback only; bounded by N.
#
# usage: bench/e2e/http-flood.sh [requests]        (default 20000)
set -euo pipefail

REQUESTS=${1:-20000}
REPO_ROOT=$(cd "$(dirname "$0")/../.." && pwd)
cd "$REPO_ROOT"
# The build's JDK (Java 25+): $JAVA_HOME/bin/java when JAVA_HOME is set, else the `java` on PATH.
JAVA=${JAVA_HOME:+$JAVA_HOME/bin/java}
JAVA=${JAVA:-java}
[[ -f control/target/soundrelay.jar ]] || ./mvnw -q -B -DskipTests -pl control -am package
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT

cat > "$WORK/flood.py" <<'PY'
import http.client, os, sys, time
pid, port, n = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
tick = os.sysconf('SC_CLK_TCK')
def cpu():
    f = open(f'/proc/{pid}/stat').read().rsplit(')', 1)[1].split()
    return (int(f[11]) + int(f[12])) / tick
statuses, conn = {}, None
c0, t0 = cpu(), time.time()
for _ in range(n):
    if conn is None:
        conn = http.client.HTTPConnection('127.0.0.1', port, source_address=('127.0.0.9', 0), timeout=10)
    try:
        conn.request('GET', '/metrics')
        r = conn.getresponse(); r.read()
        statuses[r.status] = statuses.get(r.status, 0) + 1
        if (r.getheader('Connection') or '').lower() == 'close':
            conn.close(); conn = None
    except Exception as e:
        statuses[type(e).__name__] = statuses.get(type(e).__name__, 0) + 1
        conn.close(); conn = None
c1, t1 = cpu(), time.time()
print(f'{n} requests in {t1 - t0:.1f} s ({n / (t1 - t0):.0f}/s); node CPU {c1 - c0:.2f} s = '
      f'{(c1 - c0) / n * 1e6:.0f} us/request; answers {statuses}')
PY

flood() # $1: UNAUTH_RATE_PER_SECOND
{
    env -i PATH="$PATH" BIND_ADDR=127.0.0.1:0 CONTROL_API_ADDR=127.0.0.1:0 METRICS_ADDR=127.0.0.1:0 REDIS_URL= \
        API_KEYS=http-flood-key-0123456789 UNAUTH_RATE_PER_SECOND="$1" \
        "$JAVA" -Xmx256m -jar control/target/soundrelay.jar > "$WORK/node.log" 2>&1 &
    local node=$! port=""
    for _ in $(seq 300); do
        port=$(grep -o 'control API http://[0-9.]*:[0-9]*' "$WORK/node.log" | sed 's/.*://' || true)
        [[ -n "$port" ]] && break
        sleep 0.1
    done
    python3 "$WORK/flood.py" "$node" "$port" 2000 > /dev/null # warm-up: class loading, JIT
    printf 'UNAUTH_RATE_PER_SECOND=%-3s ' "$1"
    python3 "$WORK/flood.py" "$node" "$port" "$REQUESTS"
    kill "$node"
    wait "$node" 2>/dev/null || true
}

flood 0
flood 20
