#!/bin/sh
# Hot-unplug with a client that has commands queued: a background client
# (stress --hold-and-submit) keeps submitting 2D work; the driver is
# unbound from the virtio device under it; the client must see ENODEV
# (and nothing may hang); after the client is gone, binding the driver
# again must bring /dev/dri/card0 back with working dumb buffers.
# Result names (the runner prefixes "unplug/"):
#   unbind-with-client  client-got-enodev  rebind
# The harness checks the kernel log for splats (dmesg-clean).
W=${W:-/mnt/work}
STRESS=$W/bin/stress
DRV=/sys/bus/virtio/drivers/virtio_gpu
ALL="unbind-with-client client-got-enodev rebind"

skip_all() {
    for t in $ALL; do echo "SKIP $t $*"; done
    exit 0
}

# QEMU 10.0's virtio-gpu-gl crashes when the guest resets the device (see
# reload.sh): 2D only.
if grep -q '^virgl 1' /sys/kernel/debug/dri/0/virtio-gpu-features 2>/dev/null; then
    skip_all "virgl device: QEMU's virtio-gpu-gl crashes on a device reset"
fi
CONFIG=$(sed -n 's/^CONFIG=//p' "$W/config.env" 2>/dev/null)
case "$CONFIG" in
    virgl*|venus) skip_all "config $CONFIG: QEMU's virtio-gpu-gl crashes on a device reset";;
esac
[ -x "$STRESS" ] || skip_all "no $STRESS"

dev=""
for d in "$DRV"/virtio*; do
    [ -e "$d" ] && dev=${d##*/} && break
done
[ -n "$dev" ] || skip_all "no device bound to virtio_gpu"

tmp=$(mktemp -d /tmp/unplug.XXXXXX) || exit 1
out=$tmp/client.out
pid=""
cleanup() {
    [ -n "$pid" ] && kill -KILL "$pid" 2>/dev/null
    rm -rf "$tmp"
}
trap cleanup EXIT

# tenths_wait TENTHS CMD... : retry CMD every 0.1 s, at most TENTHS times.
tenths_wait() {
    _n=$1; shift
    while [ "$_n" -gt 0 ]; do
        "$@" && return 0
        sleep 0.1
        _n=$((_n - 1))
    done
    "$@"
}
client_ready() { grep -q '^READY' "$out"; }
client_gone() { ! kill -0 "$pid" 2>/dev/null; }

"$STRESS" --hold-and-submit 30 >"$out" 2>&1 &
pid=$!
if ! tenths_wait 150 client_ready; then
    echo "FAIL unbind-with-client [client not submitting: $(tr '\n' ' ' <"$out" | cut -c1-120)]"
    echo "SKIP client-got-enodev the client did not start"
    echo "SKIP rebind the driver was not unbound"
    exit 0
fi
sleep 1   # let it queue up (and fill the ring)

echo "VGPU: unplug: unbind $dev with a client submitting" >/dev/console
if echo "$dev" >"$DRV/unbind" 2>"$tmp/unbind.err"; then
    if [ -e "$DRV/$dev" ]; then
        echo "FAIL unbind-with-client [$dev still bound after unbind]"
    else
        echo "PASS unbind-with-client"
    fi
else
    echo "FAIL unbind-with-client [unbind: $(cat "$tmp/unbind.err")]"
fi

# The client exits by itself on the first failing ioctl.
if tenths_wait 200 client_gone; then
    wait "$pid"; rc=$?
    pid=""
    line=$(grep -E '^(ERRNO|TIMEOUT|SETUP)' "$out" | head -1)
    if [ "$rc" -eq 0 ]; then
        echo "PASS client-got-enodev"
    else
        echo "FAIL client-got-enodev [client exit $rc: ${line:-no output}]"
    fi
    echo "# client: $line"
else
    st=$(head -5 "/proc/$pid/stack" 2>/dev/null | tr '\n' ' ')
    echo "FAIL client-got-enodev [client still running 20 s after the unbind; state $(awk '{print $3}' "/proc/$pid/stat" 2>/dev/null); stack: $st]"
    kill -KILL "$pid" 2>/dev/null
    if tenths_wait 100 client_gone; then
        wait "$pid"
        pid=""
    else
        echo "# client $pid unkillable"
    fi
fi

echo "VGPU: unplug: bind $dev" >/dev/console
if ! echo "$dev" >"$DRV/bind" 2>"$tmp/bind.err"; then
    echo "FAIL rebind [bind: $(cat "$tmp/bind.err")]"
    exit 0
fi
card0() { [ -e /dev/dri/card0 ] && [ -e /dev/dri/renderD128 ]; }
if ! tenths_wait 100 card0; then
    echo "FAIL rebind [no card0/renderD128 within 10 s: $(echo /dev/dri/*)]"
    exit 0
fi
if r=$("$STRESS" --dumb 2>&1); then
    echo "PASS rebind"
else
    echo "FAIL rebind [$(echo "$r" | tr '\n' ' ' | cut -c1-120)]"
fi
