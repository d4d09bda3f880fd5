#!/usr/bin/env bash
# Install a CRIU that works on this machine's kernel and expose it as
# /usr/local/sbin/rfork-criu.
#
# Order of preference:
#   1. an rfork-criu wrapper already installed by this script that still passes
#      the checks below (fast path, nothing is downloaded);
#   2. the distribution's criu (apt-get install criu), if `criu check` passes AND
#      it can dump (--leave-running) and restore a process holding TCP sockets;
#   3. the newest criu (>= 4.2) of Debian "sid", unpacked with its own libc and
#      libraries into a private prefix (default /opt/rfork/criu) and run through
#      that prefix's dynamic loader. The system's apt sources, libc and package
#      database are not touched: apt works on a private sources list, private
#      lists and a private cache, and the packages are only `dpkg-deb -x`-ed.
#
# Environment (all optional):
#   RFORK_CRIU_PREFIX   private prefix             (default /opt/rfork/criu)
#   RFORK_CRIU_WRAPPER  wrapper path               (default /usr/local/sbin/rfork-criu)
#   RFORK_CRIU_SUITE    Debian suite for step 3    (default sid)
#   RFORK_CRIU_MIN      minimum criu version       (default 4.2)
#   RFORK_DEBIAN_MIRROR Debian mirror URI for step 3 (default: taken from the
#                       system's own apt sources)
#   RFORK_CRIU_SKIP_DISTRO=1  do not try the distribution's criu
#   RFORK_CRIU_FORCE=1        ignore an existing working install
#   RFORK_CRIU_SKIP_CHECKS=1  same as --no-check
#
# Options:
#   --no-check  only download and unpack the newest criu of the suite into the prefix
#               and write the wrapper; run no `criu check` and no dump/restore test.
#               For places that cannot run CRIU, e.g. `docker build` (not privileged):
#               the node image's entrypoint runs `rfork-criu check` when the container
#               starts instead. The distribution's criu is not considered (it cannot be
#               tested here, and Debian 12's does not work on Linux >= 6.16).
set -euo pipefail

SKIP_CHECKS=${RFORK_CRIU_SKIP_CHECKS:-0}
for arg in "$@"; do
    case $arg in
    --no-check) SKIP_CHECKS=1 ;;
    -h | --help) sed -n '2,/^set -euo/p' "$0" | sed -e '$d' -e 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "[install-criu] ERROR: unknown argument '$arg' (see --help)" >&2; exit 2 ;;
    esac
done
[ "$SKIP_CHECKS" = 1 ] || SKIP_CHECKS=0

PREFIX=${RFORK_CRIU_PREFIX:-/opt/rfork/criu}
WRAPPER=${RFORK_CRIU_WRAPPER:-/usr/local/sbin/rfork-criu}
SUITE=${RFORK_CRIU_SUITE:-sid}
MIN_VERSION=${RFORK_CRIU_MIN:-4.2}
STATE_DIR=/var/lib/rfork
DISTRO_REJECTED="$STATE_DIR/criu-distro-rejected"
ARCH_TRIPLET=x86_64-linux-gnu
LOADER_NAME=ld-linux-x86-64.so.2

LOG_TAG=install-criu
# shellcheck source=lib/log.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib/log.sh"

[ "$(id -u)" -eq 0 ] || die "must run as root (criu needs CAP_SYS_ADMIN and friends)" \
    "run: sudo bash $0"
[ "$(uname -m)" = x86_64 ] || die "only x86_64 is supported (found $(uname -m))" \
    "extend ARCH_TRIPLET/LOADER_NAME in $0 for this architecture"
for tool in unshare setsid flock apt-get apt-cache dpkg-deb dpkg; do
    command -v "$tool" >/dev/null 2>&1 || die "'$tool' not found" "apt-get install -y util-linux apt dpkg"
done

# One run at a time (two concurrent runs would fight over $PREFIX and dpkg).
mkdir -p "$STATE_DIR"
exec 9>"$STATE_DIR/install-criu.lock"
flock 9

log "looking for a working CRIU for Linux $(uname -r) (wrapper: $WRAPPER)"

# A real python3 binary (not a pyenv-style shim script) for the smoke test.
PYTHON=
for p in /usr/bin/python3 "$(command -v python3 2>/dev/null || true)"; do
    if [ -n "$p" ] && [ -x "$p" ]; then PYTHON=$p; break; fi
