#!/usr/bin/env bash
# The CLI's wall clock, two builds against each other: `fork --wait` of a fresh 5 MiB process
# (bench/victim.c) through each build's own jar and class archive, runs alternating, medians.
# Needs a running worker (./rfork worker). What docs/benchmarks.md, "The CLI on the worker's
# socket", measured with 62ed20a (the broker) against the local socket.
#
#   bench/cli_wall.sh [--runs N] JAR_A ARCHIVE_A JAR_B ARCHIVE_B
#
# A build's jar and archive are what the launcher keeps in cli/target/launch/ (rfork-<stamp>.jar,
# rfork-<stamp>.fork.jsa or .client.jsa): run './rfork fork ...' once with a build to make them.
# Pass the jar with the same path the archive was made with (class-data sharing checks it).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
RUNS=10
if [[ "${1:-}" == --runs ]]; then RUNS="$2"; shift 2; fi
[[ $# -eq 4 ]] || { sed -n '2,12p' "$0" >&2; exit 2; }
VICTIM="$(mktemp -d)/victim"
gcc -O2 -o "$VICTIM" "$ROOT/bench/victim.c"
WORK="$(mktemp -d)"
trap 'rm -rf "$WORK" "$(dirname "$VICTIM")"' EXIT

one() { # label jar archive
  local ready="$WORK/ready-$RANDOM$RANDOM" pid start end
  setsid "$VICTIM" 5 "$ready" 100 </dev/null >/dev/null 2>&1 &
  until [[ -s "$ready" ]]; do sleep 0.01; done
  pid="$(cat "$ready")"
  start=$(date +%s.%N)
  java -XX:+UseSerialGC -Xms32m -Xmx1g -XX:MaxMetaspaceSize=128m -XX:TieredStopAtLevel=1 \
    -XX:SharedArchiveFile="$3" -Xlog:cds*=off -Xlog:disable \
    -Drfork.broker.config="$ROOT/broker-config/broker.xml" -jar "$2" \
    fork --pid "$pid" --to 127.0.0.1 --wait --json >"$WORK/out.json" 2>"$WORK/err.txt" || cat "$WORK/err.txt" >&2
  end=$(date +%s.%N)
  echo "$1 $(echo "$end - $start" | bc) $(grep -o '"requestToRunningMs":[0-9]*' "$WORK/out.json" | cut -d: -f2)"
  # The original and its copy end here: processes left behind slow the next forks down.
  kill -9 "$pid" "$(grep -o '"childPid":[0-9]*' "$WORK/out.json" | cut -d: -f2)" 2>/dev/null || true
}

for ((i = 0; i < RUNS; i++)); do
  one A "$1" "$2"
  one B "$3" "$4"
done | tee "$WORK/runs.txt"
python3 - "$WORK/runs.txt" <<'PY'
import statistics, sys
runs = {}
for line in open(sys.argv[1]):
    label, wall, *running = line.split()
    runs.setdefault(label, ([], []))[0].append(float(wall))
    if running:
        runs[label][1].append(int(running[0]))
for label, (walls, running) in runs.items():
    print("%s: wall median %.3f s (min %.3f, max %.3f), request to running median %s ms"
          % (label, statistics.median(walls), min(walls), max(walls),
             statistics.median(running) if running else "?"))
PY
