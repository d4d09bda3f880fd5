#!/usr/bin/env bash
# Time against size, raw CRIU and rfork, from the per-run TSV of bench/run.sh or bench/cluster.sh:
# the median of the successful runs of each size, on log-log axes, as a PNG (gnuplot).
#
# Usage: bench/plot.sh RESULTS.tsv OUT.png [TITLE]
set -euo pipefail

LOG_TAG=plot
LOG_TO_STDERR=1
# shellcheck source=../scripts/lib/log.sh
. "$(dirname "${BASH_SOURCE[0]}")/../scripts/lib/log.sh"

[[ $# -ge 2 && -f "$1" ]] || die "usage: bench/plot.sh RESULTS.tsv OUT.png [TITLE] (the .tsv of bench/run.sh or bench/cluster.sh)"
TSV="$1"
OUT="$2"
TITLE="${3:-rfork against raw CRIU: request to running copy}"

if ! command -v gnuplot >/dev/null; then
  [[ "$(id -u)" -eq 0 ]] || die "gnuplot is needed: apt-get install gnuplot-nox"
  log "installing gnuplot-nox (Debian's package)"
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q gnuplot-nox >&2 || die "apt-get install gnuplot-nox failed"
fi

DATA="$(mktemp)"
trap 'rm -f "$DATA"' EXIT
# size_mib  image_MB  raw_median_s  rfork_median_s
python3 - "$TSV" >"$DATA" <<'PY'
import csv, statistics, sys
runs = {}
with open(sys.argv[1]) as f:
    for row in csv.DictReader(f, delimiter="\t"):
        if row["ok"] != "1":
            continue
        size = int(row["size_mib"])
        entry = runs.setdefault(size, {"raw": [], "rfork": [], "bytes": []})
        if row["kind"] == "raw" and row["total_s"] != "NA":
            entry["raw"].append(float(row["total_s"]))
        elif row["kind"] == "rfork" and row["request_to_running_ms"] != "NA":
            entry["rfork"].append(float(row["request_to_running_ms"]) / 1000)
        if row["image_bytes"] not in ("NA", ""):
            entry["bytes"].append(float(row["image_bytes"]))
for size in sorted(runs):
    e = runs[size]
    if e["raw"] and e["rfork"]:
        print(size, statistics.median(e["bytes"]) / 1e6 if e["bytes"] else "NaN",
              statistics.median(e["raw"]), statistics.median(e["rfork"]))
PY
[[ -s "$DATA" ]] || die "no size in $TSV has both raw and rfork runs that succeeded"

gnuplot <<GP
set terminal pngcairo size 900,560 font "sans,11"
set output "$OUT"
set title "$TITLE"
set xlabel "image size (MB, log scale)"
set ylabel "seconds, median (log scale)"
set logscale xy
set grid
set key top left
plot "$DATA" using 2:3 with linespoints lw 2 pt 7 title "raw: criu dump + copy + criu restore", \
     "$DATA" using 2:4 with linespoints lw 2 pt 5 title "rfork: request to running copy", \
     "$DATA" using 2:4:(sprintf("%.2fx", \$4/\$3)) with labels offset 0,1.2 notitle
GP
log "wrote $OUT from $(wc -l <"$DATA") size(s) of $TSV"
