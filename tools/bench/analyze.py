#!/usr/bin/env python3
"""Turns one tools/bench/run.sh result directory into the comparison table.

Input, per guest directory CONFIG-DRIVER (virgl-ours, 2d-distro, ...):
  events.jsonl   follow.py's records: marker and result lines with the host
                 time, QEMU's CPU seconds and the trace size at that moment
  trace.log      QEMU's trace (virtio_queue_notify, virtio_notify,
                 virtio_gpu_cmd_*), possibly gzipped (trace.log.gz)
Output in the result directory: table.md, results.csv, results.json.

Per workload and driver:
  ops/s           the guest's own measure (BENCH line: ops / seconds)
  notify/op       virtio_queue_notify events (guest->host kicks = VM exits)
  irq/op          virtio_notify events (host->guest interrupts)
  qemu_cpu_ms/op  QEMU's user+system CPU time between the markers
  sync_wait/op    our driver's debugfs counter (n/a for the distro driver)
  cmds/op         virtio_gpu_cmd_* events (commands the host processed)
The "idle" and "idle-kms" workloads are reported per second of idle time
instead of per op.
Usage: analyze.py RESULT_DIR
"""
import csv
import gzip
import json
import os
import re
import sys
from collections import Counter, OrderedDict

EVENT_RE = re.compile(rb"^(?:\d+@[0-9.]+:)?(virtio_[a-z0-9_]+)(.*)$")
NOTIFY_Q_RE = re.compile(rb" n (\d+) ")
KV_RE = re.compile(r"(\w+)=(\S+)")

WORKLOAD_ORDER = ["submit", "transfer", "churn", "latency", "glmark2", "glmark2-flip",
                  "kmscube", "kmscube-atomic", "flip", "flip-async",
                  "flip-unpaced", "damage", "cursor", "idle", "idle-kms"]
# Reported per second of idle time rather than per op.
IDLE = ("idle", "idle-kms")
METRICS = [
    # key, label, lower_is_better (None: informational)
    ("ops_per_s", "ops/s (guest)", False),
    ("notify_per_op", "notifications/op", True),
    ("notify_ctrl_per_op", "  ctrlq notifications/op", True),
    ("notify_cursor_per_op", "  cursorq notifications/op", True),
    ("irq_per_op", "interrupts/op", True),
    ("cpu_ms_per_op", "QEMU CPU ms/op", True),
    ("cpu_net_ms_per_op", "  idle-corrected QEMU CPU ms/op", True),
    ("sync_wait_per_op", "sync host waits/op", True),
    ("kms_wait_per_op", "KMS CPU fence waits/op", True),
    ("xfer_to_host_per_op", "bytes transferred to host/op", True),
    ("cmds_per_op", "host commands/op", None),
    ("lat_mean_us", "latency mean µs", True),
    ("lat_p50_us", "latency p50 µs", True),
    ("lat_p99_us", "latency p99 µs", True),
    ("score", "glmark2 score", False),
    ("syscalls_per_op", "client system calls/op", True),
    ("waits_per_op", "client blocking waits/op", True),
    ("mib_per_s", "MiB/s", False),
    ("ops", "ops", None),
    ("seconds", "seconds (guest)", None),
    ("window_s", "marker window s (host)", None),
    ("other_qemu", "other QEMU guests on the host", None),
]


UNPACED_NOTE = ("flip-unpaced is not a run of its own: it sets our flip-async "
                "against the distro's flip, its only unpaced flip (the distro "
                "driver has no vblank and refuses async flips).")


def open_trace(d):
    p = os.path.join(d, "trace.log")
    if os.path.exists(p):
        return open(p, "rb")
    if os.path.exists(p + ".gz"):
        return gzip.open(p + ".gz", "rb")
    return None


def count_trace(d, start, end):
    """Events in the byte range [start, end) of the trace."""
    f = open_trace(d)
    c = Counter()
    if f is None or end <= start:
        return c
    with f:
        f.seek(start)
        data = f.read(end - start)
    for line in data.split(b"\n"):
        m = EVENT_RE.match(line)
        if not m:
            continue
        ev = m.group(1).decode()
        c[ev] += 1
        if ev == "virtio_queue_notify":
            q = NOTIFY_Q_RE.search(m.group(2))
            c["virtio_queue_notify.q%s" % (q.group(1).decode() if q else "?")] += 1
    return c


