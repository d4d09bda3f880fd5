#!/usr/bin/env bash
# rfork benchmark: request-to-child-running time of 'rfork fork' against raw CRIU
# (dump --leave-running, cp -r, restore in a fresh PID namespace), measured in the same run,
# interleaved run by run. See bench/README.md.
set -euo pipefail

ROOT="$(cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/.." && pwd)"
BENCH="$ROOT/bench"
RFORK="$ROOT/rfork"
CRIU="${RFORK_CRIU:-/usr/local/sbin/rfork-criu}"
export RFORK_HOME="${RFORK_HOME:-/var/lib/rfork}"

SIZES="4,256,1024"
RUNS=5
SPOOL_DIR=""
START_WORKER=0
FORK_TIMEOUT=300
RESULTS_DIR="$BENCH/results"
LIVE_JAR=0
WARMUP=1
RECORD=1
BROKER_PORT="${RFORK_BROKER_PORT:-61616}"
FTP_PORT="${RFORK_FTP_PORT:-2121}"

usage() {
  cat <<EOF
Usage: bench/run.sh [options]

Measures 'rfork fork --wait' (timings.requestToRunningMs) against raw CRIU
(dump --leave-running + cp -r + restore in a fresh PID namespace) on this node,
for test processes of the given resident sizes; raw and rfork runs alternate.

Options:
  --sizes LIST       resident sizes in MiB, comma-separated (default $SIZES)
  --runs N           runs per size and method; medians are reported (default $RUNS)
  --spool-dir DIR    where the raw baseline writes its images (default: the worker's
                     spool, \${RFORK_SPOOL:-\$RFORK_HOME/spool}/bench-raw)
  --start-worker     start a worker for the benchmark (and stop it at the end);
                     without it an answering worker is used, or one is started if none answers
  --warmup N         untimed raw + rfork runs of a 4 MiB process before measuring, so the
                     first measured run does not pay the worker's JIT warm-up (default $WARMUP)
  --timeout S        seconds 'rfork fork --wait' may take per run (default $FORK_TIMEOUT)
  --results-dir DIR  where <timestamp>.md, .tsv and logs go (default bench/results)
  --live-jar         run \$ROOT/rfork itself for every call; by default the CLI is built
                     once through \$ROOT/rfork, then a snapshot of the launcher and its jar
                     is used, so a rebuild during the benchmark (sources edited) cannot
                     replace the jar under the worker the script started
  -h, --help         this text

Environment: RFORK_HOME (default /var/lib/rfork), RFORK_CRIU (default
/usr/local/sbin/rfork-criu), RFORK_BROKER_PORT / RFORK_FTP_PORT (default 61616 / 2121).
Prints progress to stderr and the results table (Markdown) to stdout.
EOF
}

LOG_TAG=bench
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
    --spool-dir) SPOOL_DIR="${2:?--spool-dir needs a value}"; shift 2 ;;
    --spool-dir=*) SPOOL_DIR="${1#*=}"; shift ;;
    --start-worker) START_WORKER=1; shift ;;
    --warmup) WARMUP="${2:?--warmup needs a value}"; shift 2 ;;
    --warmup=*) WARMUP="${1#*=}"; shift ;;
    --timeout) FORK_TIMEOUT="${2:?--timeout needs a value}"; shift 2 ;;
    --timeout=*) FORK_TIMEOUT="${1#*=}"; shift ;;
    --results-dir) RESULTS_DIR="${2:?--results-dir needs a value}"; shift 2 ;;
    --results-dir=*) RESULTS_DIR="${1#*=}"; shift ;;
    --live-jar) LIVE_JAR=1; shift ;;
    -h|--help) usage; exit 0 ;;
    *) usage >&2; die "unknown option: $1" ;;
  esac
done

