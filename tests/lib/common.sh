# shellcheck shell=bash
# Shared helpers for the test harness. Source it; do not execute it.
#
# Conventions:
#   VGPU_SRC    the repository (on the host: the clone; inside the host root: /src)
#   VGPU_CACHE  cache of built roots and images, outside the clone. Everything
#               in it is rebuilt when missing, so deleting it is always safe.
#   KVER        kernel release the module is built for / the guest runs.

VGPU_LIB="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
VGPU_SRC="${VGPU_SRC:-$(cd "$VGPU_LIB/../.." && pwd)}"
VGPU_CACHE="${VGPU_CACHE:-/var/cache/virtio-gpu-ng}"
KVER="${KVER:-6.12.117+deb13-amd64}"
# The guest image carries both kernels we target: Debian's 6.12 LTS, which
# guests run by default, and the newest one (trixie-backports). A guest runs
# KVER when the image has it, so KVER selects both the build and the boot.
export GUEST_KVER="6.12.117+deb13-amd64"
export GUEST_KVERS="$GUEST_KVER 7.3.4+deb13-amd64"
DEBIAN_MIRROR="${DEBIAN_MIRROR:-http://deb.debian.org/debian}"
export VGPU_SRC VGPU_CACHE KVER

# The device configs (tests/configs, lines NAME DEVICE DISPLAY [extra]).
VGPU_CONFIGS_FILE="$VGPU_SRC/tests/configs"
config_names() { # the names, in the table's order, on one line; "all": extra ones too
    sed -e 's/#.*//' "$VGPU_CONFIGS_FILE" |
        awk -v all="${1:-}" 'NF && (NF == 3 || all == "all") { printf "%s%s", sep, $1; sep = " " } END { print "" }'
}
config_field() { # config_field NAME device|display: prints it; fails for an unknown NAME
    sed -e 's/#.*//' "$VGPU_CONFIGS_FILE" | awk -v n="$1" -v f="$2" '
        $1 == n && (NF == 3 || (NF == 4 && $4 == "extra")) {
            print (f == "device") ? $2 : $3; found = 1; exit }
        END { exit !found }'
}

log() { printf '[vgpu %s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }

# The host tools the roots are built with. A fresh machine may lack
# debootstrap: install it from the host's own apt sources (which stay as
# they are) when we can, as the one change the harness makes to the host.
need_debootstrap() {
    command -v debootstrap >/dev/null && return 0
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
        log "installing debootstrap on the host (apt-get install debootstrap)"
        { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq debootstrap; } \
            >&2 || die "could not install debootstrap"
    fi
    command -v debootstrap >/dev/null || die "debootstrap is missing on the host: apt-get install debootstrap"
}

# bootstrap_trixie ROOT LOG: a minimal Debian trixie in ROOT, both roots' start.
bootstrap_trixie() {
    local t0=$SECONDS
    need_debootstrap
    log "debootstrap trixie (minbase) -> $1"
    debootstrap --variant=minbase trixie "$1" "$DEBIAN_MIRROR" >"$2" 2>&1 \
        || { tail -20 "$2" >&2; die "debootstrap failed"; }
    log "debootstrap took $((SECONDS - t0)) s"
}

# True when running inside the host root (the marker is written at build time).
in_hostroot() { [ -e /.vgpu-hostroot ]; }

# Hash of files (content + name), used as the cache key of what they build.
files_key() {
    local f
    for f in "$@"; do
        printf '%s\n' "${f#"$VGPU_SRC"/}"
        cat "$f"
    done | sha256sum | cut -c1-16
}

# Strip comments/blank lines from a package list; print one package per line.
pkg_list() {
    sed -e 's/#.*//' -e 's/[[:space:]]\+/\n/g' "$1" | sed '/^$/d'
}

# Remove a directory we created, but never across a mount point: a still
# mounted /proc or bind mount inside a root must not be followed.
safe_rmdir() {
    local d="$1"
    case "$d" in
        ""|/|/usr|/var|/tmp|/var/cache) die "refusing to remove '$d'";;
    esac
    [ -e "$d" ] || return 0
    if findmnt -rn -o TARGET | grep -q -F -- "$(readlink -f "$d")/"; then
        die "refusing to remove $d: something is still mounted below it"
    fi
    rm -rf --one-file-system -- "$d"
}

