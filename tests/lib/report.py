#!/usr/bin/env python3
"""Compares a run's results with the distro expectations and prints the summary.

report.py expect RUNDIR EXPECTDIR CONFIG...   write EXPECTDIR/CONFIG.distro
report.py check  RUNDIR EXPECTDIR DRIVER CONFIG...
report.py binaries EXPECTDIR CONFIG...        pass/skip/fail per IGT binary
report.py merge RUNDIR EXPECTDIR PREFIX CONFIG...
    replace the tests named PREFIX* in EXPECTDIR/CONFIG.distro with those of
    a distro run of one part of the run-list (RUNDIR/CONFIG-distro), e.g. a
    new test step recorded without running everything again
report.py screendumps OUTDIR none|gl
    the result lines of the screendump checks one guest asked for (its
    serial.log) from the host's verdicts (screendump-checks.txt, written by
    qemu-watch.py); gl: the config shows its scanout as a GL texture
report.py panic OUTDIR
    the result line of drm_panic's check (panic-check.txt, serial.log)
report.py piglit RESULTS_DIR
    the result lines of a piglit run (its results.json, or the per-test
    files of a run cut short), run in the guest by tests/guest/tests/piglit.sh
report.py piglit-profile OUT.xml.gz LIST PROFILE.xml.gz...
    piglit's tests named in LIST (tests/guest/piglit.list) copied out of
    piglit's PROFILEs into a profile of their own, in LIST's order
report.py igt RESULTS_JSON RC
    the result lines of an igt_runner run (its results.json; RC its exit
    code), run in the guest by tests/guest/main.sh

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
import json
import os
import re
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
    print("%-16s %6s %6s %6s" % ("config", "pass", "skip", "fail"))
    for cfg in configs:
        res = read_results(os.path.join(rundir, cfg + "-distro", "results.txt"))
        if not res:
            print("%-16s no results, expectation not written" % cfg)
            continue
        with open(os.path.join(expdir, cfg + ".distro"), "w") as f:
            for name in sorted(res):
                f.write("%s %s\n" % (res[name][0], name))
        c = counts(res)
        print("%-16s %6d %6d %6d" % (cfg, c["PASS"], c["SKIP"], c["FAIL"]))


def merge(rundir, expdir, prefix, configs):
    for cfg in configs:
        res = read_results(os.path.join(rundir, cfg + "-distro", "results.txt"))
        new = {n: r for n, r in res.items() if n.startswith(prefix)}
        if not new:
            print("%-16s no %s* results, expectation left as it was" % (cfg, prefix))
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
        print("%-16s %s*: %d pass, %d skip, %d fail (replacing %d)"
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
    print("%-16s | %-20s | %-20s | %10s | %5s" % ("config", driver + " pass/skip/fail",
                                                   "distro pass/skip/fail", "regression", "fixed"))
    print("-" * 83)
    for cfg, co, ce, regress, fixed in table:
        o = co if isinstance(co, str) else "%d/%d/%d" % (co["PASS"], co["SKIP"], co["FAIL"])
        e = "%d/%d/%d" % (ce["PASS"], ce["SKIP"], ce["FAIL"]) if ce["PASS"] + ce["SKIP"] + ce["FAIL"] else "no expectation"
        print("%-16s | %-20s | %-20s | %10d | %5d" % (cfg, o, e, regress, fixed))
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


# --- verdicts of the checks the host makes for a guest ----------------------
# Both read the guest's serial console and what qemu-watch.py measured.

# drm_panic's check (tests/guest/tests/panic.sh, qemu-watch.py's PanicCheck):
# shares of the screen's pixels before the crash (the flat grey the guest
# painted) and after it (drm_panic's screen, white text on black).
PANIC_GREY_BEFORE_MIN = 0.9     # the grey must fill at least this before;
                                # less means the dump missed the guest's fill
PANIC_GREY_AFTER_MAX = 0.05     # and at most this after: the panic screen
                                # replaced nearly all of it
PANIC_WHITE_AFTER_MIN = 0.001   # some white (the panic text) must be there
                                # after: more than this share


def serial_lines(outdir):
    try:
        with open(os.path.join(outdir, "serial.log"), errors="replace") as f:
            return [line.rstrip("\n").replace("\r", "") for line in f]
    except OSError:
        return []


def file_lines(path):
    try:
        with open(path, errors="replace") as f:
            return [line.rstrip("\n") for line in f if line.strip()]
    except OSError:
        return []


def fields(text):
    """KEY=VALUE words of TEXT; a later KEY wins."""
    return dict(re.findall(r"(?:^| )(\w+)=(\S*)", text))


def screendump_verdict(test, check, gl):
    """One result line from the host's last check line for TEST (or None).

    A check line is 'TEST NAME match|mismatch|error KEY=VALUE...'. age
    bounds the dump's delay after the guest's request; past the guest's
    hold the screen may already show something else, which a failure
    then says; tries counts the dumps made while looking for a match.
    """
    if check is None:
        return ("FAIL %s [the guest asked for a screendump check, the host made "
                "none (see watch.log)]" % test)
    words = check.split(" ")
    status = words[2] if len(words) > 2 else ""
    f = fields(check)
    late = ""
    try:
        if float(f["age"]) >= float(f["hold"]):
            late = ("; dumped up to %s s after the request, the guest held the "
                    "picture %s s" % (f["age"], f["hold"]))
    except (KeyError, ValueError):
        pass
    if status == "match":
        return "PASS %s" % test
    if status == "mismatch":
        tries = f.get("tries", "1")
        if tries != "1":
            late += "; none of the %s dumps made during the hold showed it" % tries
        return "FAIL %s [expected %s, got %s, dump %s%s]" % (
            test, f.get("expected", ""), f.get("got", ""), f.get("dump", ""), late)
    error = check.split(" error=", 1)[1] if " error=" in check else check
    if gl:
        # gtk,gl=on shows the scanout as a GL texture, so QEMU has no
        # surface to dump; the Xvfb screen is a scaled window.
        return ("SKIP %s QEMU cannot screendump a GL scanout (%s); the Xvfb "
                "screen is scaled, not exact" % (test, error))
    return "FAIL %s [screendump failed: %s%s]" % (test, error, late)


def screendumps(outdir, gl):
    """Result lines of the screendump checks the guest asked for.

    The guest asks with 'VGPU-SCREENDUMP NAME crc=... test=TEST' (or
    colour=RRGGBB instead of crc=) on its console; qemu-watch.py leaves its
    verdict in screendump-checks.txt.
    """
    asked = set()
    for line in serial_lines(outdir):
        m = re.match(r".*VGPU-SCREENDUMP (\S+) .*(?:crc|colour)=.* test=(\S+)", line)
        if m:
            asked.add((m.group(2), m.group(1)))
    checks = file_lines(os.path.join(outdir, "screendump-checks.txt"))
    out = []
    for test, name in sorted(asked, key=lambda tn: "%s %s" % tn):
        last = None
        for c in checks:
            w = c.split(" ")
            if len(w) >= 2 and w[0] == test and w[1] == name:
                last = c
        out.append(screendump_verdict(test, last, gl))
    return out


def panic_verdict(outdir):
    """The result line of drm_panic's check, panic/screen."""
    test = "panic/screen"
    skip = [line.split("VGPU-PANIC-SKIP ", 1)[1] for line in serial_lines(outdir)
            if "VGPU-PANIC-SKIP " in line]
    if skip:
        return "SKIP %s %s" % (test, skip[-1])
    checks = file_lines(os.path.join(outdir, "panic-check.txt"))
    if not checks:
        return "FAIL %s [no panic check was made (see watch.log and serial.log)]" % test
    line = checks[-1]
    before, _, after = line.partition(" after ")
    try:
        grey0 = float(re.search(r"grey=(\S*)", before).group(1))
        grey1 = float(re.search(r"grey=(\S*)", after).group(1))
        white1 = float(re.search(r"white=(\S*)", after).group(1))
    except (AttributeError, ValueError):
        return "FAIL %s [%s]" % (test, line)
    if (grey0 >= PANIC_GREY_BEFORE_MIN and grey1 <= PANIC_GREY_AFTER_MAX
            and white1 > PANIC_WHITE_AFTER_MIN):
        return "PASS %s" % test
    return "FAIL %s [%s]" % (test, line)


