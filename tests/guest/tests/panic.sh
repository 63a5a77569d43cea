#!/bin/sh
# The last step of a run with PANIC_LAST=1 (run-guest.sh --panic): paint the
# fbdev console's buffer a flat grey, crash the kernel, and let the host
# check with two screendumps that drm_panic replaced the grey with its
# screen. main.sh has saved and synced every result before this runs; the
# host ends QEMU once it has the second dump. Never returns when the
# kernel has drm_panic.
con() { echo "$*" >/dev/console; }

if ! grep -q '^CONFIG_DRM_PANIC=y' "/boot/config-$(uname -r)" 2>/dev/null; then
    con "VGPU-PANIC-SKIP kernel $(uname -r) is built without CONFIG_DRM_PANIC"
    exit 0
fi
fb=/sys/class/graphics/fb0
if [ ! -e /dev/fb0 ] || [ ! -r "$fb/stride" ]; then
    con "VGPU-PANIC-SKIP no fbdev console (/dev/fb0) to draw on"
    exit 0
fi

# Keep the console from drawing over the grey: no blinking cursor, and fbcon
# let go of the framebuffer (the display keeps showing it).
echo 0 >/sys/class/graphics/fbcon/cursor_blink 2>/dev/null
for vt in /sys/class/vtconsole/vtcon*; do
    grep -q 'frame buffer' "$vt/name" 2>/dev/null && echo 0 >"$vt/bind" 2>/dev/null
done
h=$(cut -d, -f2 "$fb/virtual_size")
bytes=$(($(cat "$fb/stride") * h))
# 0x80 in every byte: XRGB8888 0x808080, a colour drm_panic never draws.
head -c "$bytes" /dev/zero | tr '\000' '\200' >/dev/fb0
# fbdev's damage worker flushes writes to the host within a frame or two.
sleep 1
# No reboot after the panic (the command line says panic=-1): the host
# quits QEMU when it has seen the panic screen.
echo 0 >/proc/sys/kernel/panic
con "VGPU-PANIC-CHECK grey=808080"
sleep 3
echo c >/proc/sysrq-trigger
sleep 60
con "VGPU-PANIC-SKIP the kernel survived sysrq-c"
