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
    -h|--help) usage; exit 0 ;;
    *) usage >&2; die "unknown option: $1" ;;
  esac
done

[[ "$RUNS" =~ ^[1-9][0-9]*$ ]] || die "--runs must be a positive integer, not '$RUNS'"
[[ "$WARMUP" =~ ^[0-9]+$ ]] || die "--warmup must be a number, not '$WARMUP'"
[[ "$SETTLE" =~ ^[0-9]+$ ]] || die "--settle must be a number, not '$SETTLE'"
[[ "$FORK_TIMEOUT" =~ ^[1-9][0-9]*$ ]] || die "--timeout must be a positive integer, not '$FORK_TIMEOUT'"
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

# ------------------------------------------------------------- helper in the nodes
# One python3 script, copied into node1 and node2: the test process's start, the raw
# baseline's sender (node1: criu dump, then the images over TCP) and receiver (node2: the
# images from TCP, then criu restore), and checked kills. Every time it reports comes from
# time.time() in the container: all containers share the host's clock.
cat >"$LOGS/cluster_bench_node.py" <<'PY'
#!/usr/bin/env python3
"""Node side of bench/cluster.sh (copied to /tmp/rfork-bench/ in node1 and node2)."""
import json
import os
import re
import shutil
import signal
import socket
import struct
import subprocess
import sys
import time

CRIU_FLAGS = ["--shell-job", "--tcp-close", "--file-locks", "--ext-unix-sk"]  # as CriuProcess
HEADER = struct.Struct("!HQ")   # name length, file size; (0, 0) = end, (0xFFFF, 0) = abort
ABORT = 0xFFFF


def out(doc):
    print(json.dumps(doc), flush=True)


def alive(pid):
    try:
        with open("/proc/%d/stat" % pid) as f:
            state = f.read().rsplit(")", 1)[1].split()[0]
        return state not in ("Z", "X")
    except (OSError, IndexError):
        return False


def nspid(pid):
    try:
        with open("/proc/%d/status" % pid) as f:
            for line in f:
                if line.startswith("NSpid:"):
                    return [int(x) for x in line.split()[1:]]
    except OSError:
        pass
    return []


def children(pid):
    try:
        with open("/proc/%d/task/%d/children" % (pid, pid)) as f:
            return [int(x) for x in f.read().split()]
    except OSError:
        return []


def is_copy_of(pid, orig):
    ids = nspid(pid)
    return len(ids) >= 2 and ids[0] == pid and ids[-1] == orig


def wait_gone(pid, seconds):
    deadline = time.time() + seconds
    while alive(pid) and time.time() < deadline:
        time.sleep(0.01)
    return not alive(pid)


def tail(path, n=12):
    try:
        with open(path, errors="replace") as f:
            lines = [l.rstrip() for l in f if "RLIMIT_NOFILE" not in l]
        return " | ".join(lines[-n:])
    except OSError as e:
        return "(no %s: %s)" % (path, e)


def du_bytes(path):
    r = subprocess.run(["du", "-sb", path], capture_output=True, text=True)
    return int(r.stdout.split()[0]) if r.returncode == 0 and r.stdout else None


def hog(size, ready):
    """Starts memhog.py like bench/run.sh does and returns once it holds SIZE MiB."""
    try:
        os.unlink(ready)
    except FileNotFoundError:
        pass
    devnull = subprocess.DEVNULL
    p = subprocess.Popen(["setsid", "python3", "/tmp/memhog.py", size, ready], cwd="/",
                         stdin=devnull, stdout=devnull, stderr=devnull)
    want = int(float(size) * 1024 * 95 / 100)   # kB, within 5 % of the size
    deadline = time.time() + 60 + float(size) / 10
    rss = 0
    while True:
        if p.poll() is not None:
            out({"ok": False, "note": "the test process exited early (status %s)" % p.returncode})
            return 1
        try:
            with open("/proc/%d/status" % p.pid) as f:
                rss = int(next(l for l in f if l.startswith("VmRSS:")).split()[1])
        except (OSError, StopIteration):
            rss = 0
        if os.path.exists(ready) and rss >= want:
            break
        if time.time() > deadline:
            os.kill(p.pid, signal.SIGKILL)
            out({"ok": False, "note": "the test process did not reach %s MiB (VmRSS %d kB)" % (size, rss)})
            return 1
        time.sleep(0.05)
    with open(ready) as f:
        pid = int(f.read().split()[0])
    if pid != p.pid:   # setsid did not exec in place: should not happen
        out({"ok": False, "note": "ready file says PID %d, started %d" % (pid, p.pid)})
        return 1
    out({"ok": True, "pid": pid, "rssKb": rss})
    return 0


