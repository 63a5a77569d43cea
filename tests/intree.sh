#!/bin/bash
# In-tree and cross builds of the driver and the Android KMI check. Runs
# inside the cross root (tests/lib/build-crossroot.sh; VGPU_ROOT=cross
# in_host). Usage: intree.sh OUTDIR CHECK...
#   debian-amd64   in-tree in Debian's linux-source-6.12, Debian's amd64 config
#   gki-x86_64     in-tree, x86_64_defconfig + tests/intree/gki.config +
#   gki-arm64      android/virtio_gpu_ng.fragment (arm64 cross-built)
#   kmi            the symbols gki-arm64's module uses against android/kmi
#                  (adds gki-arm64 to the checks when it is not among them)
#   arm64-module   out of tree against Debian's arm64 headers, into
#                  build/arm64/ (the module the arm64 guest loads)
#   arm64-tests    the C tests tests/c/run.list marks arm64, cross-built
#                  into build/arm64/c
# Every build is W=1; a diagnostic in our files fails it. Appends
# "PASS|FAIL build/..." lines to OUTDIR/results.txt, logs beside it.
# The in-tree trees share one hard-linked source tree in the cache
# (linux_worktree) and keep their objects there, keyed by their config.
set -eu
# shellcheck source-path=SCRIPTDIR source=lib/common.sh
. "$(dirname "$0")/lib/common.sh"
out="$1"; shift
mkdir -p "$out"
out="$(cd "$out" && pwd)"
res="$out/results.txt"
cd "$VGPU_SRC"
JOBS="$(nproc)"
WORK="$VGPU_CACHE/intree-work"
ARM64_KVER="${GUEST_KVER%-amd64}-arm64"
ARM64_KDIR="/usr/src/linux-headers-$ARM64_KVER"
CROSS=aarch64-linux-gnu-

result() { echo "$*" >>"$res"; echo "$*"; }

# intree NAME: configure (once per config key), prepare, and build our
# directory with W=1 in $WORK/NAME.
intree() {
    local name="$1" arch o key logf="$out/intree-$1.log" lost rc t0=$SECONDS
    local mk frags=()
    o="$WORK/$name"
    case "$name" in
        debian-amd64) arch=x86_64;;
        gki-x86_64) arch=x86_64; frags=(tests/intree/gki.config android/virtio_gpu_ng.fragment);;
        gki-arm64) arch=arm64; frags=(tests/intree/gki.config android/virtio_gpu_ng.fragment);;
        *) die "intree.sh: unknown build $name";;
    esac
    mk=(make -C "$WORK/src" O="$o" ARCH="$arch" -j"$JOBS")
    [ "$arch" = arm64 ] && mk+=(CROSS_COMPILE="$CROSS")
    key="$(files_key "${frags[@]/#/$VGPU_SRC/}" "$VGPU_SRC/tests/intree.sh" | tr -d '\n')"
    [ "$name" = debian-amd64 ] && key="$key $(sha256sum "/usr/src/linux-headers-$GUEST_KVER/.config" | cut -c1-16)"
    : >"$logf"
    if [ "$(cat "$o/.vgpu-key" 2>/dev/null)" != "$key" ]; then
        rm -rf "$o"
        mkdir -p "$o"
        if [ "$name" = debian-amd64 ]; then
            cp "/usr/src/linux-headers-$GUEST_KVER/.config" "$o/.config"
            # Debian's signing certificates are not in linux-source.
            "$WORK/src/scripts/config" --file "$o/.config" \
                --set-str SYSTEM_TRUSTED_KEYS "" --set-str SYSTEM_REVOCATION_KEYS "" \
                --module DRM_VIRTIO_GPU
        else
            "${mk[@]}" defconfig >>"$logf" 2>&1 || { result "FAIL build/intree/$name [defconfig failed]"; return; }
            cat "${frags[@]}" >>"$o/.config"
        fi
        if ! "${mk[@]}" olddefconfig >>"$logf" 2>&1; then
            result "FAIL build/intree/$name [olddefconfig failed]"
            return
        fi
        lost="$(config_lost "$o/.config" "${frags[@]}")"
        if [ -n "$lost" ]; then
            result "FAIL build/intree/$name [config lost: $(echo "$lost" | tr '\n' ' ')]"
            return
        fi
        log "intree $name: modules_prepare"
        if ! "${mk[@]}" modules_prepare >>"$logf" 2>&1; then
            result "FAIL build/intree/$name [modules_prepare failed: $(grep -m1 -E 'error' "$logf" | cut -c1-150)]"
            return
        fi
        printf '%s\n' "$key" >"$o/.vgpu-key"
    fi
    log "intree $name: W=1 drivers/gpu/drm/virtio/"
    rm -f "$o/drivers/gpu/drm/virtio/virtio-gpu.o"
    "${mk[@]}" W=1 drivers/gpu/drm/virtio/ >>"$logf" 2>&1 && rc=0 || rc=$?
    build_verdict "intree/$name" "$rc" "$logf" "$o/drivers/gpu/drm/virtio/virtio-gpu.o"
    echo "intree-$name $((SECONDS - t0))" >>"$out/timings.txt"
}

