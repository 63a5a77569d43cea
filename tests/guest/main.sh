#!/bin/sh
# Guest side of one run, started by /vgpu-init from the work disk.
# Loads the selected driver, runs the run-list, saves results and dmesg,
# and powers off even when a task is stuck in the kernel.
PATH=/usr/sbin:/usr/bin:/sbin:/bin
export PATH
set -f   # run-list arguments are IGT patterns such as '*': never glob them
W=/mnt/work
OUT=$W/out
mkdir -p "$OUT/logs"
RES=$OUT/results.txt
: >"$RES"
# shellcheck disable=SC1091  # written by run-guest.sh
. "$W/config.env"   # DRIVER, CONFIG, IGT_DIR
export IGT_DIR

con() { echo "$*" >/dev/console; }
# One result line: into results.txt (synced now, so a later hang loses
# nothing) and onto the serial console as a fallback for the host.
result() {
    echo "$*" >>"$RES"
    con "VGPU-RESULT: $*"
}
powerdown() {
    dmesg >"$OUT/dmesg.txt" 2>&1
    sync
    umount "$W" 2>/dev/null
    sync
    con "VGPU-POWEROFF"
    # QEMU's isa-debug-exit port ends the VM at once. The kernel's own
    # power-off can stall after a driver hang (seen with the distro driver
    # after kms_flip), so it is only the fallback.
    printf '\001' | dd of=/dev/port bs=1 seek=244 count=1 conv=notrunc 2>/dev/null
    sleep 2
    echo o >/proc/sysrq-trigger
    sleep 5
    # Still here: something blocks the orderly power-off; reboot = exit
    # because QEMU runs with -no-reboot.
    echo b >/proc/sysrq-trigger
    sleep 30
}

# run_limited SECONDS LOG CMD... : run CMD in its own process group with a
# watchdog. Unlike timeout(1) this never waits for a task stuck unkillable in
# the kernel: it gives up on it and returns 124 so the run can go on.
run_limited() {
    _t=$1; _log=$2; shift 2
    setsid "$@" >"$_log" 2>&1 </dev/null &
    _pid=$!
    _n=0
    while kill -0 "$_pid" 2>/dev/null; do
        if [ "$_n" -ge "$_t" ]; then
            kill -TERM "-$_pid" 2>/dev/null
            _k=0
            while kill -0 "$_pid" 2>/dev/null && [ "$_k" -lt 10 ]; do sleep 1; _k=$((_k + 1)); done
            kill -KILL "-$_pid" 2>/dev/null
            _k=0
            while kill -0 "$_pid" 2>/dev/null && [ "$_k" -lt 10 ]; do sleep 1; _k=$((_k + 1)); done
            if kill -0 "$_pid" 2>/dev/null; then
                echo "VGPU: process $_pid is stuck (unkillable); abandoning it" >>"$_log"
                cat "/proc/$_pid/stack" >>"$_log" 2>/dev/null
                HUNG=1
            fi
            return 124
        fi
        sleep 1
        _n=$((_n + 1))
    done
    wait "$_pid"
}
HUNG=0

mountpoint -q /sys/kernel/debug || mount -t debugfs debugfs /sys/kernel/debug
mount -o remount,rw / 2>/dev/null    # the root disk is a QEMU snapshot
mkdir -p /tmp /run && mount -t tmpfs tmpfs /tmp && mount -t tmpfs tmpfs /run
# POSIX semaphores (Python's multiprocessing in piglit's runner) live here.
mkdir -p /dev/shm && mount -t tmpfs tmpfs /dev/shm
KREL=$(uname -r)
# A kernel from outside the image (make check-debug's) brings its modules
# on the work disk.
if [ ! -d "/lib/modules/$KREL" ] && [ -d "$W/modules/$KREL" ]; then
    mkdir -p "/lib/modules/$KREL" && mount --bind "$W/modules/$KREL" "/lib/modules/$KREL"
fi
con "VGPU: guest up, kernel $KREL, config $CONFIG, driver $DRIVER"

# --- load the driver -------------------------------------------------------
if [ "$DRIVER" = ours ]; then
    if [ -f "$W/virtio-gpu.ko" ]; then
        # Put ours in the in-tree module's place (the root disk is a
        # snapshot, so this never outlives the run). modules.dep then stays
        # valid, which spares depmod's 1-2 minutes of reading every
        # compressed module under TCG; kmod recognises an uncompressed
        # module by its contents, whatever the file name says.
        cp "$W/virtio-gpu.ko" "$(modinfo -n virtio-gpu)"
    else
        con "VGPU: driver=ours but no virtio-gpu.ko on the work disk"
    fi
