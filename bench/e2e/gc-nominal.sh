#!/usr/bin/env bash
# Copyright 2026 The SoundRelay Authors. Licensed under the Apache License, Version 2.0.
#
# A node under nominal load (1,000 streams x 50 pps) for 60 s with the JVM's GC log on, to show that the data
# plane does not make the garbage collector run. The node runs as the README starts it (java -jar, default heap,
# the default REDIS_URL: a local Redis is used when one answers), plus -Xlog:gc*. The GC log, the node's log and
# the generator's report go to bench/results/gc-nominal-<stamp>/, and a summary to stdout.
#
# usage: bench/e2e/gc-nominal.sh [seconds]        (default 60)
set -euo pipefail

SECONDS_TO_RUN=${1:-60}
REPO_ROOT=$(cd "$(dirname "$0")/../.." && pwd)
cd "$REPO_ROOT"
# The build's JDK (Java 25+): $JAVA_HOME/bin/java when JAVA_HOME is set, else the `java` on PATH.
JAVA=${JAVA_HOME:+$JAVA_HOME/bin/java}
JAVA=${JAVA:-java}
[[ -f control/target/soundrelay.jar && -f tools/target/soundrelay-tools.jar ]] || ./mvnw -q -B -DskipTests package

STAMP=$(date +%Y%m%d-%H%M%S)
OUT=bench/results/gc-nominal-$STAMP
mkdir -p "$OUT"
KEY=$(head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n')
export SOUNDRELAY_API_KEY=$KEY
PORT_BASE=${PORT_BASE:-48000}

env BIND_ADDR="127.0.0.1:$PORT_BASE" CONTROL_API_ADDR="127.0.0.1:$((PORT_BASE + 1))" \
    METRICS_ADDR="127.0.0.1:$((PORT_BASE + 2))" API_KEYS="$KEY" NODE_ID="gc-nominal-$STAMP" \
    "$JAVA" "-Xlog:gc*,safepoint:file=$OUT/gc.log:utctime,uptime,level,tags" -jar control/target/soundrelay.jar \
    > "$OUT/node.log" 2>&1 &
NODE=$!
trap 'kill "$NODE" 2>/dev/null || true' EXIT
for _ in $(seq 300); do
    curl -sf "http://127.0.0.1:$((PORT_BASE + 1))/health" > /dev/null && break
    sleep 0.1
done
# A short warm-up run first: the node's first route requests load classes, and the JVM's first Metaspace
# threshold collects once; that is start-up, not traffic. The GC log keeps it, the summary names it.
# --warmup 0: the generator measures from its first send, so the window below is the whole of the traffic.
LOADGEN=("$JAVA" -jar tools/target/soundrelay-tools.jar loadgen --relay "127.0.0.1:$PORT_BASE"
    --api "http://127.0.0.1:$((PORT_BASE + 1))" --streams 1000 --pps 50
    --senders 1 --sink-ports "$((PORT_BASE + 10))" --one-thread --warmup 0)
"${LOADGEN[@]}" --duration 5 > "$OUT/warmup.out" 2>&1 || true

"${LOADGEN[@]}" --duration "$SECONDS_TO_RUN" --json "$OUT/loadgen.json" --hgrm "$OUT/loadgen.hgrm" \
    > "$OUT/loadgen.out" 2>&1 &
GEN=$!
# The window starts when the generator starts sending (its routes exist by then) and ends when it is done.
until grep -qxF "loadgen: measuring" "$OUT/loadgen.out" 2>/dev/null; do
    kill -0 "$GEN" 2>/dev/null || break
    sleep 0.01
done
LOAD_START=$(date -u +%Y-%m-%dT%H:%M:%S.%3N)
until grep -qxF "loadgen: sending done" "$OUT/loadgen.out" 2>/dev/null; do
    kill -0 "$GEN" 2>/dev/null || break
    sleep 0.01
done
LOAD_END=$(date -u +%Y-%m-%dT%H:%M:%S.%3N)
wait "$GEN" || true
kill "$NODE"
wait "$NODE" 2>/dev/null || true
trap - EXIT

python3 - "$OUT" "$LOAD_START" "$LOAD_END" <<'PY'
import json, re, sys
out, load_start, load_end = sys.argv[1], sys.argv[2], sys.argv[3]
gc = open(out + "/gc.log").read().splitlines()
pauses = [l for l in gc if re.search(r"\[gc\s*\] GC\(\d+\) Pause", l)]
report = json.load(open(out + "/loadgen.json"))
print(f"node GC log: {out}/gc.log")
print(f"loadgen: {report['sent']:,} sent, {report['received']:,} received, loss {report['loss_percent']:.3f} %, "
      f"p50 {report['latency_us']['p50']:.0f} us, p99 {report['latency_us']['p99']:.0f} us")
during = [l for l in pauses if load_start <= l[1:24] <= load_end]
print(f"traffic from {load_start} to {load_end} (UTC), after a 5 s warm-up run")
print(f"GC pauses in the node's whole life: {len(pauses)}; during the traffic: {len(during)}")
for l in pauses:
    print(("  DURING TRAFFIC " if l in during else "  before/after ") + l)
PY