def parse_guest(d):
    """{workload: record} for one guest directory."""
    ev_path = os.path.join(d, "events.jsonl")
    if not os.path.exists(ev_path):
        return {}, {}
    runs = OrderedDict()
    meta = {}
    with open(ev_path) as f:
        for raw in f:
            try:
                rec = json.loads(raw)
            except ValueError:
                continue
            line = rec.get("line", "")
            m = re.search(r"(VGPU-BENCH-(?:START|END|PARAMS|FAIL)|BENCH|STATS) ?(.*)$", line)
            if not m:
                continue
            kind, rest = m.group(1), m.group(2)
            if kind == "VGPU-BENCH-PARAMS":
                meta["params"] = rest
                continue
            name = rest.split()[0] if rest.split() else "?"
            r = runs.setdefault(name, {})
            if kind == "VGPU-BENCH-START":
                r["start"] = rec
            elif kind == "VGPU-BENCH-END":
                r["end"] = rec
            elif kind == "VGPU-BENCH-FAIL":
                r["failed"] = rest
            elif kind == "BENCH":
                r["bench"] = dict(KV_RE.findall(rest))
            elif kind == "STATS":
                r["stats"] = {k: float(v) for k, v in KV_RE.findall(rest)}
    return runs, meta


def parse_machine(guest_dir):
    """The accelerator and vCPU count run-guest.sh wrote to accel.txt."""
    got = {}
    try:
        with open(os.path.join(guest_dir, "accel.txt")) as f:
            for line in f:
                key, _, val = line.partition(":")
                if key.strip() in ("accelerator", "vcpus"):
                    got[key.strip()] = val.strip()
    except OSError:
        pass
    return got


def machine_lines(meta):
    """One line naming how the guests ran (older results lack the vCPUs)."""
    def desc(v):
        vcpus = v.get("vcpus")
        return "accelerator %s, %s" % (
            v.get("accelerator", "not recorded"),
            "vCPUs not recorded" if vcpus is None else
            "%s vCPU%s" % (vcpus, "" if vcpus == "1" else "s"))
    seen = {desc(v) for v in meta.values()}
    if len(seen) == 1:
        return ["Every guest: %s." % seen.pop()]
    return ["Guests ran differently: " + "; ".join(
        "%s %s" % (k, desc(v)) for k, v in sorted(meta.items()))]


def metrics_for(d, name, r):
    if "bench" not in r or "start" not in r or "end" not in r:
        return None
    b = r["bench"]
    ops = float(b.get("ops", 0))
    secs = float(b.get("seconds", 0))
    out = {"ops": ops, "seconds": secs}
    out["ops_per_s"] = ops / secs if secs > 0 else None
    # idle: rates per second of the window rather than per "op"
    div = secs if name in IDLE else ops
    if name in IDLE:
        out["ops_per_s"] = None
    s, e = r["start"], r["end"]
    out["window_s"] = e["t"] - s["t"]
    if "other_qemu" in s:
        out["other_qemu"] = float(s["other_qemu"])
    c = count_trace(d, s.get("trace_bytes", 0), e.get("trace_bytes", 0))
    cmds = Counter({k[len("virtio_gpu_cmd_"):]: v for k, v in c.items()
                    if k.startswith("virtio_gpu_cmd_")})
    if div > 0:
        out["notify_per_op"] = c["virtio_queue_notify"] / div
        out["notify_ctrl_per_op"] = c["virtio_queue_notify.q0"] / div
        out["notify_cursor_per_op"] = c["virtio_queue_notify.q1"] / div
        out["irq_per_op"] = c["virtio_notify"] / div
        out["cmds_per_op"] = sum(cmds.values()) / div
        if s.get("cpu_s") is not None and e.get("cpu_s") is not None:
            out["cpu_ms_per_op"] = (e["cpu_s"] - s["cpu_s"]) * 1000 / div
        if "stats" in r:
            out["sync_wait_per_op"] = r["stats"].get("sync_wait", 0) / div
            out["kms_wait_per_op"] = r["stats"].get("kms_fence_wait", 0) / div
            out["xfer_to_host_per_op"] = r["stats"].get("xfer_to_host_bytes", 0) / div
    for k in ("lat_mean_us", "lat_p50_us", "lat_p99_us", "score",
              "syscalls_per_op", "waits_per_op", "mib_per_s"):
        if k in b:
            out[k] = float(b[k])
    out["raw"] = {
        "notify": c["virtio_queue_notify"], "irq": c["virtio_notify"],
        "cpu_s": (e.get("cpu_s") or 0) - (s.get("cpu_s") or 0),
        "cmd_mix": dict(cmds.most_common()),
        "stats": r.get("stats"),
        "bench": b,
    }
    return out