done
[ -n "$PYTHON" ] || [ "$SKIP_CHECKS" = 1 ] || die "python3 not found (needed for the smoke test)" "apt-get install -y python3"

WORK=$(mktemp -d /tmp/install-criu.XXXXXX)
SMOKE_PIDS=()
cleanup() {
    local pid
    for pid in "${SMOKE_PIDS[@]}"; do
        kill -KILL "$pid" 2>/dev/null || true
        wait "$pid" 2>/dev/null || true
    done
    rm -rf "$WORK"
}
trap cleanup EXIT

# ---------------------------------------------------------------- helpers ---

children_of() { # direct children of a pid
    local pid=$1
    if [ -r "/proc/$pid/task/$pid/children" ]; then
        cat "/proc/$pid/task/$pid/children" 2>/dev/null || true
    else
        pgrep -P "$pid" 2>/dev/null | tr '\n' ' ' || true
    fi
}

criu_version() { # prints e.g. 4.2.1 for the given criu command
    "$@" --version 2>/dev/null | sed -n 's/^Version: *//p' | head -n1
}

version_ge() { dpkg --compare-versions "$1" ge "$2"; }

# smoke_test CRIU...: criu check + dump --leave-running of a process holding an
# ESTABLISHED loopback TCP connection (peer: a server process that is not
# dumped) + restore of the copy into a fresh PID namespace while the original
# still runs. Returns 0 when both copies are alive afterwards.
smoke_test() {
    local dir log out srv_pid orig_pid unshare_pid criu_pid copy_pid i port
    dir=$(mktemp -d "$WORK/smoke.XXXXXX")
    log "  criu check ..."
    if ! "$@" check >"$dir/check.out" 2>&1; then
        sed 's/^/[install-criu]     | /' "$dir/check.out" | tail -n 5 >&2
        warn "criu check failed"
        return 1
    fi

    cat >"$dir/server.py" <<'EOF'
import socket, sys, time
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", 0))
s.listen(8)
with open(sys.argv[1] + ".tmp", "w") as f:
    f.write(str(s.getsockname()[1]))
import os
os.rename(sys.argv[1] + ".tmp", sys.argv[1])
conns = []
while True:
    c, _ = s.accept()
    conns.append(c)
EOF
    cat >"$dir/target.py" <<'EOF'
import os, socket, sys, time
port = int(open(sys.argv[1]).read())
c = socket.create_connection(("127.0.0.1", port))
i = 0
while True:
    i += 1
    print("ppid=%d n=%d" % (os.getppid(), i), flush=True)
    time.sleep(0.05)
EOF
    setsid "$PYTHON" "$dir/server.py" "$dir/port" 9>&- </dev/null >>"$dir/server.log" 2>&1 &
    srv_pid=$!
    SMOKE_PIDS+=("$srv_pid")
    for i in $(seq 1 100); do [ -s "$dir/port" ] && break; sleep 0.05; done
    [ -s "$dir/port" ] || { warn "smoke test server did not start"; return 1; }

    setsid "$PYTHON" "$dir/target.py" "$dir/port" 9>&- </dev/null >>"$dir/target.log" 2>&1 &
    orig_pid=$!
    SMOKE_PIDS+=("$orig_pid")
    for i in $(seq 1 100); do grep -q 'n=2' "$dir/target.log" 2>/dev/null && break; sleep 0.05; done
    grep -q 'n=2' "$dir/target.log" || { warn "smoke test target did not start"; return 1; }

    log "  dump --leave-running --tcp-close of pid $orig_pid (holds an established TCP connection) ..."
    mkdir "$dir/img"
    if ! "$@" dump -t "$orig_pid" -D "$dir/img" --leave-running --tcp-close -o dump.log >/dev/null 2>&1; then
        grep -E 'Error|error' "$dir/img/dump.log" 2>/dev/null | grep -v RLIMIT_NOFILE | tail -n 5 \
            | sed 's/^/[install-criu]     | /' >&2 || true
        warn "criu dump failed (log: $dir/img/dump.log)"
        return 1
    fi
    kill -0 "$orig_pid" 2>/dev/null || { warn "original died after dump --leave-running"; return 1; }

    log "  restore into a fresh PID namespace while the original runs ..."
    setsid unshare --pid --fork --kill-child --mount-proc "$@" restore -D "$dir/img" --tcp-close -o restore.log 9>&- \
        </dev/null >>"$dir/restore.out" 2>&1 &
    unshare_pid=$!
    SMOKE_PIDS+=("$unshare_pid")
    copy_pid=
    for i in $(seq 1 100); do
        criu_pid=$(children_of "$unshare_pid" | awk '{print $1}')
        if [ -n "$criu_pid" ]; then
            copy_pid=$(children_of "$criu_pid" | awk '{print $1}')
            # the restored task is there once it runs python (not a criu helper)
            if [ -n "$copy_pid" ] && grep -q python "/proc/$copy_pid/cmdline" 2>/dev/null \
                && grep -q 'ppid=1 ' "$dir/target.log"; then
                break
            fi
        fi
        kill -0 "$unshare_pid" 2>/dev/null || break
        copy_pid=
        sleep 0.05
    done
    if [ -z "$copy_pid" ]; then
        grep -E 'Error|error' "$dir/img/restore.log" 2>/dev/null | grep -v RLIMIT_NOFILE | tail -n 5 \
            | sed 's/^/[install-criu]     | /' >&2 || true
        warn "criu restore failed (log: $dir/img/restore.log)"
        return 1
    fi
    SMOKE_PIDS+=("$copy_pid")
    sleep 0.3
    if ! kill -0 "$orig_pid" 2>/dev/null || ! kill -0 "$copy_pid" 2>/dev/null; then
        warn "original ($orig_pid) or restored copy ($copy_pid) died after restore"
        return 1
    fi
    log "  ok: original pid $orig_pid and restored copy (host pid $copy_pid, $(grep NSpid "/proc/$copy_pid/status" | tr -s '\t ' ' ')) both running"
    kill -KILL "$copy_pid" "$orig_pid" "$srv_pid" 2>/dev/null || true
    wait "$orig_pid" 2>/dev/null || true
    wait "$srv_pid" 2>/dev/null || true
    wait "$unshare_pid" 2>/dev/null || true
    SMOKE_PIDS=()
    return 0
}

