#!/usr/bin/env bash
# Get a Docker engine that can run --privileged containers on this machine, plus
# `docker compose` (v2, CLI plugin), without systemd.
#
# Order of preference:
#   1. an engine that already answers on the docker socket, runs a --privileged
#      container, and `docker compose version` works: nothing to do (fast path);
#   2. the engine from Debian "trixie" (docker.io >= 26 + containerd + tini, plus
#      docker-compose v2 and docker-cli) unpacked with `dpkg-deb -x` into a private
#      prefix (default /opt/rfork/docker) and run with Debian 12's runc and iptables.
#      Debian 12's own docker.io (20.10) is NOT used: on this kind of VM it fails
#      every --privileged container with `unable to apply caps: operation not
#      permitted` (the VM lacks CAP_SYS_RESOURCE and 20.10 asks for every cap).
#      The trixie binaries are Go programs that need only glibc >= 2.34 (bookworm
#      has 2.36) and libsystemd0 & co. from bookworm; this is checked with ldd.
#      The system's apt sources, libc and package database are not touched by the
#      trixie part: apt works on a private sources list, private lists and cache,
#      and the packages are only `dpkg-deb -x`-ed. Bookworm packages (runc,
#      iptables, ...) are installed with plain apt-get, after a simulation has
#      shown that libc6 would not change.
#   dockerd is started in the background (no systemd) with its own data/exec roots
#   and pidfile, listening on the standard socket unix:///var/run/docker.sock, and
#   reused by later runs while it lives.
#
# Usage: install-docker.sh          install/start/verify (idempotent)
#        install-docker.sh --stop   stop the dockerd this script started (by pidfile)
#
# Environment (all optional):
#   RFORK_DOCKER_PREFIX   private prefix                 (default /opt/rfork/docker)
#   RFORK_DOCKER_SUITE    Debian suite for the engine    (default trixie)
#   RFORK_DOCKER_DATA     dockerd --data-root            (default /var/lib/rfork/docker)
#   RFORK_DOCKER_EXEC     dockerd --exec-root            (default /run/rfork-docker)
#   RFORK_DOCKER_PIDFILE  dockerd --pidfile              (default /run/rfork-dockerd.pid)
#   RFORK_DOCKER_LOG      dockerd log file               (default /var/log/rfork-dockerd.log)
#   RFORK_BASE_IMAGE      image for the --privileged check (default debian:bookworm-slim;
#                         made by scripts/base-image.sh; until it exists a one-file
#                         check image is used instead)
#   RFORK_DEBIAN_MIRROR   Debian mirror URI (default: from the system's apt sources)
#   RFORK_DOCKER_FORCE=1  re-download the prefix even if it looks complete
set -euo pipefail

PREFIX=${RFORK_DOCKER_PREFIX:-/opt/rfork/docker}
SUITE=${RFORK_DOCKER_SUITE:-trixie}
DATA_ROOT=${RFORK_DOCKER_DATA:-/var/lib/rfork/docker}
EXEC_ROOT=${RFORK_DOCKER_EXEC:-/run/rfork-docker}
PIDFILE=${RFORK_DOCKER_PIDFILE:-/run/rfork-dockerd.pid}
DLOG=${RFORK_DOCKER_LOG:-/var/log/rfork-dockerd.log}
BASE_IMAGE=${RFORK_BASE_IMAGE:-debian:bookworm-slim}
SOCKET=/var/run/docker.sock
PLUGIN_DIR=/usr/local/lib/docker/cli-plugins
CHECK_IMAGE=rfork-privileged-check:1
STATE_DIR=/var/lib/rfork
# trixie packages unpacked into the prefix (their dependencies come from bookworm)
TRIXIE_PKGS=(docker.io containerd tini docker-compose docker-cli)
# bookworm packages: command -> package (installed with apt-get when missing)
declare -A BOOKWORM_CMDS=([runc]=runc [iptables]=iptables)
# bookworm libraries the trixie binaries link against (checked with ldd)
BOOKWORM_LIBS=(libsystemd0 libcap2 libgcrypt20 liblzma5 libzstd1 liblz4-1)
ENGINE_BINS=(usr/sbin/dockerd usr/sbin/docker-proxy usr/bin/containerd usr/bin/containerd-shim-runc-v2
    usr/bin/docker usr/libexec/docker/cli-plugins/docker-compose)