def idle_correct(got):
    """QEMU CPU net of what the guest burns idle during the settle times.

    The window between the markers holds the loop plus quiet time (see
    vgpu-bench.c); the idle workload of the same guest gives QEMU's CPU rate
    with nothing running, which is subtracted for the quiet part.
    """
    idle = got.get("idle", {})
    raw = idle.get("raw")
    if not raw or not idle.get("window_s"):
        return
    rate = raw["cpu_s"] / idle["window_s"]
    for name, m in got.items():
        if name in IDLE or "raw" not in m or not m.get("ops"):
            continue
        quiet = max(0.0, m["window_s"] - m["seconds"])
        m["cpu_net_ms_per_op"] = max(0.0, m["raw"]["cpu_s"] - rate * quiet) * 1000 / m["ops"]


def add_unpaced_flip(drivers):
    """Pairs the two drivers' unpaced flips as workload flip-unpaced.

    Our vsync'd flips complete on the emulated vblank, so "flip" compares a
    paced loop with the distro driver's, which has no vblank and completes a
    flip as soon as the host has it. Both drivers flip unpaced when ours is
    asked for DRM_MODE_PAGE_FLIP_ASYNC, which the distro driver refuses:
    flip-unpaced is our flip-async against the distro's flip, the same
    600 full-screen flips waited for one by one, and says what a flip itself
    costs each driver.
    """
    ours, distro = drivers.get("ours", {}), drivers.get("distro", {})
    fast, plain = ours.get("flip-async"), distro.get("flip")
    if not fast or not plain or "missing" in fast or "missing" in plain:
        return
    if "missing" not in distro.get("flip-async", {"missing": True}):
        return  # the distro driver flips async itself: no pairing needed
    ours["flip-unpaced"] = fast
    distro["flip-unpaced"] = plain


# The Mesa loops: stock Mesa on each driver, and patched Mesa (the -ng
# workload, userspace/mesa) on ours.
MESA_LOOPS = ["glfinish", "readback", "alloc-map", "submit-wait"]
MESA_METRICS = [("syscalls_per_op", "system calls/op"),
                ("waits_per_op", "blocking waits/op"),
                ("notify_per_op", "notifications/op"),
                ("ops_per_s", "ops/s")]
UPLOADS = ["upload-memcpy", "upload-blob", "upload-transfer"]


def mesa_section(configs, value):
    """Markdown lines comparing stock and patched Mesa, if they ran.

    value(cfg, drv, workload, metric) gives a number or None.
    """
    md = []
    for cfg in configs:
        if value(cfg, "ours", MESA_LOOPS[0] + "-ng", "ops") is None and \
                value(cfg, "ours", UPLOADS[1], "mib_per_s") is None:
            continue
        md += ["", "## Mesa with our patches (%s)" % cfg, "",
               "Stock Mesa on the distro driver, stock Mesa on ours, and Mesa with "
               "userspace/mesa on ours; the last column is patched/stock on ours. "
               "System calls and blocking waits are the client's own, counted "
               "by tests/c/sccount.c around the loop.", "",
               "| loop | metric | stock, distro | stock, ours | patched, ours | patched/stock |",
               "|---|---|---:|---:|---:|---:|"]
        for w in MESA_LOOPS:
            for key, label in MESA_METRICS:
                t = value(cfg, "distro", w, key)
                o = value(cfg, "ours", w, key)
                p = value(cfg, "ours", w + "-ng", key)
                if t is None and o is None and p is None:
                    continue
                md.append("| %s | %s | %s | %s | %s | %s |" % (
                    w, label, fmt(t), fmt(o), fmt(p), fmt(ratio(p, o))))
        mem = value(cfg, "ours", "upload-memcpy", "mib_per_s")
        blob = value(cfg, "ours", "upload-blob", "mib_per_s")
        xfer = value(cfg, "ours", "upload-transfer", "mib_per_s")
        if mem or blob or xfer:
            md += ["", "| 64 MiB upload, ours | MiB/s | of memcpy |", "|---|---:|---:|"]
            for w, v in zip(UPLOADS, (mem, blob, xfer)):
                md.append("| %s | %s | %s |" % (w, fmt(v), fmt(ratio(v, mem))))
            md.append("")
            md.append("Mapped blob against TRANSFER_TO_HOST: %s times as fast." %
                      fmt(ratio(blob, xfer)))
    return md


def fmt(v):
    if v is None:
        return "n/a"
    if isinstance(v, str):
        return v
    a = abs(v)
    if a == 0:
        return "0"
    if a >= 1000:
        return "%.0f" % v
    if a >= 10:
        return "%.1f" % v
    if a >= 0.01:
        return "%.3f" % v
    return "%.2e" % v


