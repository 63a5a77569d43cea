#!/bin/sh
# A conformance subset of Debian's piglit (tests/guest/piglit.list) on Mesa's
# virgl driver: GLES 2, GLES 3 and GL 3.x, run by piglit's own runner on GBM
# (no X in the guest), one test at a time, each under a time limit.
# run-guest.sh hands the list over as a profile of its own
# (piglit-vgpu.xml.gz); report.py turns the runner's results into one
# result line per test, which the guest's runner prefixes with "piglit/".
# Argument: the per-test limit in seconds (default 60).
# PIGLIT_RESULTS: the runner's results directory (default out/piglit-results).
W=${W:-/mnt/work}
OUT=$W/out
LIST=$W/guest/piglit.list
PROFILE=$W/guest/piglit-vgpu.xml.gz
LIMIT=${1:-60}
RES=${PIGLIT_RESULTS:-$OUT/piglit-results}
CONFIG=$(sed -n 's/^CONFIG=//p' "$W/config.env" 2>/dev/null)

# One line instead of one per test where the list does not run: 2D devices
# have no 3D renderer, and GL on the venus config is virgl-blob's device
# with venus added, the same path for GL: ~4 minutes saved per check.
case "$CONFIG" in
    virgl|virgl-blob) ;;
    venus) echo "SKIP all GL on this device takes the virgl-blob config's path, run there"; exit 0;;
    *) echo "SKIP all config $CONFIG has no 3D device (virgl)"; exit 0;;
esac
if ! command -v piglit >/dev/null; then
    echo "FAIL all [piglit not installed in the guest image]"
    exit 0
fi
if [ ! -s "$PROFILE" ]; then
    echo "FAIL all [no profile for tests/guest/piglit.list (run-guest.sh, report.py piglit-profile)]"
    exit 0
fi

# Mesa falls back to its own software renderer when virgl cannot start, and
# piglit passes there just as well: that must not count for the driver.
mkdir -p "$RES"
eglinfo -B -p gbm >"$RES/eglinfo.txt" 2>&1
renderer=$(grep -m1 -i 'renderer' "$RES/eglinfo.txt")
case "$renderer" in
    *virgl*) echo "PASS renderer-virgl";;
    *) echo "FAIL renderer-virgl [${renderer:-no renderer from eglinfo -p gbm}]"
       sed -e 's/#.*//' -e '/^[[:space:]]*$/d' "$LIST" | cut -d' ' -f2- |
           sed -e 's/^ *//' -e 's/@/\//g' -e 's/ /_/g' |
           while read -r name; do echo "SKIP $name GL does not run on virgl"; done
       exit 0;;
esac

# -1: one test at a time, as the list was chosen and timed; --timeout: the
# runner kills a test's process group when it overruns; -s: each result is
# on disk before the next test starts. PIGLIT_NO_FAST_SKIP: the runner's
# fast skip asks wflinfo (not in the image) for the GL versions and, without
# it, skips every test that needs a GLSL version (22 of the list).
export PIGLIT_PLATFORM=gbm PIGLIT_COMPRESSION=none PIGLIT_NO_FAST_SKIP=1
echo "VGPU: piglit run ($(zcat "$PROFILE" | grep -o '<Test ' | wc -l) tests)" >/dev/console
piglit run -p gbm -1 -s --timeout "$LIMIT" -n vgpu "$PROFILE" "$RES/results" \
    >"$RES/run.log" 2>&1
rc=$?
[ "$rc" -eq 0 ] || echo "VGPU: piglit run exited $rc (see $RES/run.log)" >/dev/console
python3 "$W/guest/report.py" piglit "$RES/results"
exit 0
