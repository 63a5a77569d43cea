#!/bin/bash
# Builds the Debian package virtio-gpu-ng-dkms (debian/) and checks it with
# lintian. Runs inside the cross root (VGPU_ROOT=cross in_host).
# Usage: deb.sh OUTDIR VERSION
#   VERSION: the tree's (tests/vgpu.sh: dkms.conf's, plus +gitN.gHASH when
#   the tree is a git checkout); it becomes the package's version and
#   dkms.conf's PACKAGE_VERSION in the built copy.
# Appends "PASS|FAIL build/deb..." lines to OUTDIR/results.txt; the .deb
# lands in build/deb/.
set -eu
# shellcheck source-path=SCRIPTDIR source=lib/common.sh
. "$(dirname "$0")/lib/common.sh"
out="$1" ver="$2"
mkdir -p "$out"
out="$(cd "$out" && pwd)"
res="$out/results.txt"
cd "$VGPU_SRC"
result() { echo "$*" >>"$res"; echo "$*"; }

work="$VGPU_SRC/build/deb"
src="$work/virtio-gpu-ng-$ver"
rm -rf "$work"
mkdir -p "$src"
cp -r Makefile Kbuild dkms.conf debian drivers include "$src/"
make -s -C "$src" clean
rm "$src/Makefile"
sed -i "s/^PACKAGE_VERSION=.*/PACKAGE_VERSION=\"$ver\"/" "$src/dkms.conf"
# The changelog's newest entry carries the tree's version.
sed -i "1s/^virtio-gpu-ng ([^)]*)/virtio-gpu-ng ($ver)/" "$src/debian/changelog"

if ! (cd "$src" && dpkg-buildpackage -us -uc -b) >"$out/deb.log" 2>&1; then
    result "FAIL build/deb [dpkg-buildpackage failed: $(grep -m1 -E 'error|Error' "$out/deb.log" | cut -c1-150)]"
    exit 0
fi
deb="$work/virtio-gpu-ng-dkms_${ver}_all.deb"
if [ ! -f "$deb" ]; then
    result "FAIL build/deb [no $(basename "$deb")]"
    exit 0
fi
result "PASS build/deb"
dpkg-deb -c "$deb" >"$out/deb-contents.txt"
if lintian --fail-on error,warning --info "$work"/*.changes >"$out/lintian.log" 2>&1; then
    result "PASS build/deb-lintian"
else
    result "FAIL build/deb-lintian [$(grep -m1 -E '^[EW]:' "$out/lintian.log" | cut -c1-150)]"
fi
result "INFO build/deb $(basename "$deb")"