LOG_TAG=install-docker
# shellcheck source=lib/log.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib/log.sh"

[ "$(id -u)" -eq 0 ] || die "must run as root (starts dockerd, installs packages)" "run: sudo bash $0"

# ------------------------------------------------------------------ helpers ---

our_dockerd_pid() { # prints the pid of the dockerd this script started, if it runs
    local pid exe
    [ -s "$PIDFILE" ] || return 1
    pid=$(cat "$PIDFILE" 2>/dev/null) || return 1
    [[ "$pid" =~ ^[0-9]+$ ]] || return 1
    exe=$(readlink "/proc/$pid/exe" 2>/dev/null) || return 1
    [ "${exe% (deleted)}" = "$PREFIX/usr/sbin/dockerd" ] || return 1
    echo "$pid"
}

if [ "${1:-}" = --stop ]; then
    if pid=$(our_dockerd_pid); then
        log "stopping dockerd (pid $pid) ..."
        kill -TERM "$pid"
        for _ in $(seq 1 150); do kill -0 "$pid" 2>/dev/null || break; sleep 0.2; done
        kill -0 "$pid" 2>/dev/null && die "dockerd (pid $pid) did not stop within 30 s" "kill -KILL $pid"
        log "stopped"
    else
        log "no dockerd started by this script is running (pidfile $PIDFILE)"
    fi
    exit 0
