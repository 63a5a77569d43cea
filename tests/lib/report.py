#!/usr/bin/env python3
"""Compares a run's results with the distro expectations and prints the summary.

report.py expect RUNDIR EXPECTDIR CONFIG...   write EXPECTDIR/CONFIG.distro
report.py check  RUNDIR EXPECTDIR DRIVER CONFIG...
report.py binaries EXPECTDIR CONFIG...        pass/skip/fail per IGT binary
report.py merge RUNDIR EXPECTDIR PREFIX CONFIG...
    replace the tests named PREFIX* in EXPECTDIR/CONFIG.distro with those of
    a distro run of one part of the run-list (RUNDIR/CONFIG-distro), e.g. a
    new test step recorded without running everything again

Counting (the final "N passed, N failed, N skipped" line):
  passed   a test that PASSes
  failed   a build check that FAILs; a test that PASSes with the distro driver
           and does not PASS here (regression, also when missing); a FAIL that
           the distro does not also FAIL; a config that could not run at all
  skipped  SKIPs, and FAILs the distro driver shares (known failures)
  flaky    FAILs of tests listed in EXPECTDIR/flaky (either driver fails
           them now and then on a loaded host): counted with the skipped
           and printed, whatever the distro's recorded result
  known    FAILs of ours listed with a reason in EXPECTDIR/known-failures
           (a test ours fails and the distro driver cannot run): counted
           with the skipped, and every one printed with its reason, so that
           they stay in sight instead of being left out of the run
"""
import os
import sys


def read_results(path):
    res = {}
    if not os.path.exists(path):
        return res
    with open(path, errors="replace") as f:
        for line in f:
            parts = line.strip().split(" ", 2)
            if len(parts) >= 2 and parts[0] in ("PASS", "FAIL", "SKIP"):
                # Later lines win (a test reported twice keeps its last word).
                res[parts[1]] = (parts[0], parts[2] if len(parts) > 2 else "")
    return res


def counts(res):
    c = {"PASS": 0, "SKIP": 0, "FAIL": 0}
    for st, _ in res.values():
        c[st] += 1
    return c


def expect(rundir, expdir, configs):
    os.makedirs(expdir, exist_ok=True)
    print("%-11s %6s %6s %6s" % ("config", "pass", "skip", "fail"))
    for cfg in configs:
        res = read_results(os.path.join(rundir, cfg + "-distro", "results.txt"))
        if not res:
            print("%-11s no results, expectation not written" % cfg)
            continue
        with open(os.path.join(expdir, cfg + ".distro"), "w") as f:
            for name in sorted(res):
                f.write("%s %s\n" % (res[name][0], name))
        c = counts(res)
        print("%-11s %6d %6d %6d" % (cfg, c["PASS"], c["SKIP"], c["FAIL"]))


def merge(rundir, expdir, prefix, configs):
    for cfg in configs:
        res = read_results(os.path.join(rundir, cfg + "-distro", "results.txt"))
        new = {n: r for n, r in res.items() if n.startswith(prefix)}
        if not new:
            print("%-11s no %s* results, expectation left as it was" % (cfg, prefix))
            continue
        path = os.path.join(expdir, cfg + ".distro")
        old = read_results(path)
        kept = {n: r for n, r in old.items() if not n.startswith(prefix)}
        dropped = len(old) - len(kept)
        kept.update(new)
        with open(path, "w") as f:
            for name in sorted(kept):
                f.write("%s %s\n" % (kept[name][0], name))
        c = counts(new)
        print("%-11s %s*: %d pass, %d skip, %d fail (replacing %d)"
              % (cfg, prefix, c["PASS"], c["SKIP"], c["FAIL"], dropped))


def read_known(expdir, fname="known-failures"):
    """Lines 'NAME REASON' ('#' comments); NAME may end in '*'."""
    known = []
    path = os.path.join(expdir, fname)
    if os.path.exists(path):
        with open(path) as f:
            for line in f:
                line = line.strip()
                if line and not line.startswith("#"):
                    name, _, why = line.partition(" ")
                    known.append((name, why.strip()))
    return known


def known_reason(known, name):
    for pat, why in known:
        if name == pat or (pat.endswith("*") and name.startswith(pat[:-1])):
            return why
    return None


