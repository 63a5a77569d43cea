#!/bin/bash
# Boots one QEMU guest and runs a run-list in it. Runs inside the host root
# (see in_host in tests/lib/common.sh); all paths are repo-relative or /cache.
#
# run-guest.sh --image DIR --config CFG --driver ours|distro --runlist FILE --out DIR
#              [--ko FILE] [--bins DIR] [--mesa DIR] [--trace FILE] [--timeout SECONDS]
#              [--kernel KVER]   (one of the image's kernels; default GUEST_KVER)
#              [--kdir DIR]      (boot DIR/vmlinuz-KVER instead, without an
#                                initramfs, its modules from DIR/mods: the
#                                debug kernel of tests/debug-kernel.sh)
#              [--panic 1]       (end with drm_panic's check: the guest crashes)
#              [--smp N]         (virtual CPUs, default 2)
#              [--nest 1]        (share this root's /usr and /etc and the
#                                image with the guest, read-only, as 9p tags
#                                hostusr, hostetc and hostimage, and put
#                                tests/ on its work
#                                disk: the guest can then run this script
#                                itself, with this QEMU, for a guest of its
#                                own; tests/guest/tests/nested.sh)
#   VGPU_GUEST_MEM  the guest's memory (default 3G)
#   VGPU_APPEND     more kernel arguments
#   CFG: a config of tests/configs (2d, 2d-dual, virgl, virgl-blob, venus)
# Results land in OUT/results.txt (PASS/FAIL/SKIP lines), with the guest's
# dmesg, serial log, per-test logs and screendumps next to it.
set -eu
# shellcheck source-path=SCRIPTDIR source=lib/common.sh
. "$(dirname "$0")/lib/common.sh"
cd "$VGPU_SRC"

image="" config="" driver="" runlist="" out="" ko="" bins="" mesa="" trace="" hard_timeout=1500
kernel="$GUEST_KVER" panic=0 smp=2 kdir="" nest=0
while [ "$#" -gt 0 ]; do
    case "$1" in
        --image) image="$2";; --config) config="$2";; --driver) driver="$2";;
        --runlist) runlist="$2";; --out) out="$2";; --ko) ko="$2";; --bins) bins="$2";; --mesa) mesa="$2";;
        --trace) trace="$2";; --timeout) hard_timeout="$2";; --kernel) kernel="$2";;
        --panic) panic="$2";; --smp) smp="$2";; --kdir) kdir="$2";;
        --nest) nest="$2";;
        *) die "run-guest.sh: unknown argument $1";;
    esac
    shift 2
done
if [ -z "$image" ] || [ -z "$config" ] || [ -z "$driver" ] || [ -z "$runlist" ] || [ -z "$out" ]; then
    die "usage: run-guest.sh --image DIR --config CFG --driver D --runlist FILE --out DIR"
fi

# The device and display of each config: tests/configs.
gpu=$(config_field "$config" device) || die "unknown config '$config' ($(config_names all))"
# A config's DEVICE may be several devices joined by '+' (a port, then the GPU).
gpu_devs=()
IFS='+' read -r -a gpu_parts <<<"$gpu"
for d in "${gpu_parts[@]}"; do gpu_devs+=(-device "$d"); done
case "$(config_field "$config" display)" in
    gl) gl=1;;
    none) gl=0;;
    *) die "tests/configs: display of $config must be none or gl";;
esac
case "$driver" in ours|distro) ;; *) die "driver must be ours or distro";; esac
if [ -n "$kdir" ]; then
    [ -f "$kdir/vmlinuz-$kernel" ] || die "$kdir has no kernel $kernel"
else
    [ -f "$image/vmlinuz-$kernel" ] || die "the guest image has no kernel $kernel"
fi

