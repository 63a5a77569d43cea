#!/bin/bash
# Boots Debian's arm64 6.12 kernel under qemu-system-aarch64 (-M virt,
# TCG) with a virtio-gpu device, and runs our C tests there. Runs inside
# the cross root (tests/lib/build-crossroot.sh), where the arm64 kernel
# package is unpacked under /arm64/root. Nothing of the arm64 userspace
# runs on the host: the guest's whole root is an initramfs made here of
# busybox, the C library and libdrm (from the root's arm64 packages), the
# modules the driver needs and the cross-built tests.
#
# run-arm64.sh --config CFG --driver ours|distro --runlist FILE --bins DIR
#              --out DIR [--ko FILE] [--timeout SECONDS]
#   CFG:  arm64 (virtio-gpu-pci), arm64-virgl (virtio-gpu-gl-pci, with
#         QEMU's gtk,gl=on display under Xvfb as on x86) or arm64-virgl-blob
#         (the same with blob resources and 256 MB of host-visible memory)
#   FILE: lines "NAME [timeout=S]" (tests/c programs, built for arm64 in DIR)
# Results land in OUT/results.txt, the serial log and screendumps beside it.
set -eu
# shellcheck source-path=SCRIPTDIR source=lib/common.sh
. "$(dirname "$0")/lib/common.sh"
cd "$VGPU_SRC"

config="" driver="" runlist="" bins="" out="" ko="" hard_timeout=900
while [ "$#" -gt 0 ]; do
    case "$1" in
        --driver) driver="$2";; --runlist) runlist="$2";; --bins) bins="$2";;
        --out) out="$2";; --ko) ko="$2";; --config) config="$2";; --timeout) hard_timeout="$2";;
        *) die "run-arm64.sh: unknown argument $1";;
    esac
    shift 2
done
if [ -z "$driver" ] || [ -z "$runlist" ] || [ -z "$bins" ] || [ -z "$out" ]; then
    die "usage: run-arm64.sh --config CFG --driver D --runlist FILE --bins DIR --out DIR [--ko FILE]"
fi
case "$driver" in ours|distro) ;; *) die "driver must be ours or distro";; esac
case "$config" in
    arm64) device=virtio-gpu-pci display=(-display none);;
    arm64-virgl) device=virtio-gpu-gl-pci display=(-display "gtk,gl=on,show-menubar=off");;
    arm64-virgl-blob) device=virtio-gpu-gl-pci,blob=true,hostmem=256M
                      display=(-display "gtk,gl=on,show-menubar=off");;
    *) die "config must be arm64, arm64-virgl or arm64-virgl-blob";;
esac
[ "$driver" = distro ] || [ -f "$ko" ] || die "driver=ours needs --ko with the arm64 virtio-gpu.ko"

