#!/usr/bin/env bash
# Make the base image the project's Dockerfiles start FROM (default
# debian:bookworm-slim) without a container registry: if the image is not there,
# build a minimal Debian root file system with debootstrap from the system's own
# Debian mirror and `docker import` it under that name. A Dockerfile with
# `FROM debian:bookworm-slim` then builds the same here and on a machine that pulls.
#
# Needs a running Docker engine (scripts/install-docker.sh).
#
# Environment (all optional):
#   RFORK_BASE_IMAGE     image name:tag to create     (default debian:bookworm-slim)
#   RFORK_BASE_SUITE     Debian suite to bootstrap    (default bookworm)
#   RFORK_DEBIAN_MIRROR  Debian mirror URI (default: from the system's apt sources)
#   RFORK_BASE_FORCE=1   rebuild even if the image exists
set -euo pipefail

IMAGE=${RFORK_BASE_IMAGE:-debian:bookworm-slim}
SUITE=${RFORK_BASE_SUITE:-bookworm}
STATE_DIR=/var/lib/rfork

LOG_TAG=base-image
# shellcheck source=lib/log.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib/log.sh"

[ "$(id -u)" -eq 0 ] || die "must run as root (debootstrap needs it)" "run: sudo bash $0"
command -v docker >/dev/null 2>&1 || die "no docker CLI on PATH" "run scripts/install-docker.sh first"
timeout 20 docker info >/dev/null 2>&1 || die "the Docker engine does not answer (docker info)" \
    "run scripts/install-docker.sh first (it starts dockerd)"

if [ "${RFORK_BASE_FORCE:-0}" != 1 ] && timeout 20 docker image inspect "$IMAGE" >/dev/null 2>&1; then
    log "$IMAGE already exists ($(docker image inspect --format '{{.Id}}' "$IMAGE" | cut -c1-19), $(docker image inspect --format '{{.Size}}' "$IMAGE" | awk '{printf "%d MB", $1/1e6}')): nothing to do"
    exit 0
fi

mkdir -p "$STATE_DIR"
exec 9>"$STATE_DIR/base-image.lock"
flock 9

# shellcheck source=lib/debian-mirror.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib/debian-mirror.sh"

if ! command -v debootstrap >/dev/null 2>&1; then
    export DEBIAN_FRONTEND=noninteractive
    cand=$(apt-cache policy debootstrap 2>/dev/null | sed -n 's/^ *Candidate: *//p')
    if [ -z "$cand" ] || [ "$cand" = "(none)" ]; then
        log "apt-get update (system sources) ..."
        apt-get update -qq || true
    fi
    sim=$(apt-get -s install --no-install-recommends debootstrap 2>&1) \
        || die "apt-get cannot install debootstrap" "run 'apt-get install debootstrap' to see why"
    if printf '%s\n' "$sim" | grep -qE '^Inst (libc6|libc-bin)[ :]'; then
        die "installing debootstrap would change the system's libc" \
            "remove any newer suite from /etc/apt/sources.list*, apt-get update, re-run $0"
    fi
    log "apt-get install --no-install-recommends debootstrap ..."
    apt-get install -y -qq --no-install-recommends debootstrap 9>&- >/dev/null 2>&1 \
        || die "apt-get install debootstrap failed" "run 'apt-get install debootstrap' to see why"
fi

use_debian_mirror

WORK=$(mktemp -d /var/tmp/rfork-base-image.XXXXXX)
cleanup() {
    # debootstrap may leave /proc or /sys mounted in the root after a failure
    local m
    for m in $(awk -v r="$WORK/" 'index($2, r) == 1 {print $2}' /proc/self/mounts | sort -r); do
        umount -l "$m" 2>/dev/null || true
    done
    rm -rf --one-file-system "$WORK"
}
trap cleanup EXIT
ROOTFS="$WORK/rootfs"

log "debootstrap --variant=minbase $SUITE from $MIRROR (mirror from the system's apt sources) ..."
start=$SECONDS
if ! debootstrap --variant=minbase --arch=amd64 --keyring="$KEYRING" "$SUITE" "$ROOTFS" "$MIRROR" \
        9>&- >"$WORK/debootstrap.log" 2>&1; then
    tail -n 15 "$WORK/debootstrap.log" | sed 's/^/[base-image]   | /' >&2
    die "debootstrap failed (log tail above)" \
        "check that $MIRROR is reachable and carries '$SUITE' (or set RFORK_DEBIAN_MIRROR / RFORK_BASE_SUITE)"
fi
log "debootstrap took $((SECONDS - start)) s"

# Trim it like the official slim image: no package caches, no apt lists (a Dockerfile
# runs apt-get update first), no host-specific files (docker provides them).
rm -rf "$ROOTFS"/var/cache/apt/archives/*.deb "$ROOTFS"/var/cache/apt/*.bin \
    "$ROOTFS"/var/lib/apt/lists/* "$ROOTFS"/var/log/*.log "$ROOTFS"/var/log/apt/* \
    "$ROOTFS"/tmp/* "$ROOTFS"/var/tmp/*
mkdir -p "$ROOTFS/var/lib/apt/lists/partial"
: >"$ROOTFS/etc/hostname"
: >"$ROOTFS/etc/resolv.conf"
: >"$ROOTFS/etc/machine-id" 2>/dev/null || true
# apt inside containers: no recommends/suggests by default is the caller's choice;
# keep dpkg from installing docs and man pages (as the official slim image does).
cat >"$ROOTFS/etc/dpkg/dpkg.cfg.d/docker" <<'EOF'
path-exclude /usr/share/doc/*
path-include /usr/share/doc/*/copyright
path-exclude /usr/share/man/*
path-exclude /usr/share/groff/*
path-exclude /usr/share/info/*
path-exclude /usr/share/lintian/*
path-exclude /usr/share/linda/*
EOF
cat >"$ROOTFS/etc/apt/apt.conf.d/docker-clean" <<'EOF'
DPkg::Post-Invoke { "rm -f /var/cache/apt/archives/*.deb /var/cache/apt/archives/partial/*.deb /var/cache/apt/*.bin || true"; };
APT::Update::Post-Invoke { "rm -f /var/cache/apt/archives/*.deb /var/cache/apt/archives/partial/*.deb /var/cache/apt/*.bin || true"; };
Dir::Cache::pkgcache "";
Dir::Cache::srcpkgcache "";
EOF

log "docker import -> $IMAGE ..."
start=$SECONDS
if ! tar --numeric-owner --xattrs -C "$ROOTFS" -c . \
        | docker import \
            --change 'CMD ["bash"]' \
            --change 'LABEL org.rfork.base-image="debootstrap --variant=minbase '"$SUITE"'"' \
            --message "rfork scripts/base-image.sh: debootstrap --variant=minbase $SUITE" \
            - "$IMAGE" >/dev/null; then
    die "docker import failed" "check 'docker info' and the free space under the engine's data root"
fi
log "import took $((SECONDS - start)) s"

ver=$(timeout 60 docker run --rm "$IMAGE" cat /etc/debian_version 2>&1) \
    || die "the new image $IMAGE does not run: $ver" "read the dockerd log (/var/log/rfork-dockerd.log)"
log "done: $IMAGE (Debian $ver, $(docker image inspect --format '{{.Size}}' "$IMAGE" | awk '{printf "%d MB", $1/1e6}'))"
