#!/usr/bin/env python3
"""Small forks on one node: how long the original is frozen as it lives it, and how many a second.

Usage: bench/throughput.py [--count N] [--size MIB] [--frozen-runs N] [--frozen-sizes LIST]
                           [--kinds cli,stomp] [--stomp-bursts N] [--results-dir DIR]

Frozen: for each of FROZEN_SIZES MiB (default 5,256), FROZEN_RUNS times (default 5), one C
process (bench/victim.c) that wakes every millisecond is forked alone with 'rfork fork --wait
--json'; the longest gap between its wake-ups (minus the 1 ms period) is the freeze as it lived
it, set beside the frozenMs CRIU reported for that dump. Copy and original end after each run.

Throughput: two ways of sending COUNT (default 30) forks of small victims (SIZE MiB, default
5, waking every 100 ms: cheap to keep) to this node (127.0.0.1), each of its own process:

- cli: 'rfork fork --pid P --to 127.0.0.1 --wait --json', one after the other, each a new JVM:
  what a shell script gets. Rate = COUNT / the wall time of all of them.
- stomp: every request sent at once over one STOMP connection (what an application in any
  language does, examples/python/selffork.py), then the restored events awaited. Rate = COUNT /
  the time from the first send to the last restored event. STOMP_BURSTS such bursts (default
  3) one after the other, each with new victims and reported on its own: the first also pays for
  the worker's JIT compiling the request path, which a worker that has served a while is past.

Every copy is then checked to run (its NSpid ends with its original's PID).

Uses the running worker (broker 127.0.0.1:61616 answers), or starts './rfork worker' and stops
it at the end. Needs gcc (apt-get install gcc), root, a CRIU that works (scripts/install-criu.sh).
Prints the Markdown report to stdout; it and the per-fork TSV go to bench/results/.
"""
import argparse
import json
import os
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "examples", "python"))
from selffork import Stomp  # noqa: E402  the example's bare STOMP 1.2 client
from cluster_node import alive, nspid  # noqa: E402  bench/cluster.sh's node side: /proc readers

RFORK = os.path.join(ROOT, "rfork")
HOME = os.environ.get("RFORK_HOME", "/var/lib/rfork")
PORT = int(os.environ.get("RFORK_BROKER_PORT", "61616"))


def log(message):
    print(time.strftime("%H:%M:%S ") + "throughput: " + message, file=sys.stderr, flush=True)


def die(message):
    log("ERROR: " + message)
    sys.exit(1)


def broker_answers():
    try:
        socket.create_connection(("127.0.0.1", PORT), timeout=1).close()
        return True
    except OSError:
        return False