mkdir -p "$out"
out="$(cd "$out" && pwd)"
tmp="$(mktemp -d /tmp/vgpu-run.XXXXXX)"
xvfb_pid="" watch_pid="" qemu_pid=""
cleanup() {
    # timeout(1) passes the TERM on to QEMU.
    [ -n "$qemu_pid" ] && kill "$qemu_pid" 2>/dev/null && wait "$qemu_pid" 2>/dev/null
    [ -n "$watch_pid" ] && kill "$watch_pid" 2>/dev/null
    [ -n "$xvfb_pid" ] && kill "$xvfb_pid" 2>/dev/null
    [ -n "$xvfb_pid" ] && wait "$xvfb_pid" 2>/dev/null
    rm -rf -- "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# --- the work disk: carries the tests in and the results out ---------------
stage="$tmp/work"
mkdir -p "$stage/out" "$stage/bin"
cp -r "$VGPU_SRC/tests/guest" "$stage/guest"
# The guest turns IGT's and piglit's results files into result lines with it.
cp "$VGPU_SRC/tests/lib/report.py" "$stage/guest/report.py"
cp "$runlist" "$stage/runlist.txt"
if [ -n "$bins" ] && [ -d "$bins" ]; then cp -r "$bins/." "$stage/bin/"; fi
# The tracepoints' recorder and summary (tests/guest/tests/trace.sh).
cp "$VGPU_SRC/tools/trace/vgpu-trace" "$stage/bin/"
# Patched Mesa, built for the prefix where the guest mounts it (mesa/).
if [ -n "$mesa" ] && [ -d "$mesa" ]; then cp -r "$mesa" "$stage/mesa"; fi
if [ "$driver" = ours ]; then
    if [ -z "$ko" ] || [ ! -f "$ko" ]; then
        die "driver=ours needs --ko with a built virtio-gpu.ko"
    fi
    cp "$ko" "$stage/virtio-gpu.ko"
fi
# The modules of a kernel from outside the image (main.sh mounts them).
if [ -n "$kdir" ]; then
    mkdir -p "$stage/modules"
    cp -r "$kdir/mods/lib/modules/$kernel" "$stage/modules/"
fi
# piglit's tests of tests/guest/piglit.list as a profile of their own, taken
# from the image's piglit profiles (tests/guest/tests/piglit.sh runs it; only
# the 3D configs do).
if [ "$gl" = 1 ]; then
    mkdir -p "$tmp/piglit"
    sed -e 's/#.*//' tests/guest/piglit.list | awk 'NF && !seen[$1]++ { print $1 }' |
        while read -r p; do
            debugfs -R "dump /usr/lib/x86_64-linux-gnu/piglit/tests/$p.xml.gz $tmp/piglit/$p.xml.gz" \
                "$image/root.img" >/dev/null 2>&1 || true
        done
    python3 tests/lib/report.py piglit-profile "$stage/guest/piglit-vgpu.xml.gz" \
        tests/guest/piglit.list "$tmp"/piglit/*.xml.gz ||
        log "no piglit profile for tests/guest/piglit.list: the piglit step will fail"
fi
cat >"$stage/config.env" <<ENV
CONFIG=$config
DRIVER=$driver
IGT_DIR=$(cat "$image/igt-dir.txt")
MODPARAMS='${VGPU_MODPARAMS:-}'
PANIC_LAST=$panic
ENV
if [ "$nest" = 1 ]; then
    mkdir -p "$stage/src/tools/trace"
    cp -r "$VGPU_SRC/tests" "$stage/src/tests"
    cp "$VGPU_SRC/tools/trace/vgpu-trace" "$stage/src/tools/trace/"
fi
mke2fs -q -t ext4 -L vgpuwork -d "$stage" "$tmp/work.img" 384M
# Swap for hibernation tests (the guest finds it by its label); sparse,
# so it costs the host only what a hibernation image writes.
truncate -s 2G "$tmp/swap.img"
mkswap -q -L vgpuswap "$tmp/swap.img" >/dev/null

# --- display ----------------------------------------------------------------
if [ "$gl" = 1 ]; then
    xvfb_start "$tmp" "$out/xvfb.log"
    xvfb_pid="$XVFB_PID"
    display=(-display "gtk,gl=on,show-menubar=off")
else
    display=(-display none)
fi

accel="${VGPU_ACCEL:-tcg}"
mem="${VGPU_GUEST_MEM:-3G}"
machine=(-M q35 -m "$mem")
# A 2D device with blobs hands guest pages to the display as udmabufs,
# which QEMU can only make from memfd-backed guest memory.
case "$gpu" in
    *virtio-gpu-pci*blob=true*)
        machine=(-M q35,memory-backend=mem -m "$mem"
                 -object "memory-backend-memfd,id=mem,size=$mem,share=on");;
esac
extra=()
if [ "$nest" = 1 ]; then
    extra+=(-virtfs local,path=/usr,mount_tag=hostusr,security_model=none,readonly=on
            -virtfs local,path=/etc,mount_tag=hostetc,security_model=none,readonly=on
            -virtfs "local,path=$image,mount_tag=hostimage,security_model=none,readonly=on")
fi
log "boot: config=$config ($gpu) driver=$driver kernel=$kernel accel=$accel"
# VGPU_LOGLEVEL=N: kernel messages up to level N on the serial console
# too (a WARN before a panic), instead of quiet.
console="${VGPU_LOGLEVEL:+loglevel=}${VGPU_LOGLEVEL:-quiet}"
append="console=ttyS0 root=LABEL=vgpuroot ro init=/vgpu-init panic=-1 $console ${VGPU_APPEND:-}"
boot=(-kernel "$image/vmlinuz-$kernel" -initrd "$image/initrd.img-$kernel")
if [ -n "$kdir" ]; then
    # Everything the boot needs is built in; the root disk is the first
    # on the AHCI controller, which that kernel probes in order.
    append="console=ttyS0 root=/dev/sda rootwait ro init=/vgpu-init panic=-1 $console ${VGPU_APPEND:-}"
    boot=(-kernel "$kdir/vmlinuz-$kernel")
fi
# shellcheck disable=SC2054  # commas belong to QEMU's option syntax
qemu=(qemu-system-x86_64 "${machine[@]}" -accel "$accel" -cpu max -smp "$smp"
      -nodefaults -no-reboot -vga none
      -device isa-debug-exit,iobase=0xf4,iosize=0x04
      "${boot[@]}" -append "$append"
      -drive "file=$image/root.img,if=ide,format=raw,snapshot=on"
      -drive "file=$tmp/work.img,if=ide,format=raw"
      -drive "file=$tmp/swap.img,if=ide,format=raw"
      "${gpu_devs[@]}" "${extra[@]}"
      -serial "file:$out/serial.log"
      -qmp "unix:$tmp/qmp.sock,server=on,wait=off"
      "${display[@]}")
if [ -n "$trace" ]; then
    # Notification meter: with AHCI disks every virtio event is the GPU's.
    qemu+=(-trace enable=virtio_queue_notify -trace enable=virtio_notify
           -trace 'enable=virtio_gpu_cmd_*' -D "$trace")
fi
printf '%q ' "${qemu[@]}" >"$out/qemu-cmdline.txt"
printf 'accelerator: %s\nvcpus: %s\n' "$accel" "$smp" >"$out/accel.txt"

: >"$out/serial.log"
VGPU_XWD="$tmp/Xvfb_screen0" python3 "$VGPU_SRC/tests/lib/qemu-watch.py" "$out/serial.log" "$tmp/qmp.sock" "$out" 2>>"$out/watch.log" &
watch_pid=$!
t0=$SECONDS
rc=0
# Host-side hard limit: the guest powers itself off, this catches the rest.
# In the background so that a signal to this script stops QEMU at once.
timeout -k 10 "$hard_timeout" "${qemu[@]}" >"$out/qemu.log" 2>&1 &
qemu_pid=$!
wait "$qemu_pid" || rc=$?
qemu_pid=""
boot_s=$((SECONDS - t0))
echo "$boot_s" >"$out/guest-seconds.txt"
log "guest finished in ${boot_s} s (qemu rc=$rc)"

# --- results ------------------------------------------------------------------
debugfs -R "rdump /out $tmp" "$tmp/work.img" >/dev/null 2>&1 || true
if [ -d "$tmp/out" ]; then cp -r "$tmp/out/." "$out/"; fi
if [ ! -s "$out/results.txt" ]; then
    # The work disk has nothing (guest died early): fall back to the console.
    sed -n 's/^.*VGPU-RESULT: //p' "$out/serial.log" | tr -d '\r' >"$out/results.txt"
fi

# --- screendump checks and drm_panic --------------------------------------------
# The guest asks for a screendump check on its console; qemu-watch.py leaves
# its verdicts in screendump-checks.txt (and drm_panic's numbers in
# panic-check.txt), and tests/lib/report.py turns them into result lines.
# Stop the watcher first so that no verdict is still being written.
if [ -n "$watch_pid" ]; then
    kill "$watch_pid" 2>/dev/null || true
    wait "$watch_pid" 2>/dev/null || true
    watch_pid=""
fi
python3 "$VGPU_SRC/tests/lib/report.py" screendumps "$out" "$(config_field "$config" display)" \
    >>"$out/results.txt" || echo "FAIL guest/screendump-verdicts [report.py failed]" >>"$out/results.txt"
if [ "$panic" = 1 ]; then
    python3 "$VGPU_SRC/tests/lib/report.py" panic "$out" >>"$out/results.txt" ||
        echo "FAIL panic/screen [report.py failed]" >>"$out/results.txt"
fi

guest_boot_verdict "$out" "$rc" "$hard_timeout" "$out/serial.log"