# --- IGT's results.json ------------------------------------------------------
# igt_runner names tests igt@BINARY[@SUBTEST[@DYNAMIC]], lower-cased; ours
# are igt/BINARY/SUBTEST[/DYNAMIC] as IGT prints them ("pipe-A-Virtual-1"),
# so the case comes back from the tests' own output.
IGT_PASS = ("pass", "warn", "dmesg-warn")   # warn: a pass that wrote to
# stderr; dmesg-warn: a pass with kernel warnings, which dmesg-clean checks
IGT_SKIP = ("skip",)
IGT_UNREPORTED = ("notrun",)                # never started: no result, as
# when IGT itself does not reach a subtest
IGT_NAME_RE = re.compile(r"(?:Starting (?:dynamic )?subtest: |(?:Dynamic s|S)ubtest |"
                         r": starting (?:dynamic )?subtest )([^ :\n]+)")


def clean(text, n=150):
    return re.sub(r"  +", " ", re.sub(r"[\r\t]", " ", text))[:n]


def igt_lines(results_json, rc):
    try:
        with open(results_json, errors="replace") as f:
            data = json.load(f)
    except (OSError, ValueError) as e:
        return ["FAIL igt/runner [no results from igt_runner (exit %s): %s]" % (rc, e)]
    tests = data.get("tests", {})
    case = {}
    for t in tests.values():
        for name in IGT_NAME_RE.findall("%s\n%s" % (t.get("out", ""), t.get("dmesg", ""))):
            case.setdefault(name.lower(), name)
    out = []
    for key, t in tests.items():
        parts = key.split("@")[1:]
        if not parts:
            continue
        if len(parts) > 1 and re.search(r"[*?,!]", parts[1]):
            # the run-list's --run-subtest patterns: the binary stopped
            # before its first subtest
            parts = parts[:1]
        name = "igt/" + "/".join([parts[0]] + [case.get(p, p) for p in parts[1:]])
        st = t.get("result", "")
        if st in IGT_UNREPORTED:
            continue
        if st in IGT_PASS:
            out.append("PASS " + name)
        elif st in IGT_SKIP:
            why = re.findall(r"^Test requirement: (.*)$",
                             t.get("out", "") + "\n" + t.get("err", ""), re.M)
            out.append("SKIP %s %s" % (name, clean(why[-1]) if why else "skipped"))
        else:
            out.append("FAIL %s [%s]" % (name, st.upper()))
    if not out:
        out.append("FAIL igt/runner [igt_runner gave no results (exit %s)]" % rc)
    return out