class Bench:
    def __init__(self, work):
        self.work = work
        self.victims = {}  # pid -> Popen
        self.copies = []  # (copy's PID, its original's)
        self.worker = None

    def build_victim(self):
        binary = os.path.join(self.work, "victim")
        result = subprocess.run(["gcc", "-O2", "-o", binary, os.path.join(ROOT, "bench", "victim.c")],
                                capture_output=True, text=True)
        if result.returncode != 0:
            die("gcc could not build bench/victim.c (apt-get install gcc): " + result.stderr.strip())
        self.binary = binary

    def ensure_worker(self):
        if broker_answers():
            log("using the running worker (broker 127.0.0.1:%d answers)" % PORT)
            return
        path = os.path.join(self.work, "worker.log")
        log("no worker answers: starting './rfork worker' (log %s)" % path)
        with open(path, "w") as out:
            self.worker = subprocess.Popen([RFORK, "worker"], stdin=subprocess.DEVNULL, stdout=out,
                                           stderr=subprocess.STDOUT, start_new_session=True, close_fds=True)
        deadline = time.time() + 300  # the launcher may build the CLI first
        while "is ready" not in open(path, errors="replace").read():
            if self.worker.poll() is not None or time.time() > deadline:
                die("the worker did not get ready; see " + path)
            time.sleep(0.2)

    def start_victims(self, count, size, period_ms=100):
        """COUNT fresh victims, each in its own session with no inherited descriptors."""
        started = []
        for i in range(count):
            # A name of its own: a name used before would be found at once, before this victim
            # has filled its memory.
            name = uuid.uuid4().hex[:12]
            ready = os.path.join(self.work, "ready-%s" % name)
            out = open(os.path.join(self.work, "victim-%s.out" % name), "w")
            process = subprocess.Popen([self.binary, str(size), ready, str(period_ms)], cwd="/",
                                       stdin=subprocess.DEVNULL,
                                       stdout=out, stderr=subprocess.STDOUT, start_new_session=True,
                                       close_fds=True)
            out.close()
            deadline = time.time() + 60
            while not os.path.exists(ready):
                if process.poll() is not None or time.time() > deadline:
                    die("a victim did not start")
                time.sleep(0.005)
            process.output = out.name
            self.victims[process.pid] = process
            started.append(process.pid)
        return started

    def frozen_as_lived(self, pid):
        """The longest gap the (1 ms) victim printed less its period, in ms; None when it printed none."""
        gaps = [int(line.split()[1]) for line in open(self.victims[pid].output) if line.startswith("gap ")]
        return (max(gaps) - 1000) / 1000 if gaps else None

    def end(self, pid, child):
        """Ends one fork's copy and original (a run that measures alone leaves nothing behind)."""
        if child and self.copy_runs(child, pid):
            os.kill(child, signal.SIGKILL)
        process = self.victims.pop(pid)
        process.kill()
        process.wait()

    def copy_runs(self, child, original):
        ids = nspid(child)
        return alive(child) and len(ids) >= 2 and ids[-1] == original

    def settle(self, rows, kind):
        """Checks that each copy of a series runs, then ends the series' copies and originals: the
        next series must not share the machine with them (hundreds of idle processes slowed a
        burst of small forks by a fifth here)."""
        for r in rows:
            if r["kind"] == kind:
                r["running"] = bool(r["child"]) and self.copy_runs(int(r["child"]), r["pid"])
                self.end(r["pid"], int(r["child"]) if r["running"] else None)
        self.copies = [(child, original) for child, original in self.copies if original in self.victims]

    def cleanup(self):
        for child, original in self.copies:
            if self.copy_runs(child, original):  # still the copy we made, not a reused PID
                os.kill(child, signal.SIGKILL)
        for process in self.victims.values():
            if process.poll() is None:
                process.kill()
                process.wait()
        if self.worker is not None and self.worker.poll() is None:
            log("stopping the worker this script started")
            self.worker.terminate()
            try:
                self.worker.wait(30)
            except subprocess.TimeoutExpired:
                self.worker.kill()


def cli_forks(bench, pids, rows):
    start = time.time()
    for pid in pids:
        t0 = time.time()
        result = subprocess.run([RFORK, "fork", "--pid", str(pid), "--to", "127.0.0.1", "--wait", "--json"],
                                capture_output=True, text=True, stdin=subprocess.DEVNULL)
        wall = time.time() - t0
        try:
            outcome = json.loads(result.stdout)
        except ValueError:
            outcome = {"status": "nojson", "reason": result.stderr.strip()[-300:]}
        rows.append(row("cli", pid, outcome, wall))
        if outcome.get("childPid"):
            bench.copies.append((int(outcome["childPid"]), pid))
    return time.time() - start


def frozen_runs(bench, sizes, runs, rows):
    for size in sizes:
        for run in range(runs):
            pid = bench.start_victims(1, size, period_ms=1)[0]
            time.sleep(0.2)  # a few wake-ups before the freeze
            mine = []
            cli_forks(bench, [pid], mine)
            time.sleep(0.1)  # the victim prints its gap at its next wake-up
            r = mine[0]
            r["kind"] = "frozen-%d" % size
            r["lived_ms"] = bench.frozen_as_lived(pid)
            r["running"] = bool(r["child"]) and bench.copy_runs(int(r["child"]), pid)
            bench.end(pid, int(r["child"]) if r["child"] else None)
            log("  %d MiB #%d: CRIU frozen %s ms, lived %s ms" % (size, run + 1, r["frozen_ms"], fmt(r["lived_ms"], "%.1f")))
            rows.append(r)


