# Sourced by rfork's scripts: one way to say what happens and how to fix what failed.
# The script sets LOG_TAG (its name in every line) before sourcing; LOG_TIME=1 adds the time of
# day to each line, LOG_TO_STDERR=1 sends progress to stderr (for scripts whose stdout is data).

_log_prefix() {
    if [ "${LOG_TIME:-0}" = 1 ]; then printf '[%s %s]' "$LOG_TAG" "$(date +%H:%M:%S)"; else printf '[%s]' "$LOG_TAG"; fi
}

log() {
    if [ "${LOG_TO_STDERR:-0}" = 1 ]; then echo "$(_log_prefix) $*" >&2; else echo "$(_log_prefix) $*"; fi
}

warn() { echo "$(_log_prefix) WARNING: $*" >&2; }

# die WHAT [HOW-TO-FIX ...]: says what failed, then one "how to fix" line per further argument.
die() {
    echo "$(_log_prefix) ERROR: $1" >&2
    shift
    local line
    for line in "$@"; do echo "$(_log_prefix)   how to fix: $line" >&2; done
    exit 1
}
