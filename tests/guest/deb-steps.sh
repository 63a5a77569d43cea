#!/bin/sh
# Guest side of make check-deb (tests/deb-check.sh): started by /vgpu-init
# as guest/main.sh of the work disk, once per boot. The root disk is a copy
# of the image that keeps what one boot installs for the next, so the boots
# are the steps of a user's machine:
#   install     dpkg -i the package: DKMS builds for every kernel; ours loads
#   package     (the other kernel) ours loads; dpkg --purge; the in-tree
#               module is what modprobe takes again
#   purged      the in-tree module loads; make dkms-install from the source
#               tree builds for every kernel; ours loads after a reload
#   manual      (the other kernel) ours loads; make dkms-uninstall; the
#               in-tree module is back
#   removed     the in-tree module loads
# config.env: STEP, KERNELS (the image's), DEB (file on the work disk),
# PKG_VER (the package's DKMS version), TREE_VER (dkms.conf's).
# Result names: deb/<path>/<check>[/<kernel>].
PATH=/usr/sbin:/usr/bin:/sbin:/bin
export PATH
W=/mnt/work
OUT=$W/out
mkdir -p "$OUT/logs"
RES=$OUT/results.txt
: >"$RES"
# shellcheck disable=SC1091  # written by deb-check.sh
. "$W/config.env"
MOD=virtio-gpu
NAME=virtio-gpu-ng

con() { echo "$*" >/dev/console; }
result() {
    echo "$*" >>"$RES"
    con "VGPU-RESULT: $*"
}
# check NAME WHY-IF-NOT CMD...: PASS when CMD succeeds.
check() {
    _n=$1 _why=$2
    shift 2
    if "$@"; then result "PASS $_n"; else result "FAIL $_n [$_why]"; fi
}
powerdown() {
    dmesg >"$OUT/dmesg.txt" 2>&1
    sync
    mount -o remount,ro / 2>/dev/null
    umount "$W" 2>/dev/null
    sync
    con "VGPU-POWEROFF"
    printf '\001' | dd of=/dev/port bs=1 seek=244 count=1 conv=notrunc 2>/dev/null
    sleep 2
    echo o >/proc/sysrq-trigger
    sleep 30
}

mount -o remount,rw / || con "VGPU: the root disk stays read-only"
mkdir -p /tmp /run && mount -t tmpfs tmpfs /tmp && mount -t tmpfs tmpfs /run
KREL=$(uname -r)
con "VGPU: guest up, kernel $KREL, check-deb step $STEP"

# The file modprobe takes for kernel $1.
modfile() { modinfo -k "$1" -n "$MOD" 2>/dev/null; }
under() { case "$1" in "/lib/modules/$2/$3/"*|"/usr/lib/modules/$2/$3/"*) return 0;; esac; return 1; }
is_dkms() { under "$(modfile "$1")" "$1" updates/dkms; }
is_intree() { under "$(modfile "$1")" "$1" kernel/drivers/gpu/drm/virtio; }

# built PATH VER: DKMS built VER for every kernel, and modprobe takes it.
built() {
    for k in $KERNELS; do
        st=$(dkms status -m "$NAME" -v "$2" -k "$k" 2>&1)
        echo "$k: $st" >>"$OUT/logs/dkms-status.txt"
        case "$st" in
            *": installed"*) ;;
            *) result "FAIL deb/$1/built/$k [dkms status: ${st:-nothing}]"; continue;;
        esac
        check "deb/$1/built/$k" "modprobe would take $(modfile "$k")" is_dkms "$k"
    done
}

