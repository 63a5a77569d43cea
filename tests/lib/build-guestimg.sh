#!/bin/bash
# Builds the guest image into $1 (called by cache_build, see common.sh):
#   root.img     ext4, label vgpuroot, attached read-only (snapshot) to guests
#   vmlinuz-K, initrd.img-K   each kernel K of GUEST_KVERS and its initramfs,
#                for -kernel/-initrd
#   versions.txt dpkg-query of the guest root (quoted by the README)
set -eu
# shellcheck source-path=SCRIPTDIR source=common.sh
. "$(dirname "$0")/common.sh"
# shellcheck source-path=SCRIPTDIR source=guest-root.sh
. "$(dirname "$0")/guest-root.sh"
out="$1"
root="$out/root"

t0=$SECONDS
guest_root_prepare "$root" "$out/debootstrap.log"
# piglit installs 2 GB, nearly all of it generated shader tests and ASTC
# texture data that tests/guest/piglit.list does not use: kept out of the
# image, which grows by ~120 MB instead of ~2 GB.
cat >"$root/etc/dpkg/dpkg.cfg.d/02-piglit" <<'CFG'
path-exclude /usr/lib/x86_64-linux-gnu/piglit/generated_tests/*
path-exclude /usr/lib/x86_64-linux-gnu/piglit/tests/spec/*_texture_compression_astc/*
CFG

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

run_in_root "$root" -- dpkg -L igt-gpu-tools-tests | grep '/core_getversion$' | xargs dirname >"$out/igt-dir.txt"
[ -s "$out/igt-dir.txt" ] || die "IGT test binaries not found in the guest root"
log "IGT binaries in $(cat "$out/igt-dir.txt")"

# The disk is attached with snapshot=on, so writes never reach the file.
guest_image_finish "$root" "$out" 256
log "guest image built in $((SECONDS - t0)) s"
