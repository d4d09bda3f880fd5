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