# cache_build NAME KEY BUILDER...
# Ensures $VGPU_CACHE/NAME-KEY exists. On a miss BUILDER is run with the
# temporary directory as its last argument; it is renamed into place only when
# BUILDER succeeded, so a half-built artifact is never used. A lock serialises
# concurrent builders of the same artifact. Prints the final path on stdout.
cache_build() {
    local name="$1" key="$2"; shift 2
    local final="$VGPU_CACHE/$name-$key" tmp rc=0
    mkdir -p "$VGPU_CACHE"
    if [ -e "$final/.complete" ]; then
        touch "$final" 2>/dev/null || true   # "last used", see below
        log "cache hit: $name ($final)"
        printf '%s\n' "$final"
        return 0
    fi
    exec 9>"$VGPU_CACHE/.lock-$name"
    flock 9
    if [ -e "$final/.complete" ]; then
        log "cache hit: $name ($final) (built concurrently)"
        exec 9>&-
        printf '%s\n' "$final"
        return 0
    fi
    log "cache miss: building $name (key $key)"
    tmp="$(mktemp -d "$VGPU_CACHE/.tmp-$name-XXXXXX")"
    local t0=$SECONDS
    "$@" "$tmp" >&2 || rc=$?
    if [ "$rc" -ne 0 ]; then
        log "building $name failed (rc=$rc); removing $tmp"
        safe_rmdir "$tmp"
        exec 9>&-
        return "$rc"
    fi
    touch "$tmp/.complete"
    # Drop stale versions of the same artifact (other keys): disk is finite.
    # Only those unused for an hour: another checkout sharing the cache (a CI
    # clone, a colleague's tree) may be running guests from its own version.
    local old
    for old in "$VGPU_CACHE/$name"-*; do
        if [ ! -d "$old" ] || [ "$old" = "$final" ]; then continue; fi
        if [ -z "$(find "$old" -maxdepth 0 -mmin -60)" ]; then
            safe_rmdir "$old"
        fi
    done
    [ -e "$final" ] && safe_rmdir "$final"
    mv -T -- "$tmp" "$final"
    exec 9>&-
    log "built $name in $((SECONDS - t0)) s -> $final"
    printf '%s\n' "$final"
}

# run_in_root ROOT [-b HOSTPATH:ROOTPATH]... -- CMD...
# Runs CMD chrooted into ROOT with /proc, /dev, /sys and the given bind
# mounts. Everything happens in a private mount namespace, so the mounts
# vanish when the command ends, whatever happens (kill, crash, concurrency,
# nesting); the inner script also unmounts explicitly on exit.
run_in_root() {
    local root="$1"; shift
    unshare --mount --propagation private --kill-child=TERM -- \
        "$VGPU_LIB/chroot-inner.sh" "$root" "$@"
}

# The host root: toolchain, QEMU, virgl. Prints its root directory.
hostroot_path() {
    local key dir
    key="$(files_key "$VGPU_SRC/tests/pkgs/host.list" "$VGPU_LIB/build-hostroot.sh")"
    dir="$(cache_build hostroot "$key" "$VGPU_LIB/build-hostroot.sh")" || return 1
    printf '%s/root\n' "$dir"
}

# The cross root: in-tree builds, arm64 (tests/lib/build-crossroot.sh).
# Prints its root directory.
crossroot_path() {
    local key dir
    key="$(files_key "$VGPU_SRC/tests/pkgs/cross.list" "$VGPU_SRC/tests/pkgs/cross-arm64.list" \
        "$VGPU_LIB/build-crossroot.sh")"
    dir="$(cache_build crossroot "$key" "$VGPU_LIB/build-crossroot.sh")" || return 1
    printf '%s/root\n' "$dir"
}