fi
[ $# -eq 0 ] || die "unknown argument: $1" "usage: $0 [--stop]"

[ "$(uname -m)" = x86_64 ] || die "only x86_64 is supported (found $(uname -m))" \
    "adapt the library paths in $0 for this architecture"
for tool in apt-get apt-cache dpkg-deb dpkg flock setsid timeout ldd tar; do
    command -v "$tool" >/dev/null 2>&1 || die "'$tool' not found" "apt-get install -y apt dpkg util-linux coreutils libc-bin tar"
done

# One run at a time. fd 9 must never leak into dockerd (it would hold the lock forever).
mkdir -p "$STATE_DIR"
exec 9>"$STATE_DIR/install-docker.lock"
flock 9

WORK=$(mktemp -d /tmp/install-docker.XXXXXX)
trap 'rm -rf "$WORK"' EXIT

engine_answers() { timeout 20 docker info >/dev/null 2>&1; }

compose_works() { timeout 20 docker compose version >/dev/null 2>&1; }

# make_check_image: a one-file image holding a static tini, for the --privileged
# test before the base image exists. Prints the image name, or fails.
make_check_image() {
    local tini=
    if timeout 20 docker image inspect "$CHECK_IMAGE" >/dev/null 2>&1; then echo "$CHECK_IMAGE"; return 0; fi
    for t in "$PREFIX/usr/bin/tini-static" /usr/bin/tini-static; do
        [ -x "$t" ] && { tini=$t; break; }
    done
    [ -n "$tini" ] || return 1
    mkdir -p "$WORK/check"
    cp "$tini" "$WORK/check/tini"
    tar --numeric-owner --owner=0 --group=0 -C "$WORK/check" -c tini \
        | timeout 60 docker import --change 'ENTRYPOINT ["/tini"]' - "$CHECK_IMAGE" >/dev/null 2>&1 || return 1
    echo "$CHECK_IMAGE"
}

# privileged_check: 0 = a --privileged container ran, 1 = it failed, 2 = no image to try
PRIV_OUT=
privileged_check() {
    local img
    if timeout 20 docker image inspect "$BASE_IMAGE" >/dev/null 2>&1; then
        img=$BASE_IMAGE
        PRIV_OUT=$(timeout 120 docker run --rm --privileged "$img" true 2>&1) && { PRIV_IMAGE=$img; return 0; }
        return 1
    fi
    img=$(make_check_image) || return 2
    PRIV_OUT=$(timeout 120 docker run --rm --privileged "$img" --version 2>&1) && { PRIV_IMAGE=$img; return 0; }
    return 1
}
PRIV_IMAGE=

tidy_check_image() { # the one-file check image is only needed until the base image exists
    if [ "$PRIV_IMAGE" = "$BASE_IMAGE" ] && timeout 20 docker image inspect "$CHECK_IMAGE" >/dev/null 2>&1; then
        timeout 60 docker rmi "$CHECK_IMAGE" >/dev/null 2>&1 || true
    fi
}

versions() {
    local server compose
    server=$(timeout 20 docker version --format '{{.Server.Version}} (API {{.Server.APIVersion}})' 2>/dev/null || echo '?')
    compose=$(timeout 20 docker compose version --short 2>/dev/null || echo '?')
    echo "engine $server, compose $compose"
}

# ------------------------------------------------------ 1. a working engine ---

if engine_answers; then
    if ! compose_works && [ -x "$PREFIX/usr/libexec/docker/cli-plugins/docker-compose" ] && [ ! -e "$PLUGIN_DIR/docker-compose" ]; then
        mkdir -p "$PLUGIN_DIR"
        ln -sfn "$PREFIX/usr/libexec/docker/cli-plugins/docker-compose" "$PLUGIN_DIR/docker-compose"
    fi
    rc=0; privileged_check || rc=$?
    if [ "$rc" -ne 1 ] && compose_works; then
        if [ "$rc" -eq 0 ]; then
            tidy_check_image
            log "a Docker engine answers, runs --privileged containers ($PRIV_IMAGE) and has compose: $(versions)"
        else
            log "a Docker engine answers and has compose: $(versions) (--privileged not tested: no image yet; run scripts/base-image.sh)"
        fi
        log "nothing to do"
        exit 0
    fi
    if ! our_dockerd_pid >/dev/null; then
        [ "$rc" -eq 1 ] && printf '%s\n' "$PRIV_OUT" | tail -n 3 | sed 's/^/[install-docker]   | /' >&2
        die "a Docker engine that this script did not start answers on $SOCKET, but $( [ "$rc" -eq 1 ] \
                && echo "cannot run --privileged containers" || echo "'docker compose' does not work")" \
            "stop that engine (e.g. 'systemctl stop docker docker.socket') and re-run $0 to get a Docker 26 engine" \
            "or install a Docker engine >= 23 and compose v2 yourself (Debian 12's docker.io 20.10 fails --privileged on this VM)"
    fi
    log "the dockerd started by this script answers but does not pass the checks: repairing the install"
fi

# -------------------------------------------- 2a. bookworm packages (apt-get) ---

APT_UPDATED=0
# apt_install_safe PKG...: apt-get install from the system's own sources, refusing
# anything that would install or upgrade libc6.
apt_install_safe() {
    local sim
    export DEBIAN_FRONTEND=noninteractive
    if [ "$APT_UPDATED" = 0 ]; then
        local p cand need=0
        for p in "$@"; do
            cand=$(apt-cache policy "$p" 2>/dev/null | sed -n 's/^ *Candidate: *//p')
            { [ -z "$cand" ] || [ "$cand" = "(none)" ]; } && need=1
        done
        if [ "$need" = 1 ]; then
            log "apt-get update (system sources) ..."
            apt-get update -qq >"$WORK/apt-update.log" 2>&1 || { tail -n 5 "$WORK/apt-update.log" >&2; warn "apt-get update failed"; }
            APT_UPDATED=1
        fi
    fi
    sim=$(apt-get -s install --no-install-recommends "$@" 2>&1) || {
        printf '%s\n' "$sim" | tail -n 5 | sed 's/^/[install-docker]   | /' >&2
        die "apt-get cannot install: $*" "run 'apt-get update && apt-get install $*' to see why"
    }
    if printf '%s\n' "$sim" | grep -qE '^Inst (libc6|libc-bin)[ :]'; then
        printf '%s\n' "$sim" | grep -E '^Inst (libc6|libc-bin)' | sed 's/^/[install-docker]   | /' >&2
        die "installing '$*' would change the system's libc (are newer suites in the system's apt sources?)" \
            "remove any non-bookworm suite from /etc/apt/sources.list* and run 'apt-get update', then re-run $0"
    fi
    log "apt-get install --no-install-recommends $* ..."
    apt-get install -y -qq --no-install-recommends "$@" 9>&- >"$WORK/apt-install.log" 2>&1 || {
        tail -n 5 "$WORK/apt-install.log" | sed 's/^/[install-docker]   | /' >&2
        die "apt-get install $* failed" "run 'apt-get install $*' to see why"
    }
}

missing=()
for c in "${!BOOKWORM_CMDS[@]}"; do
    command -v "$c" >/dev/null 2>&1 || [ -x "/usr/sbin/$c" ] || missing+=("${BOOKWORM_CMDS[$c]}")
done
for l in "${BOOKWORM_LIBS[@]}"; do
    dpkg-query -W -f '${db:Status-Abbrev}' "$l" 2>/dev/null | grep -q '^ii' || missing+=("$l")
done
if [ "${#missing[@]}" -gt 0 ]; then
    apt_install_safe "${missing[@]}"
fi
RUNC=$(command -v runc || echo /usr/sbin/runc)
"$RUNC" --version >/dev/null 2>&1 || die "runc ($RUNC) does not run" "apt-get install --reinstall runc"

# ------------------------------------ 2b. trixie engine into a private prefix ---

# shellcheck source=lib/debian-mirror.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib/debian-mirror.sh"

# lib_problems DIR: ldd every engine binary; prints the unresolved lines
lib_problems() {
    local b
    for b in "${ENGINE_BINS[@]}"; do
        LC_ALL=C ldd "$1/$b" 2>&1 | grep -E 'not found|version .* not found' | sed "s|^|$b: |" || true
    done
}

prefix_complete() {
    local b
    [ -f "$PREFIX/.rfork-docker-packages" ] || return 1
    for b in "${ENGINE_BINS[@]}" usr/bin/tini-static; do [ -x "$PREFIX/$b" ] || return 1; done
    [ -z "$(lib_problems "$PREFIX")" ]
}

if [ "${RFORK_DOCKER_FORCE:-0}" != 1 ] && prefix_complete; then
    log "engine already unpacked in $PREFIX ($(awk '$1 == "docker.io" || $1 == "containerd" {printf "%s %s ", $1, $2}' "$PREFIX/.rfork-docker-packages"))"
else
    if pid=$(our_dockerd_pid); then
        die "dockerd (pid $pid) from $PREFIX is running while the prefix is to be replaced" "run: bash $0 --stop; then re-run $0"
    fi
    use_debian_mirror

    log "getting ${TRIXIE_PKGS[*]} from Debian '$SUITE' into $PREFIX (mirror from the system's apt sources: $MIRROR)"
    private_apt "$WORK/apt" "$SUITE" RFORK_DOCKER_SUITE install-docker
    for p in "${TRIXIE_PKGS[@]}"; do
        cand=$(apt-cache "${APT_OPTS[@]}" policy "$p" 2>/dev/null | sed -n 's/^ *Candidate: *//p')
        { [ -n "$cand" ] && [ "$cand" != "(none)" ]; } || die "Debian '$SUITE' has no package '$p'" \
            "set RFORK_DOCKER_SUITE to a suite with docker.io >= 26, containerd, tini, docker-compose, docker-cli"
        [ "$p" != docker.io ] || dpkg --compare-versions "$cand" ge 23 || die "Debian '$SUITE' offers docker.io $cand, need >= 23" \
            "set RFORK_DOCKER_SUITE to a newer suite (trixie has 26.1)"
    done
    log "downloading ${TRIXIE_PKGS[*]} (no dependencies: those come from bookworm) ..."
    if ! (cd "$APTDIR/debs" && apt-get "${APT_OPTS[@]}" download "${TRIXIE_PKGS[@]}" >"$APTDIR/download.log" 2>&1); then
        tail -n 5 "$APTDIR/download.log" | sed 's/^/[install-docker]   | /' >&2
        die "apt-get download failed" "check that $MIRROR is reachable; re-run $0"
    fi
    STAGE="$PREFIX.new.$$"
    rm -rf "$STAGE"
    mkdir -p "$STAGE"
    log "unpacking into $STAGE ..."
    for deb in "$APTDIR"/debs/*.deb; do
        dpkg-deb -x "$deb" "$STAGE"
        # shellcheck disable=SC2016 # ${Package} is dpkg's syntax, not the shell's
        dpkg-deb -W --showformat '${Package} ${Version}\n' "$deb" >>"$STAGE/.rfork-docker-packages"
    done
    # docker.io ships docker-init as a relative link to tini-static (static binary)
    [ -e "$STAGE/usr/bin/docker-init" ] || ln -s tini-static "$STAGE/usr/bin/docker-init"
    # a config file of our own, so that a foreign /etc/docker/daemon.json is not read
    mkdir -p "$STAGE/etc/rfork"
    echo '{}' >"$STAGE/etc/rfork/daemon.json"
    probs=$(lib_problems "$STAGE")
    if [ -n "$probs" ]; then
        printf '%s\n' "$probs" | sed 's/^/[install-docker]   | /' >&2
        rm -rf "$STAGE"
        die "the '$SUITE' engine binaries need libraries this system lacks (see above)" \
            "if a library is missing: apt-get install the bookworm package that has it, then re-run $0" \
            "if GLIBC_x.y is not found: the suite is too new for this libc; try RFORK_DOCKER_SUITE=trixie"
    fi
    rm -rf "$PREFIX.old"
    [ ! -e "$PREFIX" ] || mv "$PREFIX" "$PREFIX.old"
    mkdir -p "$(dirname "$PREFIX")"
    mv "$STAGE" "$PREFIX"
    rm -rf "$PREFIX.old"
    log "installed: $(awk '{printf "%s %s; ", $1, $2}' "$PREFIX/.rfork-docker-packages")"
fi

# ------------------------------------------------------------- 2c. the CLI ---

if ! command -v docker >/dev/null 2>&1; then
    log "no docker CLI on PATH: linking /usr/local/bin/docker -> $PREFIX/usr/bin/docker"
    mkdir -p /usr/local/bin
    ln -sfn "$PREFIX/usr/bin/docker" /usr/local/bin/docker
    hash -r
fi
if [ "$(readlink "$PLUGIN_DIR/docker-compose" 2>/dev/null)" != "$PREFIX/usr/libexec/docker/cli-plugins/docker-compose" ]; then
    if [ -e "$PLUGIN_DIR/docker-compose" ] && timeout 20 "$PLUGIN_DIR/docker-compose" version >/dev/null 2>&1; then
        log "keeping the existing compose plugin $PLUGIN_DIR/docker-compose"
    else
        [ ! -e "$PLUGIN_DIR/docker-compose" ] || mv -f "$PLUGIN_DIR/docker-compose" "$PLUGIN_DIR/docker-compose.rfork-bak"
        mkdir -p "$PLUGIN_DIR"
        ln -sfn "$PREFIX/usr/libexec/docker/cli-plugins/docker-compose" "$PLUGIN_DIR/docker-compose"
        log "compose plugin: $PLUGIN_DIR/docker-compose -> $PREFIX/usr/libexec/docker/cli-plugins/docker-compose"
    fi
fi

# --------------------------------------------------------- 3. start dockerd ---

if pid=$(our_dockerd_pid); then
    log "reusing the running dockerd (pid $pid, pidfile $PIDFILE)"
else
    if timeout 5 docker -H "unix://$SOCKET" version --format '{{.Server.Version}}' >/dev/null 2>&1; then
        die "another Docker engine answers on $SOCKET" "stop it (e.g. 'systemctl stop docker docker.socket'), then re-run $0"
    fi
    if [ -e "$PIDFILE" ]; then
        log "removing stale pidfile $PIDFILE"
        rm -f "$PIDFILE"
    fi
    mkdir -p "$DATA_ROOT" "$EXEC_ROOT" "$(dirname "$DLOG")" "$(dirname "$PIDFILE")"
    # keep the log from growing without bound across many starts
    if [ -f "$DLOG" ] && [ "$(stat -c %s "$DLOG")" -gt $((20 * 1024 * 1024)) ]; then mv -f "$DLOG" "$DLOG.1"; fi
    echo "=== $(date -u '+%F %T') started by $0" >>"$DLOG"
    LOG_OFFSET=$(stat -c %s "$DLOG")
    log "starting dockerd from $PREFIX (data $DATA_ROOT, exec $EXEC_ROOT, log $DLOG) ..."
    # PATH: containerd, containerd-shim-runc-v2, docker-proxy and docker-init from the
    # prefix; runc and iptables from the system.
    (
        cd /
        exec 9>&- </dev/null >>"$DLOG" 2>&1
        PATH="$PREFIX/usr/bin:$PREFIX/usr/sbin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin" \
            exec setsid "$PREFIX/usr/sbin/dockerd" \
            --config-file "$PREFIX/etc/rfork/daemon.json" \
            --data-root "$DATA_ROOT" --exec-root "$EXEC_ROOT" --pidfile "$PIDFILE" \
            -H "unix://$SOCKET"
    ) &
    DPID=$!
    disown "$DPID" 2>/dev/null || true
    ok=0
    for _ in $(seq 1 120); do
        if timeout 5 docker info >/dev/null 2>&1; then ok=1; break; fi
        kill -0 "$DPID" 2>/dev/null || break
        sleep 0.5
    done
    if [ "$ok" != 1 ]; then
        tail -c +"$((LOG_OFFSET + 1))" "$DLOG" | tail -n 15 | sed 's/^/[install-docker]   | /' >&2
        if kill -0 "$DPID" 2>/dev/null; then
            kill -TERM "$DPID" 2>/dev/null || true
            die "dockerd (pid $DPID) did not answer within 60 s (log tail above, full log: $DLOG); it was stopped" \
                "read $DLOG; common causes: missing iptables/nf_tables in the kernel, a stale $EXEC_ROOT, a full disk"
        fi
        die "dockerd exited during start-up (log tail above, full log: $DLOG)" \
            "read $DLOG; common causes: missing iptables/nf_tables in the kernel (try 'iptables -L'), another dockerd/containerd using $DATA_ROOT"
    fi
    log "dockerd is up (pid $(cat "$PIDFILE" 2>/dev/null || echo "$DPID"))"
fi

# ----------------------------------------------------------------- 4. verify ---

engine_answers || die "docker info does not answer" "read $DLOG"
if ! timeout 20 docker version >/dev/null 2>&1; then
    die "the docker CLI ($(command -v docker)) cannot talk to the engine" \
        "use the engine's own CLI: ln -sfn $PREFIX/usr/bin/docker /usr/local/bin/docker"
fi
compose_works || die "'docker compose version' fails" \
    "check $PLUGIN_DIR/docker-compose (should link to $PREFIX/usr/libexec/docker/cli-plugins/docker-compose)"
rc=0; privileged_check || rc=$?
case $rc in
0)
    log "ok: docker run --rm --privileged $PRIV_IMAGE works"
    tidy_check_image
    ;;
2) log "ok: docker info answers (--privileged not tested: no image; run scripts/base-image.sh)" ;;
*)
    printf '%s\n' "$PRIV_OUT" | tail -n 5 | sed 's/^/[install-docker]   | /' >&2
    die "--privileged containers fail (see above)" \
        "'unable to apply caps' means the engine is too old for this VM: RFORK_DOCKER_FORCE=1 bash $0 after '$0 --stop'" \
        "read $DLOG"
    ;;
esac
log "done: $(versions), runc $("$RUNC" --version | awk 'NR==1 {print $3}'), storage $(timeout 20 docker info --format '{{.Driver}}' 2>/dev/null), cgroup v$(timeout 20 docker info --format '{{.CgroupVersion}}' 2>/dev/null)"
log "for Testcontainers: TESTCONTAINERS_RYUK_DISABLED=true TESTCONTAINERS_HOST_OVERRIDE=localhost (socket $SOCKET)"
