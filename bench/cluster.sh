#!/usr/bin/env bash
# rfork benchmark across nodes: 'rfork fork' node1 -> node2 in the three-node compose cluster
# (compose.yaml) against raw CRIU between the same two containers (dump --leave-running in
# node1, a plain TCP copy of the images node1 -> node2 over the compose network, restore in a
# fresh PID namespace in node2), measured in the same run, interleaved run by run.
# See bench/README.md ("Across nodes").
set -euo pipefail

ROOT="$(cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/.." && pwd)"
BENCH="$ROOT/bench"
IMAGE="rfork-node:latest"
SRC=node1                   # the node the test process runs in
DST=node2                   # the node the copy goes to
DST_IP=172.28.0.12          # node2's address on the compose network (compose.yaml)
RAW_PORT=29090              # the raw baseline's TCP receiver in node2 (not a port rfork uses)
NODE_CRIU=/usr/local/sbin/rfork-criu      # CRIU in the node image (Dockerfile), what the worker runs
NODE_DIR=/tmp/rfork-bench                 # helper script in the containers
NODE_SPOOL=/var/lib/rfork/spool/bench-raw # raw images: in the worker's spool filesystem

SIZES="256"
RUNS=5
WARMUP=1
FORK_TIMEOUT=300
RESULTS_DIR="$BENCH/results"
KEEP_CLUSTER=0
SETTLE=20
RATE=""                     # --rate: node1's outgoing link shaped to this (tc tbf), raw and rfork alike
COMPRESS=0                  # --compress: rfork's images travel compressed (the raw copy never is)
SHAPED_DEV=""
RECORD=1

usage() {
  cat <<EOF
Usage: bench/cluster.sh [options]

Measures 'rfork fork --pid P --to $DST_IP --wait' from $SRC to $DST of the compose cluster
(timings.requestToRunningMs) against raw CRIU between the same containers: dump
--leave-running in $SRC, a plain TCP copy of the images $SRC -> $DST over the compose
network (python3 sockets, sendfile), restore in a fresh PID namespace in $DST. Raw and
rfork runs alternate. Uses the running cluster if its three nodes are healthy; otherwise
starts it (scripts/cluster-env.sh, docker compose up -d --wait) and takes it down at the end.

Options:
  --sizes LIST       resident sizes of the test process in MiB, comma-separated (default $SIZES)
  --runs N           runs per size and method; medians are reported (default $RUNS)
  --warmup N         untimed raw + rfork pairs of a 4 MiB process first (default $WARMUP)
  --timeout S        seconds 'rfork fork --wait' may take per run (default $FORK_TIMEOUT)
  --results-dir DIR  where cluster-<timestamp>.md, .tsv and logs go (default bench/results)
  --keep-cluster     do not 'docker compose down' a cluster this script started
  --settle S         after starting the cluster, wait S seconds before measuring: the
                     nodes' JVMs (brokers, workers) keep compiling after they turn healthy
                     (default $SETTLE)
  --rate RATE        shape $SRC's outgoing link to RATE (tc tbf in the privileged
                     container, e.g. 1gbit, 500mbit) for the whole run, raw copy and rfork
                     alike; removed at the end
  --compress         rfork sends the images compressed ('rfork fork --compress'); the raw
                     baseline copies them as they are
  -h, --help         this text

Needs: Docker with compose, the image $IMAGE (scripts/build-node-image.sh), python3.
Prints progress to stderr and the results table (Markdown) to stdout.
EOF
}

LOG_TAG=cluster-bench
LOG_TIME=1
LOG_TO_STDERR=1
# shellcheck source=../scripts/lib/log.sh
. "$(dirname "${BASH_SOURCE[0]}")/../scripts/lib/log.sh"

while [[ $# -gt 0 ]]; do
  case "$1" in
    --sizes) SIZES="${2:?--sizes needs a value}"; shift 2 ;;
    --sizes=*) SIZES="${1#*=}"; shift ;;
    --runs) RUNS="${2:?--runs needs a value}"; shift 2 ;;
    --runs=*) RUNS="${1#*=}"; shift ;;
    --warmup) WARMUP="${2:?--warmup needs a value}"; shift 2 ;;
    --warmup=*) WARMUP="${1#*=}"; shift ;;
    --timeout) FORK_TIMEOUT="${2:?--timeout needs a value}"; shift 2 ;;
    --timeout=*) FORK_TIMEOUT="${1#*=}"; shift ;;
    --results-dir) RESULTS_DIR="${2:?--results-dir needs a value}"; shift 2 ;;
    --results-dir=*) RESULTS_DIR="${1#*=}"; shift ;;
    --keep-cluster) KEEP_CLUSTER=1; shift ;;
    --settle) SETTLE="${2:?--settle needs a value}"; shift 2 ;;
    --settle=*) SETTLE="${1#*=}"; shift ;;
    --rate) RATE="${2:?--rate needs a value}"; shift 2 ;;
    --rate=*) RATE="${1#*=}"; shift ;;
    --compress) COMPRESS=1; shift ;;
    -h|--help) usage; exit 0 ;;
    *) usage >&2; die "unknown option: $1" ;;
  esac