# The guest image dir: root.img, vmlinuz, initrd.img, versions.txt.
guestimg_path() {
    local key
    key="$(files_key "$VGPU_SRC/tests/pkgs/guest.list" "$VGPU_SRC/tests/pkgs/guest-sid.list" \
        "$VGPU_SRC/tests/pkgs/guest-piglit.list" \
        "$VGPU_LIB/build-guestimg.sh" "$VGPU_LIB/guest-root.sh" "$VGPU_SRC/tests/guest/vgpu-init")"
    cache_build guestimg "$key" "$VGPU_LIB/build-guestimg.sh"
}

# The guest image of make check-deb (tests/lib/build-debimg.sh), laid out
# like the main one.
debimg_path() {
    local key
    key="$(files_key "$VGPU_SRC/tests/pkgs/deb-guest.list" "$VGPU_LIB/build-debimg.sh" \
        "$VGPU_LIB/guest-root.sh" "$VGPU_SRC/tests/guest/vgpu-init")"
    cache_build debimg "$key" "$VGPU_LIB/build-debimg.sh"
}

# Mesa with the patches of userspace/mesa (tests/lib/build-mesa.sh), built
# inside the host root. Prints its directory; the install is in prefix/.
mesa_path() {
    local key
    key="$(files_key "$VGPU_SRC"/userspace/mesa/*.patch "$VGPU_LIB/build-mesa.sh" \
        "$VGPU_SRC/tests/pkgs/host.list" "$VGPU_LIB/build-hostroot.sh")"
    cache_build mesa "$key" mesa_build_in_host
}
mesa_build_in_host() { # TMPDIR, which is under $VGPU_CACHE
    in_host tests/lib/build-mesa.sh "/cache/${1#"$VGPU_CACHE"/}"
}

# xvfb_start TMPDIR LOG: an Xvfb for QEMU's gtk,gl=on display (3D needs a
# GL context on the host, and that is what works here: egl-headless needs
# a render node, SDL fails to get GL 3.0). Exports DISPLAY and sets
# XVFB_PID; the screen is also TMPDIR/Xvfb_screen0 (XWD), the screendump
# fallback for GL scanouts QEMU's screendump cannot read ("no surface").
xvfb_start() {
    local _
    Xvfb -displayfd 5 -screen 0 1280x1024x24 -fbdir "$1" -nolisten tcp \
        5>"$1/display" 2>"$2" &
    # shellcheck disable=SC2034  # the caller's
    XVFB_PID=$!
    for _ in $(seq 50); do [ -s "$1/display" ] && break; sleep 0.1; done
    [ -s "$1/display" ] || die "Xvfb did not start (see $2)"
    DISPLAY=":$(cat "$1/display")"
    export DISPLAY
}

# guest_boot_verdict OUT RC TIMEOUT SERIAL: the guest/boot result line of
# a guest run into OUT/results.txt, from QEMU's exit code RC (124/137: the
# host's TIMEOUT killed it) and whether the guest said VGPU-DONE on its
# SERIAL console; and a failure when the run gave no result at all.
guest_boot_verdict() {
    local out="$1" rc="$2" limit="$3" serial="$4"
    if [ "$rc" -eq 124 ] || [ "$rc" -eq 137 ]; then
        echo "FAIL guest/boot [host timeout after ${limit}s]"
    elif ! grep -q 'VGPU-DONE' "$serial"; then
        echo "FAIL guest/boot [guest did not finish its run-list; qemu rc=$rc: $(tail -1 "$out/qemu.log")]"
    else
        echo "PASS guest/boot"
    fi >>"$out/results.txt"
    grep -q . "$out/results.txt" || echo "FAIL guest/boot [no results]" >>"$out/results.txt"
}

# W=1 diagnostics in our files (the kernel's own headers are not ours).
our_diags() {
    grep -E '(warning|error):' "$1" | grep -E 'drivers/gpu/drm/virtio/' || true
}

