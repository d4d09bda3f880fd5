#!/usr/bin/env bash
# The FTP upload alone (bench/UploadBench.java): the worker's FTP client ships one CRIU-like
# image into the worker's embedded FTP server over loopback, both hashing as a fork does,
# against a plain TCP copy of the same files in the same run (runs alternate). TLS off and
# on, one after the other. Prints each run and one RESULT line per mode; with --out FILE the
# output is kept there too.
set -euo pipefail

ROOT="$(cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/.." && pwd)"
SIZE=256
RUNS=7
MODES="plain tls"
OUT=""
WORK="${RFORK_HOME:-/var/lib/rfork}/spool/bench-upload"

usage() {
  cat <<USAGE
Usage: bench/upload.sh [--size MIB] [--runs N] [--modes "plain tls"] [--work DIR] [--out FILE]

  --size MIB   the pages file's size (default $SIZE; a dozen small files come with it)
  --runs N     timed runs per method and mode, after two untimed ones (default $RUNS)
  --modes M    plain (TLS off), tls, or both (default "$MODES")
  --work DIR   where the image and the received copies go (default $WORK: the spool's
               filesystem, as in a fork)
  --out FILE   also write the output to FILE
USAGE
}

LOG_TAG=upload-bench
LOG_TO_STDERR=1
# shellcheck source=../scripts/lib/log.sh
. "$ROOT/scripts/lib/log.sh"

while [[ $# -gt 0 ]]; do
  case "$1" in
    --size) SIZE="${2:?--size needs a value}"; shift 2 ;;
    --runs) RUNS="${2:?--runs needs a value}"; shift 2 ;;
    --modes) MODES="${2:?--modes needs a value}"; shift 2 ;;
    --work) WORK="${2:?--work needs a value}"; shift 2 ;;
    --out) OUT="${2:?--out needs a value}"; shift 2 ;;
    -h|--help) usage; exit 0 ;;
    *) usage >&2; die "unknown option: $1" ;;
  esac
done
for n in "$SIZE" "$RUNS"; do
  [[ "$n" =~ ^[1-9][0-9]*$ ]] || die "size and runs are positive integers, not '$n'"
done

JAR="$ROOT/cli/target/rfork.jar"
if [[ ! -f "$JAR" ]] || [[ -n "$(find "$ROOT" -path '*/src/main/*' -newer "$JAR" -print -quit)" ]]; then
  log "building $JAR (missing or older than the sources) ..."
  (cd "$ROOT" && mvn -B -q -DskipTests -Dcheckstyle.skip -Dspotless.check.skip package)
fi
mkdir -p "$WORK"
log "rfork $(git -C "$ROOT" describe --always --dirty 2>/dev/null || echo unknown), ${SIZE} MiB, $RUNS runs, work dir $WORK, load $(cut -d' ' -f1-3 /proc/loadavg)"
run() {
  for mode in $MODES; do
    java -cp "$JAR" "$ROOT/bench/UploadBench.java" "$WORK" "$SIZE" "$RUNS" "$mode" 2>/dev/null \
      | grep -E '^(run|RESULT)' | sed "s/^run/$mode run/"
  done
}
if [[ -n "$OUT" ]]; then
  run | tee "$OUT"
else
  run
fi
rm -rf "$WORK"
