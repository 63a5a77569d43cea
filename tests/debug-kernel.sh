#!/bin/bash
# The debug kernel of make check-debug and our module for it. Runs inside
# the cross root (VGPU_ROOT=cross in_host), which has Debian's
# linux-source-6.12 and the kernel's build dependencies.
# Usage: debug-kernel.sh OUTDIR
#   The kernel: Debian's linux-source-6.12 (the guests' 6.12.117, the
#   in-tree virtio-gpu being Debian's own), x86_64_defconfig +
#   kernel/configs/kvm_guest.config + tests/debug/debug.config (KASAN,
#   lockdep, kmemleak, debug objects, fault injection, SW_SYNC), cached as
#   debugkernel-<key>: vmlinuz-<release>, the modules under
#   mods/lib/modules/<release>, and the object tree (obj/) modules build
#   against. Never required by anything but make check-debug.
#   Our module: built W=1 against it into build/debug/virtio-gpu.ko.
# Appends "PASS|FAIL build/debug-..." to OUTDIR/results.txt; prints the
# kernel's directory (under /cache) and release on the last line.
set -eu
# shellcheck source-path=SCRIPTDIR source=lib/common.sh
. "$(dirname "$0")/lib/common.sh"
out="$1"
mkdir -p "$out"
out="$(cd "$out" && pwd)"
res="$out/results.txt"
cd "$VGPU_SRC"
result() { echo "$*" >>"$res"; echo "$*" >&2; }

src="$(linux_src)"
frag="$VGPU_SRC/tests/debug/debug.config"
# The kernel's cache key: its config and source, and KERNEL_RECIPE, which
# changes whenever build_kernel() builds differently (the rest of this
# script builds our module and needs no new kernel).
KERNEL_RECIPE=1
key="$( { files_key "$frag"; echo "recipe $KERNEL_RECIPE"
          dpkg-query -W -f '${Version}' linux-source-6.12; } | sha256sum | cut -c1-16)"

# shellcheck disable=SC2317  # called through cache_build
build_kernel() {
    local o="$1/obj" lost krel t0=$SECONDS jobs
    jobs="$(nproc)"
    mkdir -p "$o"
    make -C "$src" O="$o" x86_64_defconfig >"$1/config.log" 2>&1
    (cd "$o" && "$src/scripts/kconfig/merge_config.sh" -m -O "$o" "$o/.config" \
        "$src/kernel/configs/kvm_guest.config" "$frag") >>"$1/config.log" 2>&1
    make -C "$src" O="$o" olddefconfig >>"$1/config.log" 2>&1
    lost="$(config_lost "$o/.config" "$frag")"
    if [ -n "$lost" ]; then
        log "debug kernel: olddefconfig dropped: $(echo "$lost" | tr '\n' ' ')"
        return 1
    fi
    log "debug kernel: building with $jobs jobs (log: $1/build.log)"
    make -C "$src" O="$o" -j"$jobs" bzImage modules >"$1/build.log" 2>&1 ||
        { tail -20 "$1/build.log" >&2; return 1; }
    make -C "$src" O="$o" INSTALL_MOD_PATH="$1/mods" INSTALL_MOD_STRIP=1 \
        modules_install >>"$1/build.log" 2>&1
    krel="$(make -s -C "$src" O="$o" kernelrelease)"
    cp "$o/arch/x86/boot/bzImage" "$1/vmlinuz-$krel"
    echo "$krel" >"$1/release"
    echo $((SECONDS - t0)) >"$1/build-seconds"
}

if ! kdir="$(cache_build debugkernel "$key" build_kernel)"; then
    result "FAIL build/debug-kernel [see the log above]"
    exit 0
fi
result "PASS build/debug-kernel"
result "INFO build/debug-kernel $(cat "$kdir/release"), built in $(cat "$kdir/build-seconds") s from nothing"

# Our module, out of tree against the debug kernel's objects.
msrc="$VGPU_SRC/build/debug/src"
logf="$out/debug-module.log"
rm -rf "$msrc" "$VGPU_SRC/build/debug/virtio-gpu.ko"
mkdir -p "$msrc"
cp -r Makefile Kbuild dkms.conf drivers include "$msrc/"
make -s -C "$msrc" clean
rc=0
make -C "$kdir/obj" M="$msrc" -j"$(nproc)" W=1 modules >"$logf" 2>&1 || rc=$?
ko="$msrc/drivers/gpu/drm/virtio/virtio-gpu.ko"
if build_verdict debug-module "$rc" "$logf" "$ko"; then
    cp "$ko" "$VGPU_SRC/build/debug/virtio-gpu.ko"
fi
echo "$kdir $(cat "$kdir/release")"