# build_verdict NAME RC LOG PRODUCT: the result line of one build (through
# the caller's result function): make's exit code, W=1 diagnostics in our
# files, and the file it must have made. True when it passed.
build_verdict() {
    local name="$1" rc="$2" logf="$3" product="$4" diags
    diags="$(our_diags "$logf")"
    if [ "$rc" -ne 0 ]; then
        result "FAIL build/$name [make failed: $(grep -m1 -E 'error' "$logf" | cut -c1-150)]"
    elif [ -n "$diags" ]; then
        result "FAIL build/$name [$(printf '%s\n' "$diags" | wc -l) diagnostics; first: $(printf '%s\n' "$diags" | head -1 | cut -c1-150)]"
    elif [ ! -f "$product" ]; then
        result "FAIL build/$name [no $(basename "$product") after the build]"
    else
        result "PASS build/$name"
        return 0
    fi
    return 1
}

# config_lost CONFIG FRAGMENT...: the fragments' lines that olddefconfig
# did not keep, one per line.
config_lost() {
    local cfg="$1"; shift
    sed -e 's/^# \(CONFIG_[A-Za-z0-9_]*\) is not set$/\1=n/' -e '/^#/d' -e '/^$/d' "$@" |
        while IFS='=' read -r sym val; do
            if [ "$val" = n ]; then
                grep -q -E "^$sym=" "$cfg" && echo "$sym=n"
            else
                grep -q -x -F "$sym=$val" "$cfg" || echo "$sym=$val"
            fi
        done
    return 0
}

# Debian's linux-source-6.12, extracted once into the cache (both roots
# install the same version). Prints its directory; nothing writes to it.
linux_src() {
    local tarball=/usr/src/linux-source-6.12.tar.xz key
    key="$(printf '%s whole tree\n' "$(dpkg-query -W -f '${Version}' linux-source-6.12)" |
        sha256sum | cut -c1-16)"
    # shellcheck disable=SC2317  # called through cache_build
    extract() {
        tar -xJf "$tarball" -C "$1" --strip-components=1
    }
    cache_build kunitsrc "$key" extract
}

# linux_worktree WORK: WORK/src becomes a hard-linked copy of linux_src
# with our driver and uAPI headers in place of the in-tree ones. The copy
# is made once per pristine tree (WORK/src.from names it; build
# directories under WORK are dropped with it); our files are replaced on
# every call, never written through the links. The caller holds WORK's
# lock.
linux_worktree() {
    local work="$1" pristine src="$1/src" f d
    pristine="$(linux_src)" || return 1
    if [ "$(cat "$work/src.from" 2>/dev/null)" != "$pristine" ]; then
        for d in "$work"/*/; do safe_rmdir "${d%/}"; done
        mkdir -p "$work"
        cp -al "$pristine" "$src"
        printf '%s\n' "$pristine" >"$work/src.from"
    fi
    rm -rf "$src/drivers/gpu/drm/virtio"
    cp -r "$VGPU_SRC/drivers/gpu/drm/virtio" "$src/drivers/gpu/drm/virtio"
    find "$src/drivers/gpu/drm/virtio" \( -name '*.o' -o -name '*.ko' -o -name '*.mod*' \
        -o -name '.*.cmd' -o -name 'modules.order' -o -name '*.a' \) -delete
    for f in include/uapi/drm/virtgpu_drm.h include/uapi/drm/virtgpu_ng_drm.h; do
        rm -f "$src/$f"
        cp "$VGPU_SRC/$f" "$src/$f"
    done
}

# in_host SCRIPT ARGS... : run a repo script (path relative to the repo)
# inside the host root (the cross root with VGPU_ROOT=cross), or directly
# when already inside a root. There the repo is
# at /src and the cache at /cache.
in_host() {
    local script="$1"; shift
    if in_hostroot; then
        "$VGPU_SRC/$script" "$@"
        return
    fi
    local root
    if [ "${VGPU_ROOT:-host}" = cross ]; then
        root="$(crossroot_path)" || die "cannot build the cross root"
    else
        root="$(hostroot_path)" || die "cannot build the host root"
    fi
    run_in_root "$root" -b "$VGPU_SRC:/src" -b "$VGPU_CACHE:/cache" -- \
        env -C /src VGPU_SRC=/src VGPU_CACHE=/cache "/src/$script" "$@"
}
