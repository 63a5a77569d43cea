#!/bin/sh
# A guest inside this guest, on QEMU's 2D device with blobs (config
# 2d-blob), for what only that device can run: zero-copy scanout. QEMU
# needs /dev/udmabuf for it, which the machine running the harness lacks
# and this guest's Debian kernel has. So this guest runs the harness's own
# tests/run-guest.sh, with the host's QEMU, both shared in read-only by
# run-guest.sh --nest 1 (9p tags hostusr, hostetc and hostimage; make
# check-nested), in a chroot made of the host's /usr and /etc, and reports
# the inner guest's result lines under its own name. Both guests run under
# TCG, one inside the other: slow, hence not in make check.
# Usage: nested.sh [RUNLIST-LINE...] (default: kms, zerocopy, then a short
# fuzzer run)
W=${W:-/mnt/work}
OUT=${OUT:-$W/out}
R=/tmp/nest-root
KVER=6.12.117+deb13-amd64

if [ ! -d "$W/src/tests" ]; then
    echo "SKIP run [this guest was not started with run-guest.sh --nest 1 (make check-nested)]"
    exit 0
fi
modprobe 9pnet_virtio 2>/dev/null
modprobe 9p 2>/dev/null
# /var/tmp: where QEMU keeps the inner root disk's snapshot.
mkdir -p "$R/usr" "$R/img" "$R/dev" "$R/proc" "$R/sys" "$R/tmp" "$R/work" \
    "$R/etc" "$R/var/tmp"
opts=trans=virtio,version=9p2000.L,ro,msize=512000
if ! mount -t 9p -o "$opts" hostusr "$R/usr" ||
   ! mount -t 9p -o "$opts" hostetc "$R/etc" ||
   ! mount -t 9p -o "$opts" hostimage "$R/img"; then
    echo "FAIL run [cannot mount the host's /usr, /etc and image over 9p]"
    exit 1
fi
cleanup() {
    for m in work tmp sys proc dev img etc usr; do umount -l "$R/$m" 2>/dev/null; done
}
trap cleanup EXIT
for l in bin sbin lib lib64; do ln -sfn "usr/$l" "$R/$l"; done
mount --rbind /dev "$R/dev"
mount -t proc proc "$R/proc"
mount -t sysfs sysfs "$R/sys"
mount -t tmpfs tmpfs "$R/tmp"
mount --bind "$W" "$R/work"
[ -e /dev/udmabuf ] || echo "# no /dev/udmabuf in this guest: QEMU will refuse the device"

