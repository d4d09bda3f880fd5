#!/usr/bin/env python3
"""The picture in docs/operations.md, from a node's real /metrics.

  metrics_svg.py record URL USER PASSWORD_FILE SECONDS [PREFIX]
      scrapes URL once a second for SECONDS while you run requests; writes PREFIX.csv (time,
      requests restored, requests failed, bytes shipped) and PREFIX.prom (the last scrape's rfork_
      samples). PREFIX defaults to metrics-run.
  metrics_svg.py draw [PREFIX]
      writes PREFIX.svg from those two files: the phase histograms and the counters over time.

Standard library only (no matplotlib needed).
"""
import base64
import re
import sys
import time
import urllib.request

SAMPLE = re.compile(r'^([a-z_]+)(?:\{(.*)\})? (\S+)$')
PHASES = [("frozen", "frozen (CRIU)"), ("dump", "dump"), ("ship", "ship (FTP)"), ("verify", "verify"),
          ("restore", "restore"), ("request_to_running", "request \u2192 running")]


def samples(text):
    for line in text.splitlines():
        match = SAMPLE.match(line)
        if match:
            labels = dict(re.findall(r'(\w+)="([^"]*)"', match.group(2) or ""))
            yield match.group(1), labels, float(match.group(3))


def value(text, name, **labels):
    return sum(v for n, l, v in samples(text) if n == name and all(l.get(k) == w for k, w in labels.items()))


def record(url, user, password_file, seconds, prefix):
    password = open(password_file).read().strip()
    auth = "Basic " + base64.b64encode((user + ":" + password).encode()).decode()
    start, rows, text = time.time(), [], ""
    while time.time() - start < seconds:
        request = urllib.request.Request(url, headers={"Authorization": auth})
        text = urllib.request.urlopen(request, timeout=5).read().decode()
        rows.append((time.time() - start, value(text, "rfork_requests_total", outcome="restored"),
                     value(text, "rfork_requests_total", outcome="failed"),
                     value(text, "rfork_shipped_bytes_total", transport="ftp")))
        time.sleep(1)
    with open(prefix + ".csv", "w") as out:
        out.write("seconds,restored,failed,shipped_bytes\n")
        out.writelines("%.1f,%d,%d,%d\n" % row for row in rows)
    with open(prefix + ".prom", "w") as out:
        out.writelines(line + "\n" for line in text.splitlines() if line.startswith("rfork_"))


def draw(prefix):
    text = open(prefix + ".prom").read()
    rows = [[float(x) for x in line.split(",")] for line in open(prefix + ".csv").read().splitlines()[1:]]
    bounds = sorted({float(l["le"]) for n, l, v in samples(text) if n.endswith("_bucket") and l["le"] != "+Inf"})
    bounds = [b for b in bounds if b <= 2.5]
    svg = ['<svg xmlns="http://www.w3.org/2000/svg" width="900" height="560" font-family="sans-serif" '
           'font-size="12"><rect width="900" height="560" fill="white"/>',
           '<text x="20" y="24" font-size="15" font-weight="bold">How long each phase took: forks counted per '
           'histogram bucket (rfork_*_seconds_bucket, upper bound)</text>']
    x0, y0, cw, ch = 170, 50, 62, 30
    for i, bound in enumerate(bounds):
        label = "\u2264%gms" % (bound * 1000) if bound < 1 else "\u2264%gs" % bound
        svg.append('<text x="%d" y="%d" text-anchor="middle">%s</text>' % (x0 + i * cw + cw / 2, y0 - 6, label))
    for r, (phase, title) in enumerate(PHASES):
        name = "rfork_%s_seconds_bucket" % phase
        cumulative = [value(text, name, mode="fork", le=repr(b)) for b in bounds]
        counts = [c - (cumulative[i - 1] if i else 0) for i, c in enumerate(cumulative)]
        top = max(counts) or 1
        y = y0 + r * ch
        svg.append('<text x="%d" y="%d" text-anchor="end">%s</text>' % (x0 - 8, y + 20, title))
        for i, count in enumerate(counts):
            shade = int(235 - 180 * count / top) if count else 248
            svg.append('<rect x="%d" y="%d" width="%d" height="%d" fill="rgb(%d,%d,255)" stroke="#ccc"/>'
                       % (x0 + i * cw, y, cw, ch, shade, shade))
            if count:
                svg.append('<text x="%d" y="%d" text-anchor="middle">%d</text>' % (x0 + i * cw + cw / 2, y + 20, count))
    chart_y, chart_h, chart_w = 300, 200, 640
    seconds = rows[-1][0] or 1
    most = max(max(r[1], r[2]) for r in rows) or 1
    gigabytes = max(r[3] for r in rows) / 1e9 or 1
    svg.append('<text x="20" y="%d" font-size="15" font-weight="bold">Counters during the run: '
               'rfork_requests_total by outcome, rfork_shipped_bytes_total</text>' % (chart_y - 20))
    svg.append('<rect x="%d" y="%d" width="%d" height="%d" fill="none" stroke="#888"/>'
               % (x0, chart_y, chart_w, chart_h))
    for column, colour, scale in ((1, "#2a7", most), (2, "#c33", most), (3, "#36c", gigabytes * 1e9)):
        points = " ".join("%.1f,%.1f" % (x0 + r[0] / seconds * chart_w, chart_y + chart_h - r[column] / scale * chart_h)
                          for r in rows)
        svg.append('<polyline points="%s" fill="none" stroke="%s" stroke-width="2"/>' % (points, colour))
    svg.append('<text x="%d" y="%d" text-anchor="end">%d requests</text>' % (x0 - 8, chart_y + 12, most))
    svg.append('<text x="%d" y="%d" text-anchor="end">0</text>' % (x0 - 8, chart_y + chart_h))
    svg.append('<text x="%d" y="%d">%.2f GB</text>' % (x0 + chart_w + 8, chart_y + 12, gigabytes))
    svg.append('<text x="%d" y="%d" text-anchor="middle">%d s</text>' % (x0 + chart_w, chart_y + chart_h + 16,
                                                                         seconds))
    legend = (("#2a7", "restored"), ("#c33", "failed (NO_SUCH_PROCESS)"), ("#36c", "bytes shipped (right axis)"))
    for i, (colour, label) in enumerate(legend):
        svg.append('<rect x="%d" y="%d" width="14" height="4" fill="%s"/><text x="%d" y="%d">%s</text>'
                   % (x0 + i * 210, chart_y + chart_h + 32, colour, x0 + i * 210 + 20, chart_y + chart_h + 38, label))
    svg.append("</svg>")
    with open(prefix + ".svg", "w") as out:
        out.write("\n".join(svg) + "\n")


if __name__ == "__main__":
    if len(sys.argv) >= 6 and sys.argv[1] == "record":
        record(sys.argv[2], sys.argv[3], sys.argv[4], float(sys.argv[5]),
               sys.argv[6] if len(sys.argv) > 6 else "metrics-run")
    elif len(sys.argv) >= 2 and sys.argv[1] == "draw":
        draw(sys.argv[2] if len(sys.argv) > 2 else "metrics-run")
    else:
        sys.exit(__doc__)
