#!/usr/bin/env python3
"""Timestamps a guest's serial log on the host and samples QEMU at markers.

Runs next to tests/run-guest.sh (which writes the serial log and the trace).
For every complete serial line it records the host time; for the benchmark's
lines (VGPU-BENCH-*, BENCH, STATS) it also records the CPU time QEMU has used
so far (utime + stime of the whole process, all threads) and the current
size of the trace file. The trace has no usable timestamps by default (QEMU
prints them only with -msg timestamp=on), so a workload's window in the trace
is the byte range between the sizes taken at its START and END markers: QEMU
writes the serial line and the trace lines from the same threads, line
buffered, so the size taken right after a marker line bounds what came
before it.

Usage: follow.py SERIAL_LOG TRACE_FILE OUT_JSONL [--poll-ms N] [--max-s N]
Ends when the QEMU process that writes SERIAL_LOG has exited.
"""
import json
import os
import sys
import time

TICK = os.sysconf("SC_CLK_TCK")


def find_qemu(serial):
    """The pid of the qemu-system process whose -serial is SERIAL."""
    want = ("file:" + serial).encode()
    for d in os.listdir("/proc"):
        if not d.isdigit():
            continue
        try:
            with open("/proc/%s/cmdline" % d, "rb") as f:
                args = f.read().split(b"\0")
        except OSError:
            continue
        if args and os.path.basename(args[0]).startswith(b"qemu-system") and want in args:
            return int(d)
    return None


def cpu_seconds(pid):
    try:
        with open("/proc/%d/stat" % pid) as f:
            rest = f.read().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return None
    # Fields after "pid (comm)": state=0 ... utime=11 stime=12 (see proc(5)).
    return (int(rest[11]) + int(rest[12])) / TICK


def other_qemus(mine):
    """How many other QEMU guests share the machine (they skew timings)."""
    n = 0
    for d in os.listdir("/proc"):
        if not d.isdigit() or int(d) == mine:
            continue
        try:
            with open("/proc/%s/comm" % d) as f:
                if f.read().startswith("qemu-system"):
                    n += 1
        except OSError:
            pass
    return n


def size(path):
    try:
        return os.stat(path).st_size
    except OSError:
        return 0


def main():
    serial, trace, out = sys.argv[1:4]
    poll = 0.005
    max_s = 3600.0
    args = sys.argv[4:]
    while args:
        if args[0] == "--poll-ms":
            poll = float(args[1]) / 1000
        elif args[0] == "--max-s":
            max_s = float(args[1])
        args = args[2:]
    serial = os.path.abspath(serial)
    t_start = time.time()
    pid = None
    next_scan = 0.0
    fh = None
    pos = 0
    buf = b""
    with open(out, "w") as o, open(out.replace(".jsonl", "") + "-serial-ts.log", "w") as ts_log:
        while time.time() - t_start < max_s:
            if pid is None and time.time() >= next_scan:
                # Scanning /proc is not free: a few times a second is plenty.
                next_scan = time.time() + 0.1
                pid = find_qemu(serial)
                if pid is not None:
                    o.write(json.dumps({"t": time.time(), "qemu_pid": pid}) + "\n")
            alive = pid is not None and os.path.exists("/proc/%d" % pid)
            if fh is None and os.path.exists(serial):
                fh = open(serial, "rb")
            if fh is not None:
                st = os.fstat(fh.fileno())
                if st.st_size < pos:  # truncated when QEMU opened it
                    pos = 0
                    buf = b""
                fh.seek(pos)
                data = fh.read()
                pos += len(data)
                buf += data
                *lines, buf = buf.split(b"\n")
                for raw in lines:
                    line = raw.decode("utf-8", "replace").replace("\r", "")
                    now = time.time()
                    ts_log.write("%.6f %s\n" % (now, line))
                    if "BENCH" in line or line.startswith("STATS ") or "STATS " in line:
                        rec = {"t": now, "line": line, "trace_bytes": size(trace)}
                        if pid is not None:
                            rec["cpu_s"] = cpu_seconds(pid)
                        if "VGPU-BENCH-START" in line:
                            # After the samples above: this scan takes time.
                            rec["other_qemu"] = other_qemus(pid)
                            with open("/proc/loadavg") as la:
                                rec["loadavg"] = la.read().split()[0]
                        o.write(json.dumps(rec) + "\n")
                        o.flush()
                ts_log.flush()
            if pid is not None and not alive:
                break
            time.sleep(poll)


if __name__ == "__main__":
    main()
