#!/bin/bash
# Entry point of the harness (the Makefile calls this). Runs on the host;
# anything needing the toolchain or QEMU runs inside the cached host root.
#
#   vgpu.sh roots                     build (or reuse) the host root and guest image
#   vgpu.sh build CHECK...            module W1 sparse checkpatch c
#   vgpu.sh check                     build checks + all configs vs expectations
#   vgpu.sh check-full                the same, plus tests/igt-full.list (the
#                                     IGT subtests check leaves out for time)
#   vgpu.sh expect                    record tests/expect/<config>.distro
#   vgpu.sh intree                    in-tree builds: Debian's config, GKI-like
#                                     x86_64 and arm64, and the KMI check
#   vgpu.sh kmi-check                 the Android KMI check alone
#   vgpu.sh check-arm64               the arm64 module, tests and guest
#   vgpu.sh check-debug               the guests' tests on a debug kernel (KASAN,
#                                     lockdep, kmemleak; tests/debug-kernel.sh)
#   vgpu.sh check-nested              zero-copy scanout on the 2D blob device,
#                                     in a guest inside a guest (nested.sh)
#   vgpu.sh deb                       the Debian package (debian/), lintian
#   vgpu.sh check-deb                 the package and make dkms-install, installed,
#                                     booted and removed in a guest
#   vgpu.sh run                       the virgl demo (eglinfo, kmscube, screendump)
#   vgpu.sh guest CONFIG [RUNLIST]    one guest with the selected driver
#   vgpu.sh mesa                      build (or reuse) Mesa with userspace/mesa
#   vgpu.sh clean-cache               remove the cached roots and images
# Variables: DRIVER=ours|distro (default ours), CONFIGS="2d ..." , KVER,
#            VGPU_CACHE, VGPU_ACCEL (default tcg), VGPU_TRACE=1 (notify meter)
set -eu -o pipefail
# shellcheck source-path=SCRIPTDIR source=lib/common.sh
. "$(dirname "$0")/lib/common.sh"
cd "$VGPU_SRC"

# Every config of tests/configs, in its order.
ALL_CONFIGS="$(config_names)"
CONFIGS="${CONFIGS:-$ALL_CONFIGS}"
# Word-split on purpose: a space-separated list of config names.
read -r -a CFGS <<<"$CONFIGS"
DRIVER="${DRIVER:-ours}"
KO=drivers/gpu/drm/virtio/virtio-gpu.ko
# The guest's own hard limit; the run-list's watchdogs are far below it.
# check-full's longer run-list gets a longer one (set in main()).
GUEST_TIMEOUT="${VGPU_GUEST_TIMEOUT:-1500}"
FULL=0

T_START=$SECONDS
# The in-tree builds and the Android KMI check (tests/intree.sh).
INTREE=(debian-amd64 gki-x86_64 gki-arm64 kmi)
timing() { # timing LABEL SECONDS
    printf '%-28s %5d s\n' "$1" "$2" | tee -a "$RUN/timings.txt" >&2
}

new_rundir() {
    RUN="results/$(date +%Y%m%d-%H%M%S)-$1"
    mkdir -p "$RUN"
    ln -sfn "$(basename "$RUN")" results/latest
    log "results in $RUN"
}

roots() {
    local t0=$SECONDS
    hostroot_path >/dev/null || die "host root build failed"
    timing "host root" $((SECONDS - t0))
    t0=$SECONDS
    GUESTIMG="$(guestimg_path)" || die "guest image build failed"
    timing "guest image" $((SECONDS - t0))
    GUESTIMG_IN="/cache/$(basename "$GUESTIMG")"
}

