#!/usr/bin/env python3
"""A program that forks itself to another node with rfork, using only Python's standard library.

It speaks STOMP 1.2 to its node's broker: subscribes to the events of its own request, sends a
ForkRequest for its own PID to the `checkpoint` queue, and waits. The worker checkpoints this
very process and restores a copy; both copies return from fork() here. The copy knows it is
the copy because it finds itself in a new PID namespace (rfork restores every copy into one),
and its STOMP connection closed (CRIU restores TCP connections closed).

The connection is TLS, the broker's certificate checked against the node's CA (ca.pem, which the
node's worker makes in RFORK_HOME/tls/, or the cluster's from scripts/cluster-env.sh); --no-tls
only for a node that runs with RFORK_TLS=off.

    python3 selffork.py --host 127.0.0.1 --port 61616 --user app --password SECRET --to 127.0.0.1
"""
import argparse
import json
import os
import socket
import ssl
import sys
import time
import uuid


def pid_namespace():
    return os.readlink("/proc/self/ns/pid")


class Stomp:
    def __init__(self, host, port, user, password, cafile=None):
        self.sock = socket.create_connection((host, port), timeout=10)
        if cafile:
            # The node's CA only (not the system's), and the certificate must name the host.
            self.sock = ssl.create_default_context(cafile=cafile).wrap_socket(self.sock, server_hostname=host)
        self.buffer = b""
        self.last_sent = time.monotonic()
        # The broker ends a STOMP connection that stays silent for its TTL (60 s by default):
        # this client promises a heart-beat (a bare newline) every 10 s and sends one every 5.
        self.send_frame("CONNECT", {"accept-version": "1.2", "host": host, "login": user, "passcode": password,
                                    "heart-beat": "10000,0"})
        command, headers, body = self.read_frame()
        if command != "CONNECTED":
            raise RuntimeError(f"broker refused the connection: {headers.get('message')} {body}")

    def send_frame(self, command, headers, body=""):
        lines = [command] + [f"{key}:{value}" for key, value in headers.items()]
        self.sock.sendall(("\n".join(lines) + "\n\n" + body + "\0").encode())
        self.last_sent = time.monotonic()

    def heart_beat(self):
        """Sends a heart-beat if nothing was sent for 5 s; read_frame calls it while it waits."""
        if time.monotonic() - self.last_sent >= 5:
            self.sock.sendall(b"\n")
            self.last_sent = time.monotonic()

    def read_frame(self, timeout=None):
        """Returns (command, headers, body); None on timeout. Raises EOFError when the socket is closed."""
        deadline = None if timeout is None else time.monotonic() + timeout
        while b"\0" not in self.buffer:
            self.heart_beat()
            # Wake at least every second to keep the heart-beats going while waiting.
            wait = 1 if deadline is None else min(1, deadline - time.monotonic())
            if wait <= 0:
                return None
            self.sock.settimeout(wait)
            try:
                chunk = self.sock.recv(65536)
            except socket.timeout:
                continue
            if not chunk:
                raise EOFError("connection closed")
            self.buffer += chunk
        frame, self.buffer = self.buffer.split(b"\0", 1)
        head, _, body = frame.decode().lstrip("\r\n").partition("\n\n")
        command, *header_lines = head.split("\n")
        headers = dict(line.split(":", 1) for line in header_lines if ":" in line)
        return command, headers, body


def fork(host, port, user, password, target, mode="fork", timeout=120, cafile=None, node=None):
    """Returns ("parent", event) in the original and ("child", None) in the copy."""
    namespace = pid_namespace()
    request_id = str(uuid.uuid4())
    stomp = Stomp(host, port, user, password, cafile)
    stomp.send_frame("SUBSCRIBE", {"id": "events", "destination": "rfork.events", "subscription-type": "MULTICAST",
                                   "ack": "auto", "selector": f"requestId = '{request_id}'", "receipt": "subscribed"})
    while stomp.read_frame(10)[0] != "RECEIPT":
        pass
    request = {"version": 1, "requestId": request_id, "pid": os.getpid(), "target": target, "mode": mode}
    stomp.send_frame("SEND", {"destination": "checkpoint", "destination-type": "ANYCAST", "requestId": request_id,
                              "content-type": "application/json"}, json.dumps(request))
    deadline = time.time() + timeout
    while time.time() < deadline:
        try:
            frame = stomp.read_frame(0.1)
        except (EOFError, OSError):
            frame = None
        if pid_namespace() != namespace:
            return "child", {"requestId": request_id}
        if frame is None or frame[0] != "MESSAGE":
            continue
        event = json.loads(frame[2])
        if event.get("node") not in (node or host, target):
            # Only this node (the source) and the target may report on the request.
            print(f"ignored a {event.get('type')} event from {event.get('node')}", file=sys.stderr)
            continue
        if event["type"] == "failed":
            stomp.sock.close()
            raise RuntimeError(f"fork failed: {event.get('reason')}: {event.get('detail')}")
        if event["type"] == "restored" and mode == "fork":
            stomp.sock.close()
            return "parent", event
    raise TimeoutError(f"no answer to request {request_id} within {timeout} s")


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=61616)
    parser.add_argument("--user", default="app")
    parser.add_argument("--password", required=True)
    parser.add_argument("--to", required=True, help="the node that runs the copy")
    parser.add_argument("--cafile", default=os.path.join(os.environ.get("RFORK_HOME", "/var/lib/rfork"), "tls", "ca.pem"),
                        help="the node's CA certificate (default: RFORK_HOME/tls/ca.pem)")
    parser.add_argument("--node", default=os.environ.get("RFORK_NODE"),
                        help="this node's address, if not --host (default: RFORK_NODE)")
    parser.add_argument("--no-tls", action="store_true", help="plain text, for a node with RFORK_TLS=off (unsafe)")
    args = parser.parse_args()
    parent_pid = os.getpid()
    role, event = fork(args.host, args.port, args.user, args.password, args.to,
                       cafile=None if args.no_tls else args.cafile, node=args.node)
    if role == "parent":
        print(f"parent request={event['requestId']} childPid={event['childPid']} node={event['childNode']}", flush=True)
    else:
        print(f"child request={event['requestId']} parentPid={parent_pid} ", flush=True)
    for tick in range(1, 1_000_000):
        print(f"alive {role} {tick}", flush=True)
        time.sleep(0.1)


if __name__ == "__main__":
    sys.exit(main())
