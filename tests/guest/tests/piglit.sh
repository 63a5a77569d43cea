#!/bin/sh
# A conformance subset of Debian's piglit (tests/guest/piglit.list) on Mesa's
# virgl driver: GLES 2, GLES 3 and GL 3.x, each test binary run on its own
# the way piglit's runner would run it, on GBM (no X in the guest), under a
# time limit of its own. One result line per test; the runner prefixes
# "piglit/". Argument: the per-test limit in seconds (default 60).
W=${W:-/mnt/work}
OUT=$W/out
LIST=$W/guest/piglit.list
PIGLIT=/usr/lib/x86_64-linux-gnu/piglit
LIMIT=${1:-60}
LOGS=$OUT/logs/piglit
set -f   # the list's command lines are split into words, never globbed
CONFIG=$(sed -n 's/^CONFIG=//p' "$W/config.env" 2>/dev/null)

# One line instead of one per test where the list does not run: 2D devices
# have no 3D renderer, and GL on the venus config is virgl-blob's device
# with venus added, the same path for GL: ~4 minutes saved per check.
case "$CONFIG" in
    virgl|virgl-blob) ;;
    venus) echo "SKIP all GL on this device takes the virgl-blob config's path, run there"; exit 0;;
    *) echo "SKIP all config $CONFIG has no 3D device (virgl)"; exit 0;;
esac
if [ ! -x "$PIGLIT/bin/shader_runner" ]; then
    echo "FAIL all [piglit not installed in the guest image ($PIGLIT)]"
    exit 0
fi

# Mesa falls back to its own software renderer when virgl cannot start, and
# piglit passes there just as well: that must not count for the driver.
mkdir -p "$LOGS"
eglinfo -B -p gbm >"$LOGS/eglinfo.txt" 2>&1
renderer=$(grep -m1 -i 'renderer' "$LOGS/eglinfo.txt")
case "$renderer" in
    *virgl*) echo "PASS renderer-virgl";;
    *) echo "FAIL renderer-virgl [${renderer:-no renderer from eglinfo -p gbm}]"
       while read -r name _; do
           case "$name" in ''|'#'*) continue;; esac
           echo "SKIP $name GL does not run on virgl"
       done <"$LIST"
       exit 0;;
esac

# Centiseconds since boot into NOW, without a fork (under TCG each costs).
now() {
    read -r _up _ </proc/uptime
    NOW=${_up%.*}${_up#*.}
}

threads() { # PID: state, wait channel and kernel stack of each thread
    set +f
    for _t in /proc/"$1"/task/*; do
        echo "task ${_t##*/}: $(cut -d' ' -f3 "$_t/stat" 2>/dev/null) $(cat "$_t/wchan" 2>/dev/null)"
        cat "$_t/stack" 2>/dev/null
    done
    set -f
}

# run_one SECONDS LOG CMD... : CMD in its own process group, killed when it
# overruns. A test stuck unkillable in the kernel is left behind, with the
# kernel stacks of its threads in LOG, rather than stopping the rest of the
# list.
run_one() {
    now; _end=$((NOW + $1 * 100)); _log=$2; shift 2
    setsid "$@" >"$_log" 2>&1 </dev/null &
    _pid=$!
    while kill -0 "$_pid" 2>/dev/null; do
        now
        if [ "$NOW" -ge "$_end" ]; then
            # Where it waits says whose hang it is (Mesa's or the kernel's).
            echo "VGPU: timeout; threads of $_pid (state, wchan, kernel stack):" >>"$_log"
            threads "$_pid" >>"$_log"
            kill -KILL "-$_pid" 2>/dev/null
            _end=$((NOW + 1000))
            while kill -0 "$_pid" 2>/dev/null && [ "$NOW" -lt "$_end" ]; do sleep 0.2; now; done
            if kill -0 "$_pid" 2>/dev/null; then
                echo "VGPU: process $_pid is stuck (unkillable 10 s after SIGKILL); abandoning it" >>"$_log"
                threads "$_pid" >>"$_log"
                STUCK="$STUCK $_pid"
            fi
            return 124
        fi
        # Most tests take a second or two under TCG: a coarse poll would
        # add up over the list.
        sleep 0.1
    done
    wait "$_pid"
}
STUCK=""

# A line of the test's own output, for the reason of a FAIL or SKIP: the
# last one that is not piglit's result line.
said() {
    grep -v -e '^PIGLIT:' -e '^[[:space:]]*$' "$1" | tail -1 | tr -d '\r' | tr '\t' ' ' | cut -c1-140
}

# As piglit's runner sets them: GBM (no X), and where tests find their data.
export PIGLIT_PLATFORM=gbm PIGLIT_SOURCE_DIR="$PIGLIT"
# shader_runner's file arguments are relative to piglit's directory.
cd "$PIGLIT" || exit 1
: >"$LOGS/times.txt"
while read -r name cmd; do
    case "$name" in ''|'#'*) continue;; esac
    log="$LOGS/$(echo "$name" | tr '/' '@').log"
    # Results reach the console only when the list is done; if QEMU dies
    # first, this says which test it died in.
    echo "VGPU: piglit $name" >/dev/console
    now; t0=$NOW
    # shellcheck disable=SC2086  # the list's command line, split on purpose
    run_one "$LIMIT" "$log" "$PIGLIT/bin/"$cmd
    rc=$?
    now; echo "$name rc=$rc cs=$((NOW - t0))" >>"$LOGS/times.txt"
    # The last word of the test (subtests report before the whole test).
    res=$(sed -n 's/^PIGLIT: *{ *"result": *"\([a-z]*\)".*/\1/p' "$log" | tail -1)
    if [ "$rc" -eq 124 ]; then
        echo "FAIL $name [timeout after ${LIMIT}s]"
    elif [ "$rc" -gt 128 ]; then
        echo "FAIL $name [crash, signal $((rc - 128)): $(said "$log")]"
    elif [ "$res" = pass ] && [ "$rc" -eq 0 ]; then
        echo "PASS $name"
    elif [ "$res" = skip ]; then
        why=$(said "$log")
        echo "SKIP $name ${why:-the test gave no reason}"
    else
        echo "FAIL $name [${res:-no result}, exit $rc: $(said "$log")]"
    fi
done <"$LIST"
[ -n "$STUCK" ] && echo "VGPU: piglit left unkillable processes behind:$STUCK" >/dev/console
exit 0