write_wrapper() { # write_wrapper distro|prefix
    local tmp
    mkdir -p "$(dirname "$WRAPPER")"
    tmp="$WRAPPER.tmp.$$"
    if [ "$1" = distro ]; then
        cat >"$tmp" <<'EOF'
#!/bin/sh
# rfork-criu: written by rfork scripts/install-criu.sh (distribution criu)
exec /usr/sbin/criu "$@"
EOF
    else
        cat >"$tmp" <<EOF
#!/bin/sh
# rfork-criu: written by rfork scripts/install-criu.sh
# criu $(cat "$PREFIX/.rfork-criu-version" 2>/dev/null) from Debian $SUITE with its own libc, run via the bundled loader.
P='$PREFIX'
L="\$P/usr/lib/$ARCH_TRIPLET"
exec "\$L/$LOADER_NAME" --library-path "\$L" "\$P/usr/sbin/criu" "\$@"
EOF
    fi
    chmod 0755 "$tmp"
    mv -f "$tmp" "$WRAPPER"
}

finish() { # final check through the wrapper
    log "final check through $WRAPPER ..."
    if ! smoke_test "$WRAPPER"; then
        die "$WRAPPER does not work" \
            "look at the criu messages above; re-run with RFORK_CRIU_FORCE=1 to reinstall" \
            "CRIU needs root, a kernel with CONFIG_CHECKPOINT_RESTORE, and a criu version that knows this kernel (>= $MIN_VERSION for Linux >= 6.16)"
    fi
    log "done: $WRAPPER -> criu $(criu_version "$WRAPPER") ($1)"
}

# ------------------------------------------------------- 1. existing install ---

if [ "$SKIP_CHECKS" = 1 ]; then
    log "--no-check: CRIU will be downloaded and unpacked but not run (no criu check, no dump/restore test)"
fi
if [ "$SKIP_CHECKS" = 1 ] && [ "${RFORK_CRIU_FORCE:-0}" != 1 ] && [ -x "$WRAPPER" ] \
        && grep -q 'rfork scripts/install-criu.sh' "$WRAPPER" 2>/dev/null; then
    v=$(criu_version "$WRAPPER" || true)
    if [ -n "$v" ] && version_ge "$v" "$MIN_VERSION"; then
        log "criu $v already installed at $WRAPPER (not checked: --no-check): nothing to do"
        exit 0
    fi
    warn "existing $WRAPPER (criu ${v:-unknown}) is not usable: reinstalling"