# The KMI check: every symbol the module needs from the kernel must be in
# android/kmi's lists, or named with its reason in android/kmi-extra.txt.
kmi() {
    local obj="$WORK/gki-arm64/drivers/gpu/drm/virtio/virtio-gpu.o" d="$out/kmi"
    [ -f "$obj" ] || { result "FAIL build/kmi [gki-arm64 did not build]"; return; }
    mkdir -p "$d"
    "${CROSS}nm" -u "$obj" | awk '{ print $2 }' | sort -u >"$d/undefined"
    "${CROSS}nm" --defined-only "$obj" | awk '{ print $3 }' | sort -u >"$d/defined"
    # virtio_dma_buf.ko is a vendor module of its own, loaded before ours.
    sed -n 's/^EXPORT_SYMBOL[A-Z_]*(\([a-z_0-9]*\)).*/\1/p' \
        "$WORK/src/drivers/virtio/virtio_dma_buf.c" | sort -u >"$d/provided"
    # __this_module is defined by modpost's .mod.c, linked into the .ko.
    echo __this_module >>"$d/provided"
    sort -u -o "$d/provided" "$d/provided"
    comm -23 "$d/undefined" "$d/defined" | comm -23 - "$d/provided" >"$d/used"
    sed -n 's/^  *\([^ ]*\)$/\1/p' android/kmi/base android/kmi/virtual_device | sort -u >"$d/lists"
    sed -e 's/#.*//' android/kmi-extra.txt | awk -F '\t' 'NF >= 2 && $2 != "" { print $1 }' | sort -u >"$d/explained"
    comm -23 "$d/used" "$d/lists" >"$d/outside"
    comm -23 "$d/outside" "$d/explained" >"$d/unexplained"
    # An explanation nothing needs any more is stale: say so.
    comm -13 "$d/outside" "$d/explained" >"$d/stale"
    local n m u
    n=$(wc -l <"$d/used") m=$(wc -l <"$d/outside") u=$(wc -l <"$d/unexplained")
    if [ -s "$d/stale" ]; then
        result "FAIL build/kmi/stale [android/kmi-extra.txt explains symbols that are not outside the lists: $(tr '\n' ' ' <"$d/stale")]"
    fi
    while read -r s; do result "FAIL build/kmi/$s [outside the KMI lists, not in android/kmi-extra.txt]"; done <"$d/unexplained"
    if [ "$u" -eq 0 ]; then
        result "PASS build/kmi"
    else
        result "FAIL build/kmi [$u unexplained symbols]"
    fi
    result "INFO KMI: $n symbols used, $m outside the lists, $u unexplained"
}

# Our module for Debian's arm64 kernel, the one the arm64 guest loads.
# Out-of-tree builds leave their objects beside the sources, so it builds
# in a copy of the tree.
arm64_module() {
    local src="$VGPU_SRC/build/arm64/src" logf="$out/arm64-module.log" rc t0=$SECONDS
    rm -rf "$src"
    mkdir -p "$src"
    cp -r Makefile Kbuild dkms.conf drivers include "$src/"
    make -s -C "$src" clean
    make -C "$ARM64_KDIR" M="$src" ARCH=arm64 CROSS_COMPILE="$CROSS" -j"$JOBS" W=1 modules \
        >"$logf" 2>&1 && rc=0 || rc=$?
    if build_verdict arm64-module "$rc" "$logf" "$src/drivers/gpu/drm/virtio/virtio-gpu.ko"; then
        cp "$src/drivers/gpu/drm/virtio/virtio-gpu.ko" "$VGPU_SRC/build/arm64/virtio-gpu.ko"
    fi
    echo "arm64-module $((SECONDS - t0))" >>"$out/timings.txt"
}

# kmi reads gki-arm64's build of the current sources.
checks=("$@")
case " ${checks[*]} " in
    *" kmi "*) case " ${checks[*]} " in *" gki-arm64 "*) ;; *) checks=(gki-arm64 "${checks[@]}");; esac;;
esac
# The C tests the arm64 guest runs, against the root's arm64 libdrm.
arm64_tests() {
    local progs=() logf="$out/arm64-tests.log" o="$VGPU_SRC/build/arm64/c"
    mapfile -t progs < <(sed -e 's/#.*//' tests/c/run.list | awk '/(^| )arm64( |$)/ { print $1 }')
    [ "${#progs[@]}" -gt 0 ] || { result "FAIL build/arm64-tests [tests/c/run.list marks no program arm64]"; return; }
    if PKG_CONFIG_LIBDIR=/usr/lib/aarch64-linux-gnu/pkgconfig:/usr/share/pkgconfig \
        make -C tests/c O="$o" GEN="$o-gen" CC="${CROSS}gcc" AR="${CROSS}ar" \
        "${progs[@]/#/$o/}" >"$logf" 2>&1; then
        result "PASS build/arm64-tests"
    else
        result "FAIL build/arm64-tests [$(grep -m1 -E 'error' "$logf" | cut -c1-150)]"
    fi
}

# One run at a time in the shared work tree (other checkouts share it).
exec 7>"$VGPU_CACHE/.lock-intree-work"
flock 7
case " ${checks[*]} " in
    *" debian-amd64 "*|*" gki-"*) linux_worktree "$WORK" || die "cannot extract linux-source-6.12";;
esac
for c in "${checks[@]}"; do
    case "$c" in
        debian-amd64|gki-x86_64|gki-arm64) intree "$c";;
        kmi) kmi;;
        arm64-module) arm64_module;;
        arm64-tests) arm64_tests;;
        *) die "intree.sh: unknown check $c";;
    esac
done
exec 7>&-