def stomp_forks(bench, pids, rows, kind):
    password = None
    with open(os.path.join(HOME, "secrets.properties")) as f:
        for line in f:
            if line.startswith("app.password="):
                password = line.split("=", 1)[1].strip()
    if password is None:
        die("no app.password in %s/secrets.properties" % HOME)
    stomp = Stomp("127.0.0.1", PORT, "app", password, os.path.join(HOME, "tls", "ca.pem"))
    stomp.send_frame("SUBSCRIBE", {"id": "events", "destination": "rfork.events", "subscription-type": "MULTICAST",
                                   "selector": "eventType IN ('dumped', 'restored', 'failed')",
                                   "receipt": "subscribed"})
    while stomp.read_frame(10)[0] != "RECEIPT":
        pass
    ids = {str(uuid.uuid4()): pid for pid in pids}
    start = time.time()
    for request_id, pid in ids.items():
        request = {"version": 1, "requestId": request_id, "pid": pid, "target": "127.0.0.1", "mode": "fork"}
        stomp.send_frame("SEND", {"destination": "checkpoint", "destination-type": "ANYCAST", "requestId": request_id,
                                  "content-type": "application/json"}, json.dumps(request))
    ended = {}
    frozen = {}
    deadline = start + 30 + 10 * len(ids)
    while len(ended) < len(ids) and time.time() < deadline:
        try:
            frame = stomp.read_frame(1)
        except (EOFError, OSError) as e:
            log("the STOMP connection ended: %s" % e)
            break
        if frame is None or frame[0] != "MESSAGE":
            continue
        event = json.loads(frame[2])
        request_id = event.get("requestId")
        if request_id not in ids:
            continue
        if event["type"] == "dumped":
            frozen[request_id] = (event.get("stats") or {}).get("frozenMs")
        elif request_id not in ended:
            ended[request_id] = (event, time.time() - start)
    elapsed = time.time() - start
    stomp.sock.close()
    for request_id, pid in ids.items():
        event, at = ended.get(request_id, ({"type": "none", "reason": "no answer"}, None))
        # The time from the first send to this copy running: later ones queued behind the others.
        outcome = {"status": event["type"], "childPid": event.get("childPid"), "reason": event.get("reason"),
                   "timings": {"requestToRunningMs": None if at is None else round(at * 1000),
                               "frozenMs": frozen.get(request_id)}}
        rows.append(row(kind, pid, outcome, at))
        if event.get("childPid"):
            bench.copies.append((int(event["childPid"]), pid))
    return elapsed


def row(kind, pid, outcome, wall):
    timings = outcome.get("timings") or {}
    return {"kind": kind, "pid": pid, "status": outcome.get("status"), "child": outcome.get("childPid"),
            "wall_s": wall, "rtr_ms": timings.get("requestToRunningMs"), "frozen_ms": timings.get("frozenMs"),
            "reason": outcome.get("reason")}


def median(values):
    values = [v for v in values if v is not None]
    return statistics.median(values) if values else None