A=/arm64/root
kver="${GUEST_KVER%-amd64}-arm64"
[ -f "$A/boot/vmlinuz-$kver" ] || die "no arm64 kernel $kver under $A (the cross root is incomplete)"
mkdir -p "$out"
out="$(cd "$out" && pwd)"
tmp="$(mktemp -d /tmp/vgpu-arm64.XXXXXX)"
watch_pid="" qemu_pid="" XVFB_PID=""
cleanup() {
    [ -n "$qemu_pid" ] && kill "$qemu_pid" 2>/dev/null && wait "$qemu_pid" 2>/dev/null
    [ -n "$watch_pid" ] && kill "$watch_pid" 2>/dev/null
    [ -n "$XVFB_PID" ] && kill "$XVFB_PID" 2>/dev/null
    rm -rf -- "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# --- the initramfs ------------------------------------------------------------
r="$tmp/root"
mkdir -p "$r/bin" "$r/lib" "$r/tests" "$r/proc" "$r/sys" "$r/dev"
cp "$A/usr/bin/busybox" "$r/bin/busybox"
cp tests/guest/arm64-init "$r/init"
cp tests/guest/parse.awk tests/guest/dmesg-bad.txt "$r/"
printf 'CONFIG=%s\nDRIVER=%s\n' "$config" "$driver" >"$r/config.env"
sed -e 's/#.*//' "$runlist" | awk 'NF' >"$r/runlist.txt"
while read -r name _; do
    cp "$bins/$name" "$r/tests/$name" || die "no arm64 build of $name in $bins"
done <"$r/runlist.txt"
# The shared libraries the tests need, and theirs, from the root's arm64
# (multiarch) packages; the dynamic loader where the binaries look for it.
libdir=/usr/lib/aarch64-linux-gnu
needed() { aarch64-linux-gnu-readelf -d "$@" 2>/dev/null | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p' | sort -u; }
mkdir -p "$r$libdir"
todo="$(needed "$r"/tests/*)"
while [ -n "$todo" ]; do
    next=""
    for l in $todo; do
        [ -e "$r$libdir/$l" ] && continue
        cp -L "$libdir/$l" "$r$libdir/$l" || die "arm64 library $l missing in the cross root"
        next="$next $(needed "$r$libdir/$l")"
    done
    todo="$next"
done
cp -L /usr/lib/ld-linux-aarch64.so.1 "$r/lib/ld-linux-aarch64.so.1"
# The modules the tests load (the driver, and vgem for the sharing tests)
# with what they depend on, decompressed (busybox's modprobe reads plain
# modules) into a modules tree of their own; ours in the in-tree
# module's place, as on the x86 guests.
m="$r/lib/modules/$kver"
mkdir -p "$m"
cp "$A/lib/modules/$kver"/modules.builtin* "$A/lib/modules/$kver/modules.order" "$m/"
modprobe -d "$A" -S "$kver" --show-depends -a virtio-gpu vgem | awk '$1 == "insmod" { print $2 }' | sort -u |
    while read -r f; do
        rel="${f#"$A/lib/modules/$kver/"}"
        rel="${rel%.xz}"
        mkdir -p "$(dirname "$m/$rel")"
        if [ "${rel##*/}" = virtio-gpu.ko ] && [ "$driver" = ours ]; then
            cp "$ko" "$m/$rel"
        else
            xz -dc "$f" >"$m/$rel"
        fi
    done
depmod -b "$r" "$kver"
[ -n "$(modprobe -d "$r" -S "$kver" --show-depends virtio-gpu)" ] || die "no virtio-gpu in the guest's modules"
(cd "$r" && find . | cpio -o -H newc --quiet) | gzip -1 >"$tmp/initrd.gz"

# --- boot -----------------------------------------------------------------------
[ "$config" != arm64 ] && xvfb_start "$tmp" "$out/xvfb.log"
log "arm64 boot: $config ($device) driver=$driver kernel=$kver"
# shellcheck disable=SC2054  # commas belong to QEMU's option syntax
qemu=(qemu-system-aarch64 -M virt -accel tcg -cpu max -smp 2 -m 2G
      -nodefaults -no-reboot
      -kernel "$A/boot/vmlinuz-$kver" -initrd "$tmp/initrd.gz"
      -append "console=ttyAMA0 rdinit=/init panic=-1 quiet"
      -device "$device"
      -serial "file:$out/serial.log"
      -qmp "unix:$tmp/qmp.sock,server=on,wait=off"
      "${display[@]}")
printf '%q ' "${qemu[@]}" >"$out/qemu-cmdline.txt"
: >"$out/serial.log"
VGPU_XWD="$tmp/Xvfb_screen0" python3 tests/lib/qemu-watch.py "$out/serial.log" "$tmp/qmp.sock" "$out" 2>>"$out/watch.log" &
watch_pid=$!
t0=$SECONDS
rc=0
timeout -k 10 "$hard_timeout" "${qemu[@]}" >"$out/qemu.log" 2>&1 &
qemu_pid=$!
wait "$qemu_pid" || rc=$?
qemu_pid=""
echo "$((SECONDS - t0))" >"$out/guest-seconds.txt"
log "arm64 guest finished in $((SECONDS - t0)) s (qemu rc=$rc)"
kill "$watch_pid" 2>/dev/null || true
wait "$watch_pid" 2>/dev/null || true
watch_pid=""

# --- results --------------------------------------------------------------------
tr -d '\r' <"$out/serial.log" >"$tmp/serial"
sed -n 's/^.*VGPU-RESULT: //p' "$tmp/serial" >"$out/results.txt"
sed -n 's/^VGPU-DMESG: //p' "$tmp/serial" >"$out/dmesg.txt"
mkdir -p "$out/logs"
while read -r name _; do
    sed -n "s/^VGPU-LOG $name: //p" "$tmp/serial" >"$out/logs/c-$name.log"
done <"$r/runlist.txt"
python3 tests/lib/report.py screendumps "$out" "$([ "$config" = arm64 ] && echo none || echo gl)" >>"$out/results.txt" ||
    echo "FAIL guest/screendump-verdicts [report.py failed]" >>"$out/results.txt"
guest_boot_verdict "$out" "$rc" "$hard_timeout" "$tmp/serial"
