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
# End-to-end benchmark: the same load generator drives, one after the other, no relay at all (direct), a minimal C
# relay (c-recvmmsg), nginx's stream module and the SoundRelay node with each transport, on one machine. It prints
# one Markdown table and writes it, with the machine's description, to bench/results/e2e-YYYYMMDD-HHMMSS.md; the
# raw loadgen JSON and .hgrm files of every run go to bench/results/e2e-YYYYMMDD-HHMMSS/.
# The relay-port rows (--rows relay-ports; not in the default set) compare a port per stream: the C relay over N
# sockets (c-ports), the node with a socket per stream to its main port (node-shared-sockets-TRANSPORT) and the
# node with return_path routes, a relay port each (node-ports-TRANSPORT); the echo load measures both directions.
# bench/README.md ("End-to-end benchmark") and bench/results/README.md explain it; --help lists the options.
#
# Test hook, not for measurements: E2E_LOADGEN="cmd args" replaces `java -jar tools/target/soundrelay-tools.jar
# loadgen` (it gets the same options). E2E_NOMINAL_STREAMS, E2E_NOMINAL_PPS, E2E_SATURATION_STREAMS and
# E2E_PAYLOAD_BYTES change the loads; the report's header shows them.

set -euo pipefail

SCRIPT_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO_ROOT=$(cd "$SCRIPT_DIR/../.." && pwd)
LOG_TAG=e2e
SCRIPT_NAME=run.sh
# shellcheck source=bench/e2e/lib.sh
source "$SCRIPT_DIR/lib.sh"
INVOKED_FROM=$PWD
COMMAND_LINE=$(printf '%q ' "$0" "$@")
COMMAND_LINE=${COMMAND_LINE% }

# The node's io_uring transport is going (TRANSPORT=io_uring maps to epoll with a warning): its rows still exist but
# are not run by default; the C relay's io_uring rows stay.
ALL_ROWS=direct,c-recvmmsg,nginx,node-epoll,node-nio
ALL_LOADS=nominal,saturation
# Rows and loads that exist but are not run by default: the relay-port comparison.
PORT_ROWS=direct-sockets,c-ports,c-ports-io_uring,node-shared-sockets-io_uring,node-shared-sockets-epoll,node-shared-sockets-nio
PORT_ROWS+=,node-ports-io_uring,node-ports-epoll,node-ports-nio
KNOWN_ROWS=$ALL_ROWS,node-io_uring,$PORT_ROWS
KNOWN_LOADS=$ALL_LOADS,echo
# --rows relay-ports: the comparison on the default transport.
RELAY_PORTS_ROWS=direct-sockets,c-ports,node-shared-sockets-epoll,node-ports-epoll

# --- options -------------------------------------------------------------------------------------------------------

ROWS_CSV=$ALL_ROWS
LOADS_CSV=$ALL_LOADS
NOMINAL_SECONDS=20
SATURATION_SECONDS=10
WARMUP_SECONDS=5
# Seconds at the start of every measured run whose latencies and relay CPU are not counted (loadgen --warmup):
# the generator's own JVM starts cold in every run.
MEASURE_WARMUP_SECONDS=3
REPEAT=1
PIN=1
CPUS_OPT=
OUT_DIR=
PORT_BASE=47000
RELAY_PORTS_BASE=
NGINX_PROXY_RESPONSES=default
PIPELINES=1
RECEIVE_BATCH_OPT=
STREAM_IDS=consecutive

usage() {
    cat <<EOF
usage: bench/e2e/run.sh [options]

  --rows LIST              comma-separated, in table order (default $ALL_ROWS);
                           also node-io_uring (the node maps it to epoll now), direct-sockets, c-ports,
                           c-ports-io_uring, node-shared-sockets-TRANSPORT,
                           node-ports-TRANSPORT (TRANSPORT:
                           io_uring, epoll, nio), and 'relay-ports' for $RELAY_PORTS_ROWS
  --loads LIST             nominal, saturation, echo (default $ALL_LOADS); echo: nominal load, the sinks
                           send every datagram back (rows direct*, c-ports* and node-ports-* only)
  --duration S             seconds of every measured run (sets both of the next two)
  --nominal-seconds S      seconds of a nominal run (default $NOMINAL_SECONDS)
  --saturation-seconds S   seconds of a saturation run (default $SATURATION_SECONDS)
  --warmup S               unmeasured nominal-load run after each relay start, 0 for none (default $WARMUP_SECONDS)
  --repeat N               runs per row and load; the table shows the median run (default $REPEAT)
  --no-pin                 do not pin the generator and the relay to one CPU each
  --cpus GEN,RELAY         the two CPUs to pin to (default: the first two this process may use)
  --out DIR                where results go (default bench/results)
  --port-base P            relay UDP port P, node API P+1, node metrics P+2, generator sink P+10 (default $PORT_BASE)
  --relay-ports-base P     c-ports binds P.. one port per stream; the node's RELAY_PORTS is P to P + 2 x streams - 1;
                           then one source port per stream for the generator (default: just above the
                           ephemeral port range when 3 x streams ports fit, else port base + 1000)
  --nginx-proxy-responses N|default
                           nginx's proxy_responses (default $NGINX_PROXY_RESPONSES; 'default' leaves it out)
  --pipelines N|auto       the node rows' DATA_PLANE_PIPELINES, 1 to 64 or auto (default $PIPELINES); the report
                           shows each pipeline's share of the datagrams received and the hand-offs, when the node
                           exports relay_pipeline_packets_received_total
  --receive-batch N        the node rows' RECEIVE_BATCH (1-64; default: the node's own default)
  --stream-ids consecutive|random
                           the generator's stream ids, every row (default $STREAM_IDS; random: distinct ids
                           from a fixed seed, loadgen --stream-ids random, to see how the node spreads them over
                           its pipelines)
  -h, --help               this text

Environment: NODE_JAR (default control/target/soundrelay.jar: another build to compare), NODE_JVM_OPTS (default '-Xms512m -Xmx512m -XX:+AlwaysPreTouch'), LOADGEN_JVM_OPTS (default none).
EOF
}

die() {
    printf 'run.sh: %s\n' "$*" >&2
    exit 1
}

while [[ $# -gt 0 ]]; do
    opt=$1
    if [[ $opt == --*=* ]]; then
        set -- "${opt%%=*}" "${opt#*=}" "${@:2}"
        opt=$1
    fi
    case $opt in
        --rows) need_value "$@"; ROWS_CSV=$2; shift 2 ;;
        --loads) need_value "$@"; LOADS_CSV=$2; shift 2 ;;
        --duration) need_value "$@"; NOMINAL_SECONDS=$2; SATURATION_SECONDS=$2; shift 2 ;;
        --nominal-seconds) need_value "$@"; NOMINAL_SECONDS=$2; shift 2 ;;
        --saturation-seconds) need_value "$@"; SATURATION_SECONDS=$2; shift 2 ;;
        --warmup) need_value "$@"; WARMUP_SECONDS=$2; shift 2 ;;
        --repeat) need_value "$@"; REPEAT=$2; shift 2 ;;
        --no-pin) PIN=0; shift ;;
        --cpus) need_value "$@"; CPUS_OPT=$2; shift 2 ;;
        --out) need_value "$@"; OUT_DIR=$2; shift 2 ;;
        --port-base) need_value "$@"; PORT_BASE=$2; shift 2 ;;
        --relay-ports-base) need_value "$@"; RELAY_PORTS_BASE=$2; shift 2 ;;
        --nginx-proxy-responses) need_value "$@"; NGINX_PROXY_RESPONSES=$2; shift 2 ;;
        --receive-batch) need_value "$@"; RECEIVE_BATCH_OPT=$2; shift 2 ;;
        --pipelines) need_value "$@"; PIPELINES=$2; shift 2 ;;
        --stream-ids) need_value "$@"; STREAM_IDS=$2; shift 2 ;;
        -h|--help) usage; exit 0 ;;
        *) printf 'run.sh: unknown option %s\n' "$opt" >&2; usage >&2; exit 2 ;;
    esac
