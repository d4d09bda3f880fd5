#!/usr/bin/env bash
# One dump for two copies against two requests, on the compose cluster: a test process in node1
# (bench/memhog.py) is forked to node2 and node3 either by one request naming both
# ('rfork fork --to N2,N3') or by two requests sent at the same moment ('--to N2' and '--to N3').
# Measured: wall time until both copies run, and how long the original was frozen in all (the
# sum of the dumps' frozen times). Runs alternate; medians. Needs the cluster up (scripts/cluster-
# setup.sh, docker compose up -d --wait). Prints a Markdown table to stdout.
set -euo pipefail

ROOT="$(cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/.." && pwd)"
SIZE=64
RUNS=5
NET=${RFORK_CLUSTER_NET:-172.28.0}
N2="$NET.12"
N3="$NET.13"

usage() {
  cat <<EOF
Usage: bench/multi.sh [--size MIB] [--runs N]

One request to two targets against two requests, node1 -> node2 and node3 of the running
compose cluster (default $SIZE MiB, $RUNS runs of each, alternating).
EOF
}

LOG_TAG=multi-bench
LOG_TIME=1
LOG_TO_STDERR=1
# shellcheck source=../scripts/lib/log.sh
. "$ROOT/scripts/lib/log.sh"

while [[ $# -gt 0 ]]; do
  case "$1" in
    --size) SIZE="${2:?--size needs a value}"; shift 2 ;;
    --runs) RUNS="${2:?--runs needs a value}"; shift 2 ;;
    -h|--help) usage; exit 0 ;;
    *) usage >&2; die "unknown option: $1" ;;
  esac
done
[[ "$SIZE" =~ ^[1-9][0-9]*$ && "$RUNS" =~ ^[1-9][0-9]*$ ]] || die "--size and --runs take positive integers"

cd "$ROOT"
for node in node1 node2 node3; do
  [[ "$(docker compose ps --format '{{.Health}}' "$node" 2>/dev/null)" == healthy ]] \
    || die "$node of the compose cluster is not healthy" "scripts/cluster-setup.sh; docker compose up -d --wait"
done
docker compose cp "$ROOT/bench/memhog.py" node1:/tmp/memhog.py >/dev/null

dx() { docker compose exec -T "$@" </dev/null; }

start_hog() {
  dx node1 bash -c "rm -f /tmp/hog.ready; setsid python3 /tmp/memhog.py $SIZE /tmp/hog.ready </dev/null >/dev/null 2>&1 & echo \$!"
}

await_hog() {
  dx node1 bash -c "for i in \$(seq 600); do [ -e /tmp/hog.ready ] && exit 0; sleep 0.1; done; exit 1" \
    || die "the test process did not get ready"
}

# The copies are ended by their host PIDs, in the nodes that run them.
end_copies() { # end_copies JSON...
  local address pid service
  python3 - "$@" <<'EOF' | while read -r address pid; do
import json, sys
for text in sys.argv[1:]:
    data = json.loads(text)
    for outcome in data if isinstance(data, list) else [data]:
        if outcome.get("childPid"):
            print(outcome["node"], outcome["childPid"])
EOF
    case $address in "$N2") service=node2 ;; "$N3") service=node3 ;; *) continue ;; esac
    dx "$service" kill -9 "$pid" 2>/dev/null || true
  done
}

TSV="$(mktemp)"
for run in $(seq "$RUNS"); do
  for way in one-request two-requests; do
    pid="$(start_hog)"
    await_hog
    start=$EPOCHREALTIME
    if [[ $way == one-request ]]; then
      out="$(dx node1 rfork fork --pid "$pid" --to "$N2,$N3" --wait --json --timeout 300 2>/dev/null | tail -n1)"
      outs=("$out")
    else
      dx node1 rfork fork --pid "$pid" --to "$N2" --wait --json --timeout 300 >/tmp/multi-a.json 2>/dev/null &
      a=$!
      dx node1 rfork fork --pid "$pid" --to "$N3" --wait --json --timeout 300 >/tmp/multi-b.json 2>/dev/null &
      b=$!
      wait "$a" "$b" || true
      outs=("$(tail -n1 /tmp/multi-a.json)" "$(tail -n1 /tmp/multi-b.json)")
    fi
    wall="$(awk -v a="$start" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.3f", b - a }')"
    read -r ok frozen < <(python3 - "${outs[@]}" <<'EOF'
import json, sys
outcomes, frozen = [], {}
for text in sys.argv[1:]:
    data = json.loads(text)
    outcomes += data if isinstance(data, list) else [data]
for outcome in outcomes:
    # one dump per request: its frozen time once, whatever the number of targets
    frozen[outcome["requestId"]] = outcome.get("timings", {}).get("frozenMs", 0)
ok = len(outcomes) == 2 and all(o.get("status") == "restored" for o in outcomes)
print(1 if ok else 0, sum(frozen.values()))
EOF
)
    log "run $run, $way: both running after $wall s, frozen $frozen ms in all$([[ $ok == 1 ]] || echo ' (NOT both restored)')"
    printf '%s\t%s\t%s\t%s\n' "$way" "$ok" "$wall" "$frozen" >>"$TSV"
    end_copies "${outs[@]}"
    dx node1 kill -9 "$pid" 2>/dev/null || true
  done
done

python3 - "$TSV" "$SIZE" "$(git -C "$ROOT" describe --always --dirty 2>/dev/null || echo unknown)" <<'EOF'
import statistics, sys
rows = [line.split("\t") for line in open(sys.argv[1]).read().splitlines()]
print("| %s MiB, node1 -> node2 and node3 | runs ok | both running, median s | frozen in all, median ms |" % sys.argv[2])
print("|---|---|---|---|")
for way in ("one-request", "two-requests"):
    mine = [r for r in rows if r[0] == way and r[1] == "1"]
    if mine:
        print("| %s | %d | %.3f | %.0f |" % (way, len(mine), statistics.median(float(r[2]) for r in mine),
                                          statistics.median(float(r[3]) for r in mine)))
print()
print("rfork %s; bench/multi.sh; the two requests are sent at the same moment" % sys.argv[3])
EOF
rm -f "$TSV"
