#!/bin/bash
# make check-deb, the part that boots: the package and the README's manual
# DKMS path on a user's machine, in five boots of one guest whose root disk
# is a copy of the check-deb image (tests/lib/build-debimg.sh), so that each
# boot finds what the one before installed. The steps and
# their checks: tests/guest/deb-steps.sh. Runs inside the host root.
# Usage: deb-check.sh IMAGE DEB PKG_VER OUTDIR
#   IMAGE    the check-deb image directory (/cache/debimg-...)
#   DEB      the package (build/deb/virtio-gpu-ng-dkms_<PKG_VER>_all.deb)
#   PKG_VER  its version, which is its DKMS version too
# Appends PASS/FAIL lines to OUTDIR/results.txt; each boot's serial log,
# logs and dmesg go to OUTDIR/<step>/.
set -eu
# shellcheck source-path=SCRIPTDIR source=lib/common.sh
. "$(dirname "$0")/lib/common.sh"
cd "$VGPU_SRC"
image="$1" deb="$2" pkg_ver="$3" out="$4"
mkdir -p "$out"
out="$(cd "$out" && pwd)"
res="$out/results.txt"
tree_ver="$(sed -n 's/^PACKAGE_VERSION="\(.*\)"/\1/p' dkms.conf)"
other=""
for k in $GUEST_KVERS; do [ "$k" = "$GUEST_KVER" ] || other="$k"; done
[ -n "$other" ] || die "GUEST_KVERS has one kernel: check-deb needs two"

tmp="$(mktemp -d /tmp/vgpu-deb.XXXXXX)"
qemu_pid=""
cleanup() {
    [ -n "$qemu_pid" ] && kill "$qemu_pid" 2>/dev/null && wait "$qemu_pid" 2>/dev/null
    rm -rf -- "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# The source tree as a user has it, without this tree's build leftovers.
mkdir -p "$tmp/tree"
cp -r Makefile Kbuild dkms.conf drivers include "$tmp/tree/"
make -s -C "$tmp/tree" clean

# The machine's disk: a copy of the image that the boots write to.
cp --sparse=always "$image/root.img" "$tmp/root.img"

# boot STEP KERNEL LIMIT: one boot, its results appended to $res.
boot() {
    local step="$1" kernel="$2" limit="$3" od="$out/$1" stage="$tmp/work-$1" rc=0 t0=$SECONDS
    mkdir -p "$od" "$stage/guest" "$stage/out"
    install -m 0755 tests/guest/deb-steps.sh "$stage/guest/main.sh"
    cp "$deb" "$stage/"
    cp -r "$tmp/tree" "$stage/tree"
    cat >"$stage/config.env" <<ENV
STEP=$step
KERNELS='$GUEST_KVERS'
DEB=$(basename "$deb")
PKG_VER='$pkg_ver'
TREE_VER='$tree_ver'
ENV
    mke2fs -q -t ext4 -L vgpuwork -d "$stage" "$tmp/work.img" 256M
    log "check-deb: step $step on $kernel"
    # shellcheck disable=SC2054  # commas belong to QEMU's option syntax
    timeout -k 10 "$limit" qemu-system-x86_64 -M q35 -accel "${VGPU_ACCEL:-tcg}" -cpu max -smp 2 -m 3G \
        -nodefaults -no-reboot -vga none -display none \
        -device isa-debug-exit,iobase=0xf4,iosize=0x04 \
        -kernel "$image/vmlinuz-$kernel" -initrd "$image/initrd.img-$kernel" \
        -append "console=ttyS0 root=LABEL=vgpuroot ro init=/vgpu-init panic=-1 quiet" \
        -drive "file=$tmp/root.img,if=ide,format=raw" \
        -drive "file=$tmp/work.img,if=ide,format=raw" \
        -device virtio-gpu-pci \
        -serial "file:$od/serial.log" >"$od/qemu.log" 2>&1 &
    qemu_pid=$!
    wait "$qemu_pid" || rc=$?
    qemu_pid=""
    debugfs -R "rdump /out $tmp" "$tmp/work.img" >/dev/null 2>&1 || true
    if [ -d "$tmp/out" ]; then cp -r "$tmp/out/." "$od/"; rm -rf "$tmp/out"; fi
    if [ ! -s "$od/results.txt" ]; then
        sed -n 's/^.*VGPU-RESULT: //p' "$od/serial.log" | tr -d '\r' >"$od/results.txt"
    fi
    guest_boot_verdict "$od" "$rc" "$limit" "$od/serial.log"
    sed "s|guest/boot|deb/boot/$step|" "$od/results.txt" >>"$res"
    rm -rf "$stage" "$tmp/work.img"
    echo "$step $kernel $((SECONDS - t0))" >>"$out/timings.txt"
    log "check-deb: step $step took $((SECONDS - t0)) s (qemu rc=$rc)"
}

# DKMS builds for both kernels in the install steps: TCG compiles slowly.
boot install "$GUEST_KVER" 3600
boot package "$other" 1800
boot purged "$GUEST_KVER" 3600
boot manual "$other" 1800
boot removed "$GUEST_KVER" 600