# Full run-list: our C tests (tests/c/run.list, in its order), a short
# glmark2, gputop watching kmscube, the tracepoints under perf, the reload
# and unplug tests, piglit (virgl configs only,
# tests/guest/piglit.list; 60 s per test), patched Mesa's
# tests (3D configs, tests/guest/tests/mesa-ng.sh), then IGT, and for
# check-full the subtests of tests/igt-full.list after all of it.
igt_lines() {
    sed -e 's/#.*//' -e '/^[[:space:]]*$/d' -e 's/^/igt /' "$1"
}
# c_lines [newest|arm64]: run-list lines of tests/c/run.list (NAME
# [timeout=S] [newest] [arm64]), all of them or those marked so.
c_lines() {
    sed -e 's/#.*//' tests/c/run.list | awk -v only="${1:-}" '
        NF == 0 { next }
        {
            t = 120; delete mark
            for (i = 2; i <= NF; i++) {
                if ($i ~ /^timeout=[0-9]+$/) t = substr($i, 9)
                else if ($i == "newest" || $i == "arm64" || $i == "port") mark[$i] = 1
                else { print "tests/c/run.list: unknown word " $i > "/dev/stderr"; exit 1 }
            }
            if (only == "" || (only in mark)) print "c " $1 " timeout=" t
        }'
}
make_runlist() {
    {
        c_lines
        echo "sh glmark2 timeout=180"
        echo "sh gputop timeout=120"
        echo "sh trace timeout=120"
        echo "sh reload timeout=300"
        echo "sh unplug timeout=120"
        echo "sh piglit timeout=900 60"
        echo "sh mesa-ng timeout=1200 60"
        igt_lines tests/igt.list
        [ "$FULL" = 1 ] && igt_lines tests/igt-full.list
        true
    } >"$1"
}

# guest CONFIG DRIVER RUNLIST OUTDIR : one boot, results in OUTDIR.
guest() {
    local cfg="$1" drv="$2" rl="$3" od="$4" t0=$SECONDS extra=()
    mkdir -p "$od"
    # GUEST_KDIR: a kernel from outside the image (check-debug's), KVER
    # its release.
    [ -n "${GUEST_KDIR:-}" ] && extra+=(--kdir "$GUEST_KDIR")
    if [ "$drv" = ours ]; then
        case " $GUEST_KVERS ${GUEST_KDIR:+$KVER} " in
            *" $KVER "*) ;;
            *)  echo "module built for $KVER; the guest image has $GUEST_KVERS" >"$od/NOT-RUN"
                log "$cfg: not run, the guest image has no kernel $KVER"
                return 0;;
        esac
        if [ ! -f "$KO" ]; then
            echo "module not built (see build/ results)" >"$od/NOT-RUN"
            log "$cfg: not run, no $KO"
            return 0
        fi
        extra+=(--ko "$KO")
    fi
    [ -n "$MESA_DIR" ] && extra+=(--mesa "/cache/$(basename "$MESA_DIR")/prefix")
    [ "${VGPU_TRACE:-0}" = 1 ] && extra+=(--trace "$od/trace.log")
    [ "${GUEST_PANIC:-0}" = 1 ] && extra+=(--panic 1)
    [ "${GUEST_NEST:-0}" = 1 ] && extra+=(--nest 1)
    local attempt
    for attempt in 1 2; do
        in_host tests/run-guest.sh --image "$GUESTIMG_IN" --config "$cfg" --driver "$drv" \
            --runlist "$rl" --out "$od" --bins build/c --timeout "$GUEST_TIMEOUT" "${extra[@]}" \
            --kernel "$KVER" \
            || echo "FAIL guest/runner [run-guest.sh failed]" >>"$od/results.txt"
        # QEMU 10.0's TCG now and then aborts in iotlb_to_section(), a race
        # of its own: seen with either driver, once before any driver had
        # loaded. Such a run says nothing about the driver: run it once more,
        # keep the aborted one next to it, and say so.
        if [ "$attempt" = 2 ] || ! grep -qs 'iotlb_to_section: Assertion' "$od/qemu.log"; then
            break
        fi
        log "$cfg-$drv: QEMU aborted in iotlb_to_section() (its own TCG race): running the config again"
        rm -rf "$od.qemu-abort"
        mv "$od" "$od.qemu-abort"
        mkdir -p "$od"
        echo "first run: QEMU aborted in iotlb_to_section(); see ../$(basename "$od").qemu-abort" >"$od/RERUN"
    done
    timing "guest $cfg-$drv" $((SECONDS - t0))
}

