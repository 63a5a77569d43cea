#!/bin/bash
# Builds the guest image into $1 (called by cache_build, see common.sh):
#   root.img     ext4, label vgpuroot, attached read-only (snapshot) to guests
#   vmlinuz-K, initrd.img-K   each kernel K of GUEST_KVERS and its initramfs,
#                for -kernel/-initrd
#   versions.txt dpkg-query of the guest root (quoted by the README)
set -eu
# shellcheck source-path=SCRIPTDIR source=common.sh
. "$(dirname "$0")/common.sh"
out="$1"
root="$out/root"
hostroot="$(hostroot_path)"

t0=$SECONDS
bootstrap_trixie "$root" "$out/debootstrap.log"

cat >"$root/etc/apt/sources.list" <<SRC
deb $DEBIAN_MIRROR trixie main
deb $DEBIAN_MIRROR trixie-backports main
deb $DEBIAN_MIRROR sid main
SRC
# sid only for the packages named with /sid (IGT); its Release file can be
# past its Valid-Until on the mirror.
cat >"$root/etc/apt/apt.conf.d/90vgpu" <<'CFG'
Acquire::Check-Valid-Until "false";
APT::Install-Recommends "false";
CFG
cat >"$root/etc/apt/preferences.d/sid" <<'CFG'
Package: *
Pin: release n=sid
Pin-Priority: 100
CFG
cat >"$root/etc/dpkg/dpkg.cfg.d/01-nodoc" <<'CFG'
path-exclude /usr/share/doc/*
path-exclude /usr/share/man/*
path-exclude /usr/share/info/*
path-exclude /usr/share/locale/*
CFG
# piglit installs 2 GB, nearly all of it generated shader tests and ASTC
# texture data that tests/guest/piglit.list does not use: kept out of the
# image, which grows by ~120 MB instead of ~2 GB.
cat >"$root/etc/dpkg/dpkg.cfg.d/02-piglit" <<'CFG'
path-exclude /usr/lib/x86_64-linux-gnu/piglit/generated_tests/*
path-exclude /usr/lib/x86_64-linux-gnu/piglit/tests/spec/*_texture_compression_astc/*
CFG
# zstd decompresses fastest under TCG.
mkdir -p "$root/etc/initramfs-tools/conf.d"
echo 'COMPRESS=zstd' >"$root/etc/initramfs-tools/conf.d/vgpu"

mapfile -t pkgs < <(pkg_list "$VGPU_SRC/tests/pkgs/guest.list")
mapfile -t sidpkgs < <(pkg_list "$VGPU_SRC/tests/pkgs/guest-sid.list")
mapfile -t lastpkgs < <(pkg_list "$VGPU_SRC/tests/pkgs/guest-piglit.list")
t1=$SECONDS
log "apt-get install ${#pkgs[@]} packages into the guest root"
run_in_root "$root" -- sh -c 'apt-get update -q && apt-get install -y -q "$@"' \
    sh "${pkgs[@]}" >"$out/apt.log" 2>&1 || { tail -30 "$out/apt.log" >&2; die "apt-get install failed"; }
log "apt install (trixie) took $((SECONDS - t1)) s"
t1=$SECONDS
# A transaction of its own: mixed with the trixie install it fails to resolve.
run_in_root "$root" -- sh -c 'apt-get install -y -q "$@" && apt-get clean' \
    sh "${sidpkgs[@]}" >"$out/apt-sid.log" 2>&1 || { tail -30 "$out/apt-sid.log" >&2; die "apt-get install (sid) failed"; }
log "apt install (sid: IGT) took $((SECONDS - t1)) s"
# Last and on its own, so that the IGT transaction resolves as without it.
t1=$SECONDS
run_in_root "$root" -- sh -c 'apt-get install -y -q "$@" && apt-get clean' \
    sh "${lastpkgs[@]}" >"$out/apt-piglit.log" 2>&1 || { tail -30 "$out/apt-piglit.log" >&2; die "apt-get install (piglit) failed"; }
log "apt install (piglit) took $((SECONDS - t1)) s"

# shellcheck disable=SC2016  # dpkg-query's format, not shell
run_in_root "$root" -- dpkg-query -W -f '${Package} ${Version}\n' >"$out/versions.txt"
run_in_root "$root" -- dpkg -L igt-gpu-tools-tests | grep '/core_getversion$' | xargs dirname >"$out/igt-dir.txt"
[ -s "$out/igt-dir.txt" ] || die "IGT test binaries not found in the guest root"
log "IGT binaries in $(cat "$out/igt-dir.txt")"

for k in $GUEST_KVERS; do
    [ -e "$root/boot/vmlinuz-$k" ] || die "no kernel $k in guest root"
    [ -e "$root/boot/initrd.img-$k" ] || die "no initrd for $k in guest root (initramfs-tools postinst)"
    mv "$root/boot/vmlinuz-$k" "$root/boot/initrd.img-$k" "$out/"
done
rm -rf "${root:?}/var/lib/apt/lists/"* "${root:?}/var/cache/apt/"*.bin
install -m 0755 "$VGPU_SRC/tests/guest/vgpu-init" "$root/vgpu-init"
mkdir -p "$root/mnt/work"

# Size the image from the content, with headroom for the run's writes
# (the disk is attached with snapshot=on, so writes never reach the file).
size_mb=$(( $(du -sm "$root" | cut -f1) * 12 / 10 + 256 ))
t1=$SECONDS
run_in_root "$hostroot" -b "$out:/out" -- \
    mke2fs -q -t ext4 -L vgpuroot -d /out/root /out/root.img "${size_mb}M"
log "mke2fs (${size_mb} MiB) took $((SECONDS - t1)) s"
safe_rmdir "$root"
log "guest image built in $((SECONDS - t0)) s"
