#!/bin/bash
# Host-root side of tools/bench/run.sh (runs inside the cached host root,
# repo at /src): builds the module and the tools, boots one guest per device
# config and driver with the trace meter on, then computes the table.
#   inner.sh --out DIR --image DIR [--quick] [--mesa PREFIX]
# With --mesa, the Mesa loops instead (stock Mesa, and Mesa with our
# patches from PREFIX, see tools/bench/run.sh --mesa) on the venus device.
set -eu
# shellcheck source-path=SCRIPTDIR source=../../tests/lib/common.sh
. "$(dirname "$0")/../../tests/lib/common.sh"
cd "$VGPU_SRC"

out="" image="" quick=0 mesa=""
while [ "$#" -gt 0 ]; do
    case "$1" in
        --out) out="$2"; shift 2;;
        --image) image="$2"; shift 2;;
        --quick) quick=1; shift;;
        --mesa) mesa="$2"; shift 2;;
        *) die "inner.sh: unknown argument $1";;
    esac
done
if [ -z "$out" ] || [ -z "$image" ]; then
    die "usage: inner.sh --out DIR --image DIR [--quick]"
fi
mkdir -p "$out"
out="$(cd "$out" && pwd)"
T0=$SECONDS
timing() { printf '%-28s %5d s\n' "$1" "$2" | tee -a "$out/timings.txt" >&2; }

# The workloads per device config (see tools/bench/vgpu-bench.c). "idle" is
# a reference: the device's background traffic with nothing running.
# flip-async comes before flip: the distro driver refuses it at once, so
# both drivers' unpaced loops (flip-unpaced in the table) then run in the
# same place of their boot, right after idle, rather than ours behind our
# 8 s paced loop.
VIRGL_WL="idle idle-kms submit transfer churn latency glmark2 glmark2-flip kmscube kmscube-atomic flip-async flip"
TWOD_WL="idle idle-kms flip-async flip damage cursor"
if [ "$quick" = 1 ]; then
    VIRGL_WL="idle:500 idle-kms:500 submit:500 transfer:500 churn:100 latency:100 glmark2 kmscube:30 kmscube-atomic:30 flip-async:30 flip:30"
    TWOD_WL="idle:500 idle-kms:500 flip-async:30 flip:30 damage:30 cursor:100"
fi
# The Mesa loops run on the venus device, whose GL goes through virgl with
# host-visible memory: stock Mesa with both drivers, Mesa with our patches
# (the -ng workloads) with ours. The uploads compare ways of moving 64 MiB.
MESA_WL="idle glfinish readback alloc-map submit-wait upload-memcpy upload-blob upload-transfer"
MESA_NG_WL="glfinish-ng readback-ng alloc-map-ng submit-wait-ng"
if [ "$quick" = 1 ]; then
    MESA_WL="idle:500 glfinish:20 readback:20 alloc-map:20 submit-wait:20 upload-memcpy:2 upload-blob:2 upload-transfer:2"
    MESA_NG_WL="glfinish-ng:20 readback-ng:20 alloc-map-ng:20 submit-wait-ng:20"
fi
# Overrides for experiments (see tools/README.md): workload lists (with
# set:PARAM=VALUE tokens) and which guests to boot (e.g. "virgl-ours").
VIRGL_WL="${VGPU_BENCH_VIRGL:-$VIRGL_WL}"
TWOD_WL="${VGPU_BENCH_2D:-$TWOD_WL}"
ONLY="${VGPU_BENCH_ONLY:-}"
# One virtual CPU, unlike make check's two: under TCG every vCPU is a host
# thread, and so is QEMU's main loop, which runs the GPU device (and
# virglrenderer). Two vCPUs put three busy threads on a two-core host,
# and both drivers' unpaced flip loops ran at half the rate.
SMP="${VGPU_BENCH_SMP:-1}"

# --- build: the module from a copy of the tree, so that nothing is left in
# the work tree (other builds may be running there), then the tools ---------
t=$SECONDS
kdir="/usr/src/linux-headers-$KVER"
ksrc="$out/build/ko-src"
rm -rf "$ksrc"
mkdir -p "$ksrc"
cp -r Kbuild drivers include "$ksrc/"
find "$ksrc" \( -name '*.o' -o -name '*.ko' -o -name '.*.cmd' -o -name '*.mod*' \) -delete
make -C "$kdir" M="$ksrc" -j"$(nproc)" modules >"$out/build/module.log" 2>&1 ||
    { tail -20 "$out/build/module.log" >&2; die "module build failed (see $out/build/module.log)"; }
