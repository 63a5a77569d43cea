#!/bin/bash
# Builds Mesa with the patches of userspace/mesa into $1 (called through
# mesa_path in common.sh; runs inside the host root, the repo at /src).
#
# Trixie's own source package (the version the guest runs), its Debian
# patches, then ours; only the virgl gallium driver (EGL, GBM, GLES, GL)
# and the venus Vulkan driver. The prefix is the directory where the guest
# finds it, its work disk's mesa/, so that the paths Mesa compiles in (GBM
# backends, the Vulkan ICD's library) hold there. As in Debian, GL goes
# through glvnd: the guest's libEGL and libGLESv2 load our libEGL_mesa
# when a test names our vendor file (__EGL_VENDOR_LIBRARY_FILENAMES) and
# puts our lib/ first (LD_LIBRARY_PATH); Vulkan takes VK_ICD_FILENAMES.
# $1/prefix/ holds the install, $1/build-seconds how long the build took.
set -eu
# shellcheck source-path=SCRIPTDIR source=common.sh
. "$(dirname "$0")/common.sh"
out="$1"
MESA_VERSION=25.0.7-2+deb13u1
PREFIX=/mnt/work/mesa
work="$out/work"
t0=$SECONDS

mkdir -p "$work"
cd "$work"
log "mesa $MESA_VERSION: source package"
apt-get update -q >"$out/apt.log" 2>&1
apt-get source -q --download-only "mesa=$MESA_VERSION" >>"$out/apt.log" 2>&1 ||
    { tail -20 "$out/apt.log" >&2; die "apt-get source mesa=$MESA_VERSION failed"; }
dpkg-source -x ./mesa_*.dsc src >"$out/dpkg-source.log" 2>&1 ||
    { tail -20 "$out/dpkg-source.log" >&2; die "dpkg-source -x failed"; }

cd src
for p in "$VGPU_SRC"/userspace/mesa/*.patch; do
    patch -p1 -s --no-backup-if-mismatch <"$p" || die "$(basename "$p") does not apply"
done
# Patch 0001 carries our uAPI header: it must be the one in this tree.
cmp -s include/drm-uapi/virtgpu_ng_drm.h "$VGPU_SRC/include/uapi/drm/virtgpu_ng_drm.h" ||
    die "userspace/mesa/0001 holds an older virtgpu_ng_drm.h: regenerate it (userspace/mesa/README.md)"

log "mesa: meson setup"
meson setup build --prefix="$PREFIX" --libdir=lib --buildtype=release \
    -Dplatforms= -Dglx=disabled -Degl=enabled -Dgbm=enabled -Dopengl=true \
    -Dgles1=disabled -Dgles2=enabled -Dglvnd=enabled \
    -Dgallium-drivers=virgl -Dvulkan-drivers=virtio \
    -Dllvm=disabled -Dshared-llvm=disabled -Dgallium-va=disabled \
    -Dgallium-vdpau=disabled -Dgallium-xa=disabled -Dgallium-nine=false \
    -Dgallium-rusticl=false -Dvideo-codecs= -Dvulkan-layers= -Dtools= \
    -Dvalgrind=disabled -Dlibunwind=disabled -Dlmsensors=disabled \
    -Dmicrosoft-clc=disabled -Dintel-rt=disabled -Dbuild-tests=false \
    >"$out/meson.log" 2>&1 || { tail -30 "$out/meson.log" >&2; die "meson setup failed"; }
log "mesa: ninja ($(nproc) jobs)"
ninja -C build >"$out/ninja.log" 2>&1 || { grep -A10 FAILED "$out/ninja.log" | head -40 >&2; die "ninja failed"; }
DESTDIR="$out/dest" ninja -C build install >"$out/install.log" 2>&1 || die "ninja install failed"
mv "$out/dest$PREFIX" "$out/prefix"
find "$out/prefix" -name '*.so*' -type f -exec strip --strip-unneeded {} +
rm -rf "$out/dest" "$work"
echo $((SECONDS - t0)) >"$out/build-seconds"
log "mesa: built in $((SECONDS - t0)) s"