def check(rundir, expdir, driver, configs):
    passed = failed = skipped = 0
    lines = []
    known_lines = []
    known = read_known(expdir) if driver == "ours" else []
    # Tests that fail now and then on either driver under a loaded TCG host
    # (both drivers' runs have shown it): a FAIL is printed, not counted.
    flaky = read_known(expdir, "flaky")
    flaky_lines = []
    build = read_results(os.path.join(rundir, "build", "results.txt"))
    for name, (st, why) in sorted(build.items()):
        if st == "PASS":
            passed += 1
        elif st == "FAIL":
            failed += 1
            lines.append("FAIL %s %s" % (name, why))
        else:
            skipped += 1
    table = []
    for cfg in configs:
        d = os.path.join(rundir, "%s-%s" % (cfg, driver))
        notrun = os.path.join(d, "NOT-RUN")
        exp = read_results(os.path.join(expdir, cfg + ".distro"))
        ce = counts(exp)
        if os.path.exists(notrun):
            with open(notrun) as f:
                why = f.read().strip()
            failed += 1
            lines.append("FAIL %s/%s [not run: %s]" % (cfg, driver, why))
            table.append((cfg, "not run", ce, 0, 0))
            continue
        res = read_results(os.path.join(d, "results.txt"))
        co = counts(res)
        regress = fixed = 0
        for name in sorted(set(res) | set(exp)):
            st, why = res.get(name, ("MISSING", ""))
            est = exp.get(name, ("NONE", ""))[0]
            if st == "PASS":
                passed += 1
                if est != "PASS" and est != "NONE":
                    fixed += 1
            elif st == "FAIL" and known_reason(flaky, name):
                skipped += 1
                flaky_lines.append("FLAKY %s:%s [distro %s] %s"
                                   % (cfg, name, est, known_reason(flaky, name)))
            elif st == "FAIL" and est != "PASS" and known_reason(known, name):
                skipped += 1
                known_lines.append("KNOWN %s:%s [distro %s] %s"
                                   % (cfg, name, est, known_reason(known, name)))
            elif est == "PASS" or (st == "FAIL" and est != "FAIL"):
                failed += 1
                regress += est == "PASS"
                tag = "regression" if est == "PASS" else "new failure"
                lines.append("FAIL %s:%s [%s; distro %s; %s %s]"
                             % (cfg, name, tag, est, st, why))
            else:
                skipped += 1
        table.append((cfg, co, ce, regress, fixed))

    print()
    print("%-11s | %-20s | %-20s | %10s | %5s" % ("config", driver + " pass/skip/fail",
                                                   "distro pass/skip/fail", "regression", "fixed"))
    print("-" * 78)
    for cfg, co, ce, regress, fixed in table:
        o = co if isinstance(co, str) else "%d/%d/%d" % (co["PASS"], co["SKIP"], co["FAIL"])
        e = "%d/%d/%d" % (ce["PASS"], ce["SKIP"], ce["FAIL"]) if ce["PASS"] + ce["SKIP"] + ce["FAIL"] else "no expectation"
        print("%-11s | %-20s | %-20s | %10d | %5d" % (cfg, o, e, regress, fixed))
    if known_lines:
        print()
        print("Known failures of ours (tests/expect/known-failures):")
        for line in known_lines:
            print("  " + line)
    if flaky_lines:
        print()
        print("Flaky tests that failed this time (tests/expect/flaky):")
        for line in flaky_lines:
            print("  " + line)
    if lines:
        print()
        print("Failures:")
        for line in lines:
            print("  " + line)
    print()
    print("%d passed, %d failed, %d skipped" % (passed, failed, skipped))
    return 1 if failed else 0


def group(name):
    parts = name.split("/")
    if parts[0] == "igt" and len(parts) > 1:
        return "igt/" + parts[1]
    return parts[0]


def binaries(expdir, configs):
    per = {}
    for cfg in configs:
        for name, (st, _) in read_results(os.path.join(expdir, cfg + ".distro")).items():
            per.setdefault(group(name), {}).setdefault(cfg, {"PASS": 0, "SKIP": 0, "FAIL": 0})[st] += 1
    print("%-24s" % "distro p/s/f" + "".join("%-12s" % c for c in configs))
    for g in sorted(per):
        row = ""
        for cfg in configs:
            c = per[g].get(cfg)
            row += "%-12s" % ("%d/%d/%d" % (c["PASS"], c["SKIP"], c["FAIL"]) if c else "-")
        print("%-24s%s" % (g, row))


def main():
    if sys.argv[1] == "binaries":
        binaries(sys.argv[2], sys.argv[3:])
        return 0
    mode, rundir, expdir = sys.argv[1:4]
    if mode == "merge":
        merge(rundir, expdir, sys.argv[4], sys.argv[5:])
        return 0
    if mode == "expect":
        expect(rundir, expdir, sys.argv[4:])
        return 0
    return check(rundir, expdir, sys.argv[4], sys.argv[5:])


if __name__ == "__main__":
    sys.exit(main())