ko="$ksrc/drivers/gpu/drm/virtio/virtio-gpu.ko"
[ -f "$ko" ] || die "no $ko after the build"
cp "$ko" "$out/build/virtio-gpu.ko"
bins="$out/build/bin"
make -C tools O="$out/build/tools" >"$out/build/tools.log" 2>&1 ||
    { tail -20 "$out/build/tools.log" >&2; die "tools build failed (see $out/build/tools.log)"; }
rm -rf "$bins"
mkdir -p "$bins"
cp "$out/build/tools/vgpu-bench" "$out/build/tools/vgpu-stat" "$out/build/tools/vgpu-bench-suite" "$bins/"
if [ -n "$mesa" ]; then
    # The GL and Vulkan clients and the system call counter.
    make -C tests/c O="$out/build/c" GEN="$out/build/c-gen" \
        "$out/build/c/glloop" "$out/build/c/vkloop" "$out/build/c/libsccount.so" \
        >"$out/build/c.log" 2>&1 || { tail -20 "$out/build/c.log" >&2; die "client build failed"; }
    cp "$out/build/c/glloop" "$out/build/c/vkloop" "$out/build/c/libsccount.so" "$bins/"
fi
timing "build module + tools" $((SECONDS - t))

# --- one guest per (config, driver) -----------------------------------------
follow_prio=""
if chrt -f 10 true 2>/dev/null; then follow_prio="chrt -f 10"
elif nice -n -10 true 2>/dev/null; then follow_prio="nice -n -10"; fi
run_one() { # run_one CONFIG DRIVER WORKLOADS...
    local cfg="$1" drv="$2" od fpid rc=0 t=$SECONDS extra=(); shift 2
    case " ${ONLY:-$cfg-$drv} " in *" $cfg-$drv "*) ;; *) return 0;; esac
    od="$out/$cfg-$drv"
    rm -rf "$od"
    mkdir -p "$od"
    echo "c vgpu-bench-suite timeout=1200 $*" >"$od/runlist.txt"
    [ "$drv" = ours ] && extra+=(--ko "$out/build/virtio-gpu.ko")
    [ -n "$mesa" ] && extra+=(--mesa "$mesa")
    # Real-time priority: on a busy host the follower must still see each
    # marker promptly (it sleeps between polls and uses little CPU).
    $follow_prio python3 tools/bench/follow.py "$od/serial.log" "$od/trace.log" "$od/events.jsonl" \
        --max-s 1700 2>"$od/follow.log" &
    fpid=$!
    tests/run-guest.sh --image "$image" --config "$cfg" --driver "$drv" \
        --runlist "$od/runlist.txt" --out "$od" --bins "$bins" \
        --trace "$od/trace.log" --timeout 1500 --smp "$SMP" "${extra[@]}" || rc=$?
    # The follower ends by itself once QEMU is gone; never wait forever.
    for _ in $(seq 50); do kill -0 "$fpid" 2>/dev/null || break; sleep 0.1; done
    kill "$fpid" 2>/dev/null || true
    wait "$fpid" 2>/dev/null || true
    [ "$rc" -eq 0 ] || log "run-guest.sh $cfg $drv exited $rc"
    grep -E '^(FAIL|PASS) (vgpu-bench-suite/|module/|guest/)' "$od/results.txt" 2>/dev/null | sed "s/^/  $cfg-$drv: /" >&2 || true
    timing "guest $cfg-$drv" $((SECONDS - t))
}

# shellcheck disable=SC2086  # workload lists are space separated on purpose
if [ -n "$mesa" ]; then
    run_one venus ours $MESA_WL $MESA_NG_WL
    run_one venus distro $MESA_WL
else
    run_one virgl ours $VIRGL_WL
    run_one virgl distro $VIRGL_WL
    run_one 2d ours $TWOD_WL
    run_one 2d distro $TWOD_WL
fi

timing "build + guests" $((SECONDS - T0))
t=$SECONDS
python3 tools/bench/analyze.py "$out" >/dev/null || die "analysis failed"
# The traces are large and only the analysis reads them: keep them packed.
gzip -f "$out"/*/trace.log 2>/dev/null || true
timing "analysis" $((SECONDS - t))
timing "total (inside host root)" $((SECONDS - T0))