fi
# Module parameters for ours (VGPU_MODPARAMS on the host), for every
# modprobe of the run, reloads included.
if [ "$DRIVER" = ours ] && [ -n "${MODPARAMS:-}" ]; then
    echo "options virtio_gpu $MODPARAMS" >/etc/modprobe.d/vgpu-test.conf
    con "VGPU: module parameters: $MODPARAMS"
fi
modfile=$(modinfo -n virtio-gpu 2>/dev/null)
echo "$modfile" >"$OUT/module-file.txt"
con "VGPU: modprobe virtio-gpu -> $modfile"
if modprobe virtio-gpu >"$OUT/logs/modprobe.log" 2>&1; then
    result "PASS module/modprobe"
else
    result "FAIL module/modprobe [$(tr '\n' ' ' <"$OUT/logs/modprobe.log")]"
fi
# One name for both drivers, so that the distro expectation applies to ours:
# the loaded module is the one we meant. Ours is out of tree, which the
# kernel records as taint flag O; the distro's module has no such flag.
taint=$(cat /sys/module/virtio_gpu/taint 2>/dev/null)
case "$DRIVER:$taint" in
    ours:*O*) result "PASS module/driver-selected";;
    distro:*O*) result "FAIL module/driver-selected [distro run loaded an out-of-tree module]";;
    distro:*) [ -d /sys/module/virtio_gpu ] && result "PASS module/driver-selected" ||
        result "FAIL module/driver-selected [virtio_gpu not loaded]";;
    *) result "FAIL module/driver-selected [driver=ours but module taint is '$taint']";;
esac
# (set -f is on: list the directory instead of globbing it.)
params=""
for f in $(ls /sys/module/virtio_gpu/parameters 2>/dev/null); do
    params="$params $f=$(cat "/sys/module/virtio_gpu/parameters/$f")"
done
con "VGPU: module parameters in effect:$params"
# No udev: devtmpfs creates the nodes; wait for the probe to finish.
i=0
while [ ! -e /dev/dri/card0 ] && [ "$i" -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
cat /sys/module/virtio_gpu/srcversion >"$OUT/module-srcversion.txt" 2>/dev/null
con "VGPU: loaded $(cat "$OUT/module-srcversion.txt" 2>/dev/null) from $modfile"

# --- IGT through its own runner ---------------------------------------------
# Consecutive igt lines of the run-list form one igt_runner run (IGT's
# runner, in the guest image with igt-gpu-tools): -m runs each binary's
# subtests in one execution, as IGT's own --run-subtest would; the runner
# kills a subtest that overruns IGT_PER_TEST_TIMEOUT, keeps each
# subtest's output and dmesg, and writes results.json (igt_results makes it
# from what is there if the run was cut short); report.py turns that into
# our result lines. Run-list arguments: none, or --run-subtest PATTERNS.
# No --abort-on-monitored-error: the distro driver's WARN at rmmod (the
# reload step, before IGT) taints the kernel, and igt_runner would then run
# no IGT test at all.
IGT_PER_TEST_TIMEOUT=180   # s per subtest; the longest take ~55 s under TCG
IGT_N=0 IGT_BUDGET=0 IGT_BATCH=""
igt_queue() { # BINARY SECONDS ARGS: one binary into the batch
    [ -n "$IGT_BATCH" ] || { IGT_N=$((IGT_N + 1)); IGT_BATCH=$OUT/igt-testlist$IGT_N.txt; : >"$IGT_BATCH"; }
    # shellcheck disable=SC2086  # ARGS is words
    set -- "$1" "$2" $3
    case "$#:${3:-}" in
        2:) echo "igt@$1" >>"$IGT_BATCH";;
        4:--run-subtest) echo "igt@$1@$4" >>"$IGT_BATCH";;
        *) result "FAIL igt/$1 [run-list arguments igt_runner cannot pass: $*]"; return;;
    esac
    IGT_BUDGET=$((IGT_BUDGET + $2))
}
igt_flush() {
    [ -n "$IGT_BATCH" ] || return 0
    _dir=$OUT/igt-results$IGT_N _log=$OUT/logs/igt-runner$IGT_N.log
    con "VGPU: run igt_runner on $(wc -l <"$IGT_BATCH") binaries (timeout ${IGT_BUDGET}s)"
    _start=$(date +%s)
    IGT_FORCE_DRIVER=virtio_gpu run_limited "$IGT_BUDGET" "$_log" \
        igt_runner -m -s --per-test-timeout "$IGT_PER_TEST_TIMEOUT" \
        -e IGT_FORCE_DRIVER --test-list "$IGT_BATCH" "$IGT_DIR" "$_dir"
    _rc=$?
    echo "igt-runner $IGT_N rc=$_rc seconds=$(($(date +%s) - _start))" >>"$OUT/timings.txt"
    if [ ! -s "$_dir/results.json" ] && [ -d "$_dir" ]; then
        igt_results "$_dir" >>"$_log" 2>&1
    fi
    python3 "$W/guest/report.py" igt "$_dir/results.json" "$_rc" |
        while read -r line; do result "$line"; done
    kmemleak_check "igt-runner$IGT_N"
    IGT_BATCH="" IGT_BUDGET=0
    sync
}

