#!/usr/bin/env python3
"""Health check of an rfork node container (Docker HEALTHCHECK, compose `--wait`).

Healthy = the node can take part in a fork:
  - its FTP server (embedded in the worker, or vsftpd) greets on RFORK_NODE:RFORK_FTP_PORT;
  - standalone broker: the console's Jolokia answers and the worker consumes both of its
    queues, `checkpoint` and `restore.<node>` (one consumer each);
  - embedded broker: the broker port accepts connections.
Light on purpose (no JVM): it runs every few seconds on every node.
Prints one line; exit status 0 = healthy.
"""
import base64
import json
import os
import socket
import subprocess
import sys
import urllib.request



def default_node():
    """The container's first address, as docker/node-entrypoint.sh takes when RFORK_NODE is unset."""
    try:
        out = subprocess.run(["hostname", "-I"], capture_output=True, text=True, timeout=2).stdout.split()
        return out[0] if out else "127.0.0.1"
    except (OSError, subprocess.SubprocessError):
        return "127.0.0.1"


NODE = os.environ.get("RFORK_NODE") or default_node()
HOME = os.environ.get("RFORK_HOME", "/var/lib/rfork")
FTP_PORT = int(os.environ.get("RFORK_FTP_PORT", "2121"))
BROKER_PORT = int(os.environ.get("RFORK_BROKER_PORT", "61616"))
EMBEDDED = os.environ.get("RFORK_BROKER_EMBEDDED", "false") == "true"
TIMEOUT = 3


def fail(message):
    print("unhealthy: " + message)
    sys.exit(1)


def admin_password():
    password = os.environ.get("RFORK_ADMIN_PASSWORD")
    if password:
        return password
    # a single node without configured secrets generated its own (Java properties file)
    try:
        with open(os.path.join(HOME, "secrets.properties")) as f:
            for line in f:
                if line.startswith("admin.password="):
                    return line.split("=", 1)[1].strip()
    except OSError:
        pass
    fail("no RFORK_ADMIN_PASSWORD and no admin.password in " + HOME + "/secrets.properties")


def queue_token(node):
    return node.replace(":", "-")  # IPv6 colons become dashes in queue names (NodeAddress.queueToken)


def ftp_greets():
    host = NODE.strip("[]")
    try:
        with socket.create_connection((host, FTP_PORT), timeout=TIMEOUT) as s:
            s.settimeout(TIMEOUT)
            greeting = s.recv(128)
    except OSError as e:
        fail("FTP %s:%d: %s" % (host, FTP_PORT, e))
    if not greeting.startswith(b"220"):
        fail("FTP %s:%d greeted %r" % (host, FTP_PORT, greeting[:40]))


def consumer_counts(queues):
    mbean = ('org.apache.activemq.artemis:broker=*,component=addresses,address="{0}",'
             'subcomponent=queues,routing-type="anycast",queue="{0}"')
    body = json.dumps([{"type": "read", "mbean": mbean.format(q), "attribute": "ConsumerCount"}
                       for q in queues]).encode()
    request = urllib.request.Request("http://127.0.0.1:8161/console/jolokia/", data=body, method="POST")
    token = base64.b64encode(("admin:" + admin_password()).encode()).decode()
    request.add_header("Authorization", "Basic " + token)
    request.add_header("Origin", "http://localhost")
    request.add_header("Content-Type", "application/json")
    try:
        with urllib.request.urlopen(request, timeout=TIMEOUT) as response:
            replies = json.load(response)
    except Exception as e:  # noqa: BLE001 - any failure is "unhealthy"
        fail("console/Jolokia: %s" % e)
    counts = {}
    for queue, reply in zip(queues, replies):
        value = reply.get("value") if reply.get("status") == 200 else None
        if isinstance(value, dict):  # broker=* pattern: {mbean: {"ConsumerCount": n}}
            value = sum(v.get("ConsumerCount", 0) for v in value.values() if isinstance(v, dict))
        counts[queue] = value if isinstance(value, int) else 0
    return counts


def main():
    ftp_greets()
    if EMBEDDED:
        try:
            socket.create_connection(("127.0.0.1", BROKER_PORT), timeout=TIMEOUT).close()
        except OSError as e:
            fail("broker port %d: %s" % (BROKER_PORT, e))
        print("healthy: FTP and broker answer (embedded broker)")
        return
    queues = ["checkpoint", "restore." + queue_token(NODE)]
    counts = consumer_counts(queues)
    idle = [q for q in queues if counts[q] < 1]
    if idle:
        fail("no consumer on " + ", ".join(idle) + " (is the worker running? docker logs)")
    print("healthy: FTP answers; consumers " + ", ".join("%s=%d" % (q, counts[q]) for q in queues))


if __name__ == "__main__":
    main()