def send(pid, d1, host, port):
    """criu dump --leave-running into D1, then every file of D1 to the receiver over TCP."""
    pid = int(pid)
    sock = socket.create_connection((host, int(port)), timeout=30)   # connected before t0
    sock.settimeout(600)
    os.makedirs(d1)
    cmd = ["/usr/local/sbin/rfork-criu", "dump", "--tree", str(pid), "--images-dir", d1, "--leave-running"] \
        + CRIU_FLAGS + ["--display-stats", "-o", "dump.log", "-v2"]
    t0 = time.time()
    r = subprocess.run(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    t1 = time.time()
    if r.returncode != 0:
        sock.sendall(HEADER.pack(ABORT, 0))
        sock.close()
        note = "dump failed (exit %d): %s" % (r.returncode, tail(os.path.join(d1, "dump.log")))
        shutil.rmtree(d1, ignore_errors=True)
        out({"ok": False, "note": note})
        return 1
    m = re.search(rb"Frozen time:\s*(\d+)\s*us", r.stdout)
    files = []
    for dirpath, dirnames, filenames in os.walk(d1):
        dirnames.sort()
        for name in sorted(filenames):
            files.append(os.path.relpath(os.path.join(dirpath, name), d1))
    sent = 0
    for rel in files:
        with open(os.path.join(d1, rel), "rb") as f:
            size = os.fstat(f.fileno()).st_size
            name = rel.encode()
            sock.sendall(HEADER.pack(len(name), size) + name)
            if size:
                sock.sendfile(f, 0, size)
            sent += size
    sock.sendall(HEADER.pack(0, 0))
    ack = sock.recv(1)          # the receiver has written and closed every file
    t_ack = time.time()
    sock.close()
    image_bytes = du_bytes(d1)
    shutil.rmtree(d1, ignore_errors=True)
    out({"ok": ack == b"K", "t0": t0, "t1": t1, "tAck": t_ack, "files": len(files), "sentBytes": sent,
         "imageBytes": image_bytes, "frozenUs": int(m.group(1)) if m else None,
         "note": "" if ack == b"K" else "no acknowledgement from the receiver"})
    return 0 if ack == b"K" else 1


def recv(bind, port, d2, orig):
    """Receives the images into D2, then restores them like the worker (and bench/run.sh) does."""
    orig = int(orig)
    srv = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    srv.bind((bind, int(port)))
    srv.listen(1)
    srv.settimeout(120)
    out({"listening": True, "pid": os.getpid()})
    conn, peer = srv.accept()
    srv.close()
    conn.settimeout(600)
    os.makedirs(d2)
    buf = bytearray(1 << 20)
    view = memoryview(buf)

    def read_exact(n):
        data = bytearray()
        while len(data) < n:
            chunk = conn.recv(n - len(data))
            if not chunk:
                raise EOFError("connection closed")
            data += chunk
        return bytes(data)

    t_first = None
    received = 0
    while True:
        nlen, size = HEADER.unpack(read_exact(HEADER.size))
        if t_first is None:
            t_first = time.time()
        if nlen == ABORT:
            shutil.rmtree(d2, ignore_errors=True)
            out({"ok": False, "note": "the sender aborted (its dump failed)"})
            return 1
        if nlen == 0:
            break
        rel = read_exact(nlen).decode()
        if rel.startswith("/") or ".." in rel.split("/"):
            raise ValueError("bad file name " + rel)
        path = os.path.join(d2, rel)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "wb") as f:
            remaining = size
            while remaining:
                n = conn.recv_into(view, min(remaining, len(buf)))
                if n == 0:
                    raise EOFError("connection closed in " + rel)
                f.write(view[:n])
                remaining -= n
        received += size
    t2 = time.time()            # every file written and closed (page cache, as cp -r)
    conn.sendall(b"K")
    conn.close()

    pidfile = d2 + ".pid"
    cmd = ["setsid", "unshare", "--pid", "--fork", "--kill-child", "--mount-proc",
           "/usr/local/sbin/rfork-criu", "restore", "--images-dir", d2, "-o", "restore.log", "-v2"] \
        + CRIU_FLAGS + ["--pidfile", pidfile]
    holder = subprocess.Popen(cmd, cwd="/", stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                              stderr=subprocess.DEVNULL)
    deadline = time.time() + 300
    ok, note = True, ""
    while not os.path.exists(pidfile):
        if holder.poll() is not None or time.time() > deadline:
            if os.path.exists(pidfile):
                break
            ok, note = False, "restore failed: %s" % tail(os.path.join(d2, "restore.log"))
            break
        time.sleep(0.002)
    t3 = time.time()
    copy = None
    if ok:   # the copy must really run: find it below the holder by its NSpid, then end it
        find_deadline = time.time() + 10
        while copy is None and time.time() < find_deadline:
            pending = [holder.pid]
            while pending and copy is None:
                pid = pending.pop(0)
                if pid != holder.pid and is_copy_of(pid, orig):
                    copy = pid
                pending.extend(children(pid))
            if copy is None:
                time.sleep(0.01)
        if copy is None:
            ok, note = False, "pidfile written but the copy was not found"
    if copy is not None:
        os.kill(copy, signal.SIGKILL)
    if holder.poll() is None:
        holder.kill()
    holder.wait()
    if copy is not None:
        wait_gone(copy, 10)
    shutil.rmtree(d2, ignore_errors=True)
    try:
        os.unlink(pidfile)
    except FileNotFoundError:
        pass
    out({"ok": ok, "tFirst": t_first, "t2": t2, "t3": t3, "receivedBytes": received, "copyPid": copy,
         "peer": peer[0], "note": note})
    return 0 if ok else 1