elif [ "${RFORK_CRIU_FORCE:-0}" != 1 ] && [ -x "$WRAPPER" ] && grep -q 'rfork scripts/install-criu.sh' "$WRAPPER" 2>/dev/null; then
    log "found $WRAPPER (criu $(criu_version "$WRAPPER" || true)), checking it ..."
    if smoke_test "$WRAPPER"; then
        log "criu $(criu_version "$WRAPPER") already installed and working: nothing to do"
        exit 0
    fi
    warn "existing $WRAPPER does not pass the checks: reinstalling"
fi

# ------------------------------------------------------- 2. distribution criu ---

try_distro() {
    local cand before after new
    if [ "${RFORK_CRIU_SKIP_DISTRO:-0}" = 1 ]; then
        log "skipping the distribution's criu (RFORK_CRIU_SKIP_DISTRO=1)"
        return 1
    fi
    if [ "$SKIP_CHECKS" = 1 ]; then
        log "skipping the distribution's criu (--no-check: it could not be tested)"
        return 1
    fi
    if [ ! -x /usr/sbin/criu ]; then
        cand=$(apt-cache policy criu 2>/dev/null | sed -n 's/^ *Candidate: *//p')
        if [ -z "$cand" ] || [ "$cand" = "(none)" ]; then
            log "running apt-get update to look for the distribution's criu ..."
            apt-get update -qq || warn "apt-get update failed"
            cand=$(apt-cache policy criu 2>/dev/null | sed -n 's/^ *Candidate: *//p')
        fi
        if [ -z "$cand" ] || [ "$cand" = "(none)" ]; then
            log "the distribution has no criu package"
            return 1
        fi
        if [ -f "$DISTRO_REJECTED" ] && [ "$(cat "$DISTRO_REJECTED")" = "$cand" ]; then
            log "distribution criu $cand was already tried and rejected on this machine: skipping it"
            return 1
        fi
        log "installing the distribution's criu $cand (apt-get install -y criu) ..."
        before=$(dpkg-query -W -f '${db:Status-Abbrev} ${Package}\n' 2>/dev/null | awk '$1 ~ /^ii/ {print $2}' | sort)
        if ! DEBIAN_FRONTEND=noninteractive apt-get install -y -qq criu 9>&- >"$WORK/apt-install.log" 2>&1; then
            tail -n 5 "$WORK/apt-install.log" | sed 's/^/[install-criu]   | /' >&2
            warn "apt-get install criu failed"
            return 1
        fi
        after=$(dpkg-query -W -f '${db:Status-Abbrev} ${Package}\n' 2>/dev/null | awk '$1 ~ /^ii/ {print $2}' | sort)
        new=$(comm -13 <(echo "$before") <(echo "$after") | tr '\n' ' ')
        log "testing distribution criu $(criu_version /usr/sbin/criu) ..."
        if smoke_test /usr/sbin/criu; then
            write_wrapper distro
            rm -f "$DISTRO_REJECTED"
            return 0
        fi
        log "distribution criu $cand does not work on Linux $(uname -r): removing what was just installed ($new)"
        # shellcheck disable=SC2086
        [ -z "$new" ] || DEBIAN_FRONTEND=noninteractive apt-get purge -y -qq $new 9>&- >/dev/null 2>&1 \
            || warn "could not purge $new"
        mkdir -p "$STATE_DIR"
        echo "$cand" >"$DISTRO_REJECTED"
        return 1
    fi
    # criu was already installed on the system (not by us): test, never remove it.
    log "testing the installed /usr/sbin/criu $(criu_version /usr/sbin/criu) ..."
    if smoke_test /usr/sbin/criu; then
        write_wrapper distro
        return 0
    fi
    log "the installed /usr/sbin/criu does not work here: leaving it alone"
    return 1
}

if try_distro; then
    finish "distribution criu"
    exit 0
fi

# --------------------------------------------- 3. criu from Debian sid, private ---

# shellcheck source=lib/debian-mirror.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib/debian-mirror.sh"

use_debian_mirror

log "installing criu >= $MIN_VERSION from Debian '$SUITE' into $PREFIX (mirror from the system's apt sources: $MIRROR)"
private_apt "$WORK/apt" "$SUITE" RFORK_CRIU_SUITE install-criu

