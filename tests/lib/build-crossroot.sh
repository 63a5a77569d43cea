#!/bin/bash
# Builds the cross root into $1/root (called by cache_build, see common.sh):
# the host root's start plus arm64 as a foreign architecture. The arm64
# packages of tests/pkgs/cross-arm64.list are unpacked under /arm64/deb
# (never configured: they are data for the guest and the module build),
# and the arm64 header tree is also unpacked into /, where its scripts/
# link finds the cross root's own (amd64) kbuild tools.
set -eu
# shellcheck source-path=SCRIPTDIR source=common.sh
. "$(dirname "$0")/common.sh"
out="$1"
root="$out/root"
bootstrap_trixie "$root" "$out/debootstrap.log"

cat >"$root/etc/apt/sources.list" <<SRC
deb [arch=amd64,arm64] $DEBIAN_MIRROR trixie main
SRC
cat >"$root/etc/dpkg/dpkg.cfg.d/01-nodoc" <<'CFG'
path-exclude /usr/share/doc/*
path-exclude /usr/share/man/*
path-exclude /usr/share/info/*
CFG
run_in_root "$root" -- dpkg --add-architecture arm64
mapfile -t pkgs < <(pkg_list "$VGPU_SRC/tests/pkgs/cross.list")
mapfile -t debs < <(pkg_list "$VGPU_SRC/tests/pkgs/cross-arm64.list")
t1=$SECONDS
log "apt-get install ${#pkgs[@]} packages into the cross root"
run_in_root "$root" -- sh -c 'apt-get update -q && apt-get install -y -q --no-install-recommends "$@" && apt-get clean' \
    sh "${pkgs[@]}" >"$out/apt.log" 2>&1 || { tail -30 "$out/apt.log" >&2; die "apt-get install failed"; }
log "apt install took $((SECONDS - t1)) s"
mkdir -p "$root/arm64/deb"
run_in_root "$root" -- sh -c 'cd /arm64/deb && apt-get download "$@"' \
    sh "${debs[@]/%/:arm64}" >"$out/download.log" 2>&1 || { tail -30 "$out/download.log" >&2; die "apt-get download failed"; }
# shellcheck disable=SC2016  # expanded by the inner shell
run_in_root "$root" -- sh -c 'for d in /arm64/deb/*.deb; do dpkg-deb -x "$d" /arm64/root; done'
# modules.dep for the arm64 kernel (depmod reads any architecture's
# modules); the guest's module list comes from it.
ln -sfn usr/lib "$root/arm64/root/lib"
# shellcheck disable=SC2016  # expanded by the inner shell
run_in_root "$root" -- sh -c 'for k in /arm64/root/usr/lib/modules/*; do depmod -b /arm64/root "${k##*/}"; done'
# The header tree where Kbuild expects it, beside the amd64 one.
cp -a "$root/arm64/root/usr/src/." "$root/usr/src/"
rm -f "$root"/arm64/deb/*.deb
# shellcheck disable=SC2016  # dpkg-query's format, not shell
run_in_root "$root" -- dpkg-query -W -f '${Package}:${Architecture} ${Version}\n' >"$out/versions.txt"
touch "$root/.vgpu-hostroot" "$root/.vgpu-crossroot"
mkdir -p "$root/src" "$root/cache"