# loaded PATH dkms|in-tree: modprobe loads virtio-gpu from where it should,
# and the DRM device comes up. A module loaded before is unloaded first.
loaded() {
    _log=$OUT/logs/modprobe-$1-$2.log
    if [ -d /sys/module/virtio_gpu ] && ! modprobe -r "$MOD" >"$_log" 2>&1; then
        result "FAIL deb/$1/loaded-$2/$KREL [modprobe -r: $(tr '\n' ' ' <"$_log")]"
        return
    fi
    _f=$(modfile "$KREL")
    if ! modprobe "$MOD" >>"$_log" 2>&1; then
        result "FAIL deb/$1/loaded-$2/$KREL [modprobe $_f: $(tr '\n' ' ' <"$_log")]"
        return
    fi
    _i=0
    while [ ! -e /sys/class/drm/card0 ] && [ "$_i" -lt 100 ]; do sleep 0.1; _i=$((_i + 1)); done
    _taint=$(cat /sys/module/virtio_gpu/taint 2>/dev/null)
    # Ours has module parameters the in-tree driver lacks, and is out of
    # tree (taint O); neither module carries a srcversion to compare.
    [ -e /sys/module/virtio_gpu/parameters/notify_batch ] && _ours=1 || _ours=0
    {
        echo "file: $_f"
        lsmod | grep -E '^(Module|virtio_gpu) '
        modinfo "$_f" | grep -E '^(filename|description|vermagic|sig_id|signer):'
        echo "loaded: taint '$_taint', notify_batch parameter: $_ours"
    } >"$OUT/logs/loaded-$1-$2-$KREL.txt" 2>&1
    if [ "$2" = dkms ]; then
        is_dkms "$KREL" && _where=1 || _where=0
        case "$_ours:$_taint" in 1:*O*) _which=1;; *) _which=0;; esac
    else
        is_intree "$KREL" && _where=1 || _where=0
        [ "$_ours:$_taint" = "0:" ] && _which=1 || _which=0
    fi
    if [ "$_where" = 0 ]; then
        result "FAIL deb/$1/loaded-$2/$KREL [modprobe took $_f]"
    elif [ "$_which" = 0 ]; then
        result "FAIL deb/$1/loaded-$2/$KREL [the loaded module is not the $2 one: taint '$_taint', ours' parameters: $_ours]"
    elif [ ! -e /sys/class/drm/card0 ]; then
        result "FAIL deb/$1/loaded-$2/$KREL [no DRM device]"
    else
        result "PASS deb/$1/loaded-$2/$KREL"
    fi
}

# gone PATH VER: nothing of VER is left, and every kernel's modprobe takes
# the in-tree module.
gone() {
    _left=""
    for _p in /lib/modules/*/updates/dkms/"$MOD".ko* "/usr/src/$NAME-$2" \
        "/var/lib/dkms/$NAME/$2"; do
        [ -e "$_p" ] && _left="$_left $_p"
    done
    check "deb/$1/nothing-left" "left: $_left" test -z "$_left"
    for k in $KERNELS; do
        check "deb/$1/in-tree-again/$k" "modprobe would take $(modfile "$k")" is_intree "$k"
    done
}

# run LOG CMD...: CMD's output into LOG (and its tail onto the console).
run() {
    _l=$1
    shift
    "$@" >"$_l" 2>&1
    _rc=$?
    tail -5 "$_l" | sed 's/^/VGPU-LOG: /' >/dev/console
    return $_rc
}

t0=$(date +%s)
case "$STEP" in
    install)
        check deb/package/install "dpkg -i failed (logs/dpkg-install.log)" \
            run "$OUT/logs/dpkg-install.log" dpkg -i "$W/$DEB"
        built package "$PKG_VER"
        loaded package dkms
        ;;
    package)
        loaded package dkms
        check deb/package/purge "dpkg --purge failed (logs/dpkg-purge.log)" \
            run "$OUT/logs/dpkg-purge.log" dpkg --purge "$NAME-dkms"
        gone package "$PKG_VER"
        loaded package in-tree
        ;;
    purged)
        loaded package in-tree
        check deb/manual/install "make dkms-install failed (logs/dkms-install.log)" \
            run "$OUT/logs/dkms-install.log" make -C "$W/tree" dkms-install
        built manual "$TREE_VER"
        loaded manual dkms
        ;;
    manual)
        loaded manual dkms
        check deb/manual/uninstall "make dkms-uninstall failed (logs/dkms-uninstall.log)" \
            run "$OUT/logs/dkms-uninstall.log" make -C "$W/tree" dkms-uninstall
        gone manual "$TREE_VER"
        loaded manual in-tree
        ;;
    removed)
        loaded manual in-tree
        ;;
    *)  result "FAIL deb/step [unknown step '$STEP']";;
esac
echo "$STEP $KREL seconds=$(($(date +%s) - t0))" >>"$OUT/timings.txt"
con "VGPU-DONE"
powerdown
