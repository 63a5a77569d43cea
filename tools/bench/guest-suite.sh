#!/bin/sh
# Guest side of tools/bench/run.sh: runs the listed vgpu-bench workloads one
# by one. Started by the harness's guest runner (tests/guest/main.sh) as a
# "c" run-list entry from the work disk's bin/ directory, after the driver
# under test is loaded.
#   vgpu-bench-suite WORKLOAD[:COUNT]... [set:PARAM=VALUE]...
# set:PARAM=VALUE writes our module's parameter (e.g. notify_delay_us=0)
# before the workloads that follow it.
# Prints "PASS bench/NAME" or "FAIL bench/NAME [exit N]" per workload (the
# harness's result format); the numbers travel on the console (see
# vgpu-bench.c) and in this run's log.
bin=$(dirname "$0")
con() { echo "$*" >/dev/console; }

mountpoint -q /sys/kernel/debug || mount -t debugfs debugfs /sys/kernel/debug
# The fbdev console's blinking cursor redraws (and so flushes) the screen
# a few times a second: background traffic that is not the workload's.
blink=/sys/class/graphics/fbcon/cursor_blink
[ -w "$blink" ] && echo 0 >"$blink" 2>/dev/null
params=""
for p in /sys/module/virtio_gpu/parameters/*; do
    [ -r "$p" ] && params="$params $(basename "$p")=$(cat "$p")"
done
con "VGPU-BENCH-PARAMS${params}"
# The monitor, once, so that a broken one shows in this log.
if [ -x "$bin/vgpu-stat" ] && ls /sys/kernel/debug/dri/*/virtio-gpu-stats >/dev/null 2>&1; then
    "$bin/vgpu-stat" 0.5 2
fi

for arg in "$@"; do
    case "$arg" in
        set:*=*)
            kv=${arg#set:}
            p=/sys/module/virtio_gpu/parameters/${kv%%=*}
            if [ -w "$p" ] && echo "${kv#*=}" >"$p"; then
                con "VGPU-BENCH-PARAMS set ${kv}"
            else
                con "VGPU-BENCH-FAIL set:${kv} rc=1"
                echo "FAIL bench/set:${kv} [cannot write $p]"
            fi
            continue;;
    esac
    w=${arg%%:*}
    n=""
    [ "$w" != "$arg" ] && n="-n ${arg#*:}"
    echo "=== $w $n"
    # shellcheck disable=SC2086  # $n is empty or "-n COUNT"
    "$bin/vgpu-bench" "$w" $n
    rc=$?
    if [ "$rc" -eq 0 ]; then
        echo "PASS bench/$w"
    else
        con "VGPU-BENCH-FAIL $w rc=$rc"
        echo "FAIL bench/$w [exit $rc]"
    fi
    sleep 1
done
exit 0