# --- piglit's results.json ---------------------------------------------------
# piglit's names (spec@!opengl es 2.0@draw_buffers_gles2) become ours with
# '@' as '/' and ' ' as '_' (piglit/spec/!opengl_es_2.0/draw_buffers_gles2).
PIGLIT_PASS = ("pass",)           # warn: a pass whose exit code was not 0
PIGLIT_SKIP = ("skip",)
PIGLIT_UNREPORTED = ("notrun",)


def piglit_name(name):
    return name.replace("@", "/").replace(" ", "_")


def piglit_tests(resdir):
    """The tests of a piglit results directory: results.json, or the
    per-test files piglit writes as it goes when the run was cut short."""
    try:
        with open(os.path.join(resdir, "results.json"), errors="replace") as f:
            return json.load(f).get("tests", {})
    except (OSError, ValueError):
        pass
    tests = {}
    tdir = os.path.join(resdir, "tests")
    try:
        files = sorted(os.listdir(tdir), key=lambda n: int(n.split(".")[0]))
    except (OSError, ValueError):
        return None
    for fname in files:
        try:
            with open(os.path.join(tdir, fname), errors="replace") as f:
                tests.update(json.load(f))
        except (OSError, ValueError):
            continue   # the test being written when the run stopped
    return tests


def piglit_lines(resdir):
    tests = piglit_tests(resdir)
    if tests is None:
        return ["FAIL all [no results from piglit's runner in %s]" % resdir]
    out = []
    for key, t in tests.items():
        name = piglit_name(key)
        st = t.get("result", "")
        said = [l for l in (t.get("out", "") + "\n" + t.get("err", "")).splitlines()
                if l.strip() and not l.startswith("PIGLIT:")]
        last = clean(said[-1], 140) if said else ""
        if st in PIGLIT_UNREPORTED:
            continue
        if st in PIGLIT_PASS:
            out.append("PASS " + name)
        elif st in PIGLIT_SKIP:
            out.append("SKIP %s %s" % (name, last or "the test gave no reason"))
        elif st == "timeout":
            out.append("FAIL %s [timeout]" % name)
        else:
            out.append("FAIL %s [%s, exit %s: %s]" % (name, st, t.get("returncode"), last))
    return out


