# shellcheck shell=bash
# The node's supervisor, sourced by docker/node-entrypoint.sh: it keeps the node's components
# (broker, vsftpd, worker) running the way the systemd units of docs/deploy.md do on a host
# (Restart=on-failure; the worker's KillMode=process): a component that ends is started again,
# and the node's processes - the programs to fork, and the copies the worker restored, which are
# its children - run on. Ending the node instead would end every one of them with the container.
#
#   the worker ends       -> started again after RFORK_RESTART_PAUSE_SECONDS (default 5)
#   vsftpd ends           -> the same
#   the broker ends       -> the worker is stopped (its connection is gone for good), then the
#                            broker and the worker are started again
#   a component ends MAX_QUICK_FAILS times in a row within QUICK_SECONDS of its start, or a
#   restart fails         -> the node stops (exit 1): the container's restart policy takes over
#   SIGTERM / SIGINT      -> everything stops: worker first (it finishes the request in hand)
#
# The entrypoint defines start_<name> for each component (which calls `started <name> <pid>`),
# and may define on_exit_<name> (called when it ended unasked, e.g. to show its log's tail).

RESTART_PAUSE=${RFORK_RESTART_PAUSE_SECONDS:-5}
QUICK_SECONDS=60
MAX_QUICK_FAILS=3
# What must restart with a component (their connection to it does not come back).
declare -A DEPENDENTS=([broker]=worker)

COMPONENTS=()   # in start order
declare -A PID_OF=() STARTED_AT=() QUICK_FAILS=()
TERMINATING=

started() { # started NAME PID
    [[ " ${COMPONENTS[*]} " == *" $1 "* ]] || COMPONENTS+=("$1")
    PID_OF[$1]=$2
    STARTED_AT[$1]=$SECONDS
}

stop_pid() { # stop_pid PID NAME SECONDS
    local pid=$1 name=$2 i
    kill -0 "$pid" 2>/dev/null || return 0
    log "stopping $name (pid $pid) ..."
    kill -TERM "$pid" 2>/dev/null || true
    # A process stopped by SIGSTOP acts on nothing until it runs again (systemd sends this too).
    kill -CONT "$pid" 2>/dev/null || true
    for ((i = 0; i < $3 * 10; i++)); do
        kill -0 "$pid" 2>/dev/null || { wait "$pid" 2>/dev/null || true; return 0; }
        sleep 0.1
    done
    log "$name (pid $pid) did not stop within $3 s: killing it"
    kill -KILL "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
}

stop_component() { # stop_component NAME SECONDS
    [ -n "${PID_OF[$1]:-}" ] || return 0
    stop_pid "${PID_OF[$1]}" "$1" "$2"
    unset "PID_OF[$1]"
}

stop_all() { # in reverse start order: worker, vsftpd, broker
    local i
    for ((i = ${#COMPONENTS[@]} - 1; i >= 0; i--)); do
        stop_component "${COMPONENTS[$i]}" 30
    done
}

component_of() { # component_of PID
    local name
    for name in "${!PID_OF[@]}"; do
        [ "${PID_OF[$name]}" != "$1" ] || { echo "$name"; return 0; }
    done
}

# Returns (exit status) 0 when a stop was asked for, 1 when a component cannot be kept running.
supervise() {
    local pid status name dependent
    trap 'TERMINATING=1' TERM INT
    while :; do
        pid=
        set +e
        wait -n -p pid "${PID_OF[@]}"
        status=$?
        set -e
        [ -z "$TERMINATING" ] || { log "stop requested"; return 0; }
        name=$(component_of "$pid")
        [ -n "$name" ] || continue
        unset "PID_OF[$name]"
        log "$name (pid $pid) exited with status $status"
        if declare -F "on_exit_$name" >/dev/null; then "on_exit_$name" || true; fi
        if [ $((SECONDS - STARTED_AT[$name])) -lt "$QUICK_SECONDS" ]; then
            QUICK_FAILS[$name]=$((${QUICK_FAILS[$name]:-0} + 1))
        else
            QUICK_FAILS[$name]=1
        fi
        if [ "${QUICK_FAILS[$name]}" -gt "$MAX_QUICK_FAILS" ]; then
            log "$name ended $MAX_QUICK_FAILS times in a row within $QUICK_SECONDS s of its start: stopping the node"
            return 1
        fi
        for dependent in ${DEPENDENTS[$name]:-}; do
            stop_component "$dependent" 30
        done
        log "starting $name again in $RESTART_PAUSE s; the node's processes and restored copies run on"
        sleep "$RESTART_PAUSE" &
        wait $! || kill $! 2>/dev/null || true
        [ -z "$TERMINATING" ] || { log "stop requested"; return 0; }
        "start_$name" || return 1
        for dependent in ${DEPENDENTS[$name]:-}; do
            "start_$dependent" || return 1
        done
    done
}