def ratio(a, b):
    if a is None or b is None:
        return None
    if b == 0:
        return None if a == 0 else float("inf")
    return a / b


def main():
    res_dir = sys.argv[1]
    data = {}   # config -> driver -> workload -> metrics
    meta = {}
    for entry in sorted(os.listdir(res_dir)):
        d = os.path.join(res_dir, entry)
        m = re.match(r"^(.+)-(ours|distro)$", entry)
        if not m or not os.path.isdir(d):
            continue
        cfg, drv = m.groups()
        runs, mt = parse_guest(d)
        mt.update(parse_machine(d))
        meta["%s-%s" % (cfg, drv)] = mt
        got = {}
        for name, r in runs.items():
            met = metrics_for(d, name, r)
            if met is None:
                met = {"missing": r.get("failed", "no result (see %s/logs)" % entry)}
            got[name] = met
        idle_correct(got)
        data.setdefault(cfg, {})[drv] = got
    for drivers in data.values():
        add_unpaced_flip(drivers)

    rows = []
    md = ["# virtio-gpu benchmark: ours vs distro", ""]
    md.append("Under TCG absolute numbers mean little; compare the ratio column "
              "(ours/distro; < 1 is better for every metric but ops/s and score).")
    md.append("The idle rows are per second of idle time, not per op.")
    md.append(UNPACED_NOTE)
    md += machine_lines(meta)
    for k, v in sorted(meta.items()):
        if v.get("params"):
            md.append("Module parameters (%s): %s" % (k, v["params"]))
    md += ["", "| config | workload | metric | ours | distro | ours/distro |",
           "|---|---|---|---:|---:|---:|"]
    for cfg in sorted(data):
        names = set()
        for drv in data[cfg]:
            names |= set(data[cfg][drv])
        names = sorted(names, key=lambda n: (WORKLOAD_ORDER.index(n) if n in WORKLOAD_ORDER else 99, n))
        for name in names:
            o = data[cfg].get("ours", {}).get(name, {})
            t = data[cfg].get("distro", {}).get(name, {})
            for label_drv, rec in (("ours", o), ("distro", t)):
                if "missing" in rec:
                    md.append("| %s | %s | (failed) | %s | | |" % (
                        cfg, name, ("ours: " if label_drv == "ours" else "distro: ") + rec["missing"]))
            for key, label, _ in METRICS:
                ov, tv = o.get(key), t.get(key)
                if ov is None and tv is None:
                    continue
                if key in ("notify_cursor_per_op", "notify_ctrl_per_op") and \
                        not o.get("notify_cursor_per_op") and not t.get("notify_cursor_per_op"):
                    continue  # one queue only: the total says it all
                if key == "sync_wait_per_op":
                    tv = None  # the distro driver has no such counter
                r = ratio(ov, tv)
                md.append("| %s | %s | %s | %s | %s | %s |" % (
                    cfg, name, label, fmt(ov), fmt(tv), fmt(r)))
                rows.append({"config": cfg, "workload": name, "metric": key,
                             "ours": ov, "distro": tv, "ratio": r})
    md += mesa_section(sorted(data), lambda c, d, w, k: data.get(c, {}).get(d, {}).get(w, {}).get(k))
    md += ["", "## Command mix (host-side virtio_gpu_cmd_* per op)", "",
           "| config | workload | driver | commands |", "|---|---|---|---|"]
    for cfg in sorted(data):
        for drv in ("ours", "distro"):
            for name, rec in data[cfg].get(drv, {}).items():
                mix = rec.get("raw", {}).get("cmd_mix", {})
                div = rec.get("seconds") if name in IDLE else rec.get("ops")
                if not mix or not div:
                    continue
                md.append("| %s | %s | %s | %s |" % (cfg, name, drv, ", ".join(
                    "%s %s" % (k, fmt(v / div)) for k, v in mix.items())))
    timings = os.path.join(res_dir, "timings.txt")
    if os.path.exists(timings):
        md += ["", "## Timings", "", "```", open(timings).read().rstrip(), "```"]
    with open(os.path.join(res_dir, "table.md"), "w") as f:
        f.write("\n".join(md) + "\n")
    with open(os.path.join(res_dir, "results.csv"), "w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=["config", "workload", "metric", "ours", "distro", "ratio"])
        w.writeheader()
        for r in rows:
            w.writerow(r)
    with open(os.path.join(res_dir, "results.json"), "w") as f:
        json.dump({"meta": meta, "data": data}, f, indent=1, default=str)
    try:
        print("\n".join(md))
    except BrokenPipeError:
        pass


if __name__ == "__main__":
    main()