[[ "$RUNS" =~ ^[1-9][0-9]*$ ]] || die "--runs must be a positive integer, not '$RUNS'"
[[ "$WARMUP" =~ ^[0-9]+$ ]] || die "--warmup must be a number, not '$WARMUP'"
[[ "$FORK_TIMEOUT" =~ ^[1-9][0-9]*$ ]] || die "--timeout must be a positive integer, not '$FORK_TIMEOUT'"
IFS=',' read -r -a SIZE_LIST <<<"$SIZES"
[[ ${#SIZE_LIST[@]} -gt 0 ]] || die "--sizes is empty"
for s in "${SIZE_LIST[@]}"; do
  [[ "$s" =~ ^[1-9][0-9]*$ ]] || die "--sizes takes whole MiB numbers, comma-separated, not '$s'"
done
SPOOL_DIR="${SPOOL_DIR:-${RFORK_SPOOL:-$RFORK_HOME/spool}/bench-raw}"

# ---------------------------------------------------------------- preconditions
[[ $EUID -eq 0 ]] || die "CRIU needs root: run as root"
command -v python3 >/dev/null || die "python3 is needed (test process and report)"
PYTHON="$(python3 -c 'import sys; print(sys.executable)')"  # the interpreter itself, not a pyenv shim
for tool in unshare setsid cp du; do command -v "$tool" >/dev/null || die "$tool is needed"; done
[[ -x "$CRIU" ]] || die "$CRIU not found: run scripts/install-criu.sh (or set RFORK_CRIU)"
[[ -x "$RFORK" ]] || die "$RFORK not found"
[[ -n "${EPOCHREALTIME:-}" ]] || die "bash >= 5 is needed (EPOCHREALTIME)"

STAMP="$(date +%Y%m%d-%H%M%S)"
mkdir -p "$RESULTS_DIR" "$SPOOL_DIR"
RESULTS_DIR="$(cd "$RESULTS_DIR" && pwd)"
SPOOL_DIR="$(cd "$SPOOL_DIR" && pwd)"
LOGS="$RESULTS_DIR/$STAMP"          # logs of this run (worker, CLI, failed criu runs)
IMAGES="$SPOOL_DIR/$STAMP"          # raw baseline images, removed after each run
mkdir -p "$LOGS" "$IMAGES"
TSV="$RESULTS_DIR/$STAMP.tsv"
REPORT="$RESULTS_DIR/$STAMP.md"
printf 'size_mib\trun\tkind\tok\trss_kb\timage_bytes\ttotal_s\tdump_s\tcopy_s\trestore_s\tfrozen_ms\trequest_to_running_ms\taccept_ms\tdump_ms\tship_ms\tverify_ms\trestore_ms\twaited_ms\tnote\n' >"$TSV"

# A FIFO nobody writes to: 'read -t' on it is a sleep without forking (the 2 ms poll).
mkfifo "$LOGS/tick"
exec 9<>"$LOGS/tick"
tick() { read -r -t "${1:-0.002}" -u 9 _ || true; }

elapsed() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.3f", b - a }'; }

# --------------------------------------------------------------- process state
HOG_PIDS=()          # test processes we started (originals)
COPY_PIDS=()         # host pids of copies we must kill
HOLDER_PIDS=()       # unshare processes of the raw restores
WORKER_PID=""        # the worker, if this script started it
WORKER_STARTED=0

# Running (not a zombie)? Builtins only: it is called in the 2 ms poll loop.
pid_alive() {
  local stat
  [[ -n "$1" ]] || return 1
  { read -r stat <"/proc/$1/stat"; } 2>/dev/null || return 1
  stat="${stat##*) }"
  [[ "${stat:0:1}" != Z && "${stat:0:1}" != X ]]
}

remove_pid() {  # remove_pid ARRAY_NAME PID
  local -n list="$1"
  local keep=() p
  for p in "${list[@]}"; do [[ "$p" == "$2" ]] || keep+=("$p"); done
  list=("${keep[@]}")
}

kill_pid() {  # kill_pid PID [SIGNAL]: one process, by pid, if it exists
  local pid="$1" sig="${2:-KILL}"
  if [[ -n "$pid" && -e "/proc/$pid" ]]; then kill "-$sig" "$pid" 2>/dev/null || true; fi
}

wait_gone() {  # wait_gone PID SECONDS
  local pid="$1" deadline=$((SECONDS + $2))
  while pid_alive "$pid" && ((SECONDS < deadline)); do tick 0.01; done
  ! pid_alive "$pid"
}

# Is PID a copy of ORIG, i.e. in a child PID namespace where it has ORIG's pid?
is_copy_of() {
  local pid="$1" orig="$2" nspid ids
  nspid="$(awk '/^NSpid:/ { $1 = ""; print }' "/proc/$pid/status" 2>/dev/null || true)"
  read -r -a ids <<<"$nspid"
  [[ ${#ids[@]} -ge 2 && "${ids[-1]}" == "$orig" && "${ids[0]}" == "$pid" ]]
}

# Host pid of the copy of ORIG below HOLDER (unshare -> criu -> copy).
find_copy() {
  local holder="$1" orig="$2" pending=("$1") pid child
  while [[ ${#pending[@]} -gt 0 ]]; do
    pid="${pending[0]}"; pending=("${pending[@]:1}")
    if [[ "$pid" != "$holder" ]] && is_copy_of "$pid" "$orig"; then printf '%s' "$pid"; return 0; fi
    for child in $(cat "/proc/$pid/task/$pid/children" 2>/dev/null || true); do pending+=("$child"); done
  done
  return 1
}

cleanup() {
  local rc=$?
  set +e
  for pid in "${COPY_PIDS[@]}" "${HOG_PIDS[@]}"; do kill_pid "$pid"; done
  for pid in "${HOLDER_PIDS[@]}"; do kill_pid "$pid"; done
  for pid in "${HOLDER_PIDS[@]}" "${HOG_PIDS[@]}"; do wait "$pid" 2>/dev/null; done
  if [[ $WORKER_STARTED -eq 1 ]] && pid_alive "$WORKER_PID"; then
    log "stopping the worker this script started (PID $WORKER_PID)"
    kill_pid "$WORKER_PID" TERM
    wait_gone "$WORKER_PID" 30 || { log "worker did not stop in 30 s; killing it"; kill_pid "$WORKER_PID" KILL; }
    wait "$WORKER_PID" 2>/dev/null
  fi
  rm -rf "$IMAGES"
  rmdir "$SPOOL_DIR" 2>/dev/null
  rm -f "$LOGS/tick" "$LOGS/hog.ready"
  exit "$rc"
}
trap cleanup EXIT
trap 'log "interrupted"; exit 130' INT TERM

# ----------------------------------------------------------------- test process
# start_hog SIZE_MIB: a fresh test process, returns once it holds SIZE_MIB resident; sets HOG.
start_hog() {
  local size="$1" ready="$LOGS/hog.ready" rss want deadline
  rm -f "$ready"
  (cd / && exec setsid "$PYTHON" "$BENCH/memhog.py" "$size" "$ready" </dev/null >/dev/null 2>&1) &
  HOG=$!
  HOG_PIDS+=("$HOG")
  want=$((size * 1024 * 95 / 100))   # kB: within 5 % of the size (the interpreter adds ~9 MB)
  deadline=$((SECONDS + 60 + size / 10))
  while :; do
    pid_alive "$HOG" || die "the test process ($size MiB) exited early"
    rss="$(awk '/^VmRSS:/ { print $2 }' "/proc/$HOG/status" 2>/dev/null || echo 0)"
    [[ -e "$ready" && "${rss:-0}" -ge $want ]] && break
    ((SECONDS < deadline)) || die "the test process did not reach $size MiB resident (VmRSS ${rss} kB)"
    tick 0.05
  done
  HOG_RSS_KB="$rss"
}

stop_hog() {
  kill_pid "$HOG"
  wait "$HOG" 2>/dev/null || true
  remove_pid HOG_PIDS "$HOG"
}

row() {  # row FIELDS...: one TSV line (tabs/newlines in the note become spaces)
  local IFS=$'\t' fields=("$@")
  [[ $RECORD -eq 1 ]] || return 0
  fields[-1]="$(printf '%s' "${fields[-1]}" | tr '\t\n' '  ' | cut -c1-300)"
  printf '%s\n' "${fields[*]}" >>"$TSV"
}

# ------------------------------------------------------------------ raw baseline
# raw_run SIZE RUN: dump --leave-running, cp -r, restore in a fresh PID namespace, timed; the
# dump is deleted while the copy is restored, as rfork deletes its own after the hand-off.
raw_run() {
  local size="$1" run="$2" dir="$IMAGES/raw-$1-$2" d1 d2 out t0 t1 t2 t3 holder copy="" deadline rss
  local ok=1 note="" image_bytes=NA frozen=NA dump_s=NA copy_s=NA restore_s=NA total_s=NA
  d1="$dir/d1"; d2="$dir/d2"
  mkdir -p "$d1"
  start_hog "$size"
  rss="$HOG_RSS_KB"
  log "  raw   #$run: test process PID $HOG, VmRSS $((HOG_RSS_KB / 1024)) MiB"

  # Same flags as the worker (CriuProcess): -v2 and --display-stats too, for the frozen time.
  t0=$EPOCHREALTIME
  if out="$("$CRIU" dump --tree "$HOG" --images-dir "$d1" --leave-running --shell-job --tcp-close \
        --file-locks --ext-unix-sk --display-stats -o dump.log -v2 </dev/null 2>&1)"; then
    t1=$EPOCHREALTIME
    cp -r "$d1" "$d2"
    t2=$EPOCHREALTIME
    image_bytes="$(du -sb "$d2" | cut -f1)"
    # As rfork does after its hand-off: the source's dump is deleted while the copy is restored,
    # so neither restore finds the source's images still filling the page cache.
    rm -rf "$d1" &
    local remover=$!
    rm -f "$d2.pid"
    setsid unshare --pid --fork --kill-child --mount-proc \
      "$CRIU" restore --images-dir "$d2" -o restore.log -v2 --shell-job --tcp-close --file-locks \
      --ext-unix-sk --pidfile "$d2.pid" </dev/null >/dev/null 2>&1 &
    holder=$!
    HOLDER_PIDS+=("$holder")
    deadline=$((SECONDS + 300))
    while [[ ! -e "$d2.pid" ]]; do
      if ! pid_alive "$holder" || ((SECONDS >= deadline)); then
        [[ -e "$d2.pid" ]] && break
        ok=0; note="restore failed (see $LOGS/raw-$size-$run.restore.log)"
        cp "$d2/restore.log" "$LOGS/raw-$size-$run.restore.log" 2>/dev/null || true
        break
      fi
      tick 0.002
    done
    t3=$EPOCHREALTIME
    if [[ $ok -eq 1 ]]; then
      dump_s="$(elapsed "$t0" "$t1")"; copy_s="$(elapsed "$t1" "$t2")"
      restore_s="$(elapsed "$t2" "$t3")"; total_s="$(elapsed "$t0" "$t3")"
      frozen="$(sed -n 's/^Frozen time: *\([0-9]*\) *us.*/\1/p' <<<"$out" | head -n1)"
      frozen="$(awk -v us="${frozen:-}" 'BEGIN { if (us == "") print "NA"; else printf "%.1f", us / 1000 }')"
      # The copy must really be there: find its host pid (checks NSpid), then end it.
      deadline=$((SECONDS + 10))
      until copy="$(find_copy "$holder" "$HOG")"; do
        ((SECONDS < deadline)) || { ok=0; note="pidfile written but the copy was not found"; break; }
        tick 0.01
      done
    fi
    wait "$remover" 2>/dev/null || true
    [[ -n "$copy" ]] && { COPY_PIDS+=("$copy"); kill_pid "$copy"; }
    kill_pid "$holder"
    wait "$holder" 2>/dev/null || true
    remove_pid HOLDER_PIDS "$holder"
    [[ -n "$copy" ]] && { wait_gone "$copy" 10 || true; remove_pid COPY_PIDS "$copy"; }
  else
    ok=0; note="dump failed (see $LOGS/raw-$size-$run.dump.log)"
    cp "$d1/dump.log" "$LOGS/raw-$size-$run.dump.log" 2>/dev/null || true
  fi
  stop_hog
  rm -rf "$dir" "$d2.pid"
  if [[ $ok -eq 1 ]]; then
    log "  raw   #$run: total ${total_s}s = dump ${dump_s} + copy ${copy_s} + restore ${restore_s}; image $((image_bytes / 1000000)) MB, frozen ${frozen} ms"
  else
    log "  raw   #$run: FAILED: $note"
  fi
  row "$size" "$run" raw "$ok" "$rss" "$image_bytes" "$total_s" "$dump_s" "$copy_s" "$restore_s" "$frozen" \
      NA NA NA NA NA NA NA "$note"
}

# --------------------------------------------------------------------- rfork
# The launcher rebuilds cli/target/rfork.jar in place whenever sources are newer; a JVM
# running from that jar then fails with NoClassDefFoundError. So, unless --live-jar: build
# once through $ROOT/rfork, then run the launcher from a snapshot (launcher, jar, broker
# config) that has no sources next to it and so is never rebuilt.
prepare_cli() {
  local snap="$IMAGES/cli"
  log "checking the CLI through $RFORK (it builds first if sources changed: about a minute)"
  "$RFORK" --version >"$LOGS/cli-version.out" 2>"$LOGS/cli-version.err" \
    || { tail -n 20 "$LOGS/cli-version.err" >&2; die "$RFORK --version failed"; }
  if [[ $LIVE_JAR -eq 1 ]]; then
    CLI="$RFORK"
    return
  fi
  mkdir -p "$snap/cli/target"
  cp "$RFORK" "$snap/rfork"
  cp -r "$ROOT/broker-config" "$snap/broker-config"
  cp "$ROOT/cli/target/rfork.jar" "$snap/cli/target/rfork.jar"
  touch "$snap/cli/target/rfork.jar"    # newer than everything else in the snapshot
  CLI="$snap/rfork"
  "$CLI" --version >/dev/null 2>&1 || die "the CLI snapshot in $snap does not run (jar copied mid-build?); retry"
  log "CLI snapshot: $CLI ($(cat "$LOGS/cli-version.out"))"
}

port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

ensure_worker() {
  local broker=0 ftp=0 deadline
  port_open "$BROKER_PORT" && broker=1
  port_open "$FTP_PORT" && ftp=1
  if [[ $START_WORKER -eq 0 && $broker -eq 1 && $ftp -eq 1 ]]; then
    log "using the running worker (broker 127.0.0.1:$BROKER_PORT and FTP :$FTP_PORT answer)"
    return
  fi
  if [[ $broker -eq 1 || $ftp -eq 1 ]]; then
    if [[ $START_WORKER -eq 1 ]]; then
      die "--start-worker: port $BROKER_PORT or $FTP_PORT is already in use (a worker runs?); drop --start-worker to use it"
    fi
    die "only one of broker :$BROKER_PORT / FTP :$FTP_PORT answers: a worker half up or another program; check './rfork doctor'"
  fi
  log "no worker answers: starting './rfork worker' (RFORK_HOME=$RFORK_HOME; log $LOGS/worker.log)"
  setsid "$CLI" worker </dev/null >"$LOGS/worker.log" 2>&1 &
  WORKER_PID=$!
  WORKER_STARTED=1
  deadline=$((SECONDS + 300))   # the launcher may first build the CLI (about a minute)
  until grep -q "is ready" "$LOGS/worker.log" 2>/dev/null; do
    pid_alive "$WORKER_PID" || { tail -n 20 "$LOGS/worker.log" >&2; die "the worker exited during start-up"; }
    ((SECONDS < deadline)) || { tail -n 20 "$LOGS/worker.log" >&2; die "the worker was not ready within 300 s"; }
    tick 0.2
  done
  log "worker ready (PID $WORKER_PID)"
}

# rfork_run SIZE RUN: 'rfork fork --wait --json', timings from the JSON.
rfork_run() {
  local size="$1" run="$2" json="$LOGS/rfork-$1-$2.json" err="$LOGS/rfork-$1-$2.err" rc=0 fields
  local status child rtr dump ship verify restore frozen shipped waited total accept reason rss
  local ok=1 note=""
  if [[ $WORKER_STARTED -eq 1 ]] && ! pid_alive "$WORKER_PID"; then
    tail -n 20 "$LOGS/worker.log" >&2
    die "the worker this script started has exited (log: $LOGS/worker.log)"
  fi
  start_hog "$size"
  rss="$HOG_RSS_KB"
  log "  rfork #$run: test process PID $HOG, VmRSS $((HOG_RSS_KB / 1024)) MiB"
  "$CLI" fork --pid "$HOG" --to 127.0.0.1 --wait --json --timeout "$FORK_TIMEOUT" >"$json" 2>"$err" || rc=$?
  fields="$("$PYTHON" "$BENCH/fork_outcome.py" "$json")"
  IFS=$'\t' read -r status child rtr dump ship verify restore frozen shipped waited total reason <<<"$fields"
  # totalMs spans the first event (accepted) to the last (restored): the rest is send -> accepted.
  accept=NA
  [[ "$rtr" =~ ^[0-9]+$ && "$total" =~ ^[0-9]+$ ]] && accept=$((rtr - total))
  if [[ "$status" != "restored" || "$rtr" == "NA" ]]; then
    ok=0
    note="status $status (exit $rc): $reason; see $json, $err"
  fi
  if [[ "$child" =~ ^[0-9]+$ ]]; then
    if is_copy_of "$child" "$HOG"; then
      COPY_PIDS+=("$child"); kill_pid "$child"; wait_gone "$child" 10 || true
      remove_pid COPY_PIDS "$child"
    elif pid_alive "$child"; then
      log "  rfork #$run: childPid $child is not a copy of $HOG (NSpid differs): not killing it"
      note="${note:+$note; }childPid $child not a copy of $HOG"
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
JAR="$ROOT/cli/target/rfork.jar"
fs_type() { findmnt -no FSTYPE -T "$1" 2>/dev/null | head -n1 || stat -f -c %T "$1"; }
jar_stamp() { stat -c %Y "$JAR" 2>/dev/null || echo none; }

log "rfork benchmark: sizes ${SIZES} MiB, $RUNS run(s) each, raw and rfork interleaved"
log "raw images under $IMAGES ($(fs_type "$SPOOL_DIR") filesystem); logs in $LOGS"
need_mb=$(( $(tr ',' '\n' <<<"$SIZES" | sort -n | tail -n1) * 5 ))
avail_mb=$(( $(df -Pk "$SPOOL_DIR" | awk 'NR == 2 { print $4 }') / 1024 ))
((avail_mb > need_mb)) || log "WARNING: only $avail_mb MB free under $SPOOL_DIR; the biggest size needs about $need_mb MB"
CRIU_VERSION="$("$CRIU" --version 2>/dev/null | head -n1 || echo unknown)"
LOAD_START="$(cut -d' ' -f1-3 /proc/loadavg)"
prepare_cli
ensure_worker
JAR_AT_START="$(jar_stamp)"
START_TIME="$(date -Is)"

if ((WARMUP > 0)); then
  log "warm-up: $WARMUP untimed raw + rfork run(s) of a 4 MiB process"
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
    if [[ "$(jar_stamp)" != "$JAR_AT_START" ]]; then
      log "WARNING: $JAR was rebuilt during the benchmark (sources changed)$([[ $LIVE_JAR -eq 1 || $WORKER_STARTED -eq 0 ]] && echo "; a worker running from it may fail")"
      JAR_AT_START="$(jar_stamp)"
    fi
  done
done

LOAD_END="$(cut -d' ' -f1-3 /proc/loadavg)"
TABLE="$("$PYTHON" "$BENCH/report.py" summary "$TSV")"
{
  echo "# rfork benchmark $STAMP"
  echo
  echo "- started $START_TIME, host $(hostname), kernel $(uname -r), $(nproc) CPUs, CRIU ${CRIU_VERSION#Version: }"
  echo "- sizes ${SIZES} MiB, $RUNS run(s) each after $WARMUP warm-up pair(s), raw and rfork interleaved, medians of successful runs"
  echo "- raw images in $SPOOL_DIR ($(fs_type "$SPOOL_DIR")); worker: $([[ $WORKER_STARTED -eq 1 ]] && echo "started by the script" || echo "already running"), RFORK_HOME=$RFORK_HOME"
  echo "- load average at start $LOAD_START, at end $LOAD_END"
  echo "- rfork $(git -C "$ROOT" describe --always --dirty 2>/dev/null || echo unknown); worker settings from the environment: RFORK_SHIP_LOCAL=${RFORK_SHIP_LOCAL:-move} (default move), RFORK_SHIP_WHILE_DUMPING=${RFORK_SHIP_WHILE_DUMPING:-false} (applies to a worker the script starts)"
  echo
  echo "$TABLE"
  echo
  echo "rfork = timings.requestToRunningMs (client send -> restored event); raw = dump + cp -r + restore,"
  echo "timed end to end by the script. Frozen = how long the original was stopped during the dump."
  echo
  echo "## Every run"
  echo
  "$PYTHON" "$BENCH/report.py" runs "$TSV"
} >"$REPORT"
log "results: $REPORT (per-run TSV: $TSV)"
echo "$TABLE"
