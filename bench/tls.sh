#!/usr/bin/env bash
# What TLS costs, measured in one run: TLS on (the default) against RFORK_TLS=off for
#   - the FTP path on this node: bench/run.sh with RFORK_SHIP_LOCAL=ftp, a worker started per
#     mode in a fresh home (so each mode makes its own secrets and certificates);
#   - node1 -> node2 of the compose cluster: bench/cluster.sh, the cluster started per mode.
# Each part measures its own raw baseline (plain CRIU, cp / a plain TCP copy) in the same
# invocation, interleaved run by run; the modes alternate (on, off, on, off ...) so load from
# other work hits both alike. Prints a Markdown summary (medians, ratios to raw) to stdout.
set -euo pipefail

ROOT="$(cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/.." && pwd)"
BENCH="$ROOT/bench"
SIZE=256
ROUNDS=2
RUNS=3
CLUSTER_RUNS=5
RESULTS_DIR="$BENCH/results"
PARTS="ftp,cluster"

usage() {
  cat <<EOF
Usage: bench/tls.sh [options]

TLS on against off, alternating, each part with its raw baseline in the same invocation.

Options:
  --size MIB         resident size of the test process (default $SIZE)
  --rounds N         on/off alternations of the FTP path (default $ROUNDS)
  --runs N           runs per round of the FTP path, per method (default $RUNS)
  --cluster-runs N   runs per mode across nodes, per method (default $CLUSTER_RUNS)
  --parts LIST       ftp, cluster or both (default $PARTS)
  --results-dir DIR  where tls-<timestamp>/ goes (default bench/results)
  -h, --help         this text

The cluster part needs no cluster running (it starts one per mode and takes it down).
EOF
}

LOG_TAG=tls-bench
LOG_TIME=1
LOG_TO_STDERR=1
# shellcheck source=../scripts/lib/log.sh
. "$ROOT/scripts/lib/log.sh"

while [[ $# -gt 0 ]]; do
  case "$1" in
    --size) SIZE="${2:?--size needs a value}"; shift 2 ;;
    --rounds) ROUNDS="${2:?--rounds needs a value}"; shift 2 ;;
    --runs) RUNS="${2:?--runs needs a value}"; shift 2 ;;
    --cluster-runs) CLUSTER_RUNS="${2:?--cluster-runs needs a value}"; shift 2 ;;
    --parts) PARTS="${2:?--parts needs a value}"; shift 2 ;;
    --results-dir) RESULTS_DIR="${2:?--results-dir needs a value}"; shift 2 ;;
    -h|--help) usage; exit 0 ;;
    *) usage >&2; die "unknown option: $1" ;;
  esac
done
for n in "$SIZE" "$ROUNDS" "$RUNS" "$CLUSTER_RUNS"; do
  [[ "$n" =~ ^[1-9][0-9]*$ ]] || die "sizes, rounds and runs are positive integers, not '$n'"
done

OUT="$RESULTS_DIR/tls-$(date -u +%Y%m%dT%H%M%SZ)"
mkdir -p "$OUT"
log "results in $OUT"

if [[ ",$PARTS," == *,ftp,* ]]; then
  for round in $(seq "$ROUNDS"); do
    for mode in on off; do
      home="$(mktemp -d /var/tmp/rfork-bench-tls-XXXXXX)"
      log "FTP path, round $round, TLS $mode (fresh home $home) ..."
      mkdir -p "$OUT/ftp-$mode"
      RFORK_TLS=$mode RFORK_SHIP_LOCAL=ftp RFORK_HOME="$home" \
        "$BENCH/run.sh" --start-worker --sizes "$SIZE" --runs "$RUNS" --results-dir "$OUT/ftp-$mode" \
        >"$OUT/ftp-$mode/round-$round.md" || die "bench/run.sh failed (TLS $mode); see $OUT/ftp-$mode"
      rm -rf "$home"
    done
  done
fi

if [[ ",$PARTS," == *,cluster,* ]]; then
  if [[ -n "$(docker ps -q --filter label=com.docker.compose.project=rfork)" ]]; then
    die "the compose cluster 'rfork' runs: this part starts its own per mode" "docker compose down, then run this again"
  fi
  for mode in on off; do
    log "node1 -> node2, TLS $mode (a cluster of its own) ..."
    mkdir -p "$OUT/cluster-$mode"
    RFORK_TLS=$mode "$BENCH/cluster.sh" --sizes "$SIZE" --runs "$CLUSTER_RUNS" --results-dir "$OUT/cluster-$mode" \
      >"$OUT/cluster-$mode/report.md" || die "bench/cluster.sh failed (TLS $mode); see $OUT/cluster-$mode"
  done
fi

python3 - "$OUT" "$(git -C "$ROOT" describe --always --dirty 2>/dev/null || echo unknown)" <<'EOF'
import csv, glob, os, statistics, sys

out, commit = sys.argv[1], sys.argv[2]

def rows(part, mode):
    found = []
    for path in sorted(glob.glob(os.path.join(out, "%s-%s" % (part, mode), "*.tsv"))):
        with open(path) as f:
            found += [r for r in csv.DictReader(f, delimiter="\t") if r["ok"] == "1"]
    return found

def median(values):
    values = [float(v) for v in values if v not in ("", "NA")]
    return statistics.median(values) if values else float("nan")

print("| part | TLS | raw s (n) | rfork s (n) | ratio | ship ms | verify ms |")
print("|---|---|---|---|---|---|---|")
for part, title in (("ftp", "FTP path, one node"), ("cluster", "node1 -> node2")):
    for mode in ("on", "off"):
        found = rows(part, mode)
        if not found:
            continue
        raw = [r["total_s"] for r in found if r["kind"] == "raw"]
        rfork = [float(r["request_to_running_ms"]) / 1000 for r in found if r["kind"] == "rfork"]
        ship = [r["ship_ms"] for r in found if r["kind"] == "rfork"]
        verify = [r["verify_ms"] for r in found if r["kind"] == "rfork"]
        r, f = median(raw), median(rfork)
        print("| %s | %s | %.3f (%d) | %.3f (%d) | %.2f | %.0f | %.0f |"
              % (title, mode, r, len(raw), f, len(rfork), f / r, median(ship), median(verify)))
print()
print("rfork %s; medians of the runs that succeeded; raw and rfork of one part measured in the same"
      " invocation (bench/run.sh, bench/cluster.sh); files in %s" % (commit, out))
EOF