CAND=$(apt-cache "${APT_OPTS[@]}" policy criu 2>/dev/null | sed -n 's/^ *Candidate: *//p')
[ -n "$CAND" ] && [ "$CAND" != "(none)" ] || die "Debian '$SUITE' has no criu package" "set RFORK_CRIU_SUITE to a suite that has criu >= $MIN_VERSION"
version_ge "$CAND" "$MIN_VERSION" || die "Debian '$SUITE' offers criu $CAND, need >= $MIN_VERSION" \
    "set RFORK_CRIU_SUITE to a suite with a newer criu"
log "newest criu in '$SUITE': $CAND"

# criu + libcompel1 and everything they depend on, recursively (no recommends).
mapfile -t PKGS < <(apt-cache "${APT_OPTS[@]}" depends --recurse --no-recommends --no-suggests \
    --no-conflicts --no-breaks --no-replaces --no-enhances criu libcompel1 2>/dev/null \
    | grep -v '^ ' | grep -v '^<' | sort -u)
[ "${#PKGS[@]}" -gt 2 ] || die "could not resolve criu's dependencies from '$SUITE'" "see $APTDIR"
log "downloading ${#PKGS[@]} packages: ${PKGS[*]}"
if ! (cd "$APTDIR/debs" && apt-get "${APT_OPTS[@]}" download "${PKGS[@]}" >"$APTDIR/download.log" 2>&1); then
    tail -n 5 "$APTDIR/download.log" | sed 's/^/[install-criu]   | /' >&2
    die "apt-get download failed" "check that $MIRROR is reachable; re-run the script"
fi

STAGE="$PREFIX.new.$$"
rm -rf "$STAGE"
mkdir -p "$STAGE"
log "unpacking into $STAGE ..."
for deb in "$APTDIR"/debs/*.deb; do
    dpkg-deb -x "$deb" "$STAGE"
    dpkg-deb -f "$deb" Package Version | paste -sd' ' >>"$STAGE/.rfork-criu-packages"
done
echo "$CAND" >"$STAGE/.rfork-criu-version"
for f in "usr/lib/$ARCH_TRIPLET/$LOADER_NAME" usr/sbin/criu; do
    [ -e "$STAGE/$f" ] || die "$f missing after unpacking" "see $APTDIR/download.log"
done

# Put the new prefix in place (keeping the previous one until the new one works).
if [ -e "$PREFIX" ]; then
    rm -rf "$PREFIX.old"
    mv "$PREFIX" "$PREFIX.old"
fi
mkdir -p "$(dirname "$PREFIX")"
mv "$STAGE" "$PREFIX"
write_wrapper prefix
log "criu --version through the wrapper: $(criu_version "$WRAPPER")"
if [ "$SKIP_CHECKS" = 1 ]; then
    v=$(criu_version "$WRAPPER" || true)
    if [ -z "$v" ]; then
        if [ -e "$PREFIX.old" ]; then
            rm -rf "$PREFIX"
            mv "$PREFIX.old" "$PREFIX"
        else
            rm -f "$WRAPPER"
        fi
        die "criu $CAND from Debian '$SUITE' does not even print its version through $WRAPPER" \
            "run '$WRAPPER --version' to see why (missing library? wrong architecture?)"
    fi
    rm -rf "$PREFIX.old"
    log "done (not checked: --no-check): $WRAPPER -> criu $v (Debian $SUITE, private prefix $PREFIX)"
    log "run '$WRAPPER check' where CRIU will run (root, privileged) before relying on it"
    exit 0
fi
if ! smoke_test "$WRAPPER"; then
    if [ -e "$PREFIX.old" ]; then
        warn "new criu failed the checks: putting the previous $PREFIX back"
        rm -rf "$PREFIX"
        mv "$PREFIX.old" "$PREFIX"
    else
        rm -f "$WRAPPER"   # never leave a wrapper that does not pass the checks
    fi
    die "criu $CAND from Debian '$SUITE' does not pass the checks on Linux $(uname -r)" \
        "read the criu messages above (kernel features? run '$WRAPPER check --all')" \
        "try another suite: RFORK_CRIU_SUITE=experimental bash $0"
fi
rm -rf "$PREFIX.old"
log "done: $WRAPPER -> criu $(criu_version "$WRAPPER") (Debian $SUITE, private prefix $PREFIX)"
