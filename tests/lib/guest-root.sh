# shellcheck shell=bash
# The start and the end of a guest image, shared by the image builders
# (build-guestimg.sh, build-debimg.sh). Source it after common.sh. It is
# part of both images' cache keys.

# guest_root_prepare ROOT LOG: a minimal trixie in ROOT whose apt sees
# trixie, trixie-backports (the newest kernel) and sid pinned low (only
# packages named with /sid), installs no recommends and no documentation,
# and whose initramfs is zstd, which decompresses fastest under TCG.
guest_root_prepare() {
    local root="$1"
    bootstrap_trixie "$root" "$2"
    cat >"$root/etc/apt/sources.list" <<SRC
deb $DEBIAN_MIRROR trixie main
deb $DEBIAN_MIRROR trixie-backports main
deb $DEBIAN_MIRROR sid main
SRC
    # sid's Release file can be past its Valid-Until on the mirror.
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
    mkdir -p "$root/etc/initramfs-tools/conf.d"
    echo 'COMPRESS=zstd' >"$root/etc/initramfs-tools/conf.d/vgpu"
}

# guest_root_install ROOT LOG PKG...: one apt transaction into ROOT.
guest_root_install() {
    local root="$1" alog="$2"; shift 2
    run_in_root "$root" -- sh -c 'apt-get update -q && apt-get install -y -q "$@" && apt-get clean' \
        sh "$@" >"$alog" 2>&1 || { tail -30 "$alog" >&2; die "apt-get install failed (see $alog)"; }
}

# guest_image_finish ROOT OUT HEADROOM_MB: OUT gets vmlinuz-K and
# initrd.img-K of each kernel K of GUEST_KVERS (for -kernel/-initrd),
# versions.txt, and root.img, ext4 labelled vgpuroot with /vgpu-init, sized
# from the content plus a fifth plus HEADROOM_MB for the guest's writes.
# ROOT is removed.
guest_image_finish() {
    local root="$1" out="$2" headroom="$3" k size_mb t1 hostroot
    hostroot="$(hostroot_path)"
    # shellcheck disable=SC2016  # dpkg-query's format, not shell
    run_in_root "$root" -- dpkg-query -W -f '${Package} ${Version}\n' >"$out/versions.txt"
    for k in $GUEST_KVERS; do
        [ -e "$root/boot/vmlinuz-$k" ] || die "no kernel $k in guest root"
        [ -e "$root/boot/initrd.img-$k" ] || die "no initrd for $k in guest root (initramfs-tools postinst)"
        mv "$root/boot/vmlinuz-$k" "$root/boot/initrd.img-$k" "$out/"
    done
    rm -rf "${root:?}/var/lib/apt/lists/"* "${root:?}/var/cache/apt/"*.bin
    install -m 0755 "$VGPU_SRC/tests/guest/vgpu-init" "$root/vgpu-init"
    mkdir -p "$root/mnt/work"
    size_mb=$(( $(du -sm "$root" | cut -f1) * 12 / 10 + headroom ))
    t1=$SECONDS
    run_in_root "$hostroot" -b "$out:/out" -- \
        mke2fs -q -t ext4 -L vgpuroot -d /out/root /out/root.img "${size_mb}M"
    log "mke2fs (${size_mb} MiB) took $((SECONDS - t1)) s"
    safe_rmdir "$root"
}