# The newest kernel we target (the last of GUEST_KVERS), on the 2D device:
# our C tests, then drm_panic's check, which only that kernel can run
# (Debian's 6.12 is built without CONFIG_DRM_PANIC). Results land in
# RUNDIR/2d-<major.minor>-DRIVER, and NEWEST_CFG names that config.
newest_kernel() {
    local k="${GUEST_KVERS##* }" v rl
    v="${k%.*}"
    rl="$RUN/runlist-$v.txt"
    c_lines newest >"$rl"
    if [ "$DRIVER" = ours ]; then
        rm -f "$KO"
        KVER="$k" build_checks "$RUN/build-$v" module
    fi
    NEWEST_CFG="2d-$v"
    KVER="$k" GUEST_PANIC=1 guest 2d "$DRIVER" "$rl" "$RUN/$NEWEST_CFG-$DRIVER"
}

# The GPU behind a PCIe port (config 2d-port): the programs tests/c/run.list
# marks port, suspend to RAM that keeps the device's state and a hot
# unplug and replug. Results in RUNDIR/2d-port-DRIVER.
port_step() {
    local rl="$RUN/runlist-port.txt"
    c_lines port >"$rl"
    guest 2d-port "$DRIVER" "$rl" "$RUN/2d-port-$DRIVER"
}

# Mesa with our patches, for the guests' mesa-ng tests. A failed build is
# a failed test (build/mesa), not a failed run: the guests then report
# the mesa-ng tests as failures too. Sets MESA_DIR.
MESA_DIR=""
mesa_build() { # mesa_build OUTDIR
    local od="$1" t0=$SECONDS
    mkdir -p "$od"
    if MESA_DIR="$(mesa_path)"; then
        echo "PASS build/mesa" >>"$od/results.txt"
        echo "INFO build/mesa built in $(cat "$MESA_DIR/build-seconds") s (from nothing)" >>"$od/results.txt"
    else
        MESA_DIR=""
        echo "FAIL build/mesa [see the log above; tests/lib/build-mesa.sh]" >>"$od/results.txt"
    fi
    timing "mesa" $((SECONDS - t0))
}

# The tree's version: dkms.conf's, plus the commit when this is a git
# checkout (the Debian package's version, tests/deb.sh).
tree_version() {
    local v n h
    v="$(sed -n 's/^PACKAGE_VERSION="\(.*\)"/\1/p' dkms.conf)"
    if n="$(git rev-list --count HEAD 2>/dev/null)" && h="$(git rev-parse --short=7 HEAD 2>/dev/null)"; then
        v="$v+git$n.g$h"
    fi
    printf '%s\n' "$v"
}

# The Debian package and lintian, in the cross root.
deb_build() { # deb_build OUTDIR
    local t0=$SECONDS
    VGPU_ROOT=cross in_host tests/deb.sh "$1" "$(tree_version)" || true
    timing "deb" $((SECONDS - t0))
}

# In-tree and arm64 builds, in the cross root (tests/intree.sh).
intree_checks() { # intree_checks OUTDIR CHECK...
    local od="$1" t0=$SECONDS; shift
    VGPU_ROOT=cross in_host tests/intree.sh "$od" "$@" || true
    timing "cross builds ($*)" $((SECONDS - t0))
}

