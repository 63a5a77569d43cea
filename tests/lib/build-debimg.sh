#!/bin/bash
# Builds the guest image of make check-deb into $1 (called by cache_build,
# see common.sh): the packages of tests/pkgs/deb-guest.list, laid out like
# the main guest image (root.img, vmlinuz-K, initrd.img-K, versions.txt).
# tests/deb-check.sh boots a copy of it, so that what one boot installs is
# there in the next.
set -eu
# shellcheck source-path=SCRIPTDIR source=common.sh
. "$(dirname "$0")/common.sh"
# shellcheck source-path=SCRIPTDIR source=guest-root.sh
. "$(dirname "$0")/guest-root.sh"
out="$1"
root="$out/root"

t0=$SECONDS
guest_root_prepare "$root" "$out/debootstrap.log"
mapfile -t pkgs < <(pkg_list "$VGPU_SRC/tests/pkgs/deb-guest.list")
t1=$SECONDS
log "apt-get install ${#pkgs[@]} packages into the check-deb guest root"
guest_root_install "$root" "$out/apt.log" "${pkgs[@]}"
log "apt install took $((SECONDS - t1)) s"
# Room for the DKMS builds and installs of the boots.
guest_image_finish "$root" "$out" 512
log "check-deb guest image built in $((SECONDS - t0)) s"