done

[[ "$RUNS" =~ ^[1-9][0-9]*$ ]] || die "--runs must be a positive integer, not '$RUNS'"
[[ "$WARMUP" =~ ^[0-9]+$ ]] || die "--warmup must be a number, not '$WARMUP'"
[[ "$SETTLE" =~ ^[0-9]+$ ]] || die "--settle must be a number, not '$SETTLE'"
[[ "$FORK_TIMEOUT" =~ ^[1-9][0-9]*$ ]] || die "--timeout must be a positive integer, not '$FORK_TIMEOUT'"
[[ -z "$RATE" || "$RATE" =~ ^[1-9][0-9]*(kbit|mbit|gbit)$ ]] || die "--rate takes a tc rate such as 1gbit or 500mbit, not '$RATE'"
IFS=',' read -r -a SIZE_LIST <<<"$SIZES"
[[ ${#SIZE_LIST[@]} -gt 0 ]] || die "--sizes is empty"
for s in "${SIZE_LIST[@]}"; do
  [[ "$s" =~ ^[1-9][0-9]*$ ]] || die "--sizes takes whole MiB numbers, comma-separated, not '$s'"
done

# ---------------------------------------------------------------- preconditions
command -v docker >/dev/null || die "docker is needed (scripts/install-docker.sh)"
docker compose version >/dev/null 2>&1 || die "the docker compose plugin is needed"
command -v python3 >/dev/null || die "python3 is needed (report)"
PYTHON="$(python3 -c 'import sys; print(sys.executable)')"
[[ -f "$ROOT/compose.yaml" ]] || die "$ROOT/compose.yaml not found"
if ! docker image inspect "$IMAGE" >/dev/null 2>&1; then
  echo "cluster-bench: ERROR: the image $IMAGE does not exist; build it first: scripts/build-node-image.sh" >&2
  exit 1
fi
cd "$ROOT"   # docker compose reads compose.yaml and .env from here

STAMP="$(date +%Y%m%d-%H%M%S)"
mkdir -p "$RESULTS_DIR"
RESULTS_DIR="$(cd "$RESULTS_DIR" && pwd)"
LOGS="$RESULTS_DIR/cluster-$STAMP"      # CLI output, helper output, CRIU logs of failed runs
mkdir -p "$LOGS"
TSV="$RESULTS_DIR/cluster-$STAMP.tsv"
REPORT="$RESULTS_DIR/cluster-$STAMP.md"
NODE_IMAGES="$NODE_SPOOL/$STAMP"        # in both containers; removed at the end
printf 'size_mib\trun\tkind\tok\trss_kb\timage_bytes\ttotal_s\tdump_s\tcopy_s\trestore_s\tfrozen_ms\trequest_to_running_ms\taccept_ms\tdump_ms\tship_ms\tverify_ms\trestore_ms\twaited_ms\tnote\n' >"$TSV"

dx() {  # dx NODE COMMAND...: run in a node, no stdin
  local node="$1"; shift
  docker compose exec -T "$node" "$@" </dev/null
}

# The node side, bench/cluster_node.py, is copied into node1 and node2: the test process's
# start, the raw baseline's sender (node1: criu dump, then the images over TCP) and receiver
# (node2: the images from TCP, then criu restore), and checked kills. Every time it reports
# comes from time.time() in the container: all containers share the host's clock.

# Reads one field from the last JSON line of FILE (NA if missing).
jget() {  # jget FILE KEY...
  "$PYTHON" - "$@" <<'PY'
import json, sys
doc = {}
try:
    for line in open(sys.argv[1], errors="replace"):
        line = line.strip()
        if line.startswith("{"):
            try:
                doc = json.loads(line)
            except ValueError:
                pass
except OSError:
    pass
vals = []
for key in sys.argv[2:]:
    v = doc.get(key)
    vals.append("NA" if v is None or v == "" else str(v).replace("\t", " ").replace("\n", " "))
print("\t".join(vals))
PY
}

# ------------------------------------------------------------------- state
CLUSTER_STARTED=0
HOG=""               # test process in node1 (PID in node1)
RECV_JOB=""          # host PID of the background 'docker compose exec' of the receiver
RECV_PID=""          # the receiver's PID in node2
HELPERS_INSTALLED=0

cleanup() {
  local rc=$?
  set +e
  if [[ -n "$HOG" ]]; then dx "$SRC" python3 "$NODE_DIR/cb.py" kill-hog "$HOG" >/dev/null 2>&1; fi
  if [[ -n "$RECV_PID" ]]; then dx "$DST" kill -KILL "$RECV_PID" >/dev/null 2>&1; fi
  if [[ -n "$RECV_JOB" ]]; then kill "$RECV_JOB" 2>/dev/null; wait "$RECV_JOB" 2>/dev/null; fi
  if [[ -n "$SHAPED_DEV" ]]; then dx "$SRC" tc qdisc del dev "$SHAPED_DEV" root >/dev/null 2>&1; fi
  if [[ $HELPERS_INSTALLED -eq 1 ]]; then
    for node in "$SRC" "$DST"; do
      dx "$node" rm -rf "$NODE_IMAGES" "$NODE_DIR" /tmp/memhog.py >/dev/null 2>&1
      dx "$node" rmdir "$NODE_SPOOL" >/dev/null 2>&1
    done
  fi
  if [[ $CLUSTER_STARTED -eq 1 && $KEEP_CLUSTER -eq 0 ]]; then
    log "docker compose down (this script started the cluster)"
    docker compose down >&2 2>&1
  fi
  exit "$rc"
}
trap cleanup EXIT
trap 'log "interrupted"; exit 130' INT TERM

row() {  # row FIELDS...: one TSV line
  local IFS=$'\t' fields=("$@")
  [[ $RECORD -eq 1 ]] || return 0
  fields[-1]="$(printf '%s' "${fields[-1]}" | tr '\t\n' '  ' | cut -c1-300)"
  printf '%s\n' "${fields[*]}" >>"$TSV"
}

# ------------------------------------------------------------------ cluster
# healthy | none | partial, from 'docker compose ps'
cluster_state() {
  docker compose ps --all --format json 2>/dev/null | "$PYTHON" -c '
import json, sys
text = sys.stdin.read().strip()
docs = []
if text.startswith("["):
    docs = json.loads(text)
else:
    docs = [json.loads(l) for l in text.splitlines() if l.strip()]
state = {d.get("Service"): (d.get("State"), d.get("Health")) for d in docs}
nodes = ["node1", "node2", "node3"]
if all(state.get(n) == ("running", "healthy") for n in nodes):
    print("healthy")
elif not any(state.get(n, ("", ""))[0] == "running" for n in nodes):
    print("none")
else:
    print("partial " + ", ".join("%s %s/%s" % (n, *state.get(n, ("absent", "-"))) for n in nodes))
' || echo "none"
}

ensure_cluster() {
  local state
  if [[ ! -f "$ROOT/.env" ]]; then
    # compose.yaml cannot even be read without .env; containers of the project without it
    # were started with secrets we do not know
    if [[ -n "$(docker ps -q --filter label=com.docker.compose.project=rfork)" ]]; then
      die "containers of the compose project 'rfork' run, but $ROOT/.env (their secrets) is missing; stop them or restore .env"
    fi
    state=none
  else
    state="$(cluster_state)"
  fi
  if [[ "$state" == healthy ]]; then
    log "using the running cluster (node1-3 healthy)"
    return
  fi
  [[ "$state" == none ]] && CLUSTER_STARTED=1
  log "cluster state: $state; starting it: scripts/cluster-env.sh, docker compose up -d --wait"
  "$ROOT/scripts/cluster-env.sh" >&2
  local t0=$SECONDS
  docker compose up -d --wait >&2 2>&1 || { docker compose ps >&2; die "docker compose up -d --wait failed"; }
  log "cluster healthy after $((SECONDS - t0)) s$([[ $CLUSTER_STARTED -eq 0 ]] && echo " (it was partly up: it is left running at the end)")"
  state="$(cluster_state)"
  [[ "$state" == healthy ]] || die "the cluster is not healthy after 'up --wait': $state"
  if ((SETTLE > 0)); then
    log "letting the fresh nodes settle for $SETTLE s (load average $(cut -d' ' -f1-3 /proc/loadavg))"
    sleep "$SETTLE"
  fi
}

install_helpers() {
  local node
  for node in "$SRC" "$DST"; do
    dx "$node" mkdir -p "$NODE_DIR" "$NODE_IMAGES"
    HELPERS_INSTALLED=1
    docker compose cp "$ROOT/bench/cluster_node.py" "$node:$NODE_DIR/cb.py" >/dev/null 2>&1 \
      || die "docker compose cp to $node failed"
    # the copy in node2 runs the same interpreter and script path as the original in node1
    docker compose cp "$BENCH/memhog.py" "$node:/tmp/memhog.py" >/dev/null 2>&1 \
      || die "docker compose cp memhog.py to $node failed"
  done
}

# shape_link: node1's interface towards node2 sends at most RATE (token bucket; a burst of
# 1 MB is above what one timer tick lets through at 1 Gbit/s). Raw and rfork cross it alike.
shape_link() {
  [[ -n "$RATE" ]] || return 0
  local dev
  dev="$(dx "$SRC" ip -o route get "$DST_IP" | sed -n 's/.* dev \([^ ]*\).*/\1/p')"
  [[ -n "$dev" ]] || die "cannot find $SRC's interface towards $DST_IP"
  dx "$SRC" tc qdisc replace dev "$dev" root tbf rate "$RATE" burst 1mb latency 50ms \
    || die "tc in $SRC could not shape $dev to $RATE"
  SHAPED_DEV="$dev"
  log "$SRC's $dev shaped to $RATE: $(dx "$SRC" tc qdisc show dev "$dev" | head -n1)"
}

# start_hog SIZE: a fresh test process in node1; sets HOG and HOG_RSS_KB.
start_hog() {
  local size="$1" f="$LOGS/hog.out" ok pid rss note
  HOG=""
  dx "$SRC" python3 "$NODE_DIR/cb.py" hog "$size" "$NODE_DIR/hog.ready" >"$f" 2>&1 || true
  IFS=$'\t' read -r ok pid rss note <<<"$(jget "$f" ok pid rssKb note)"
  [[ "$ok" == True && "$pid" =~ ^[0-9]+$ ]] || { cat "$f" >&2; die "test process in $SRC: $note"; }
  HOG="$pid"; HOG_RSS_KB="$rss"
}

stop_hog() {
  [[ -n "$HOG" ]] || return 0
  dx "$SRC" python3 "$NODE_DIR/cb.py" kill-hog "$HOG" >"$LOGS/kill-hog.out" 2>&1 \
    || log "  could not kill the test process $HOG in $SRC: $(cat "$LOGS/kill-hog.out")"
  HOG=""
}

elapsed() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.3f", b - a }'; }

# ------------------------------------------------------------------ raw baseline
# raw_run SIZE RUN: receiver listening in node2; in node1 criu dump, then the images over
# TCP to node2, which restores them at once. Times from the containers' clocks (the host's).
raw_run() {
  local size="$1" run="$2" tag="raw-$1-$2" d1 d2 send_out recv_out deadline rss fields
  local ok=1 note="" image_bytes=NA frozen=NA dump_s=NA copy_s=NA restore_s=NA total_s=NA
  local s_ok s_t0 s_t1 s_bytes s_frozen s_note r_ok r_t2 r_t3 r_note
  d1="$NODE_IMAGES/$tag.d1"; d2="$NODE_IMAGES/$tag.d2"
  send_out="$LOGS/$tag.send.json"; recv_out="$LOGS/$tag.recv.json"
  start_hog "$size"
  rss="$HOG_RSS_KB"
  log "  raw   #$run: test process PID $HOG in $SRC, VmRSS $((HOG_RSS_KB / 1024)) MiB"

  docker compose exec -T "$DST" python3 "$NODE_DIR/cb.py" recv "$DST_IP" "$RAW_PORT" "$d2" "$HOG" \
    </dev/null >"$recv_out" 2>"$LOGS/$tag.recv.err" &
  RECV_JOB=$!
  deadline=$((SECONDS + 60))
  until grep -q '"listening"' "$recv_out" 2>/dev/null; do
    kill -0 "$RECV_JOB" 2>/dev/null || { cat "$LOGS/$tag.recv.err" >&2; die "the raw receiver in $DST exited"; }
    ((SECONDS < deadline)) || die "the raw receiver in $DST did not listen within 60 s"
    sleep 0.05
  done
  RECV_PID="$(jget "$recv_out" pid)"

  dx "$SRC" python3 "$NODE_DIR/cb.py" send "$HOG" "$d1" "$DST_IP" "$RAW_PORT" >"$send_out" 2>"$LOGS/$tag.send.err" || true
  wait "$RECV_JOB" || true
  RECV_JOB=""; RECV_PID=""
  stop_hog

  IFS=$'\t' read -r s_ok s_t0 s_t1 s_bytes s_frozen s_note <<<"$(jget "$send_out" ok t0 t1 imageBytes frozenUs note)"
  IFS=$'\t' read -r r_ok r_t2 r_t3 r_note <<<"$(jget "$recv_out" ok t2 t3 note)"
  if [[ "$s_ok" != True ]]; then
    ok=0; note="sender: ${s_note/#NA/$(tail -c 300 "$LOGS/$tag.send.err" | tr '\n' ' ')}"
  elif [[ "$r_ok" != True ]]; then
    ok=0; note="receiver: ${r_note/#NA/$(tail -c 300 "$LOGS/$tag.recv.err" | tr '\n' ' ')}"
  else
    dump_s="$(elapsed "$s_t0" "$s_t1")"; copy_s="$(elapsed "$s_t1" "$r_t2")"
    restore_s="$(elapsed "$r_t2" "$r_t3")"; total_s="$(elapsed "$s_t0" "$r_t3")"
    image_bytes="$s_bytes"
    frozen="$(awk -v us="$s_frozen" 'BEGIN { if (us == "NA") print "NA"; else printf "%.1f", us / 1000 }')"
  fi
  if [[ $ok -eq 1 ]]; then
    log "  raw   #$run: total ${total_s}s = dump ${dump_s} + copy ${copy_s} + restore ${restore_s}; image $((image_bytes / 1000000)) MB, frozen ${frozen} ms"
  else
    log "  raw   #$run: FAILED: $note"
  fi
  row "$size" "$run" raw "$ok" "$rss" "$image_bytes" "$total_s" "$dump_s" "$copy_s" "$restore_s" "$frozen" \
      NA NA NA NA NA NA NA "$note"
}

# --------------------------------------------------------------------- rfork
rfork_run() {
  local size="$1" run="$2" json="$LOGS/rfork-$1-$2.json" err="$LOGS/rfork-$1-$2.err" rc=0 fields
  local status child rtr dump ship verify restore frozen shipped waited total accept reason rss kill_out
  local ok=1 note=""
  start_hog "$size"
  rss="$HOG_RSS_KB"
  log "  rfork #$run: test process PID $HOG in $SRC, VmRSS $((HOG_RSS_KB / 1024)) MiB"
  dx "$SRC" rfork fork --pid "$HOG" --to "$DST_IP" --wait --json --timeout "$FORK_TIMEOUT" "${COMPRESS_FLAG[@]}" \
    >"$json" 2>"$err" || rc=$?
  fields="$("$PYTHON" "$BENCH/fork_outcome.py" "$json")"
  IFS=$'\t' read -r status child rtr dump ship verify restore frozen shipped waited total reason <<<"$fields"
  accept=NA
  [[ "$rtr" =~ ^[0-9]+$ && "$total" =~ ^[0-9]+$ ]] && accept=$((rtr - total))
  if [[ "$status" != "restored" || "$rtr" == "NA" ]]; then
    ok=0
    note="status $status (exit $rc): $reason; see $json, $err"
  fi
  if [[ "$child" =~ ^[0-9]+$ ]]; then
    kill_out="$LOGS/kill-copy.out"
    if ! dx "$DST" python3 "$NODE_DIR/cb.py" kill-copy "$child" "$HOG" >"$kill_out" 2>&1; then
      log "  rfork #$run: copy $child in $DST: $(jget "$kill_out" note)"
      [[ $ok -eq 1 ]] && { ok=0; note="copy: $(jget "$kill_out" note)"; }
    fi
  fi
  stop_hog
  if [[ $ok -eq 1 ]]; then
    log "  rfork #$run: requestToRunning $(awk -v v="$rtr" 'BEGIN { printf "%.3f", v / 1000 }')s (send->accepted ${accept} ms, dump ${dump} ms, ship ${ship} ms, verify ${verify} ms, restore ${restore} ms, frozen ${frozen} ms)"
  else
    log "  rfork #$run: FAILED: $note"
  fi
  row "$size" "$run" rfork "$ok" "$rss" "$shipped" NA NA NA NA "$frozen" "$rtr" "$accept" "$dump" "$ship" "$verify" \
      "$restore" "$waited" "$note"
}


# ---------------------------------------------------------------------- main
log "rfork benchmark across nodes ($SRC -> $DST $DST_IP): sizes ${SIZES} MiB, $RUNS run(s) each, raw and rfork interleaved"
ensure_cluster
install_helpers
shape_link
COMPRESS_FLAG=()
[[ $COMPRESS -eq 1 ]] && COMPRESS_FLAG=(--compress)
IMAGE_INFO="$(docker image inspect -f '{{.Id}} created {{.Created}}' "$IMAGE" | cut -c8-19,72-)"
NODE_CRIU_VERSION="$(dx "$SRC" "$NODE_CRIU" --version 2>/dev/null | sed -n 's/^Version: *//p' | head -n1)"
NODE_RFORK_VERSION="$(dx "$SRC" rfork --version 2>/dev/null | tail -n1 || echo unknown)"
NODE_SPOOL_FS="$(dx "$SRC" stat -f -c %T "$NODE_IMAGES" 2>/dev/null || echo unknown)"
LOAD_START="$(cut -d' ' -f1-3 /proc/loadavg)"
START_TIME="$(date -Is)"
log "image $IMAGE_INFO; $NODE_RFORK_VERSION; CRIU $NODE_CRIU_VERSION; raw images under $NODE_IMAGES ($NODE_SPOOL_FS) in $SRC and $DST; logs in $LOGS"

if ((WARMUP > 0)); then
  log "warm-up: $WARMUP untimed raw + rfork pair(s) of a 4 MiB process"
  RECORD=0
  for ((run = 1; run <= WARMUP; run++)); do
    raw_run 4 "w$run"
    rfork_run 4 "w$run"
  done
  RECORD=1
fi

for size in "${SIZE_LIST[@]}"; do
  log "size $size MiB"
  for ((run = 1; run <= RUNS; run++)); do
    raw_run "$size" "$run"
    rfork_run "$size" "$run"
  done
done

LOAD_END="$(cut -d' ' -f1-3 /proc/loadavg)"
TABLE="$("$PYTHON" "$BENCH/report.py" summary "$TSV")"
NOTES="$("$PYTHON" "$BENCH/report.py" notes "$TSV")"
{
  echo "# rfork benchmark across nodes, cluster-$STAMP"
  echo
  echo "- started $START_TIME, host $(hostname), kernel $(uname -r), $(nproc) CPUs, $(docker version -f 'Docker {{.Server.Version}}' 2>/dev/null)"
  echo "- compose cluster ($([[ $CLUSTER_STARTED -eq 1 ]] && echo "started by the script" || echo "already running")), image $IMAGE $IMAGE_INFO, $NODE_RFORK_VERSION, CRIU $NODE_CRIU_VERSION"
  echo "- $SRC -> $DST ($DST_IP); sizes ${SIZES} MiB, $RUNS run(s) each after $WARMUP warm-up pair(s), raw and rfork interleaved, medians of successful runs"
  echo "- raw images in $NODE_IMAGES in both containers ($NODE_SPOOL_FS, the filesystem of the workers' spool)"
  echo "- link $SRC -> $DST: $([[ -n "$RATE" ]] && echo "shaped to $RATE (tc tbf on $SRC's $SHAPED_DEV)" || echo "the compose bridge, unshaped"); rfork images $([[ $COMPRESS -eq 1 ]] && echo "compressed (zstd)" || echo "uncompressed"), raw copy uncompressed"
  echo "- load average at start $LOAD_START, at end $LOAD_END"
  echo
  echo "$TABLE"
  echo
  echo "$NOTES"
  echo
  echo "rfork = timings.requestToRunningMs of 'docker compose exec -T $SRC rfork fork --pid P --to $DST_IP --wait --json'"
  echo "(client send in $SRC -> restored event back in $SRC). raw = criu dump --leave-running in $SRC + a plain TCP"
  echo "copy of the image files $SRC -> $DST (python3 sockets, sendfile; connection opened before the dump) + criu"
  echo "restore in a fresh PID namespace in $DST until its pidfile appears; timed with time.time() in the containers."
  echo "Frozen = how long the original was stopped during the dump."
  echo
  echo "## Every run"
  echo
  "$PYTHON" "$BENCH/report.py" runs "$TSV"
} >"$REPORT"
log "results: $REPORT (per-run TSV: $TSV)"
echo "$TABLE"