done

int_at_least --nominal-seconds "$NOMINAL_SECONDS" 1
int_at_least --saturation-seconds "$SATURATION_SECONDS" 1
int_at_least --warmup "$WARMUP_SECONDS" 0
int_at_least --repeat "$REPEAT" 1
int_at_least --port-base "$PORT_BASE" 1024
((PORT_BASE + 10 <= 65535)) || { echo "run.sh: --port-base=$PORT_BASE: too high" >&2; exit 2; }
[[ $NGINX_PROXY_RESPONSES == default || $NGINX_PROXY_RESPONSES =~ ^[0-9]+$ ]] \
    || { echo "run.sh: --nginx-proxy-responses=$NGINX_PROXY_RESPONSES: want a number or 'default'" >&2; exit 2; }
[[ $PIPELINES == auto ]] || { [[ $PIPELINES =~ ^[0-9]+$ ]] && ((10#$PIPELINES >= 1 && 10#$PIPELINES <= 64)); } \
    || { echo "run.sh: --pipelines=$PIPELINES: want 1 to 64 or 'auto'" >&2; exit 2; }
[[ $STREAM_IDS == consecutive || $STREAM_IDS == random ]] \
    || { echo "run.sh: --stream-ids=$STREAM_IDS: want 'consecutive' or 'random'" >&2; exit 2; }

ROWS_CSV=${ROWS_CSV//relay-ports/$RELAY_PORTS_ROWS}
IFS=, read -r -a ROWS <<< "$ROWS_CSV"
IFS=, read -r -a LOADS <<< "$LOADS_CSV"
[[ ${#ROWS[@]} -gt 0 ]] || { echo "run.sh: --rows is empty" >&2; exit 2; }
[[ ${#LOADS[@]} -gt 0 ]] || { echo "run.sh: --loads is empty" >&2; exit 2; }
for row in "${ROWS[@]}"; do
    [[ ,$KNOWN_ROWS, == *",$row,"* ]] || { echo "run.sh: unknown row '$row' (rows: $KNOWN_ROWS, relay-ports)" >&2; exit 2; }
done
for load in "${LOADS[@]}"; do
    [[ ,$KNOWN_LOADS, == *",$load,"* ]] || { echo "run.sh: unknown load '$load' (loads: $KNOWN_LOADS)" >&2; exit 2; }
done

has_row() {
    local r
    for r in "${ROWS[@]}"; do [[ $r == "$1" ]] && return 0; done
    return 1
}

has_node_row() {
    local r
    for r in "${ROWS[@]}"; do [[ $r == node-* ]] && return 0; done
    return 1
}

# True when row $1 can run load $2: the echo load needs a way back to each stream's own socket (direct: the sink
# answers it straight; c-ports and node-ports-*: a relay port per stream).
row_runs_load() {
    [[ $2 != echo ]] && return 0
    [[ $1 == direct* || $1 == c-ports* || $1 == node-ports-* ]]
}

# True for the rows without a relay: the generator sends to its own sink.
is_direct() {
    [[ $1 == direct || $1 == direct-sockets ]]
}

# --- fixed settings ------------------------------------------------------------------------------------------------

RELAY_PORT=$PORT_BASE
API_PORT=$((PORT_BASE + 1))
METRICS_PORT=$((PORT_BASE + 2))
SINK_PORT=$((PORT_BASE + 10))

# Both loads: one sender socket and ONE receiver socket on ONE sink port. The C relay and nginx forward everything
# to one fixed address, so a single sink port is the only set-up that works for every row; the node rows and
# direct use it too so that every row does exactly the same work on the generator's side.
PAYLOAD_BYTES=${E2E_PAYLOAD_BYTES:-160}
NOMINAL_STREAMS=${E2E_NOMINAL_STREAMS:-1000}
NOMINAL_PPS=${E2E_NOMINAL_PPS:-50}
SATURATION_STREAMS=${E2E_SATURATION_STREAMS:-1000}
int_at_least E2E_PAYLOAD_BYTES "$PAYLOAD_BYTES" 1
int_at_least E2E_NOMINAL_STREAMS "$NOMINAL_STREAMS" 1
int_at_least E2E_NOMINAL_PPS "$NOMINAL_PPS" 1
int_at_least E2E_SATURATION_STREAMS "$SATURATION_STREAMS" 1
MAX_STREAMS=$((NOMINAL_STREAMS > SATURATION_STREAMS ? NOMINAL_STREAMS : SATURATION_STREAMS))
# The node refuses routes past MAX_STREAMS_PER_NODE: room for every stream of either load, twice over.
NODE_MAX_STREAMS=$((MAX_STREAMS * 2 > 1000 ? MAX_STREAMS * 2 : 1000))
# A port per stream: c-ports binds MAX_STREAMS from RELAY_PORTS_BASE; the node gets twice as many to pick from.
# Right after them, the generator's own source sockets, one per stream, on fixed ports (--source-port): on
# ephemeral ports one of them could take a port of this run (a node refuses a source that is its own metrics
# port, UDP or not). By default all of them lie above the kernel's ephemeral range (ip_local_port_range), where no
# other socket takes a port meanwhile, when they fit below 65536.
EPHEMERAL_LAST=$(awk '{print $2}' /proc/sys/net/ipv4/ip_local_port_range 2>/dev/null || echo 60999)
if [[ -z $RELAY_PORTS_BASE ]]; then
    RELAY_PORTS_BASE=$((EPHEMERAL_LAST + 1))
    ((RELAY_PORTS_BASE + 3 * MAX_STREAMS - 1 <= 65535)) || RELAY_PORTS_BASE=$((PORT_BASE + 1000))
fi
int_at_least --relay-ports-base "$RELAY_PORTS_BASE" 1024
RELAY_PORTS_LAST=$((RELAY_PORTS_BASE + 2 * MAX_STREAMS - 1))
SOURCE_PORTS_BASE=$((RELAY_PORTS_LAST + 1))
SOURCE_PORTS_LAST=$((SOURCE_PORTS_BASE + MAX_STREAMS - 1))
((SOURCE_PORTS_LAST <= 65535)) || { echo "run.sh: --relay-ports-base=$RELAY_PORTS_BASE: $((3 * MAX_STREAMS)) ports" \
    "(relay ports and the generator's sources) would go past 65535" >&2; exit 2; }
((RELAY_PORTS_BASE > PORT_BASE + 10 || SOURCE_PORTS_LAST < PORT_BASE)) \
    || { echo "run.sh: --relay-ports-base=$RELAY_PORTS_BASE: overlaps the ports from --port-base=$PORT_BASE" >&2; exit 2; }
# The echo load: the generator does twice the work (echo and return on its one core) and takes longer to catch up
# from a cold JVM, so its runs leave more of their start out of the measurement.
ECHO_MEASURE_WARMUP_SECONDS=5

NODE_JVM_OPTS=${NODE_JVM_OPTS:--Xms512m -Xmx512m -XX:+AlwaysPreTouch}
LOADGEN_JVM_OPTS=${LOADGEN_JVM_OPTS:-}
read -r -a NODE_JVM_ARGS <<< "$NODE_JVM_OPTS"
read -r -a LOADGEN_JVM_ARGS <<< "$LOADGEN_JVM_OPTS"

WORK_DIR=$REPO_ROOT/bench/target/e2e
RELAY_BIN=$WORK_DIR/udp-relay
RELAY_URING_BIN=$WORK_DIR/udp-relay-io_uring
LIBURING_HEADER=/usr/include/liburing.h
TOOLS_JAR=$REPO_ROOT/tools/target/soundrelay-tools.jar
NODE_JAR=${NODE_JAR:-$REPO_ROOT/control/target/soundrelay.jar}
REPORT_PY=$SCRIPT_DIR/e2e_report.py
NGINX_STREAM_MODULE=/usr/lib/nginx/modules/ngx_stream_module.so
NGINX_DIR=$WORK_DIR/nginx

RELAY_START_SECONDS=60   # a relay must be ready within this
RELAY_STOP_SECONDS=15    # SIGTERM, then SIGKILL after this
LOADGEN_SLACK_SECONDS=180  # a loadgen run may take this much longer than its --duration before it is killed

if [[ -z $OUT_DIR ]]; then
    OUT_DIR=$REPO_ROOT/bench/results
elif [[ $OUT_DIR != /* ]]; then
    OUT_DIR=$INVOKED_FROM/$OUT_DIR
fi

# --- process bookkeeping -------------------------------------------------------------------------------------------

STARTED_PIDS=()        # every background process this script started
RELAY_PID=             # the relay of the current row
RELAY_CPU_PIDS=()      # processes whose CPU time is the relay's (nginx: master and worker)
RELAY_LOG=
RELAY_ROW=
POLICY_RC_CREATED=0
REPORT_DONE=0
MANIFEST=
RAW_DIR=
REPORT=

alive() {
    [[ -n ${1:-} ]] && running "$1"
}

cleanup() {
    local status=$?
    trap - EXIT INT TERM
    local pid
    stop_relay || true
    for pid in "${STARTED_PIDS[@]+"${STARTED_PIDS[@]}"}"; do
        stop_pid "$pid" 5
    done
    if ((POLICY_RC_CREATED)); then
        rm -f /usr/sbin/policy-rc.d
    fi
    if ((status != 0)) && ((REPORT_DONE == 0)) && [[ -n $MANIFEST && -s $MANIFEST ]]; then
        log "stopped early (status $status): writing what was measured"
        write_report "INCOMPLETE: the script stopped early (exit status $status)" || true
    fi
    exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# --- prepare -------------------------------------------------------------------------------------------------------

check_commands() {
    local c missing=()
    for c in "$JAVA" gcc curl python3 taskset timeout getconf awk pgrep; do
        command -v "$c" >/dev/null 2>&1 || missing+=("$c")
    done
    ((${#missing[@]} == 0)) || die "missing commands: ${missing[*]}"
    require_java
}

build_jars() {
    log "building the jars: ./mvnw -q -B -DskipTests package"
    (cd "$REPO_ROOT" && ./mvnw -q -B -DskipTests package) || die "the Maven build failed"
}

ensure_jars() {
    if [[ ! -f $TOOLS_JAR ]] || { has_node_row && [[ ! -f $NODE_JAR ]]; }; then
        build_jars
    fi
    [[ -f $TOOLS_JAR ]] || die "$TOOLS_JAR is missing after the build"
    if has_node_row; then
        [[ -f $NODE_JAR ]] || die "$NODE_JAR is missing after the build"
    fi
}

compile_c_relay() {
    mkdir -p "$WORK_DIR"
    log "compiling $RELAY_BIN"
    gcc -O2 -Wall -Wextra -o "$RELAY_BIN" "$SCRIPT_DIR/udp_relay.c" || die "could not compile udp_relay.c"
}

# The C relay with its io_uring mode (c-ports-io_uring): needs liburing's headers, from Debian's liburing-dev.
compile_c_uring_relay() {
    if [[ ! -f $LIBURING_HEADER ]]; then
        command -v apt-get >/dev/null 2>&1 || die "$LIBURING_HEADER is missing and there is no apt-get"
        [[ $EUID -eq 0 ]] || die "$LIBURING_HEADER is missing: run as root, or apt-get install liburing-dev"
        local apt_log=$WORK_DIR/apt-get.log
        log "installing liburing-dev with apt-get (log: $apt_log)"
        if ! DEBIAN_FRONTEND=noninteractive apt-get install -y liburing-dev >> "$apt_log" 2>&1; then
            log "apt-get install failed: apt-get update, then once more"
            { DEBIAN_FRONTEND=noninteractive apt-get update \
                && DEBIAN_FRONTEND=noninteractive apt-get install -y liburing-dev; } >> "$apt_log" 2>&1 \
                || { tail -n 20 "$apt_log" >&2; die "could not install liburing-dev (see $apt_log)"; }
        fi
    fi
    log "compiling $RELAY_URING_BIN"
    gcc -O2 -Wall -Wextra -DUDP_RELAY_IO_URING -o "$RELAY_URING_BIN" "$SCRIPT_DIR/udp_relay.c" -luring \
        || die "could not compile udp_relay.c with io_uring"
}

# True when no UDP socket is bound to a port in $1..$2.
udp_range_free() {
    awk -v lo="$1" -v hi="$2" '
        function hex(h,   i, v) { v = 0; for (i = 1; i <= length(h); i++) v = v * 16 + index("0123456789ABCDEF", substr(h, i, 1)) - 1; return v }
        FNR > 1 { p = hex(substr($2, length($2) - 3)); if (p >= lo && p <= hi) found = 1 }
        END { exit found }' /proc/net/udp /proc/net/udp6 2>/dev/null
}

ensure_nginx() {
    if command -v nginx >/dev/null 2>&1 && [[ -f $NGINX_STREAM_MODULE ]]; then
        return 0
    fi
    command -v apt-get >/dev/null 2>&1 || die "nginx or its stream module is missing and there is no apt-get"
    [[ $EUID -eq 0 ]] || die "nginx or its stream module is missing: run as root, or apt-get install nginx libnginx-mod-stream"
    local apt_log=$WORK_DIR/apt-get.log
    mkdir -p "$WORK_DIR"
    # The package starts the system nginx service on installation; a policy-rc.d that says no keeps it stopped
    # (only when there is none already; removed right after, and by the exit trap).
    if [[ ! -e /usr/sbin/policy-rc.d ]]; then
        printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d
        chmod 755 /usr/sbin/policy-rc.d
        POLICY_RC_CREATED=1
    fi
    log "installing nginx and libnginx-mod-stream with apt-get (log: $apt_log)"
    if ! DEBIAN_FRONTEND=noninteractive apt-get install -y nginx libnginx-mod-stream > "$apt_log" 2>&1; then
        log "apt-get install failed: apt-get update, then once more"
        { DEBIAN_FRONTEND=noninteractive apt-get update \
            && DEBIAN_FRONTEND=noninteractive apt-get install -y nginx libnginx-mod-stream; } >> "$apt_log" 2>&1 \
            || { tail -n 20 "$apt_log" >&2; die "could not install nginx (see $apt_log)"; }
    fi
    if ((POLICY_RC_CREATED)); then
        rm -f /usr/sbin/policy-rc.d
        POLICY_RC_CREATED=0
    fi
    if ! command -v nginx >/dev/null 2>&1 || [[ ! -f $NGINX_STREAM_MODULE ]]; then
        die "nginx or $NGINX_STREAM_MODULE still missing after apt-get install"
    fi
}

# The generator command, as an array, in LOADGEN_CMD.
LOADGEN_CMD=()
set_loadgen_cmd() {
    if [[ -n ${E2E_LOADGEN:-} ]]; then
        read -r -a LOADGEN_CMD <<< "$E2E_LOADGEN"
    else
        LOADGEN_CMD=("$JAVA" "${LOADGEN_JVM_ARGS[@]+"${LOADGEN_JVM_ARGS[@]}"}" -jar "$TOOLS_JAR" loadgen)
    fi
}

# The generator must have the loadgen command with the options used here (an older jar answers --help with
# its own usage and exit 0, hence the look for two of them).
loadgen_ok() {
    "${LOADGEN_CMD[@]}" --help > "$WORK_DIR/loadgen-help.txt" 2>&1 \
        && grep -q -e '--sink-ports' "$WORK_DIR/loadgen-help.txt" \
        && grep -q -e '--hgrm' "$WORK_DIR/loadgen-help.txt" \
        && { ! needs_relay_port_loadgen || grep -q -e '--return-path' "$WORK_DIR/loadgen-help.txt"; }
}

# True when a row or load needs loadgen's --socket-per-stream, --return-path or --echo.
needs_relay_port_loadgen() {
    local r
    for r in "${ROWS[@]}" "${LOADS[@]}"; do
        [[ $r == direct-sockets || $r == c-ports* || $r == node-ports-* || $r == node-shared-sockets-* ||
            $r == echo ]] && return 0
    done
    return 1
}

check_loadgen() {
    loadgen_ok && return 0
    if [[ -z ${E2E_LOADGEN:-} ]]; then
        log "the tools jar has no 'loadgen' command with the options this run needs: rebuilding the jars once"
        build_jars
        loadgen_ok && return 0
    fi
    sed -n 1,15p "$WORK_DIR/loadgen-help.txt" >&2
    die "'${LOADGEN_CMD[*]} --help' does not show the loadgen command this script needs (--sink-ports, --hgrm, and --return-path for the relay-port rows and the echo load)"
}

GEN_CPU=
RELAY_CPU=
PIN_NOTE=
GEN_PREFIX=()
RELAY_PREFIX=()
setup_pinning() {
    local allowed cpus=() part a b i
    allowed=$(awk '/^Cpus_allowed_list:/ {print $2}' /proc/self/status)
    IFS=, read -r -a parts <<< "$allowed"
    for part in "${parts[@]}"; do
        if [[ $part == *-* ]]; then
            a=${part%-*}
            b=${part#*-}
            for ((i = a; i <= b; i++)); do cpus+=("$i"); done
        elif [[ -n $part ]]; then
            cpus+=("$part")
        fi
    done
    if ((PIN == 0)); then
        PIN_NOTE="off (--no-pin): the generator and the relay share all ${#cpus[@]} CPUs"
        return 0
    fi
    if [[ -n $CPUS_OPT ]]; then
        [[ $CPUS_OPT =~ ^([0-9]+),([0-9]+)$ && ${BASH_REMATCH[1]} != "${BASH_REMATCH[2]}" ]] \
            || { echo "run.sh: --cpus=$CPUS_OPT: want two different CPU numbers GEN,RELAY" >&2; exit 2; }
        GEN_CPU=${BASH_REMATCH[1]}
        RELAY_CPU=${BASH_REMATCH[2]}
    elif ((${#cpus[@]} < 2)); then
        log "WARNING: only ${#cpus[@]} CPU available (${allowed}): not pinning"
        PIN=0
        PIN_NOTE="off: only ${#cpus[@]} CPU available ($allowed), generator and relay share it"
        return 0
    else
        GEN_CPU=${cpus[0]}
        RELAY_CPU=${cpus[1]}
    fi
    GEN_PREFIX=(taskset -c "$GEN_CPU")
    RELAY_PREFIX=(taskset -c "$RELAY_CPU")
    PIN_NOTE="on: the generator runs on CPU $GEN_CPU (taskset -c $GEN_CPU), every relay on CPU $RELAY_CPU"
    PIN_NOTE+=" (taskset -c $RELAY_CPU, all its threads): one core each side in every row"
}

check_ports_free() {
    local p
    for p in "$RELAY_PORT" "$SINK_PORT"; do
        ! udp_port_bound "$p" || die "UDP port $p is in use (pick other ports with --port-base)"
    done
    if has_row c-ports || has_row c-ports-io_uring || needs_relay_port_loadgen; then
        udp_range_free "$RELAY_PORTS_BASE" "$SOURCE_PORTS_LAST" \
            || die "a UDP port in $RELAY_PORTS_BASE-$SOURCE_PORTS_LAST is in use (pick others with --relay-ports-base)"
    fi
    if has_node_row; then
        for p in "$API_PORT" "$METRICS_PORT"; do
            ! tcp_port_listening "$p" || die "TCP port $p is in use (pick other ports with --port-base)"
        done
    fi
}

# --- relays --------------------------------------------------------------------------------------------------------

# Wait until UDP port $2 is bound while process $1 lives; $3 names it.
wait_udp_ready() {
    local pid=$1 port=$2 name=$3 i
    for ((i = 0; i < RELAY_START_SECONDS * 10; i++)); do
        alive "$pid" || { log "$name exited during start-up"; return 1; }
        udp_port_bound "$port" && return 0
        sleep 0.1
    done
    log "$name did not bind UDP port $port within ${RELAY_START_SECONDS}s"
    return 1
}

start_c_relay() {
    "${RELAY_PREFIX[@]+"${RELAY_PREFIX[@]}"}" "$RELAY_BIN" "127.0.0.1:$RELAY_PORT" "127.0.0.1:$SINK_PORT" \
        < /dev/null >> "$RELAY_LOG" 2>&1 &
    RELAY_PID=$!
    STARTED_PIDS+=("$RELAY_PID")
    RELAY_CPU_PIDS=("$RELAY_PID")
    wait_udp_ready "$RELAY_PID" "$RELAY_PORT" udp-relay
}

# The C relay over a port per stream: MAX_STREAMS sockets from RELAY_PORTS_BASE, every one forwarding to the sink
# and back to its last source. It binds them all before the last one, so the last port bound means ready.
# start_c_ports_relay [io_uring]: epoll, or the io_uring build's --io-uring.
start_c_ports_relay() {
    local -a relay=("$RELAY_BIN" --ports "$MAX_STREAMS")
    [[ ${1:-} != io_uring ]] || relay=("$RELAY_URING_BIN" --ports "$MAX_STREAMS" --io-uring)
    "${RELAY_PREFIX[@]+"${RELAY_PREFIX[@]}"}" "${relay[@]}" "127.0.0.1:$RELAY_PORTS_BASE" \
        "127.0.0.1:$SINK_PORT" < /dev/null >> "$RELAY_LOG" 2>&1 &
    RELAY_PID=$!
    STARTED_PIDS+=("$RELAY_PID")
    RELAY_CPU_PIDS=("$RELAY_PID")
    wait_udp_ready "$RELAY_PID" "$((RELAY_PORTS_BASE + MAX_STREAMS - 1))" "udp-relay --ports"
}

write_nginx_conf() {
    local responses_line="proxy_responses $NGINX_PROXY_RESPONSES;"
    [[ $NGINX_PROXY_RESPONSES == default ]] && responses_line="# proxy_responses: nginx's default (unlimited)"
    mkdir -p "$NGINX_DIR"
    cat > "$NGINX_DIR/nginx.conf" <<EOF
# Generated by bench/e2e/run.sh: nginx in the foreground, its own prefix, never the system service.
daemon off;
worker_processes 1;
pid $NGINX_DIR/nginx.pid;
error_log $NGINX_DIR/error.log warn;
load_module $NGINX_STREAM_MODULE;

events {
    worker_connections 4096;
}

stream {
    server {
        # 4 MiB receive buffer, as the C relay and the node ask for (capped by net.core.rmem_max).
        listen 127.0.0.1:$RELAY_PORT udp rcvbuf=4m;
        proxy_pass 127.0.0.1:$SINK_PORT;
        $responses_line
        proxy_timeout 30s;
    }
}
EOF
}

start_nginx() {
    write_nginx_conf
    : > "$NGINX_DIR/error.log"
    nginx -t -q -c "$NGINX_DIR/nginx.conf" -p "$NGINX_DIR/" -e "$NGINX_DIR/error.log" >> "$RELAY_LOG" 2>&1 \
        || { tail -n 20 "$RELAY_LOG" >&2; log "nginx -t refused $NGINX_DIR/nginx.conf"; return 1; }
    "${RELAY_PREFIX[@]+"${RELAY_PREFIX[@]}"}" nginx -c "$NGINX_DIR/nginx.conf" -p "$NGINX_DIR/" \
        -e "$NGINX_DIR/error.log" < /dev/null >> "$RELAY_LOG" 2>&1 &
    RELAY_PID=$!
    STARTED_PIDS+=("$RELAY_PID")
    wait_udp_ready "$RELAY_PID" "$RELAY_PORT" nginx || return 1
    # The master binds the socket; the worker does the relaying: it must be up before any measurement.
    local i worker=
    for ((i = 0; i < RELAY_START_SECONDS * 10; i++)); do
        alive "$RELAY_PID" || { log "nginx exited during start-up"; return 1; }
        for worker in $(pgrep -P "$RELAY_PID" || true); do
            if tr '\0' ' ' < "/proc/$worker/cmdline" 2>/dev/null | grep -q 'worker process'; then
                RELAY_CPU_PIDS=("$RELAY_PID" "$worker")
                log "nginx master $RELAY_PID, worker $worker"
                return 0
            fi
        done
        sleep 0.1
    done
    log "nginx has no worker process after ${RELAY_START_SECONDS}s"
    return 1
}

API_KEY=
# start_node TRANSPORT [ports]: with 'ports', the node gets RELAY_PORTS for its return_path routes.
start_node() {
    local transport=$1 i actual
    local -a relay_ports_env=()
    [[ ${2:-} == ports ]] && relay_ports_env=(RELAY_PORTS="$RELAY_PORTS_BASE-$RELAY_PORTS_LAST")
    [[ -n $RECEIVE_BATCH_OPT ]] && relay_ports_env+=(RECEIVE_BATCH="$RECEIVE_BATCH_OPT")
    # An empty working directory: the node reads a .env file from it, and must not find one.
    mkdir -p "$WORK_DIR/node"
    (
        cd "$WORK_DIR/node"
        exec env -i PATH="$PATH" HOME="${HOME:-/root}" \
            TRANSPORT="$transport" \
            BIND_ADDR="127.0.0.1:$RELAY_PORT" \
            CONTROL_API_ADDR="127.0.0.1:$API_PORT" \
            METRICS_ADDR="127.0.0.1:$METRICS_PORT" \
            REDIS_URL= \
            AUTH_ENABLED=true \
            API_KEYS="$API_KEY" \
            MAX_STREAMS_PER_NODE="$NODE_MAX_STREAMS" \
            DATA_PLANE_PIPELINES="$PIPELINES" \
            "${relay_ports_env[@]+"${relay_ports_env[@]}"}" \
            LOG_LEVEL=warn \
            "${RELAY_PREFIX[@]+"${RELAY_PREFIX[@]}"}" "$JAVA" "${NODE_JVM_ARGS[@]+"${NODE_JVM_ARGS[@]}"}" -jar "$NODE_JAR"
    ) < /dev/null >> "$RELAY_LOG" 2>&1 &
    RELAY_PID=$!
    STARTED_PIDS+=("$RELAY_PID")
    RELAY_CPU_PIDS=("$RELAY_PID")
    for ((i = 0; i < RELAY_START_SECONDS * 5; i++)); do
        alive "$RELAY_PID" || { log "node ($transport) exited during start-up:"; tail -n 20 "$RELAY_LOG" >&2; return 1; }
        if curl -fsS --max-time 2 -o /dev/null "http://127.0.0.1:$API_PORT/health" 2>/dev/null; then
            # The node must run the transport asked for, not fall back to another.
            actual=$(python3 "$REPORT_PY" health-transport "http://127.0.0.1:$API_PORT/health" || echo '?')
            if [[ $transport == io_uring && $actual == epoll ]]; then
                # Issue 31: the node's io_uring transport is gone, TRANSPORT=io_uring runs epoll (with a warning).
                log "node started with TRANSPORT=io_uring runs epoll: the row measures epoll"
            elif [[ $actual != "$transport" ]]; then
                log "node started with TRANSPORT=$transport reports transport '$actual' on /health"
                return 1
            fi
            udp_port_bound "$RELAY_PORT" || { log "node is healthy but UDP port $RELAY_PORT is not bound"; return 1; }
            return 0
        fi
        sleep 0.2
    done
    log "node ($transport) not healthy within ${RELAY_START_SECONDS}s"
    return 1
}

start_relay() {
    local row=$1
    RELAY_ROW=$row
    RELAY_PID=
    RELAY_CPU_PIDS=()
    RELAY_LOG=$RAW_DIR/relay-$row.log
    printf '=== %s: run.sh starts %s\n' "$(date '+%Y-%m-%d %H:%M:%S')" "$row" >> "$RELAY_LOG"
    udp_port_bound "$RELAY_PORT" && { log "UDP port $RELAY_PORT is taken before starting $row"; return 1; }
    case $row in
        c-recvmmsg) start_c_relay ;;
        c-ports) start_c_ports_relay ;;
        c-ports-io_uring) start_c_ports_relay io_uring ;;
        nginx) start_nginx ;;
        node-ports-*) start_node "${row#node-ports-}" ports ;;
        node-shared-sockets-*) start_node "${row#node-shared-sockets-}" ;;
        node-*) start_node "${row#node-}" ;;
        *) die "no relay for row $row" ;;
    esac
}

stop_relay() {
    [[ -n $RELAY_PID ]] || return 0
    local pid others=("${RELAY_CPU_PIDS[@]+"${RELAY_CPU_PIDS[@]}"}")
    stop_pid "$RELAY_PID" "$RELAY_STOP_SECONDS"
    # An nginx worker outlives a master that had to be killed: kill it too (checking it still is one).
    for pid in "${others[@]+"${others[@]}"}"; do
        if [[ $pid != "$RELAY_PID" ]] && running "$pid" \
            && tr '\0' ' ' < "/proc/$pid/cmdline" 2>/dev/null | grep -q 'nginx: worker'; then
            log "nginx worker $pid still runs after its master stopped: SIGKILL"
            kill -KILL "$pid" 2>/dev/null || true
        fi
    done
    RELAY_PID=
    RELAY_CPU_PIDS=()
    if [[ $RELAY_ROW == nginx && -f $NGINX_DIR/error.log ]]; then
        cat "$NGINX_DIR/error.log" >> "$RAW_DIR/nginx-error.log"
    fi
    return 0
}

relay_alive() {
    local pid
    ((${#RELAY_CPU_PIDS[@]} > 0)) || return 1
    for pid in "${RELAY_CPU_PIDS[@]}"; do
        alive "$pid" || return 1
    done
}

# --- load generator ------------------------------------------------------------------------------------------------

# Options of load $1 for the generator, in LOAD_ARGS; its duration in LOAD_SECONDS.
LOAD_ARGS=()
LOAD_SECONDS=0
load_args() {
    case $1 in
        nominal)
            LOAD_ARGS=(--streams "$NOMINAL_STREAMS" --pps "$NOMINAL_PPS" --payload-bytes "$PAYLOAD_BYTES"
                --senders 1 --receivers 1 --one-thread --warmup "$MEASURE_WARMUP_SECONDS")
            LOAD_SECONDS=$((NOMINAL_SECONDS + MEASURE_WARMUP_SECONDS))
            ;;
        saturation)
            # As fast as the generator can send: loss is the point, so any loss passes.
            LOAD_ARGS=(--streams "$SATURATION_STREAMS" --rate-unlimited --payload-bytes "$PAYLOAD_BYTES"
                --senders 1 --receivers 1 --one-thread --warmup "$MEASURE_WARMUP_SECONDS" --allow-loss-percent 100)
            LOAD_SECONDS=$((SATURATION_SECONDS + MEASURE_WARMUP_SECONDS))
            ;;
        echo)
            # Nominal load both ways: the sink sends every datagram back through the relay to its stream's socket.
            LOAD_ARGS=(--streams "$NOMINAL_STREAMS" --pps "$NOMINAL_PPS" --payload-bytes "$PAYLOAD_BYTES"
                --senders 1 --receivers 1 --one-thread --warmup "$ECHO_MEASURE_WARMUP_SECONDS" --echo)
            LOAD_SECONDS=$((NOMINAL_SECONDS + ECHO_MEASURE_WARMUP_SECONDS))
            ;;
    esac
    # Only when asked: a generator older than the option refuses it.
    [[ $STREAM_IDS == consecutive ]] || LOAD_ARGS+=(--stream-ids "$STREAM_IDS")
}

# Options of row $1 under load $2 for the generator, in ROW_ARGS.
ROW_ARGS=()
row_args() {
    case $1 in
        direct-sockets)
            # The floor of the relay-port rows: the same 1,000 source sockets, straight to the sink.
            ROW_ARGS=(--relay "127.0.0.1:$SINK_PORT" --no-create-routes --sink-ports "$SINK_PORT"
                --socket-per-stream --source-port "$SOURCE_PORTS_BASE")
            ;;
        direct)
            ROW_ARGS=(--relay "127.0.0.1:$SINK_PORT" --no-create-routes --sink-ports "$SINK_PORT")
            # The echo load needs each stream's own socket for the way back: the sink answers it straight.
            [[ ${2:-} != echo ]] || ROW_ARGS+=(--socket-per-stream --source-port "$SOURCE_PORTS_BASE")
            ;;
        c-ports|c-ports-io_uring)
            # Stream i sends from its own socket to port RELAY_PORTS_BASE + i.
            ROW_ARGS=(--relay "127.0.0.1:$RELAY_PORTS_BASE" --no-create-routes --return-path
                --relay-port-base "$RELAY_PORTS_BASE" --source-port "$SOURCE_PORTS_BASE" --sink-ports "$SINK_PORT")
            ;;
        node-shared-sockets-*)
            # A socket per stream, every one named as its route's source, all sending to the main port.
            ROW_ARGS=(--relay "127.0.0.1:$RELAY_PORT" --create-routes --api "http://127.0.0.1:$API_PORT"
                --deliver framed --socket-per-stream --source-port "$SOURCE_PORTS_BASE" --sink-ports "$SINK_PORT")
            ;;
        node-ports-*)
            # return_path routes: each stream sends to the relay_port the node answered.
            ROW_ARGS=(--relay "127.0.0.1:$RELAY_PORT" --create-routes --api "http://127.0.0.1:$API_PORT"
                --deliver framed --return-path --source-port "$SOURCE_PORTS_BASE" --sink-ports "$SINK_PORT")
            ;;
        node-*)
            # framed: the node delivers the whole datagram, as the C relay and nginx do.
            ROW_ARGS=(--relay "127.0.0.1:$RELAY_PORT" --create-routes --api "http://127.0.0.1:$API_PORT"
                --deliver framed --sink-ports "$SINK_PORT")
            ;;
        *)
            ROW_ARGS=(--relay "127.0.0.1:$RELAY_PORT" --no-create-routes --sink-ports "$SINK_PORT")
            ;;
    esac
}

# Copy lines from descriptor $1 to file $3 until one is $2 (true) or the writer closes it (false; with $2 empty, the
# only way it ends). Only builtins: it blocks in read, and forks nothing while the generator measures. (It used to
# poll the file with grep and sleep every 10 ms: some 200 processes a second on the two pinned CPUs, which cost the
# rows milliseconds of latency.)
copy_until_line() {
    local line
    while IFS= read -r line <&"$1"; do
        printf '%s\n' "$line" >> "$3"
        [[ -z $2 || $line != "$2" ]] || return 0
    done
    return 1
}

# Run the generator: $1 file base (no extension), $2 seconds, then its options. Sets LOADGEN_EXIT, and
# MEASURE_TICKS (the relay's CPU ticks in the measured window) when MEASURE_CPU=1.
LOADGEN_EXIT=0
MEASURE_CPU=0
MEASURE_TICKS=-
run_loadgen() {
    local base=$1 seconds=$2
    shift 2
    local -a returns=()
    [[ " $* " != *" --echo "* ]] || returns=(--return-hgrm "$base.return.hgrm")
    local -a cmd=("${GEN_PREFIX[@]+"${GEN_PREFIX[@]}"}" timeout --kill-after=10 $((seconds + LOADGEN_SLACK_SECONDS))
        "${LOADGEN_CMD[@]}" --wire sr --duration "$seconds" "$@" --json "$base.json" --hgrm "$base.hgrm"
        "${returns[@]+"${returns[@]}"}")
    printf '%q ' "${cmd[@]}" > "$base.cmd"
    echo >> "$base.cmd"
    LOADGEN_EXIT=0
    # In the background, so that a signal to this script is handled at once (the trap stops the generator); its
    # output comes through a FIFO that this script reads line by line into $base.out.
    local fifo=$base.fifo out_fd
    rm -f "$fifo"
    mkfifo "$fifo"
    "${cmd[@]}" < /dev/null > "$fifo" 2> "$base.err" &
    local pid=$!
    STARTED_PIDS+=("$pid")
    exec {out_fd}< "$fifo"
    : > "$base.out"
    # The relay's CPU is sampled between the generator's marker lines: after its warm-up, until its last send
    # (route creation, JVM start and the grace period are left out).
    MEASURE_TICKS=-
    if [[ $MEASURE_CPU == 1 ]]; then
        local before after
        if copy_until_line "$out_fd" "loadgen: measuring" "$base.out" && before=$(cpu_ticks "${RELAY_CPU_PIDS[@]}") &&
            copy_until_line "$out_fd" "loadgen: sending done" "$base.out" &&
            after=$(cpu_ticks "${RELAY_CPU_PIDS[@]}"); then
            MEASURE_TICKS=$((after - before))
        fi
    fi
    copy_until_line "$out_fd" "" "$base.out" || true # the rest, until the generator closes its output
    exec {out_fd}<&-
    rm -f "$fifo"
    wait "$pid" || LOADGEN_EXIT=$?
    forget_pid "$pid"
    if ((LOADGEN_EXIT == 2)); then
        log "the load generator refused its options (exit 2):"
        tail -n 20 "$base.err" >&2
        die "aborting: bad loadgen options (command in $base.cmd)"
    fi
    if ((LOADGEN_EXIT == 124 || LOADGEN_EXIT == 137)); then
        log "the load generator did not finish within $((seconds + LOADGEN_SLACK_SECONDS))s: killed"
    fi
}

# The node's metrics into file $1 (nothing when they cannot be read: the report then shows no pipeline figures).
scrape_node_metrics() {
    curl -fsS --max-time 5 -o "$1" "http://127.0.0.1:$METRICS_PORT/metrics" 2>> "$RELAY_LOG" || rm -f "$1"
}

clear_node_routes() {
    local n
    n=$(python3 "$REPORT_PY" clear-routes "http://127.0.0.1:$API_PORT" "$API_KEY" 2>> "$RELAY_LOG") \
        || { log "could not list/delete the node's routes"; return 1; }
    ((n == 0)) || log "deleted $n routes left over by the previous run"
}

# --- report --------------------------------------------------------------------------------------------------------

describe_load() {
    load_args "$1"
    local bt='`'
    printf -- '  - %s%s%s: %s s per run, loadgen %s--wire sr %s%s' \
        "$bt" "$1" "$bt" "$LOAD_SECONDS" "$bt" "${LOAD_ARGS[*]}" "$bt"
    case $1 in
        nominal) printf ' (%s datagrams/s offered)\n' "$((NOMINAL_STREAMS * NOMINAL_PPS))" ;;
        saturation) printf ' (as fast as one sender thread goes)\n' ;;
        echo) printf ' (%s datagrams/s offered each way: the sink sends every one back)\n' \
            "$((NOMINAL_STREAMS * NOMINAL_PPS))" ;;
    esac
}

write_header() {
    local cpu_model java_version nginx_version gcc_version commit
    cpu_model=$(awk -F': ' '/^model name/ {print $2; exit}' /proc/cpuinfo)
    [[ -n $cpu_model ]] || cpu_model=$(lscpu 2>/dev/null | awk -F': +' '/^Model name/ {print $2; exit}')
    java_version=$("$JAVA" -version 2>&1 | sed -n 1p)
    nginx_version="nginx: not installed"
    ! command -v nginx >/dev/null 2>&1 || nginx_version=$(nginx -v 2>&1 | sed -n 1p)
    gcc_version=$(gcc --version 2>&1 | sed -n 1p)
    commit=$(git -C "$REPO_ROOT" rev-parse --short HEAD 2>/dev/null || echo unknown)
    if [[ $commit != unknown ]] && ! git -C "$REPO_ROOT" diff --quiet HEAD 2>/dev/null; then
        commit+=" (with uncommitted changes)"
    fi
    {
        echo "# SoundRelay end-to-end benchmark, $STAMP"
        echo
        echo "- date: $(date '+%Y-%m-%d %H:%M:%S %Z')"
        echo "- command: \`$COMMAND_LINE\`"
        echo "- commit: $commit"
        echo "- kernel: $(uname -r)"
        echo "- CPU: ${cpu_model:-unknown}; $(getconf _NPROCESSORS_ONLN) online, this run may use $(awk '/^Cpus_allowed_list:/ {print $2}' /proc/self/status)"
        echo "- java: $java_version"
        echo "- $nginx_version; nginx.conf: worker_processes 1, listen udp rcvbuf=4m, proxy_responses $NGINX_PROXY_RESPONSES, proxy_timeout 30s"
        echo "- C relay: $gcc_version, -O2; recvmmsg/sendmmsg batches of 64, SO_RCVBUF/SO_SNDBUF 4 MiB asked; c-ports: \`udp-relay --ports $MAX_STREAMS\`, one epoll set over udp/$RELAY_PORTS_BASE-$((RELAY_PORTS_BASE + MAX_STREAMS - 1)); c-ports-io_uring: the same sockets with --io-uring (liburing $(dpkg-query -W -f='${Version}' liburing-dev 2>/dev/null || echo '?'))"
        echo "- net.core.rmem_max $(cat /proc/sys/net/core/rmem_max 2>/dev/null || echo '?'), net.core.wmem_max $(cat /proc/sys/net/core/wmem_max 2>/dev/null || echo '?')"
        echo "- CPU pinning: $PIN_NOTE"
        echo "- node: \`java $NODE_JVM_OPTS -jar ${NODE_JAR#"$REPO_ROOT"/}\`, LOG_LEVEL=warn, no Redis; node-ports-*: RELAY_PORTS=$RELAY_PORTS_BASE-$RELAY_PORTS_LAST"
        echo "- node data-plane pipelines: DATA_PLANE_PIPELINES=$PIPELINES, PIN_CPUS not set (every pipeline runs on the relay's CPU of the pinning above); generator stream ids: $STREAM_IDS"
        echo "- loadgen: \`${LOADGEN_CMD[*]}\`${LOADGEN_JVM_OPTS:+ (LOADGEN_JVM_OPTS=$LOADGEN_JVM_OPTS)}"
        echo "- ports: relay udp/$RELAY_PORT, generator sink udp/$SINK_PORT, node API tcp/$API_PORT; relay ports udp/$RELAY_PORTS_BASE-$RELAY_PORTS_LAST, generator sources (a socket per stream) udp/$SOURCE_PORTS_BASE-$SOURCE_PORTS_LAST"
        echo "- warm-up: ${WARMUP_SECONDS} s of nominal load, not measured, after each relay start"
        echo "- runs per row and load: $REPEAT$( ((REPEAT > 1)) && echo ' (the table shows the median run: by delivered pps for saturation, by p99 otherwise)')"
        echo "- loads (all rows: one receiver socket on one sink port, and one sender socket, except the relay-port"
        echo "  rows direct-sockets, c-ports*, node-shared-sockets-* and node-ports-*, and direct under the echo load, which send each"
        echo "  stream from its own socket; the node rows create routes with deliver=framed, so every row delivers the"
        echo "  whole datagram; row arguments are in each run's .cmd file):"
        local load
        for load in "${LOADS[@]}"; do describe_load "$load"; done
        echo "- raw results: \`$(basename "$RAW_DIR")/\` (loadgen JSON, .hgrm, output and command line of every run; relay logs;"
        echo "  latency-LOAD.svg, the charts below: every row's shown run, drawn by \`soundrelay-tools plot\`)"
        echo
        echo "Every run starts with ${MEASURE_WARMUP_SECONDS} s of the same load that is checked but not measured (loadgen --warmup);"
        echo "the generator runs its one sender and one receiver on one thread (--one-thread) on its core."
        echo "Latency: from each datagram's scheduled send time to its arrival at the sink (coordinated-omission"
        echo "corrected), in µs, over the measured window. CPU: the relay's user+system CPU seconds in the measured"
        echo "window per million datagrams sent in it. Ratios: delivered pps over nginx's and the C relay's for the"
        echo "same load. bench/results/README.md explains every column."
        echo
    } > "$REPORT.header"
}

# One latency chart per load, every row's shown run on it (soundrelay-tools plot), as Markdown image lines; nothing
# for a load without .hgrm files, or when the chart cannot be drawn.
write_plots() {
    local load series chart
    for load in "${LOADS[@]}"; do
        mapfile -t series < <(python3 "$REPORT_PY" plot-series "$MANIFEST" "$ROWS_CSV" "$load" 2>/dev/null)
        ((${#series[@]} > 0)) || continue
        chart=$RAW_DIR/latency-$load.svg
        if "$JAVA" -jar "$TOOLS_JAR" plot --out "$chart" \
            --title "$load load: latency by percentile ($([[ $load == echo ]] && echo 'round trip' || echo 'one way'))" \
            "${series[@]}" > "$RAW_DIR/latency-$load.plot.log" 2>&1; then
            printf '![%s load: latency by percentile, every row](%s/%s)\n\n' "$load" "$(basename "$RAW_DIR")" \
                "$(basename "$chart")"
        else
            log "could not draw the $load chart (see $RAW_DIR/latency-$load.plot.log)"
        fi
    done
}

write_report() {
    local warning=${1:-}
    {
        cat "$REPORT.header"
        [[ -z $warning ]] || printf '**%s**\n\n' "$warning"
        python3 "$REPORT_PY" table "$MANIFEST" "$ROWS_CSV" "$LOADS_CSV"
        echo
        write_plots
    } > "$REPORT"
    rm -f "$REPORT.header"
    REPORT_DONE=1
    cat "$REPORT"
    log "report: $REPORT"
}

# Manifest line (e2e_report.py reads it): row load repeat json exit cpu_ticks clk_tck valid note.
record() {
    local note=${9:-}
    note=${note//$'\t'/ }
    note=${note//$'\n'/ }
    printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$1" "$2" "$3" "$4" "$5" "$6" "$7" "$8" "${note:--}" >> "$MANIFEST"
}

# --- main ----------------------------------------------------------------------------------------------------------

check_commands
cd "$REPO_ROOT"
mkdir -p "$WORK_DIR" "$OUT_DIR"
ensure_jars
if has_row c-recvmmsg || has_row c-ports; then compile_c_relay; fi
if has_row c-ports-io_uring; then compile_c_uring_relay; fi
if has_row nginx; then ensure_nginx; fi
set_loadgen_cmd
check_loadgen
setup_pinning
check_ports_free

STAMP=$(date +%Y%m%d-%H%M%S)
RAW_DIR=$OUT_DIR/e2e-$STAMP
suffix=1
while [[ -e $RAW_DIR ]]; do
    suffix=$((suffix + 1))
    RAW_DIR=$OUT_DIR/e2e-$STAMP-$suffix
done
((suffix == 1)) || STAMP=$STAMP-$suffix
mkdir -p "$RAW_DIR"
REPORT=$OUT_DIR/e2e-$STAMP.md
MANIFEST=$RAW_DIR/runs.tsv
: > "$MANIFEST"
API_KEY=bench-$(od -An -N16 -tx1 /dev/urandom | tr -d ' \n')
# The generator reads the key from its environment, so it is in no command line and no .cmd file.
export SOUNDRELAY_API_KEY=$API_KEY
CLK_TCK=$(getconf CLK_TCK)
write_header
if has_row nginx; then
    write_nginx_conf
    cp "$NGINX_DIR/nginx.conf" "$RAW_DIR/nginx.conf"
fi

total_runs=0
for row in "${ROWS[@]}"; do
    for load in "${LOADS[@]}"; do
        row_runs_load "$row" "$load" && total_runs=$((total_runs + REPEAT))
    done
done
log "$total_runs measured runs: rows ${ROWS_CSV}; loads ${LOADS_CSV}; pinning ${PIN_NOTE%%:*}; results in $RAW_DIR"

run_no=0
for row in "${ROWS[@]}"; do
    relay_failed=
    for load in "${LOADS[@]}"; do
        if ! row_runs_load "$row" "$load"; then
            log "$row does not run the $load load (no way back to each stream's socket): skipped"
            continue
        fi
        row_args "$row" "$load"
        load_args "$load"
        for ((rep = 1; rep <= REPEAT; rep++)); do
            run_no=$((run_no + 1))
            name=$row-$load-r$rep
            note=
            if ! is_direct "$row" && ! relay_alive; then
                if [[ -n $relay_failed ]]; then
                    record "$row" "$load" "$rep" - -1 - "$CLK_TCK" 0 "not run: $relay_failed"
                    continue
                fi
                [[ -z $RELAY_PID ]] || { note="the relay had died: restarted"; stop_relay; }
                log "starting relay $row"
                if ! start_relay "$row"; then
                    relay_failed="the relay did not start (see $(basename "${RELAY_LOG:-relay.log}"))"
                    stop_relay
                    record "$row" "$load" "$rep" - -1 - "$CLK_TCK" 0 "not run: $relay_failed"
                    continue
                fi
                if ((WARMUP_SECONDS > 0)); then
                    log "warm-up of $row: ${WARMUP_SECONDS}s of nominal load"
                    load_args nominal
                    row_args "$row" nominal
                    LOAD_ARGS+=(--allow-loss-percent 100)
                    run_loadgen "$RAW_DIR/warmup-$name" "$((WARMUP_SECONDS + MEASURE_WARMUP_SECONDS))" \
                        "${LOAD_ARGS[@]}" "${ROW_ARGS[@]}"
                    ((LOADGEN_EXIT <= 1)) || log "warm-up of $row: loadgen exit status $LOADGEN_EXIT"
                    load_args "$load"
                    row_args "$row" "$load"
                fi
            fi
            if [[ $row == node-* ]]; then
                clear_node_routes || note+="${note:+; }could not clear the node's routes"
            fi
            # Counters are cumulative over the node's life (warm-up and earlier runs too): the report takes the
            # difference of the scrapes before and after the run.
            [[ $row != node-* ]] || scrape_node_metrics "$RAW_DIR/$name.metrics-before"
            log "run $run_no/$total_runs: $row, $load, ${LOAD_SECONDS}s"
            MEASURE_CPU=0
            is_direct "$row" || MEASURE_CPU=1
            run_loadgen "$RAW_DIR/$name" "$LOAD_SECONDS" "${LOAD_ARGS[@]}" "${ROW_ARGS[@]}"
            MEASURE_CPU=0
            if [[ $row == node-* ]] && relay_alive; then scrape_node_metrics "$RAW_DIR/$name.metrics"; fi
            ticks=-
            valid=1
            if ! is_direct "$row"; then
                if relay_alive && [[ $MEASURE_TICKS != - ]]; then
                    ticks=$MEASURE_TICKS
                elif relay_alive && ! grep -qxF "loadgen: measuring" "$RAW_DIR/$name.out" 2>/dev/null; then
                    # e.g. the node refused a route: say what the generator said, not that the relay died.
                    valid=0
                    why=$(grep -m1 -e 'loadgen failed' "$RAW_DIR/$name.err" 2>/dev/null | cut -c1-300 || true)
                    note+="${note:+; }the generator stopped before its measured window: ${why:-see $name.err}"
                else
                    valid=0
                    note+="${note:+; }the relay died during the run, or its CPU could not be read (see its log)"
                fi
            fi
            ((LOADGEN_EXIT <= 1)) || note+="${note:+; }loadgen exit status $LOADGEN_EXIT (see $name.err)"
            record "$row" "$load" "$rep" "$name.json" "$LOADGEN_EXIT" "$ticks" "$CLK_TCK" "$valid" "$note"
            log "run $run_no/$total_runs done: loadgen exit $LOADGEN_EXIT"
        done
    done
    stop_relay
done

write_report
