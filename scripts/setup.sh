#!/usr/bin/env bash
# Installs everything rfork needs on a Debian machine, as root. Safe to run again: what is
# already there is kept, and a second run takes seconds.
#   - Java 17 and Maven (build and run the worker and CLI)
#   - python3 (the tests' and benchmark's test processes), util-linux and bsdutils
#     (unshare, setsid, script: restoring copies into their own PID namespace and terminal)
#   - a CRIU that works on this kernel (scripts/install-criu.sh)
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"

LOG_TAG=setup
# shellcheck source=lib/log.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib/log.sh"

[ "$(id -u)" -eq 0 ] || die "must run as root (installs packages and CRIU)" "sudo $0"
command -v apt-get >/dev/null || die "this script needs a Debian-like system (apt-get)" \
    "install Java 17, Maven, python3 and CRIU >= 4.2 by hand, then run scripts/install-criu.sh"

# command -> Debian package providing it
declare -A NEEDED=(
    [java]=openjdk-17-jdk-headless
    [javac]=openjdk-17-jdk-headless
    [mvn]=maven
    [python3]=python3
    [unshare]=util-linux
    [setsid]=util-linux
    [script]=bsdutils
    [flock]=util-linux
    [ps]=procps
)
missing=()
for tool in "${!NEEDED[@]}"; do
    command -v "$tool" >/dev/null 2>&1 || missing+=("${NEEDED[$tool]}")
done
if [ "${#missing[@]}" -gt 0 ]; then
    packages=$(printf '%s\n' "${missing[@]}" | sort -u | tr '\n' ' ')
    log "installing: $packages"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq || die "apt-get update failed" "check the machine's apt sources and network"
    # shellcheck disable=SC2086
    apt-get install -y -qq --no-install-recommends $packages >/dev/null \
        || die "apt-get install failed for: $packages" "run 'apt-get install $packages' to see why"
else
    log "Java, Maven, python3 and util-linux are present"
fi

java_major=$(java -XshowSettings:properties -version 2>&1 | awk -F'= ' '/java.specification.version/ {print $2}')
[ "${java_major:-0}" -ge 17 ] 2>/dev/null || die "java is version ${java_major:-unknown}; rfork needs 17 or newer" \
    "apt-get install -y openjdk-17-jdk-headless && update-alternatives --config java"

log "checking CRIU"
bash "$ROOT/scripts/install-criu.sh"
log "done: run './rfork demo' for a demo, './scripts/test.sh' for the tests"