# The arm64 guests (tests/run-arm64.sh): the programs tests/c/run.list
# marks arm64, cross-built by intree_checks' arm64-tests, on Debian's arm64
# kernel with DRIVER's module, on the 2D device (config arm64) and the
# virgl device (arm64-virgl) and the virgl device with blobs and
# host-visible memory (arm64-virgl-blob). Results in RUNDIR/CONFIG-DRIVER.
ARM64_CONFIGS="arm64 arm64-virgl arm64-virgl-blob"
arm64_guests() { # arm64_guests DRIVER
    local cfg
    for cfg in $ARM64_CONFIGS; do arm64_guest "$cfg" "$1" "$RUN/$cfg-$1"; done
}
arm64_guest() { # arm64_guest CONFIG DRIVER OUTDIR
    local cfg="$1" drv="$2" od="$3" rl t0=$SECONDS extra=()
    mkdir -p "$od"
    rl="$od/runlist.txt"
    c_lines arm64 | sed 's/^c //' >"$rl"
    if [ "$drv" = ours ]; then
        if [ ! -f build/arm64/virtio-gpu.ko ]; then
            echo "arm64 module not built (see the build results)" >"$od/NOT-RUN"
            return 0
        fi
        extra+=(--ko build/arm64/virtio-gpu.ko)
    fi
    VGPU_ROOT=cross in_host tests/run-arm64.sh --config "$cfg" --driver "$drv" --runlist "$rl" \
        --bins build/arm64/c --out "$od" "${extra[@]}" ||
        echo "FAIL guest/runner [run-arm64.sh failed]" >>"$od/results.txt"
    timing "guest $cfg-$drv" $((SECONDS - t0))
}

build_checks() { # build_checks OUTDIR CHECK...
    local od="$1" t0=$SECONDS; shift
    in_host tests/build-checks.sh "$od" "$@" || true
    timing "build checks ($*)" $((SECONDS - t0))
}