def piglit_profile(out, listfile, profiles):
    """Writes OUT (gzipped XML), a piglit profile of LIST's tests.

    Loading piglit's own profiles costs the guest minutes under TCG (about
    100 s for shader.xml.gz's 35867 tests), and its runner takes a test
    list for one profile only: the host, which parses them in a second,
    picks the tests out instead.
    """
    import gzip
    import xml.etree.ElementTree as ET
    want = []
    with open(listfile) as f:
        for line in f:
            line = line.split("#", 1)[0].strip()
            if line:
                prof, _, name = line.partition(" ")
                want.append((prof, name.strip()))
    found = {}
    for path in profiles:
        prof = os.path.basename(path).split(".")[0]
        try:
            with gzip.open(path) as f:
                for t in ET.parse(f).getroot():
                    found[(prof, t.get("name"))] = t
        except (OSError, ET.ParseError) as e:
            print("piglit-profile: %s: %s" % (path, e), file=sys.stderr)
    missing = [n for n in want if n not in found]
    if missing:
        print("piglit-profile: not in piglit's profiles: %s" % ", ".join(
            "%s %s" % m for m in missing[:5]), file=sys.stderr)
        return 1
    root = ET.Element("PiglitTestList", count=str(len(want)), name="vgpu")
    for key in want:
        root.append(found[key])
    with gzip.open(out, "wb") as f:
        ET.ElementTree(root).write(f, encoding="utf-8", xml_declaration=True)
    return 0


def kunit_lines(results_json):
    """build/kunit/SUITE/CASE lines from kunit.py's --json output."""
    try:
        with open(results_json, errors="replace") as f:
            data = json.load(f)
    except (OSError, ValueError) as e:
        return ["FAIL build/kunit [no results: %s]" % clean(str(e))]
    lines = []

    def walk(group, path):
        for case in group.get("test_cases", []):
            st = {"PASS": "PASS", "SKIP": "SKIP"}.get(case.get("status"), "FAIL")
            lines.append("%s build/kunit/%s/%s" % (st, path, case.get("name")))
        for sub in group.get("sub_groups", []):
            walk(sub, sub["name"] if not path else path + "/" + sub["name"])

    walk(data, "")
    if not lines:
        lines.append("FAIL build/kunit [no test cases in %s]" % results_json)
    return lines


def main():
    if sys.argv[1] == "screendumps":
        for line in screendumps(sys.argv[2], sys.argv[3] == "gl"):
            print(line)
        return 0
    if sys.argv[1] == "igt":
        for line in igt_lines(sys.argv[2], sys.argv[3] if len(sys.argv) > 3 else "?"):
            print(line)
        return 0
    if sys.argv[1] == "piglit-profile":
        return piglit_profile(sys.argv[2], sys.argv[3], sys.argv[4:])
    if sys.argv[1] == "piglit":
        for line in piglit_lines(sys.argv[2]):
            print(line)
        return 0
    if sys.argv[1] == "kunit":
        for line in kunit_lines(sys.argv[2]):
            print(line)
        return 0
    if sys.argv[1] == "panic":
        print(panic_verdict(sys.argv[2]))
        return 0
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