# The inner guest's initramfs. Debian's waits for udev, which under TCG
# inside TCG answers too late for the root disk to be found; this one
# loads the disk's and ext4's modules itself (this guest runs the same
# kernel, so modprobe names them and their order) and switches to the
# image's root, whose /vgpu-init loads the rest as in every guest.
mkinitrd() { # mkinitrd OUT
    d=$R/tmp/initrd
    rm -rf "$d"
    mkdir -p "$d/dev" "$d/proc" "$d/sys" "$d/root" "$d/usr/bin" "$d/usr/sbin" \
        "$d/usr/lib" "$d/usr/lib64"
    for l in bin sbin lib lib64; do ln -s "usr/$l" "$d/$l"; done
    # put PATH: the file at its real path, and the name it was asked by.
    put() {
        r=$(readlink -f "$1")
        mkdir -p "$d${r%/*}"
        [ -e "$d$r" ] || cp "$r" "$d$r"
        if [ ! -e "$d$1" ]; then mkdir -p "$d${1%/*}"; ln -s "$r" "$d$1"; fi
    }
    for f in $(for m in ahci sd_mod ext4; do modprobe -S "$KVER" --show-depends "$m"; done |
               awk '$1 == "insmod" && !seen[$2]++ { print $2 }'); do
        put "$f"
        echo "$f" >>"$d/modules"
    done
    for b in /bin/sh /usr/bin/kmod /usr/sbin/switch_root /usr/bin/mount /usr/bin/umount \
             /usr/bin/sleep; do
        put "$b"
        for f in $(ldd "$b" | awk '{ for (i = 1; i <= NF; i++) if ($i ~ /^\//) print $i }'); do
            put "$f"
        done
    done
    ln -s kmod "$d/usr/bin/insmod"
    cat >"$d/init" <<'INIT'
#!/bin/sh
export PATH=/usr/bin:/usr/sbin
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
# The kernel found no console to give init here: take it now, for /vgpu-init.
exec </dev/console >/dev/console 2>&1
while read -r m; do insmod "$m"; done </modules
# AHCI may name the disks in any order: the root is the one with /vgpu-init.
n=0
while [ "$n" -lt 1800 ]; do
    for b in /dev/sd?; do
        [ -b "$b" ] && mount -o ro -t ext4 "$b" /root 2>/dev/null || continue
        [ -x /root/vgpu-init ] && exec switch_root /root /vgpu-init
        umount /root
    done
    sleep 1
    n=$((n + 1))
done
echo "nested initramfs: no root disk"
INIT
    chmod +x "$d/init"
    (cd "$d" && find . | cpio -o -H newc --quiet) >"$1"
}
img=$R/tmp/img
mkdir -p "$img"
for f in "vmlinuz-$KVER" root.img igt-dir.txt; do ln -s "/img/$f" "$img/$f"; done
if ! mkinitrd "$img/initrd.img-$KVER"; then
    echo "FAIL run [could not make the inner guest's initramfs]"
    exit 1
fi

rl=$R/tmp/inner.rl
if [ "$#" -gt 0 ]; then
    printf '%s\n' "$@" >"$rl"
else
    # zerocopy counts what kms did: before the fuzzer, whose buffers past
    # what the host can map are 2D resources with uploads.
    printf '%s\n' "c kms timeout=900" "sh zerocopy timeout=120" \
        "c fuzz timeout=900 -n 1000" >"$rl"
fi
inner=$OUT/nested
rm -rf "$inner"
mkdir -p "$inner"
ko=""
[ -f "$W/virtio-gpu.ko" ] && ko="--ko /work/virtio-gpu.ko"
driver=$(sed -n 's/^DRIVER=//p' "$W/config.env")
start=$(date +%s)
# The inner guest's progress on this guest's console, for whoever follows it.
: >"$inner/serial.log"
# Only its results and steps: a request line (a screendump) on this
# console would be served by this guest's own watcher, on this display.
tail -F "$inner/serial.log" 2>/dev/null | grep --line-buffered -E '^VGPU(-RESULT)?: ' |
    sed -u 's/^VGPU[-A-Z]*: /nested: /' >/dev/console &
# shellcheck disable=SC2086  # $ko is two words or none
chroot "$R" /usr/bin/env -i PATH=/usr/bin:/usr/sbin HOME=/tmp TMPDIR=/tmp \
    VGPU_SRC=/work/src VGPU_CACHE=/tmp/cache VGPU_GUEST_MEM=1G \
    VGPU_APPEND="sysctl.kernel.hung_task_timeout_secs=0" \
    /usr/bin/bash /work/src/tests/run-guest.sh --image /tmp/img --config 2d-blob \
    --driver "${driver:-ours}" $ko --bins /work/bin --runlist /tmp/inner.rl \
    --out "/work/out/nested" --kernel "$KVER" --smp 1 --timeout 3000 \
    >"$inner/run-guest.log" 2>&1
rc=$?
pkill -f "tail -F $inner/serial.log"
echo "# inner guest: run-guest.sh rc=$rc after $(($(date +%s) - start)) s"
if [ ! -s "$inner/results.txt" ]; then
    echo "FAIL run [the inner guest gave no results: $(tail -n 1 "$inner/run-guest.log")]"
    exit 1
fi
echo "PASS run"
cat "$inner/results.txt"
