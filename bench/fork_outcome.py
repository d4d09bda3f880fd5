#!/usr/bin/env python3
"""Reads what 'rfork fork --wait --json' printed and writes one tab-separated line for the
bench scripts: status, childPid, requestToRunningMs, dumpMs, shipMs, verifyMs, restoreMs,
frozenMs, image bytes, waitedMs, totalMs, reason ("NA" for what is missing; "nojson" when the
CLI printed no JSON object).

Usage: fork_outcome.py OUTPUT_FILE
"""
import json
import sys


def main():
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    doc = None
    for line in open(sys.argv[1], errors="replace"):
        line = line.strip()
        if line.startswith("{"):
            try:
                doc = json.loads(line)
            except ValueError:
                pass
    if doc is None:
        print("\t".join(["nojson"] + ["NA"] * 11))
        return
    timings = doc.get("timings") or {}

    def get(key):
        value = timings.get(key)
        return "NA" if value is None else str(value)

    reason = ("%s: %s" % (doc.get("reason", ""), doc.get("detail", ""))).strip(": ") or "NA"
    print("\t".join([str(doc.get("status", "NA")), str(doc.get("childPid", "NA")), get("requestToRunningMs"),
                     get("dumpMs"), get("shipMs"), get("verifyMs"), get("restoreMs"), get("frozenMs"),
                     get("imageBytes") if "imageBytes" in timings else get("shippedBytes"), get("waitedMs"),
                     get("totalMs"), reason.replace("\t", " ").replace("\n", " ")]))


if __name__ == "__main__":
    main()
