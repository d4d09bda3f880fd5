#!/usr/bin/env python3
"""Renders the Markdown tables of bench/run.sh from its per-run TSV file.

Usage: report.py summary RUNS.tsv   -> the results table (medians, ratio)
       report.py notes RUNS.tsv     -> per size: copy and ship throughput, time outside the phases
       report.py runs RUNS.tsv      -> every run's numbers

The TSV has one header line and one row per run; "kind" is raw or rfork, "ok" is 1 or 0,
times are seconds (raw) or milliseconds (rfork, as the CLI reports them), NA when unknown.
"""
import csv
import statistics
import sys


def num(value):
    try:
        return float(value)
    except (TypeError, ValueError):
        return None


def median(rows, key, scale=1.0):
    values = [num(r[key]) for r in rows]
    values = [v * scale for v in values if v is not None]
    return statistics.median(values) if values else None


def mib(kb):
    v = num(kb)
    return "n/a" if v is None else "%.0f" % (v / 1024)


def fmt(value, digits=3):
    return "n/a" if value is None else f"{value:.{digits}f}"


def load(path):
    with open(path, newline="") as f:
        return list(csv.DictReader(f, delimiter="\t"))


def sizes_in_order(rows):
    seen = []
    for r in rows:
        if r["size_mib"] not in seen:
            seen.append(r["size_mib"])
    return seen


def summary(rows):
    out = ["| size MiB | image MB | raw median s (dump / copy / restore) "
           "| rfork median s (accept / dump / ship / verify / restore; frozen) | ratio rfork/raw | runs ok raw, rfork |",
           "|---:|---:|---|---|---:|---:|"]
    for size in sizes_in_order(rows):
        raw_all = [r for r in rows if r["size_mib"] == size and r["kind"] == "raw"]
        rf_all = [r for r in rows if r["size_mib"] == size and r["kind"] == "rfork"]
        raw = [r for r in raw_all if r["ok"] == "1"]
        rf = [r for r in rf_all if r["ok"] == "1"]
        image = median(raw, "image_bytes", 1e-6)
        if image is None:
            image = median(rf, "image_bytes", 1e-6)
        raw_total = median(raw, "total_s")
        raw_cell = "%s (%s / %s / %s)" % (fmt(raw_total), fmt(median(raw, "dump_s")), fmt(median(raw, "copy_s")),
                                          fmt(median(raw, "restore_s")))
        ms = 1e-3
        rf_total = median(rf, "request_to_running_ms", ms)
        rf_cell = "%s (%s / %s / %s / %s / %s; %s)" % (
            fmt(rf_total), fmt(median(rf, "accept_ms", ms)), fmt(median(rf, "dump_ms", ms)), fmt(median(rf, "ship_ms", ms)),
            fmt(median(rf, "verify_ms", ms)), fmt(median(rf, "restore_ms", ms)), fmt(median(rf, "frozen_ms", ms)))
        ratio = rf_total / raw_total if rf_total is not None and raw_total else None
        out.append("| %s | %s | %s | %s | %s | %d/%d, %d/%d |" % (
            size, fmt(image, 1), raw_cell, rf_cell, fmt(ratio, 2), len(raw), len(raw_all), len(rf), len(rf_all)))
    return "\n".join(out)


def notes(rows):
    out = []
    ms = 1e-3
    for size in sizes_in_order(rows):
        raw = [r for r in rows if r["size_mib"] == size and r["kind"] == "raw" and r["ok"] == "1"]
        rf = [r for r in rows if r["size_mib"] == size and r["kind"] == "rfork" and r["ok"] == "1"]
        image, copy = median(raw, "image_bytes", 1e-6), median(raw, "copy_s")
        rf_image, ship = median(rf, "image_bytes", 1e-6), median(rf, "ship_ms", ms)
        outside = [num(r["request_to_running_ms"]) - sum(num(r[k]) or 0 for k in
                                                         ("dump_ms", "ship_ms", "verify_ms", "restore_ms"))
                   for r in rf if num(r["request_to_running_ms"]) is not None]
        out.append("- %s MiB: raw copy %s MB/s, rfork ship %s MB/s (image / median); rfork send->accepted %s s, "
                   "outside the four phases %s s (medians)" % (
                       size, fmt(image / copy if image and copy else None, 0),
                       fmt(rf_image / ship if rf_image and ship else None, 0), fmt(median(rf, "accept_ms", ms)),
                       fmt(statistics.median(outside) * ms if outside else None)))
    return "\n".join(out)


def runs(rows):
    out = ["### Raw CRIU (seconds; frozen = CRIU's own \"Frozen time\")", "",
           "| size MiB | run | ok | VmRSS MiB | image MB | total | dump | copy | restore | frozen | note |",
           "|---:|---:|:-:|---:|---:|---:|---:|---:|---:|---:|---|"]
    for r in rows:
        if r["kind"] != "raw":
            continue
        frozen = num(r["frozen_ms"])
        out.append("| %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s |" % (
            r["size_mib"], r["run"], "yes" if r["ok"] == "1" else "NO", mib(r["rss_kb"]),
            fmt(num(r["image_bytes"]) * 1e-6 if num(r["image_bytes"]) is not None else None, 1),
            fmt(num(r["total_s"])), fmt(num(r["dump_s"])), fmt(num(r["copy_s"])), fmt(num(r["restore_s"])),
            fmt(frozen / 1000 if frozen is not None else None), r["note"]))
    out += ["", "### rfork (seconds, from the CLI's JSON; total = timings.requestToRunningMs, "
            "accept = total - timings.totalMs = client send -> accepted event)", "",
            "| size MiB | run | ok | VmRSS MiB | shipped MB | total | accept | dump | ship | verify | restore | frozen "
            "| CLI waited | note |",
            "|---:|---:|:-:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|"]
    for r in rows:
        if r["kind"] != "rfork":
            continue

        def s(key):
            v = num(r[key])
            return fmt(v / 1000 if v is not None else None)

        shipped = num(r["image_bytes"])
        out.append("| %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s |" % (
            r["size_mib"], r["run"], "yes" if r["ok"] == "1" else "NO", mib(r["rss_kb"]),
            fmt(shipped * 1e-6 if shipped is not None else None, 1),
            s("request_to_running_ms"), s("accept_ms"), s("dump_ms"), s("ship_ms"), s("verify_ms"), s("restore_ms"),
            s("frozen_ms"), s("waited_ms"), r["note"]))
    return "\n".join(out)


def main():
    modes = {"summary": summary, "notes": notes, "runs": runs}
    if len(sys.argv) != 3 or sys.argv[1] not in modes:
        sys.exit(__doc__)
    print(modes[sys.argv[1]](load(sys.argv[2])))


if __name__ == "__main__":
    main()
