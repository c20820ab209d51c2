#!/usr/bin/env bash
#
# Copyright 2026 The SoundRelay Authors
#
# Licensed under the Apache License, Version 2.0 (the "License");
# you may not use this file except in compliance with the License.
# You may obtain a copy of the License at
#
#     https://www.apache.org/licenses/LICENSE-2.0
#
# Unless required by applicable law or agreed to in writing, software
# distributed under the License is distributed on an "AS IS" BASIS,
# WITHOUT WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied.
# See the License for the specific language governing permissions and
# limitations under the License.
#
# Pacing benchmark (issue 19): one node, started here (in-memory routes, no Redis), takes the same stall-and-burst
# load twice, pacing off (routes with "pace_ms": 0) and pacing on ("pace_ms": 500 by default). Every stream sends
# nothing for --stall-ms, then --burst frames back to back, timestamps and sequence numbers going on as if it had
# sent one frame per 20 ms. The script prints one side-by-side Markdown table (delivered/sent, inter-arrival time
# at the sink p50/p99/max, latency p50/p99, the node's CPU per datagram) and writes it to
# bench/results/pacing-YYYYMMDD-HHMMSS.md; the raw loadgen JSON, .hgrm, output and the node's log go to
# bench/results/pacing-YYYYMMDD-HHMMSS/.
#
# The node's CPU: utime + stime from /proc/<pid>/stat, sampled when loadgen prints 'loadgen: measuring' (after its
# warm-up) and 'loadgen: sending done', divided by the datagrams the node received meanwhile (packets_received of
# its /health), in microseconds per datagram.

set -euo pipefail

SCRIPT_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO_ROOT=$(cd "$SCRIPT_DIR/../.." && pwd)
LOG_TAG=pacing
SCRIPT_NAME=pacing.sh
# shellcheck source=bench/e2e/lib.sh
source "$SCRIPT_DIR/lib.sh"
INVOKED_FROM=$PWD
COMMAND_LINE=$(printf '%q ' "$0" "$@")
COMMAND_LINE=${COMMAND_LINE% }

STREAMS=1000
SECONDS_PER_PHASE=20
WARMUP_SECONDS=3
NODE_WARMUP_SECONDS=5
PPS=50
BURST=15
STALL_MS=300
PACE_ON_MS=500
PLAYOUT_MS=40
TRANSPORT=
PIN=1
PORT_BASE=47300
OUT_DIR=

usage() {
    cat <<EOF
usage: bench/e2e/pacing.sh [options]

  --streams N        streams in each phase (default $STREAMS)
  --duration S       seconds each phase sends (default $SECONDS_PER_PHASE)
  --warmup S         seconds at the start of each phase not measured (loadgen --warmup; default $WARMUP_SECONDS)
  --node-warmup S    an unmeasured run of the same load, pacing on, right after the node starts, so that neither
                     phase meets a cold node; 0 for none (default $NODE_WARMUP_SECONDS)
  --pps N            the streams' frame rate: timestamps +960 a frame assume 50 (default $PPS)
  --burst N          frames a stream sends back to back after each stall (default $BURST)
  --stall-ms MS      ms from one burst of a stream to its next (default $STALL_MS: the average rate stays 50 pps)
  --pace-ms MS       pace_ms of the routes with pacing on (default $PACE_ON_MS); off is always 0
  --playout-ms MS    a third phase: pacing on with jitter_ms MS, the pacer's playout delay, which absorbs a source
                     that is itself late by up to MS (default $PLAYOUT_MS; 0: no third phase)
  --transport T      the node's TRANSPORT (io_uring, epoll, nio; default: the node's own default)
  --no-pin           do not pin loadgen and the node to a CPU each (default: the first two CPUs allowed)
  --port-base P      node UDP P, API P+1, metrics P+2, loadgen sink P+10 (default $PORT_BASE)
  --out DIR          where results go (default bench/results)
  -h, --help         this text

Environment: NODE_JAR (default control/target/soundrelay.jar), TOOLS_JAR (default tools/target/soundrelay-tools.jar),
NODE_JVM_OPTS (default '-Xms512m -Xmx512m -XX:+AlwaysPreTouch'), LOADGEN_JVM_OPTS (default none).
Build the jars first: ./mvnw -q -B -DskipTests package
EOF
}

die() {
    printf 'pacing.sh: %s\n' "$*" >&2
    exit 1
}

