#!/usr/bin/env bash
# Build the rfork node image (Dockerfile) as rfork-node:latest, from a fresh machine if need
# be. Safe to run again: each step keeps what is already there and up to date.
#   1. the Docker engine (scripts/install-docker.sh)
#   2. the base image the Dockerfile starts FROM (scripts/base-image.sh: made with debootstrap
#      where no registry can be reached)
#   3. Java 17 and Maven, if missing
#   4. `mvn package` when the jar is missing or older than the sources, and the Artemis
#      distribution unpacked by Maven (worker/target/artemis/apache-artemis-VERSION)
#   5. docker build (host networking, so that apt in the build reaches the Debian mirror
#      the way the host does)
#
# Environment (optional): RFORK_NODE_IMAGE  image name:tag (default rfork-node:latest)
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
IMAGE=${RFORK_NODE_IMAGE:-rfork-node:latest}
JAR="$ROOT/cli/target/rfork.jar"
PLUGIN="$ROOT/broker-plugin/target/rfork-broker-plugin.jar"

LOG_TAG=build-node-image
# shellcheck source=lib/log.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib/log.sh"

[ "$(id -u)" -eq 0 ] || die "must run as root (installs the Docker engine and packages)" "sudo $0"
cd "$ROOT"
total=$SECONDS

log "1/5 Docker engine (scripts/install-docker.sh) ..."
bash "$ROOT/scripts/install-docker.sh"

BASE=$(sed -n 's/^FROM[[:space:]]\{1,\}\([^[:space:]]\{1,\}\).*/\1/p' "$ROOT/Dockerfile" | head -n1)
[ -n "$BASE" ] || die "no FROM line in $ROOT/Dockerfile"
log "2/5 base image $BASE (scripts/base-image.sh) ..."
RFORK_BASE_IMAGE=$BASE bash "$ROOT/scripts/base-image.sh"

log "3/5 Java 17 and Maven ..."
if ! command -v java >/dev/null 2>&1 || ! command -v javac >/dev/null 2>&1 || ! command -v mvn >/dev/null 2>&1; then
    export DEBIAN_FRONTEND=noninteractive
    log "installing openjdk-17-jdk-headless and maven (apt-get) ..."
    apt-get update -qq || die "apt-get update failed" "check the machine's apt sources and network"
    apt-get install -y -qq --no-install-recommends openjdk-17-jdk-headless maven >/dev/null \
        || die "apt-get install openjdk-17-jdk-headless maven failed" "run it by hand to see why"
else
    log "present: $(java -version 2>&1 | head -n1), $(mvn -v 2>/dev/null | head -n1 | sed 's/ (.*//')"
fi

log "4/5 Maven build ..."
stale() {
    [ ! -f "$JAR" ] || [ ! -f "$PLUGIN" ] && return 0
    [ -n "$(find "$ROOT/pom.xml" "$ROOT"/*/pom.xml "$ROOT"/*/src/main "$ROOT/broker-config" \
        -newer "$JAR" -type f -print -quit 2>/dev/null)" ]
}
if stale; then
    start=$SECONDS
    log "mvn -B -q -DskipTests package (the jar is missing or older than the sources) ..."
    mvn -B -q -DskipTests package || die "the Maven build failed" "run 'mvn -B -DskipTests package' in $ROOT to see why"
    log "Maven build took $((SECONDS - start)) s"
else
    log "cli/target/rfork.jar is up to date"
fi
[ -f "$JAR" ] || die "$JAR missing after the build"
[ -f "$PLUGIN" ] || die "$PLUGIN missing after the build"
ARTEMIS_VERSION=$(sed -n 's:.*<artemis.distribution.version>\(.*\)</artemis.distribution.version>.*:\1:p' "$ROOT/pom.xml" | head -n1)
[ -n "$ARTEMIS_VERSION" ] || die "no <artemis.distribution.version> in $ROOT/pom.xml"
ARTEMIS_DIR="$ROOT/worker/target/artemis/apache-artemis-$ARTEMIS_VERSION"
if [ ! -x "$ARTEMIS_DIR/bin/artemis" ]; then
    log "unpacking the Artemis $ARTEMIS_VERSION distribution (mvn -pl worker dependency:unpack@artemis-distribution) ..."
    mvn -B -q -pl worker dependency:unpack@artemis-distribution \
        || die "could not unpack the Artemis distribution" \
            "run 'mvn -B -pl worker dependency:unpack@artemis-distribution' in $ROOT to see why"
    [ -x "$ARTEMIS_DIR/bin/artemis" ] || die "$ARTEMIS_DIR/bin/artemis missing after unpacking"
else
    log "Artemis $ARTEMIS_VERSION distribution present ($ARTEMIS_DIR)"
fi

# apt in the build behaves like the host's: a host that accepts its mirror's expired Release
# files (a snapshot mirror) passes that on (RFORK_APT_CONF overrides, empty = nothing).
APT_CONF=${RFORK_APT_CONF-$(apt-config dump 2>/dev/null | grep -E '^Acquire::Check-(Valid-Until|Date) "false";' || true)}
[ -z "$APT_CONF" ] || log "apt configuration for the build, from the host: $(echo $APT_CONF)"
export RFORK_APT_CONF=$APT_CONF   # compose.yaml's build passes it too

log "5/5 docker build -t $IMAGE (host networking for apt) ..."
start=$SECONDS
docker build --network host --build-arg "ARTEMIS_VERSION=$ARTEMIS_VERSION" --build-arg "APT_CONF=$APT_CONF" \
    -t "$IMAGE" "$ROOT" \
    || die "docker build failed (output above)" \
        "apt errors: is the Debian mirror reachable from this machine? ('apt-get update')" \
        "COPY errors: re-run $0 (it rebuilds the jar and unpacks Artemis)"
log "docker build took $((SECONDS - start)) s"
log "done in $((SECONDS - total)) s: $IMAGE ($(docker image inspect --format '{{.Size}}' "$IMAGE" | awk '{printf "%d MB", $1/1e6}'))"
