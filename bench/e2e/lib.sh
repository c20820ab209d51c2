# Shared helpers of the end-to-end benchmark scripts (run.sh, pacing.sh): sourced, never run. The sourcing script
# sets LOG_TAG (the prefix of its log lines) and SCRIPT_NAME (how its option errors name it) first.

# The java that runs the node and the generator: the JDK the build uses, $JAVA_HOME/bin/java when JAVA_HOME is set,
# else the `java` on PATH. require_java checks it is Java 25 or newer, as the jars need.
JAVA=${JAVA_HOME:+$JAVA_HOME/bin/java}
JAVA=${JAVA:-java}

require_java() {
    local version
    version=$("$JAVA" -XshowSettings:properties -version 2>&1 | sed -n 's/^ *java\.specification\.version = //p')
    [[ $version =~ ^[0-9]+$ && $version -ge 25 ]] || {
        printf '%s: %s is Java %s; the jars need Java 25 or newer: set JAVA_HOME to a JDK 25\n' \
            "$SCRIPT_NAME" "$JAVA" "${version:-(none)}" >&2
        exit 2
    }
}

log() {
    printf '[%s %s] %s\n' "$LOG_TAG" "$(date +%H:%M:%S)" "$*" >&2
}

need_value() {
    [[ $# -ge 2 && -n $2 ]] || { printf '%s: %s needs a value\n' "$SCRIPT_NAME" "$1" >&2; usage >&2; exit 2; }
}

# int_at_least NAME VALUE MIN: exit 2 naming the option unless VALUE is an integer >= MIN.
int_at_least() {
    [[ $2 =~ ^[0-9]+$ && $2 -ge $3 ]] ||
        { printf '%s: %s=%s: want an integer >= %s\n' "$SCRIPT_NAME" "$1" "$2" "$3" >&2; exit 2; }
}

# State letter of process $1 (R, S, D, Z...), or X when it is gone.
proc_state() {
    local stat rest
    stat=$(cat "/proc/$1/stat" 2>/dev/null) || { echo X; return 0; }
    rest=${stat##*) }
    echo "${rest%% *}"
}

# True while process $1 runs (a zombie, exited but not yet reaped, does not count).
running() {
    local state
    state=$(proc_state "$1")
    [[ $state != X && $state != Z ]]
}

# Drop $1 from STARTED_PIDS once it is reaped: its number may then be reused by an unrelated process.
forget_pid() {
    local pid kept=()
    for pid in "${STARTED_PIDS[@]+"${STARTED_PIDS[@]}"}"; do
        [[ $pid == "$1" ]] || kept+=("$pid")
    done
    STARTED_PIDS=("${kept[@]+"${kept[@]}"}")
}

# SIGTERM, wait up to $2 seconds (default 15), then SIGKILL; reaps the process (all are children of the script).
stop_pid() {
    local pid=$1 deadline_s=${2:-15} waited=0
    if running "$pid"; then
        kill -TERM "$pid" 2>/dev/null || true
        while running "$pid" && ((waited < deadline_s * 10)); do
            sleep 0.1
            waited=$((waited + 1))
        done
        if running "$pid"; then
            log "pid $pid did not stop within ${deadline_s}s of SIGTERM: SIGKILL"
            kill -KILL "$pid" 2>/dev/null || true
        fi
    fi
    wait "$pid" 2>/dev/null || true
    forget_pid "$pid"
}

# utime + stime, in clock ticks, of every process given (all their threads, dead ones included).
cpu_ticks() {
    local total=0 pid stat rest
    local -a f
    for pid in "$@"; do
        stat=$(< "/proc/$pid/stat") || return 1
        rest=${stat##*) }
        read -r -a f <<< "$rest"
        # f[0] is field 3 (state): utime is field 14, stime field 15.
        total=$((total + f[11] + f[12]))
    done
    echo "$total"
}

# True when something listens on UDP port $1 (any address, IPv4 or IPv6).
udp_port_bound() {
    local hex
    hex=$(printf '%04X' "$1")
    awk -v p=":$hex" 'FNR > 1 && substr($2, length($2) - 4) == p { found = 1 } END { exit !found }' \
        /proc/net/udp /proc/net/udp6 2>/dev/null
}

# True when something listens on TCP port $1.
tcp_port_listening() {
    local hex
    hex=$(printf '%04X' "$1")
    awk -v p=":$hex" 'FNR > 1 && $4 == "0A" && substr($2, length($2) - 4) == p { found = 1 } END { exit !found }' \
        /proc/net/tcp /proc/net/tcp6 2>/dev/null
}