while [[ $# -gt 0 ]]; do
    opt=$1
    if [[ $opt == --*=* ]]; then
        set -- "${opt%%=*}" "${opt#*=}" "${@:2}"
        opt=$1
    fi
    case $opt in
        --streams) need_value "$@"; STREAMS=$2; shift 2 ;;
        --duration) need_value "$@"; SECONDS_PER_PHASE=$2; shift 2 ;;
        --warmup) need_value "$@"; WARMUP_SECONDS=$2; shift 2 ;;
        --node-warmup) need_value "$@"; NODE_WARMUP_SECONDS=$2; shift 2 ;;
        --pps) need_value "$@"; PPS=$2; shift 2 ;;
        --burst) need_value "$@"; BURST=$2; shift 2 ;;
        --stall-ms) need_value "$@"; STALL_MS=$2; shift 2 ;;
        --playout-ms) need_value "$@"; PLAYOUT_MS=$2; shift 2 ;;
        --pace-ms) need_value "$@"; PACE_ON_MS=$2; shift 2 ;;
        --transport) need_value "$@"; TRANSPORT=$2; shift 2 ;;
        --no-pin) PIN=0; shift ;;
        --port-base) need_value "$@"; PORT_BASE=$2; shift 2 ;;
        --out) need_value "$@"; OUT_DIR=$2; shift 2 ;;
        -h|--help) usage; exit 0 ;;
        *) printf 'pacing.sh: unknown option %s\n' "$opt" >&2; usage >&2; exit 2 ;;
    esac
done

int_at_least --streams "$STREAMS" 1
int_at_least --duration "$SECONDS_PER_PHASE" 1
int_at_least --warmup "$WARMUP_SECONDS" 0
int_at_least --node-warmup "$NODE_WARMUP_SECONDS" 0
((WARMUP_SECONDS < SECONDS_PER_PHASE)) || { echo "pacing.sh: --warmup must be shorter than --duration" >&2; exit 2; }
int_at_least --pps "$PPS" 1
int_at_least --burst "$BURST" 1
int_at_least --stall-ms "$STALL_MS" 1
int_at_least --pace-ms "$PACE_ON_MS" 1
int_at_least --port-base "$PORT_BASE" 1024
((PORT_BASE + 10 <= 65535)) || { echo "pacing.sh: --port-base=$PORT_BASE: too high" >&2; exit 2; }
[[ -z $TRANSPORT || $TRANSPORT == io_uring || $TRANSPORT == epoll || $TRANSPORT == nio ]] \
    || { echo "pacing.sh: --transport=$TRANSPORT: want io_uring, epoll or nio" >&2; exit 2; }

RELAY_PORT=$PORT_BASE
API_PORT=$((PORT_BASE + 1))
METRICS_PORT=$((PORT_BASE + 2))
SINK_PORT=$((PORT_BASE + 10))
NODE_MAX_STREAMS=$((STREAMS * 2 > 1000 ? STREAMS * 2 : 1000))
NODE_JAR=${NODE_JAR:-$REPO_ROOT/control/target/soundrelay.jar}
TOOLS_JAR=${TOOLS_JAR:-$REPO_ROOT/tools/target/soundrelay-tools.jar}
NODE_JVM_OPTS=${NODE_JVM_OPTS:--Xms512m -Xmx512m -XX:+AlwaysPreTouch}
LOADGEN_JVM_OPTS=${LOADGEN_JVM_OPTS:-}
read -r -a NODE_JVM_ARGS <<< "$NODE_JVM_OPTS"
read -r -a LOADGEN_JVM_ARGS <<< "$LOADGEN_JVM_OPTS"
# A phase may run this much longer than its --duration (JVM start, routes, grace) before it is killed.
SLACK_SECONDS=120
NODE_START_SECONDS=60

if [[ -z $OUT_DIR ]]; then
    OUT_DIR=$REPO_ROOT/bench/results