def kill_hog(pid):
    """Kills the test process PID (only if it is memhog.py)."""
    pid = int(pid)
    try:
        with open("/proc/%d/cmdline" % pid, "rb") as f:
            cmdline = f.read()
    except OSError:
        out({"ok": True, "note": "already gone"})
        return 0
    if b"memhog.py" not in cmdline:
        out({"ok": False, "note": "PID %d is not memhog.py: not killed" % pid})
        return 1
    os.kill(pid, signal.SIGKILL)
    out({"ok": wait_gone(pid, 10)})
    return 0


def kill_copy(pid, orig):
    """Kills PID if it is a copy of ORIG (its innermost NSpid is ORIG)."""
    pid, orig = int(pid), int(orig)
    if not alive(pid):
        out({"ok": False, "note": "copy %d is not running" % pid})
        return 1
    if not is_copy_of(pid, orig):
        out({"ok": False, "note": "PID %d is not a copy of %d (NSpid %s): not killed" % (pid, orig, nspid(pid))})
        return 1
    os.kill(pid, signal.SIGKILL)
    out({"ok": wait_gone(pid, 10)})
    return 0


if __name__ == "__main__":
    commands = {"hog": hog, "send": send, "recv": recv, "kill-hog": kill_hog, "kill-copy": kill_copy}
    sys.exit(commands[sys.argv[1]](*sys.argv[2:]))
PY

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
    docker compose cp "$LOGS/cluster_bench_node.py" "$node:$NODE_DIR/cb.py" >/dev/null 2>&1 \
      || die "docker compose cp to $node failed"
    # the copy in node2 runs the same interpreter and script path as the original in node1
    docker compose cp "$BENCH/memhog.py" "$node:/tmp/memhog.py" >/dev/null 2>&1 \
      || die "docker compose cp memhog.py to $node failed"
  done
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
  dx "$SRC" rfork fork --pid "$HOG" --to "$DST_IP" --wait --json --timeout "$FORK_TIMEOUT" >"$json" 2>"$err" || rc=$?
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