# Everything runs from main(), which bash parses whole before running it:
# editing this file while a long check runs cannot derail that run.
main() {
    cmd="${1:-}"
    [ "$#" -gt 0 ] && shift
    case "$cmd" in
        roots)
            RUN=build; mkdir -p build
            roots
            echo "guest image: $GUESTIMG"
            ;;
        build)
            new_rundir build
            build_checks "$RUN/build" "$@"
            fails=$(grep -c '^FAIL' "$RUN/build/results.txt" || true)
            passes=$(grep -c '^PASS' "$RUN/build/results.txt" || true)
            echo "$passes passed, $fails failed"
            [ "$fails" -eq 0 ]
            ;;
        check|check-full)
            if [ "$cmd" = check-full ]; then
                FULL=1
                GUEST_TIMEOUT="${VGPU_GUEST_TIMEOUT:-5400}"
            fi
            new_rundir "$cmd-$DRIVER"
            roots
            if [ "$DRIVER" = ours ]; then
                # A stale .ko must not stand in for a build that now fails.
                rm -f "$KO" build/arm64/virtio-gpu.ko
                build_checks "$RUN/build" module c checkpatch W1 sparse kunit
                if [ "${VGPU_ARM64:-1}" = 1 ]; then
                    intree_checks "$RUN/build" "${INTREE[@]}" arm64-module arm64-tests
                else
                    intree_checks "$RUN/build" "${INTREE[@]}"
                fi
                deb_build "$RUN/build"
            else
                build_checks "$RUN/build" c
                [ "${VGPU_ARM64:-1}" = 1 ] && intree_checks "$RUN/build" arm64-tests
            fi
            mesa_build "$RUN/build"
            make_runlist "$RUN/runlist.txt"
            for cfg in "${CFGS[@]}"; do
                guest "$cfg" "$DRIVER" "$RUN/runlist.txt" "$RUN/$cfg-$DRIVER"
            done
            checked=("${CFGS[@]}")
            if [ "${VGPU_ARM64:-1}" = 1 ]; then
                arm64_guests "$DRIVER"
                read -r -a more <<<"$ARM64_CONFIGS"
                checked+=("${more[@]}")
            fi
            # Before the newest kernel's step, which rebuilds the module
            # for that kernel.
            if [ "${VGPU_PORT:-1}" = 1 ]; then
                port_step
                checked+=(2d-port)
            fi
            if [ "${VGPU_NEWEST:-1}" = 1 ]; then
                newest_kernel
                checked+=("$NEWEST_CFG")
            fi
            timing "total" $((SECONDS - T_START))
            rc=0
            in_host tests/lib/report.py check "$RUN" tests/expect "$DRIVER" "${checked[@]}" \
                | tee "$RUN/summary.txt" || rc=$?
            exit "$rc"
            ;;
        expect)
            new_rundir expect
            roots
            build_checks "$RUN/build" c
            intree_checks "$RUN/build" arm64-tests
            mesa_build "$RUN/build"
            make_runlist "$RUN/runlist.txt"
            for cfg in "${CFGS[@]}"; do
                guest "$cfg" distro "$RUN/runlist.txt" "$RUN/$cfg-distro"
            done
            arm64_guests distro
            read -r -a more <<<"$ARM64_CONFIGS"
            CFGS+=("${more[@]}")
            timing "total" $((SECONDS - T_START))
            # The exact package versions the expectations were recorded with.
            mkdir -p tests/versions
            cp "$GUESTIMG/versions.txt" tests/versions/guest.txt
            cp "$(dirname "$(hostroot_path)")/versions.txt" tests/versions/host.txt
            in_host tests/lib/report.py expect "$RUN" tests/expect "${CFGS[@]}" | tee "$RUN/summary.txt"
            in_host tests/lib/report.py binaries tests/expect "${CFGS[@]}" | tee -a "$RUN/summary.txt"
            ;;
        run)
            new_rundir "run-$DRIVER"
            roots
            if [ "$DRIVER" = ours ]; then
                build_checks "$RUN/build" module c
            else
                build_checks "$RUN/build" c
            fi
            printf 'c basic timeout=60\nsh demo timeout=300\n' >"$RUN/runlist.txt"
            od="$RUN/virgl-$DRIVER"
            guest virgl "$DRIVER" "$RUN/runlist.txt" "$od"
            if [ -f "$od/NOT-RUN" ]; then
                echo "demo not run: $(cat "$od/NOT-RUN") -- try: make run DRIVER=distro"
                exit 1
            fi
            echo
            grep -a -h 'VGPU-RENDERER' "$od/serial.log" | tr -d '\r' | sed 's/^.*VGPU-RENDERER: /renderer: /' || true
            [ -s "$od/kmscube.png" ] && echo "screendump: $od/kmscube.png" || echo "screendump: none (see $od/watch.log)"
            cat "$od/results.txt"
            ! grep -q '^FAIL' "$od/results.txt"
            ;;
        guest)
            cfg="${1:?usage: vgpu.sh guest CONFIG [RUNLIST]}"
            new_rundir "guest-$cfg-$DRIVER"
            roots
            [ "$DRIVER" = ours ] && build_checks "$RUN/build" module
            build_checks "$RUN/build" c
            if [ -n "${2:-}" ]; then cp "$2" "$RUN/runlist.txt"; else make_runlist "$RUN/runlist.txt"; fi
            if grep -q '^sh mesa-ng' "$RUN/runlist.txt"; then mesa_build "$RUN/build"; fi
            guest "$cfg" "$DRIVER" "$RUN/runlist.txt" "$RUN/$cfg-$DRIVER"
            cat "$RUN/$cfg-$DRIVER/results.txt" 2>/dev/null || cat "$RUN/$cfg-$DRIVER/NOT-RUN"
            ;;
        intree|kmi-check)
            new_rundir "$cmd"
            if [ "$cmd" = intree ]; then
                intree_checks "$RUN/build" "${INTREE[@]}"
            else
                intree_checks "$RUN/build" kmi
                sed 's/^/unexplained: /' "$RUN/build/kmi/unexplained" 2>/dev/null || true
            fi
            fails=$(grep -c '^FAIL' "$RUN/build/results.txt" || true)
            passes=$(grep -c '^PASS' "$RUN/build/results.txt" || true)
            grep -h '^INFO KMI:' "$RUN/build/results.txt" | sed 's/^INFO //' || true
            echo "$passes passed, $fails failed"
            [ "$fails" -eq 0 ]
            ;;
        deb)
            new_rundir deb
            deb_build "$RUN/build"
            fails=$(grep -c '^FAIL' "$RUN/build/results.txt" || true)
            passes=$(grep -c '^PASS' "$RUN/build/results.txt" || true)
            ls build/deb/*.deb 2>/dev/null || true
            echo "$passes passed, $fails failed"
            [ "$fails" -eq 0 ]
            ;;
        check-deb)
            # The package and make dkms-install on a user's machine: five
            # boots of a guest with DKMS and both kernels' headers
            # (tests/deb-check.sh, tests/guest/deb-steps.sh).
            new_rundir check-deb
            deb_build "$RUN/build"
            ver="$(tree_version)"
            pkg="build/deb/virtio-gpu-ng-dkms_${ver}_all.deb"
            if [ -f "$pkg" ]; then
                t0=$SECONDS
                DEBIMG="$(debimg_path)" || die "check-deb guest image build failed"
                timing "check-deb image" $((SECONDS - t0))
                t0=$SECONDS
                in_host tests/deb-check.sh "/cache/$(basename "$DEBIMG")" "$pkg" "$ver" "$RUN/deb" ||
                    echo "FAIL deb/runner [deb-check.sh failed]" >>"$RUN/deb/results.txt"
                timing "check-deb boots" $((SECONDS - t0))
            fi
            timing "total" $((SECONDS - T_START))
            cat "$RUN/build/results.txt" "$RUN/deb/results.txt" 2>/dev/null | grep -E '^(PASS|FAIL|SKIP)' || true
            fails=$(cat "$RUN/build/results.txt" "$RUN/deb/results.txt" 2>/dev/null | grep -c '^FAIL' || true)
            passes=$(cat "$RUN/build/results.txt" "$RUN/deb/results.txt" 2>/dev/null | grep -c '^PASS' || true)
            echo "$passes passed, $fails failed"
            [ "$fails" -eq 0 ]
            ;;
        check-debug)
            # Everything make check runs in the guests, on a kernel with
            # KASAN, lockdep, kmemleak and debug objects
            # (tests/debug-kernel.sh); configs DEBUG_CONFIGS (default 2d),
            # results as config <cfg>-debug.
            new_rundir "check-debug-$DRIVER"
            roots
            build_checks "$RUN/build" c
            t0=$SECONDS
            kline="$(VGPU_ROOT=cross in_host tests/debug-kernel.sh "$RUN/build" | tail -1)" || kline=""
            timing "debug kernel and module" $((SECONDS - t0))
            mesa_build "$RUN/build"
            make_runlist "$RUN/runlist.txt"
            # The fuzzer's long run, fault injection on, a seed from the clock.
            sed -i "s/^c fuzz .*/c fuzz timeout=${VGPU_FUZZ_TIMEOUT:-5400} -r -n ${VGPU_FUZZ_OPS:-50000}/" \
                "$RUN/runlist.txt"
            checked=()
            for cfg in ${DEBUG_CONFIGS:-2d}; do
                checked+=("$cfg-debug")
                if [ -z "$kline" ] || { [ "$DRIVER" = ours ] && [ ! -f build/debug/virtio-gpu.ko ]; }; then
                    mkdir -p "$RUN/$cfg-debug-$DRIVER"
                    echo "no debug kernel or module (see build/results.txt)" >"$RUN/$cfg-debug-$DRIVER/NOT-RUN"
                    continue
                fi
                KO=build/debug/virtio-gpu.ko KVER="${kline#* }" GUEST_KDIR="${kline% *}" \
                    GUEST_TIMEOUT="${VGPU_GUEST_TIMEOUT:-9000}" \
                    guest "$cfg" "$DRIVER" "$RUN/runlist.txt" "$RUN/$cfg-debug-$DRIVER"
            done
            timing "total" $((SECONDS - T_START))
            rc=0
            in_host tests/lib/report.py check "$RUN" tests/expect "$DRIVER" "${checked[@]}" \
                | tee "$RUN/summary.txt" || rc=$?
            exit "$rc"
            ;;
        check-nested)
            # Zero-copy scanout needs QEMU's 2D blob device, and that needs
            # /dev/udmabuf, which only the guests' kernel has: a 2d guest
            # runs tests/run-guest.sh itself, with the host's QEMU, for a
            # guest of its own on config 2d-blob (tests/guest/tests/nested.sh).
            new_rundir "check-nested-$DRIVER"
            roots
            [ "$DRIVER" = ours ] && build_checks "$RUN/build" module
            build_checks "$RUN/build" c
            nest_s="${VGPU_NEST_TIMEOUT:-3300}"
            echo "sh nested timeout=$nest_s" >"$RUN/runlist.txt"
            GUEST_NEST=1 GUEST_TIMEOUT=$((nest_s + 300)) \
                guest 2d "$DRIVER" "$RUN/runlist.txt" "$RUN/2d-nested-$DRIVER"
            timing "total" $((SECONDS - T_START))
            rc=0
            in_host tests/lib/report.py check "$RUN" tests/expect "$DRIVER" 2d-nested \
                | tee "$RUN/summary.txt" || rc=$?
            exit "$rc"
            ;;
        check-arm64)
            new_rundir "check-arm64-$DRIVER"
            if [ "$DRIVER" = ours ]; then
                rm -f build/arm64/virtio-gpu.ko
                intree_checks "$RUN/build" arm64-module arm64-tests
            else
                intree_checks "$RUN/build" arm64-tests
            fi
            arm64_guests "$DRIVER"
            timing "total" $((SECONDS - T_START))
            rc=0
            # shellcheck disable=SC2086  # a list of config names
            VGPU_ROOT=cross in_host tests/lib/report.py check "$RUN" tests/expect "$DRIVER" $ARM64_CONFIGS \
                | tee "$RUN/summary.txt" || rc=$?
            exit "$rc"
            ;;
        mesa)
            new_rundir mesa
            roots
            mesa_build "$RUN/build"
            cat "$RUN/build/results.txt"
            [ -n "$MESA_DIR" ] && echo "prefix: $MESA_DIR/prefix"
            [ -n "$MESA_DIR" ]
            ;;
        clean-cache)
            # Only what this harness creates, whatever VGPU_CACHE points at.
            for d in "$VGPU_CACHE"/hostroot-* "$VGPU_CACHE"/guestimg-* "$VGPU_CACHE"/checkpatch-* \
                     "$VGPU_CACHE"/mesa-* "$VGPU_CACHE"/kunitsrc-* "$VGPU_CACHE"/kunit-work \
                     "$VGPU_CACHE"/crossroot-* "$VGPU_CACHE"/intree-work "$VGPU_CACHE"/debimg-* "$VGPU_CACHE"/debugkernel-* \
                     "$VGPU_CACHE"/.tmp-*; do
                [ -e "$d" ] || continue
                log "removing $d"
                safe_rmdir "$d"
            done
            rm -f "$VGPU_CACHE"/.lock-*
            rmdir "$VGPU_CACHE" 2>/dev/null || true
            ;;
        *)
            sed -n '2,/^set -eu/p' "$0" | sed '$d'
            exit 2
            ;;
    esac
}

main "$@"; exit "$?"