elif [[ $OUT_DIR != /* ]]; then
    OUT_DIR=$INVOKED_FROM/$OUT_DIR
fi

# --- processes -----------------------------------------------------------------------------------------------------

STARTED_PIDS=()
NODE_PID=

cleanup() {
    local status=$? pid
    trap - EXIT INT TERM
    for pid in "${STARTED_PIDS[@]+"${STARTED_PIDS[@]}"}"; do
        stop_pid "$pid"
    done
    exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# The node's /metrics now, into file $1.
save_metrics() {
    curl -fsS --max-time 5 -o "$1" "http://127.0.0.1:$METRICS_PORT/metrics" 2>/dev/null || : > "$1"
}

# A field of the node's GET /health answer.
health_field() {
    curl -fsS --max-time 5 "http://127.0.0.1:$API_PORT/health" 2>/dev/null \
        | python3 -c 'import json, sys; print(json.load(sys.stdin).get(sys.argv[1], ""))' "$1"
}

setup_pinning() {
    GEN_PREFIX=()
    NODE_PREFIX=()
    PIN_NOTE="off: loadgen and the node share the CPUs"
    ((PIN == 1)) || return 0
    local cpus
    cpus=$(python3 -c 'import os; print(" ".join(str(c) for c in sorted(os.sched_getaffinity(0))))')
    read -r -a cpus <<< "$cpus"
    if ((${#cpus[@]} < 2)); then
        log "only ${#cpus[@]} CPU allowed: not pinning"
        PIN_NOTE="off: only ${#cpus[@]} CPU allowed"
        return 0
    fi
    GEN_PREFIX=(taskset -c "${cpus[0]}")
    NODE_PREFIX=(taskset -c "${cpus[1]}")
    PIN_NOTE="loadgen on CPU ${cpus[0]}, the node on CPU ${cpus[1]} (taskset)"
}

start_node() {
    local i
    local -a transport_env=()
    [[ -z $TRANSPORT ]] || transport_env=(TRANSPORT="$TRANSPORT")
    # An empty working directory: the node reads a .env file from it, and must not find one.
    mkdir -p "$RAW_DIR/node"
    (
        cd "$RAW_DIR/node"
        exec env -i PATH="$PATH" HOME="${HOME:-/root}" \
            "${transport_env[@]+"${transport_env[@]}"}" \
            BIND_ADDR="127.0.0.1:$RELAY_PORT" \
            CONTROL_API_ADDR="127.0.0.1:$API_PORT" \
            METRICS_ADDR="127.0.0.1:$METRICS_PORT" \
            REDIS_URL= \
            AUTH_ENABLED=true \
            API_KEYS="$API_KEY" \
            MAX_STREAMS_PER_NODE="$NODE_MAX_STREAMS" \
            LOG_LEVEL=warn \
            "${NODE_PREFIX[@]+"${NODE_PREFIX[@]}"}" "$JAVA" "${NODE_JVM_ARGS[@]+"${NODE_JVM_ARGS[@]}"}" -jar "$NODE_JAR"
    ) < /dev/null >> "$RAW_DIR/node.log" 2>&1 &
    NODE_PID=$!
    STARTED_PIDS+=("$NODE_PID")
    for ((i = 0; i < NODE_START_SECONDS * 5; i++)); do
        running "$NODE_PID" || { tail -n 20 "$RAW_DIR/node.log" >&2; die "the node exited during start-up"; }
        if curl -fsS --max-time 2 -o /dev/null "http://127.0.0.1:$API_PORT/health" 2>/dev/null &&
            udp_port_bound "$RELAY_PORT"; then
            return 0
        fi
        sleep 0.2
    done
    die "the node was not healthy within ${NODE_START_SECONDS}s (log: $RAW_DIR/node.log)"
}

# Copy lines from descriptor $1 to file $3 until one is $2 (true) or the writer closes it (false).
copy_until_line() {
    local line
    while IFS= read -r line <&"$1"; do
        printf '%s\n' "$line" >> "$3"
        [[ -z $2 || $line != "$2" ]] || return 0
    done
    return 1
}

# run_phase NAME PACE_MS FIRST_STREAM_ID [SECONDS]: one loadgen run; appends a line to $PHASES unless NAME is
# warmup.
run_phase() {
    local name=$1 pace=$2 first=$3 seconds=${4:-$SECONDS_PER_PHASE} base=$RAW_DIR/$1
    local warmup=$WARMUP_SECONDS
    local -a extra=()
    # The warm-up's JIT and start-up losses are expected: it only warms the node.
    [[ $name != warmup ]] || { warmup=0; extra=(--allow-loss-percent 100); }
    local -a cmd=("${GEN_PREFIX[@]+"${GEN_PREFIX[@]}"}" timeout --kill-after=10 $((seconds + SLACK_SECONDS))
        "$JAVA" "${LOADGEN_JVM_ARGS[@]+"${LOADGEN_JVM_ARGS[@]}"}" -jar "$TOOLS_JAR" loadgen
        --relay "127.0.0.1:$RELAY_PORT" --api "http://127.0.0.1:$API_PORT" --create-routes --deliver framed
        --wire sr --streams "$STREAMS" --first-stream-id "$first" --pps "$PPS"
        --burst "$BURST" --stall-ms "$STALL_MS" --pace-ms "$pace" --jitter-ms "${PHASE_JITTER_MS:-0}"
        --duration "$seconds" --warmup "$warmup" --senders 1 --one-thread
        --sink-ports "$SINK_PORT" --report-interval 5 --json "$base.json" --hgrm "$base.hgrm"
        "${extra[@]+"${extra[@]}"}")
    printf '%q ' "${cmd[@]}" > "$base.cmd"
    echo >> "$base.cmd"
    local fifo=$base.fifo out_fd pid exit_code=0 ticks=- packets=- before_ticks before_packets after_ticks after_packets
    rm -f "$fifo"
    mkfifo "$fifo"
    "${cmd[@]}" < /dev/null > "$fifo" 2> "$base.err" &
    pid=$!
    STARTED_PIDS+=("$pid")
    exec {out_fd}< "$fifo"
    : > "$base.out"
    if copy_until_line "$out_fd" "loadgen: measuring" "$base.out" &&
        before_ticks=$(cpu_ticks "$NODE_PID") && before_packets=$(health_field packets_received) &&
        save_metrics "$base.metrics-before" &&
        copy_until_line "$out_fd" "loadgen: sending done" "$base.out" &&
        after_ticks=$(cpu_ticks "$NODE_PID") && after_packets=$(health_field packets_received) &&
        save_metrics "$base.metrics-after"; then
        ticks=$((after_ticks - before_ticks))
        packets=$((after_packets - before_packets))
    fi
    copy_until_line "$out_fd" "" "$base.out" || true
    exec {out_fd}<&-
    rm -f "$fifo"
    wait "$pid" || exit_code=$?
    ((exit_code != 2)) || { tail -n 20 "$base.err" >&2; die "loadgen refused its options (command in $base.cmd)"; }
    if [[ $name == warmup ]]; then
        log "warm-up: loadgen exit $exit_code"
        return 0
    fi
    printf '%s\t%s\t%s.json\t%s\t%s\t%s\t%s\n' "$name" "$pace" "$name" "$exit_code" "$ticks" "$packets" "$CLK_TCK" \
        >> "$PHASES"
    log "$name: loadgen exit $exit_code, node CPU ticks $ticks over $packets datagrams received"
}

clear_routes() {
    local n
    n=$(python3 "$SCRIPT_DIR/e2e_report.py" clear-routes "http://127.0.0.1:$API_PORT" "$API_KEY" \
        2>> "$RAW_DIR/node.log") || { log "could not list/delete the node's routes"; return 0; }
    ((n == 0)) || log "deleted $n routes left over by the previous phase"
}

# --- table ---------------------------------------------------------------------------------------------------------

write_table() {
    python3 - "$PHASES" "$RAW_DIR" <<'EOF'
import json, os, sys

phases_file, raw_dir = sys.argv[1], sys.argv[2]
phases = []
with open(phases_file) as f:
    for line in f:
        name, pace, json_name, exit_code, ticks, packets, clk_tck = line.rstrip("\n").split("\t")
        try:
            with open(os.path.join(raw_dir, json_name)) as j:
                result = json.load(j)
        except (OSError, ValueError):
            result = {}
        phases.append((name, pace, result, exit_code, ticks, packets, int(clk_tck)))

def metrics_jitter(p):
    return p[2].get("jitter_ms", "-") if p[2] else "-"

def fmt(value, digits=2):
    return "-" if value is None else f"{value:.{digits}f}"

rows = [("routes' pace_ms", lambda p: p[1]),
    ("routes' jitter_ms (playout delay)", lambda p: str(metrics_jitter(p)))]
rows.append(("delivered / sent", lambda p: "-" if not p[2] else
    f"{p[2].get('received', 0)} / {p[2].get('sent', 0)} "
    f"({100.0 * p[2].get('received', 0) / max(1, p[2].get('sent', 0)):.2f} %)"))
for key, label in (("p50", "p50"), ("p99", "p99"), ("p99_9", "p99.9"), ("max", "max")):
    rows.append((f"inter-arrival {label} (ms)",
        lambda p, key=key: fmt(p[2].get("inter_arrival_ms", {}).get(key), 3)))
for key in ("p50", "p99"):
    rows.append((f"latency {key} (ms)",
        lambda p, key=key: fmt(None if "latency_us" not in p[2] else p[2]["latency_us"][key] / 1000.0)))
def cpu(p):
    ticks, packets = p[4], p[5]
    if ticks == "-" or packets == "-" or int(packets) <= 0:
        return "-"
    return f"{int(ticks) / p[6] * 1e6 / int(packets):.2f}"
rows.append(("node CPU per datagram (us)", cpu))
rows.append(("node CPU in the measured window (ms)",
    lambda p: "-" if p[4] == "-" else f"{int(p[4]) * 1000.0 / p[6]:.0f}"))
rows.append(("node datagrams received (measured window)", lambda p: p[5]))

def metrics(name, which):
    values = {}
    try:
        with open(os.path.join(raw_dir, f"{name}.metrics-{which}")) as f:
            for line in f:
                if line and not line.startswith("#") and " " in line:
                    key, _, value = line.rstrip("\n").rpartition(" ")
                    try:
                        values[key] = float(value)
                    except ValueError:
                        pass
    except OSError:
        pass
    return values

def window(p):
    before, after = metrics(p[0], "before"), metrics(p[0], "after")
    return {k: after[k] - before.get(k, 0.0) for k in after}

def lateness(p, q):
    w = window(p)
    count = w.get("relay_pace_lateness_seconds_count", 0.0)
    if count <= 0:
        return "-"
    buckets = sorted((float(k.split('le="')[1].split('"')[0]), v) for k, v in w.items()
        if k.startswith("relay_pace_lateness_seconds_bucket") and "+Inf" not in k)
    for le, cumulative in buckets:
        if cumulative >= q * count:
            return f"<= {le * 1e3:g}"
    return "> 1000"
rows.append(("node pacing lateness p50 (ms, bucket)", lambda p: lateness(p, 0.5)))
rows.append(("node pacing lateness p99 (ms, bucket)", lambda p: lateness(p, 0.99)))
rows.append(("node pacing lateness max (ms, bucket)", lambda p: lateness(p, 1.0)))
rows.append(("node paced departures", lambda p: f"{window(p).get('relay_pace_lateness_seconds_count', 0.0):.0f}"))
def reanchors(p):
    w = window(p)
    return " / ".join("%.0f" % w.get('relay_pace_reanchors_total{reason="%s"}' % r, 0.0)
        for r in ("ahead", "behind", "full"))
rows.append(("node re-anchors ahead / behind / full", reanchors))
rows.append(("loadgen exit (0 = passed)", lambda p: p[3]))

print("| | " + " | ".join(f"pacing {p[0]}" for p in phases) + " |")
print("|---|" + "---:|" * len(phases))
for label, value in rows:
    print(f"| {label} | " + " | ".join(value(p) for p in phases) + " |")

print()
for p in phases:
    if not p[0].startswith("on") or not p[2].get("inter_arrival_ms"):
        continue
    ia = p[2]["inter_arrival_ms"]
    p99_ok = abs(ia["p99"] - 20.0) <= 2.0
    max_ok = ia["max"] < 40.0
    print(f"Goal with pacing {p[0]}: inter-arrival p99 within 2 ms of 20 ms: {'met' if p99_ok else 'NOT met'} "
          f"({ia['p99']:.2f} ms); max under 40 ms: {'met' if max_ok else 'NOT met'} ({ia['max']:.2f} ms).")
EOF
}

# --- main ----------------------------------------------------------------------------------------------------------

for c in "$JAVA" curl python3 timeout taskset mkfifo; do
    command -v "$c" >/dev/null 2>&1 || die "missing command: $c"
done
require_java
[[ -f $NODE_JAR ]] || die "$NODE_JAR is missing: build with ./mvnw -q -B -DskipTests package"
[[ -f $TOOLS_JAR ]] || die "$TOOLS_JAR is missing: build with ./mvnw -q -B -DskipTests package"
"$JAVA" -jar "$TOOLS_JAR" loadgen --help 2>&1 | grep -q -e '--pace-ms' \
    || die "$TOOLS_JAR has no loadgen --pace-ms: rebuild it"
for p in "$RELAY_PORT" "$SINK_PORT"; do
    ! udp_port_bound "$p" || die "UDP port $p is in use (pick others with --port-base)"
done

STAMP=$(date +%Y%m%d-%H%M%S)
mkdir -p "$OUT_DIR"
RAW_DIR=$OUT_DIR/pacing-$STAMP
[[ ! -e $RAW_DIR ]] || die "$RAW_DIR exists"
mkdir -p "$RAW_DIR"
REPORT=$OUT_DIR/pacing-$STAMP.md
PHASES=$RAW_DIR/phases.tsv
: > "$PHASES"
CLK_TCK=$(getconf CLK_TCK)
API_KEY=bench-$(od -An -N16 -tx1 /dev/urandom | tr -d ' \n')
# loadgen reads the key from its environment: it is in no command line and no .cmd file.
export SOUNDRELAY_API_KEY=$API_KEY

setup_pinning
log "starting the node ($NODE_JAR)"
start_node
NODE_TRANSPORT=$(health_field transport || echo '?')
log "node pid $NODE_PID, transport $NODE_TRANSPORT; phases of ${SECONDS_PER_PHASE}s, $STREAMS streams, bursts of $BURST every ${STALL_MS} ms"

# Distinct stream ids per phase, and the routes cleared in between: no route of one phase paces the other.
clear_routes
if ((NODE_WARMUP_SECONDS > 0)); then
    log "warm-up: ${NODE_WARMUP_SECONDS}s of the same load, pacing on (pace_ms $PACE_ON_MS), not measured"
    run_phase warmup "$PACE_ON_MS" 10000 "$NODE_WARMUP_SECONDS"
    clear_routes
fi
phases=2
((PLAYOUT_MS == 0)) || phases=3
log "phase 1/$phases: pacing off (pace_ms 0)"
run_phase off 0 100000
clear_routes
log "phase 2/$phases: pacing on (pace_ms $PACE_ON_MS)"
run_phase on "$PACE_ON_MS" $((100000 + STREAMS + 100000))
if ((PLAYOUT_MS > 0)); then
    clear_routes
    log "phase 3/$phases: pacing on (pace_ms $PACE_ON_MS) with a playout delay (jitter_ms $PLAYOUT_MS)"
    PHASE_JITTER_MS=$PLAYOUT_MS run_phase on+playout "$PACE_ON_MS" $((100000 + 2 * (STREAMS + 100000)))
fi

commit=$(git -C "$REPO_ROOT" rev-parse --short HEAD 2>/dev/null || echo unknown)
if [[ $commit != unknown ]] && ! git -C "$REPO_ROOT" diff --quiet HEAD 2>/dev/null; then
    commit+=" (with uncommitted changes)"
fi
{
    echo "# SoundRelay pacing benchmark, $STAMP"
    echo
    echo "- command: \`$COMMAND_LINE\`"
    echo "- commit: $commit; kernel $(uname -r); $("$JAVA" -version 2>&1 | sed -n 1p)"
    echo "- CPU: $(awk -F': ' '/^model name/ {print $2; exit}' /proc/cpuinfo); $(getconf _NPROCESSORS_ONLN) online; pinning: $PIN_NOTE"
    echo "- node: \`java $NODE_JVM_OPTS -jar ${NODE_JAR#"$REPO_ROOT"/}\`, transport $NODE_TRANSPORT, in-memory routes (no Redis), LOG_LEVEL=warn"
    echo "- load, each phase: $STREAMS streams, frames of 20 ms (+960, 48 kHz) at $PPS pps, sent stall-and-burst: nothing for"
    echo "  $STALL_MS ms, then $BURST frames back to back, the streams' bursts staggered evenly over the stall;"
    echo "  ${SECONDS_PER_PHASE} s, the first ${WARMUP_SECONDS} s not measured; one loadgen sender and sink on one thread, routes deliver=framed"
    echo "- node warm-up: ${NODE_WARMUP_SECONDS} s of the same load with pacing on, not measured, before the two phases (off first, then on)"
    echo "- raw results: \`$(basename "$RAW_DIR")/\` (loadgen JSON, .hgrm, output and command of each phase; the node's log)"
    echo
    echo "Inter-arrival: time between two consecutive datagrams of one stream at the sink, over all streams."
    echo "Latency: from the burst's scheduled send time to the arrival (pacing holds datagrams on purpose)."
    echo "CPU: the node's utime+stime over the measured window / datagrams it received in it."
    echo
    write_table
} > "$REPORT"
cat "$REPORT"
log "report: $REPORT"