# --- kmemleak (make check-debug's kernel; others have none) ----------------
# A scan after each program (each igt_runner batch): what it finds fails
# kmemleak/NAME, the report in logs/kmemleak-NAME.txt. Two scans, as an
# object only counts when it stayed unreferenced through both; "clear"
# then keeps it out of the next program's report, and keeps what the boot
# left out of the first.
KMEMLEAK=/sys/kernel/debug/kmemleak
kmemleak_check() {
    [ -w "$KMEMLEAK" ] || return 0
    echo scan >"$KMEMLEAK"
    echo scan >"$KMEMLEAK"
    if [ -n "$1" ]; then
        _kf=$OUT/logs/kmemleak-$1.txt
        cat "$KMEMLEAK" >"$_kf"
        _kn=$(grep -c '^unreferenced object' "$_kf")
        if [ "$_kn" -gt 0 ]; then
            # The first frame past the allocator says whose object it is.
            _kw=$(grep -m1 -E '^ +[A-Za-z_].*\+0x' "$_kf" -A12 |
                grep -v -E 'kmemleak|kmalloc|kmem_cache|slab|__alloc|alloc_pages' |
                grep -m1 -E '\+0x' | tr -s ' ')
            result "FAIL kmemleak/$1 [$_kn unreferenced objects, the first from$_kw]"
        else
            rm -f "$_kf"
            result "PASS kmemleak/$1"
        fi
    fi
    echo clear >"$KMEMLEAK"
}
kmemleak_check ""

# --- the run-list ----------------------------------------------------------
# Lines: KIND NAME [timeout=S] [ARGS...]; KIND is c (our C test binaries),
# sh (a guest script in tests/guest/tests/), or igt (an IGT binary; the
# timeouts of consecutive ones add up to their igt_runner run's limit).
while read -r kind name rest; do
    case "$kind" in ''|'#'*) continue;; esac
    t=120
    args=""
    for a in $rest; do
        case "$a" in
            timeout=*) t=${a#timeout=};;
            *) args="$args $a";;
        esac
    done
    if [ "$kind" = igt ]; then
        igt_queue "$name" "$t" "$args"
        continue
    fi
    igt_flush
    log="$OUT/logs/$kind-$name.log"
    con "VGPU: run $kind $name (timeout ${t}s)"
    start=$(date +%s)
    case "$kind" in
        c)   # shellcheck disable=SC2086
             run_limited "$t" "$log" "$W/bin/$name" $args; rc=$?;;
        sh)  # shellcheck disable=SC2086
             run_limited "$t" "$log" sh "$W/guest/tests/$name.sh" $args; rc=$?;;
        *)   result "FAIL runlist/$name [unknown kind $kind]"; continue;;
    esac
    end=$(date +%s)
    echo "$kind $name rc=$rc seconds=$((end - start))" >>"$OUT/timings.txt"
    awk -v pre="$name/" -v rc="$rc" -f "$W/guest/parse.awk" "$log" |
        while read -r line; do result "$line"; done
    kmemleak_check "$name"
    sync
done <"$W/runlist.txt"
igt_flush

# --- the kernel log must be clean -------------------------------------------
dmesg >"$OUT/dmesg.txt" 2>&1
if grep -E -n -f "$W/guest/dmesg-bad.txt" "$OUT/dmesg.txt" >"$OUT/dmesg-bad-lines.txt"; then
    result "FAIL dmesg-clean [$(head -1 "$OUT/dmesg-bad-lines.txt" | cut -c1-160)]"
else
    result "PASS dmesg-clean"
fi
[ "$HUNG" = 1 ] && con "VGPU: a test left an unkillable task behind"
con "VGPU-DONE"
# drm_panic's test crashes the kernel, so it comes after everything is saved.
if [ "${PANIC_LAST:-0}" = 1 ]; then
    sync
    sh "$W/guest/tests/panic.sh"
fi
powerdown
