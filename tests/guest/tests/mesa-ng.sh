#!/bin/sh
# Mesa with our patches (userspace/mesa), from the work disk's mesa/, on
# this device and driver. Results (the runner prefixes "mesa-ng/"):
#   loaded           the GL and Vulkan clients load the patched libraries
#   glloop-*         glFinish and buffer readbacks give the right results
#   piglit-*         the piglit subset (virgl-blob only: the same GL path as
#                    virgl, and the one with host-visible memory)
#   kmscube, glmark2 the render-and-flip loop and a short benchmark run
#   vkcompute-*      Vulkan compute through venus
#   uses-*           our driver's counters show the new ioctls in use (on
#                    the in-tree driver the same clients must pass through
#                    the old ioctls instead)
W=${W:-/mnt/work}
OUT=$W/out
M=$W/mesa
CONFIG=$(sed -n 's/^CONFIG=//p' "$W/config.env" 2>/dev/null)
DRIVER=$(sed -n 's/^DRIVER=//p' "$W/config.env" 2>/dev/null)
LOGS=$OUT/logs/mesa-ng
mkdir -p "$LOGS"

case "$CONFIG" in
    virgl|virgl-blob|venus) ;;
    *) echo "SKIP all config $CONFIG has no 3D device"; exit 0;;
esac
if [ ! -f "$M/lib/libEGL_mesa.so.0" ]; then
    echo "SKIP all patched Mesa is not on the work disk (make mesa, see build/mesa)"
    exit 0
fi
# GL through glvnd, as Debian ships it: the guest's libEGL takes our vendor
# library; GBM and Vulkan are ours directly.
export LD_LIBRARY_PATH="$M/lib"
export __EGL_VENDOR_LIBRARY_FILENAMES="$M/share/glvnd/egl_vendor.d/50_mesa.json"
export VK_ICD_FILENAMES="$M/share/vulkan/icd.d/virtio_icd.x86_64.json"

# Prefixes one program's result lines with NAME- .
prefixed() { # prefixed NAME CMD...
    name=$1; shift
    "$@" 2>"$LOGS/$name.err" | sed -n "s/^\(PASS\|FAIL\|SKIP\|INFO\) /\1 $name-/p"
}

stat_of() { # stat_of NAME: our driver's counter, or nothing
    for f in /sys/kernel/debug/dri/*/virtio-gpu-stats; do
        [ -r "$f" ] && sed -n "s/^$1 //p" "$f"
        return 0
    done
}
before_submit=$(stat_of ng_submit)
before_transfer=$(stat_of ng_transfer)
before_blob=$(stat_of ng_blob_create)

# The dynamic linker's own account of what a client loaded.
if [ "$CONFIG" = venus ]; then
    probe="$W/bin/vkloop" want="$M/lib/libvulkan_virtio.so"
else
    probe="$W/bin/glloop" want="$M/lib/libEGL_mesa.so.0"
fi
if LD_DEBUG=files "$probe" 2>&1 >/dev/null | grep -qF "$want"; then
    echo "PASS loaded"
else
    echo "FAIL loaded [$(basename "$probe") did not load $want]"
fi

if [ "$CONFIG" = venus ]; then
    prefixed vkcompute "$W/bin/vkcompute"
else
    prefixed glloop "$W/bin/glloop"
    if [ "$CONFIG" = virgl-blob ]; then
        export W
        PIGLIT_RESULTS=$LOGS/piglit-results sh "$W/guest/tests/piglit.sh" "${1:-60}" \
            >"$LOGS/piglit.txt" 2>&1
        sed -n 's/^\(PASS\|FAIL\|SKIP\) /\1 piglit-/p' "$LOGS/piglit.txt"
    fi

    mkfifo /tmp/mesa-ng-kmscube.in
    timeout 60 kmscube -c 30 <>/tmp/mesa-ng-kmscube.in >"$LOGS/kmscube.txt" 2>&1
    rc=$?
    if [ "$rc" -eq 0 ] && grep -q virgl "$LOGS/kmscube.txt"; then
        echo "PASS kmscube"
    else
        echo "FAIL kmscube [exit $rc: $(tail -1 "$LOGS/kmscube.txt")]"
    fi
    glmark2-es2-drm --off-screen -b build:duration=3 >"$LOGS/glmark2.txt" 2>&1
    rc=$?
    score=$(sed -n 's/^ *glmark2 Score: *\([0-9][0-9]*\).*/\1/p' "$LOGS/glmark2.txt" | tail -1)
    if [ "$rc" -eq 0 ] && [ -n "$score" ] && grep -q 'GL_RENDERER: *virgl' "$LOGS/glmark2.txt"; then
        echo "PASS glmark2"
        echo "INFO glmark2-score $score"
    else
        echo "FAIL glmark2 [exit $rc, score '${score:-none}']"
    fi
fi

# Which ioctls the patched clients used. Our counters exist only with our
# driver; with the in-tree one the tests above passed on the old ioctls.
if [ -z "$before_submit" ]; then
    echo "SKIP uses-new-ioctls driver $DRIVER has no virtio-gpu-ng counters: the clients above used the old ioctls"
    exit 0
fi
d_submit=$(( $(stat_of ng_submit) - before_submit ))
d_transfer=$(( $(stat_of ng_transfer) - before_transfer ))
d_blob=$(( $(stat_of ng_blob_create) - before_blob ))
echo "INFO counters ng_submit +$d_submit ng_transfer +$d_transfer ng_blob_create +$d_blob"
if [ "$CONFIG" = venus ]; then
    [ "$d_blob" -gt 0 ] && echo "PASS uses-blob-create" ||
        echo "FAIL uses-blob-create [ng_blob_create +$d_blob]"
else
    [ "$d_submit" -gt 0 ] && echo "PASS uses-submit" ||
        echo "FAIL uses-submit [ng_submit +$d_submit]"
    [ "$d_transfer" -gt 0 ] && echo "PASS uses-transfer" ||
        echo "FAIL uses-transfer [ng_transfer +$d_transfer]"
fi