def fmt(value, pattern="%.0f"):
    return "NA" if value is None else pattern % value


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--count", type=int, default=30, help="forks of each kind (default 30)")
    parser.add_argument("--size", type=int, default=5, help="MiB each throughput victim holds (default 5)")
    parser.add_argument("--frozen-runs", type=int, default=5, help="forks per frozen size (default 5; 0: none)")
    parser.add_argument("--frozen-sizes", default="5,256", help="MiB of the frozen victims (default 5,256)")
    parser.add_argument("--kinds", default="cli,stomp", help="which throughput runs: cli, stomp or both (default)")
    parser.add_argument("--stomp-bursts", type=int, default=3,
                        help="STOMP bursts of COUNT, one after the other, each reported (default 3)")
    parser.add_argument("--results-dir", default=os.path.join(ROOT, "bench", "results"))
    args = parser.parse_args()
    kinds = [k for k in args.kinds.split(",") if k]
    if not kinds or any(k not in ("cli", "stomp") for k in kinds):
        die("--kinds takes cli, stomp or cli,stomp")
    if args.stomp_bursts < 1:
        die("--stomp-bursts takes a positive integer")
    if args.count < 1 or args.size < 1 or args.frozen_runs < 0:
        die("--count and --size take positive integers, --frozen-runs a number")
    try:
        frozen_sizes = [int(x) for x in args.frozen_sizes.split(",")]
    except ValueError:
        die("--frozen-sizes takes MiB numbers, comma-separated")
    if os.geteuid() != 0:
        die("run as root (CRIU dumps other processes)")
    os.makedirs(args.results_dir, exist_ok=True)
    stamp = time.strftime("%Y%m%d-%H%M%S")
    rows = []
    with tempfile.TemporaryDirectory(prefix="rfork-throughput-") as work:
        bench = Bench(work)
        try:
            bench.build_victim()
            bench.ensure_worker()
            log("warm-up: one fork through the CLI (not counted)")
            cli_forks(bench, bench.start_victims(1, args.size), [])
            load_start = open("/proc/loadavg").read().split()[:3]
            if args.frozen_runs:
                log("frozen: %d fork(s) of a victim waking every ms, one at a time, of each of %s MiB"
                    % (args.frozen_runs, args.frozen_sizes))
                frozen_runs(bench, frozen_sizes, args.frozen_runs, rows)
            totals = {}
            if "cli" in kinds:
                log("%d forks through the CLI, one after the other" % args.count)
                totals["cli"] = cli_forks(bench, bench.start_victims(args.count, args.size), rows)
                bench.settle(rows, "cli")
            if "stomp" in kinds:
                # Several bursts: the first also pays for the worker's JIT compiling the request
                # path (a worker that has served for a while is past it); each is reported.
                for burst in range(1, args.stomp_bursts + 1):
                    log("%d forks sent at once over STOMP (burst %d of %d)" % (args.count, burst, args.stomp_bursts))
                    kind = "stomp-%d" % burst
                    totals[kind] = stomp_forks(bench, bench.start_victims(args.count, args.size), rows, kind)
                    bench.settle(rows, kind)
            load_end = open("/proc/loadavg").read().split()[:3]
        finally:
            bench.cleanup()
    tsv = os.path.join(args.results_dir, "throughput-%s.tsv" % stamp)
    with open(tsv, "w") as f:
        keys = ["kind", "pid", "status", "child", "running", "wall_s", "rtr_ms", "frozen_ms", "lived_ms", "reason"]
        f.write("\t".join(keys) + "\n")
        for r in rows:
            f.write("\t".join("NA" if r.get(k) is None else str(r.get(k)) for k in keys) + "\n")
    lines = ["# Small forks in a row, throughput-%s" % stamp, "",
             "- %s, kernel %s, %d CPUs; %d forks of each kind, victims of %d MiB (bench/victim.c)"
             % (time.strftime("%Y-%m-%d %H:%M"), os.uname().release, os.cpu_count(), args.count, args.size),
             "- load average at start %s, at end %s" % (" ".join(load_start), " ".join(load_end)), "",
             "| how | forks/s | restored | copies running | median wall per fork | median send to running "
             "| median frozen (CRIU) |",
             "|---|---|---|---|---|---|---|"]
    for kind, total in totals.items():
        mine = [r for r in rows if r["kind"] == kind]
        wall = median([r["wall_s"] for r in mine]) if kind == "cli" else None
        lines.append("| %s | %.2f | %d/%d | %d/%d | %s | %s ms | %s ms |" % (
            "CLI, one after the other" if kind == "cli"
            else "STOMP, all sent at once, burst %s of %d" % (kind.split("-")[1], args.stomp_bursts),
            len(mine) / total, sum(r["status"] == "restored" for r in mine), len(mine),
            sum(r["running"] for r in mine), len(mine), fmt(wall, "%.2f s"),
            fmt(median([r["rtr_ms"] for r in mine])), fmt(median([r["frozen_ms"] for r in mine]), "%.1f")))
    lines += ["", "send to running: the CLI's requestToRunningMs; over STOMP, from the first send to that copy's "
              "restored event (so it includes the wait behind the requests queued before it)."]
    if args.frozen_runs:
        lines += ["", "| victim MiB | runs ok | frozen, CRIU's frozenMs (median) | frozen as lived (median) "
                  "| lived / CRIU (median) | lived / CRIU (max) |", "|---:|---|---|---|---|---|"]
        for size in frozen_sizes:
            mine = [r for r in rows if r["kind"] == "frozen-%d" % size]
            ratios = [r["lived_ms"] / r["frozen_ms"] for r in mine if r["lived_ms"] and r["frozen_ms"]]
            lines.append("| %d | %d/%d | %s ms | %s ms | %s | %s |" % (
                size, sum(r["status"] == "restored" and r["running"] for r in mine), len(mine),
                fmt(median([r["frozen_ms"] for r in mine]), "%.1f"), fmt(median([r["lived_ms"] for r in mine]), "%.1f"),
                fmt(median(ratios), "%.3f"), fmt(max(ratios) if ratios else None, "%.3f")))
        lines += ["", "frozen as lived: the longest gap between the victim's 1 ms wake-ups (CLOCK_MONOTONIC) less "
                  "the 1 ms period; CRIU's frozenMs is what 'criu dump --display-stats' reports for the same dump."]
    lines += ["", "Per fork: %s" % tsv]
    report = "\n".join(lines) + "\n"
    with open(os.path.join(args.results_dir, "throughput-%s.md" % stamp), "w") as f:
        f.write(report)
    print(report)
    failed = [r for r in rows if r["status"] != "restored" or not r["running"]]
    if failed:
        log("%d fork(s) did not end with a running copy; first: %s" % (len(failed), failed[0]))
        sys.exit(1)


if __name__ == "__main__":
    main()
