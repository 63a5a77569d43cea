#!/usr/bin/env python3
"""Combines the rounds of one tools/bench/run.sh --rounds N run.

Each round (RESULT_DIR/round-K) booted every guest once, ours and the
distro's in turn, and has its own analyze.py table. Under TCG a guest's
absolute speed moves between boots by more than the two drivers differ in
some metrics (latency, host CPU), so the summary takes, per metric and
driver, the median over the rounds, reports the ratio of the two medians,
and next to it the median, lowest and highest of the per-round ratios (each
round pairs the two drivers booted one after the other): a ratio whose
range straddles 1 is noise, not a difference.

Output in RESULT_DIR: table.md (summary first, then each round's table),
results.csv and results.json (medians, ratio, per-round ratios).
Usage: combine.py RESULT_DIR
"""
import csv
import json
import os
import statistics
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from analyze import (METRICS, UNPACED_NOTE, WORKLOAD_ORDER, fmt, machine_lines,  # noqa: E402
                     mesa_section, ratio)


def load_rounds(res_dir):
    rounds = []
    for entry in sorted(os.listdir(res_dir)):
        path = os.path.join(res_dir, entry, "results.json")
        if entry.startswith("round-") and os.path.exists(path):
            with open(path) as f:
                rounds.append((entry, json.load(f)))
    return rounds


def median(values):
    values = [v for v in values if isinstance(v, (int, float))]
    return statistics.median(values) if values else None


def main():
    res_dir = sys.argv[1]
    rounds = load_rounds(res_dir)
    if not rounds:
        sys.exit("combine.py: no round-*/results.json in %s" % res_dir)

    configs = sorted({c for _, r in rounds for c in r["data"]})
    md = ["# virtio-gpu benchmark: ours vs distro, %d rounds" % len(rounds), ""]
    md.append("Each round boots every guest once, ours and the distro's in turn, on "
              "the same QEMU. ours and distro are medians over the rounds; "
              "ours/distro is their ratio (< 1 is better for every metric but "
              "ops/s and score). The last column looks at each round's own "
              "ratio, ours against the distro's booted right after it: the "
              "median of those ratios and, in brackets, the lowest and highest; "
              "where the two medians disagree on which side of 1 a metric is, "
              "or the range straddles 1, the difference is within the boots' noise.")
    md.append("The idle rows are per second of idle time, not per op.")
    md.append(UNPACED_NOTE)
    md += machine_lines(rounds[0][1].get("meta", {}))
    for k, v in sorted(rounds[0][1].get("meta", {}).items()):
        if v.get("params"):
            md.append("Module parameters (%s): %s" % (k, v["params"]))
    md += ["", "| config | workload | metric | ours | distro | ours/distro | per round: median (range) |",
           "|---|---|---|---:|---:|---:|---:|"]
    rows = []
    for cfg in configs:
        names = set()
        for _, r in rounds:
            for drv in r["data"].get(cfg, {}).values():
                names |= set(drv)
        names = sorted(names, key=lambda n: (WORKLOAD_ORDER.index(n)
                                             if n in WORKLOAD_ORDER else 99, n))
        for name in names:
            for key, label, _ in METRICS:
                if key in ("ops", "seconds", "window_s", "notify_ctrl_per_op",
                           "notify_cursor_per_op"):
                    continue
                per = []
                for _, r in rounds:
                    d = r["data"].get(cfg, {})
                    o = d.get("ours", {}).get(name, {}).get(key)
                    t = d.get("distro", {}).get(name, {}).get(key)
                    if key == "sync_wait_per_op":
                        t = None    # the distro driver has no such counter
                    per.append((o, t))
                om, tm = median(p[0] for p in per), median(p[1] for p in per)
                if om is None and tm is None:
                    continue
                rs = [ratio(o, t) for o, t in per]
                rs = [x for x in rs if x is not None]
                span = "%s (%s-%s)" % (fmt(statistics.median(rs)), fmt(min(rs)),
                                       fmt(max(rs))) if rs else "n/a"
                r = ratio(om, tm)
                md.append("| %s | %s | %s | %s | %s | %s | %s |" % (
                    cfg, name, label, fmt(om), fmt(tm), fmt(r), span))
                rows.append({"config": cfg, "workload": name, "metric": key,
                             "ours": om, "distro": tm, "ratio": r,
                             "round_ratios": rs})
    md += mesa_section(configs, lambda c, d, w, k: median(
        r["data"].get(c, {}).get(d, {}).get(w, {}).get(k) for _, r in rounds))
    for entry, _ in rounds:
        table = os.path.join(res_dir, entry, "table.md")
        if os.path.exists(table):
            with open(table) as f:
                body = f.read().split("\n", 1)[1]
            md += ["", "## %s" % entry, body.rstrip()]
    with open(os.path.join(res_dir, "table.md"), "w") as f:
        f.write("\n".join(md) + "\n")
    with open(os.path.join(res_dir, "results.csv"), "w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=["config", "workload", "metric", "ours",
                                          "distro", "ratio", "round_ratios"])
        w.writeheader()
        for row in rows:
            w.writerow(dict(row, round_ratios=" ".join(fmt(x) for x in row["round_ratios"])))
    with open(os.path.join(res_dir, "results.json"), "w") as f:
        json.dump({"rounds": [e for e, _ in rounds], "rows": rows}, f, indent=1)
    try:
        print("\n".join(md[:md.index("## %s" % rounds[0][0]) - 1]
                        if len(rounds) > 1 else md))
    except BrokenPipeError:
        pass


if __name__ == "__main__":
    main()
