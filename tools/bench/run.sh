#!/bin/bash
# virtio-gpu benchmark: our driver against the distro's, on the same QEMU.
#
#   tools/bench/run.sh [--out DIR] [--quick] [--rounds N] [--mesa]
#
# Builds the module and the guest tools, boots a virgl guest and a 2D guest
# once per driver (same QEMU command line but for the module) with QEMU's
# virtio trace on, runs tools/bench/vgpu-bench's workloads in each and
# prints a table: ours, distro, ours/distro per metric. Everything lands in
# DIR (default results/bench-<date>/): table.md, results.csv, results.json,
# and per guest its serial log (with host timestamps), trace and logs.
# --quick runs tiny counts, to check the plumbing in a few minutes.
# --mesa runs the Mesa loops instead (glFinish, buffer readback, Vulkan
# allocate and map, submit and wait, 64 MiB uploads) on the venus device:
# stock Mesa with both drivers and Mesa with userspace/mesa's patches with
# ours (built first, see make mesa); table.md then ends with their table.
# --rounds N (default 5, or VGPU_BENCH_ROUNDS) boots every guest N times,
# ours and the distro's in turn, each round in DIR/round-K; table.md then
# gives per metric the medians over the rounds, their ratio, and the
# median and range of the rounds' own ratios (tools/bench/combine.py).
# Guests under TCG vary from boot to boot by more than some of the
# differences measured.
# Every guest gets one vCPU (VGPU_BENCH_SMP=N to change; make check's
# guests have two), so that its vCPU and QEMU's device thread each have a
# core of the 2-core host (see tools/bench/inner.sh).
# Under TCG absolute numbers mean little: compare the two drivers' ratios.
set -eu
# shellcheck source-path=SCRIPTDIR source=../../tests/lib/common.sh
. "$(dirname "$0")/../../tests/lib/common.sh"
cd "$VGPU_SRC"

T0=$SECONDS
out="results/bench-$(date +%Y%m%d-%H%M%S)"
quick=()
mesa=()
rounds="${VGPU_BENCH_ROUNDS:-5}"
while [ "$#" -gt 0 ]; do
    case "$1" in
        --out) out="$2"; shift 2;;
        --quick) quick=(--quick); shift;;
        --rounds) rounds="$2"; shift 2;;
        --mesa) mesa=(--mesa); shift;;
        -h|--help) sed -n '2,/^set -eu/p' "$0" | sed -e '$d' -e 's/^# \{0,1\}//'; exit 0;;
        *) die "unknown argument $1 (see --help)";;
    esac
done

# The host root sees the repository only (at /src): stage inside it and copy
# the results out when DIR is elsewhere.
case "$(realpath -m "$out")/" in
    "$VGPU_SRC"/*) stage="$(realpath -m --relative-to="$VGPU_SRC" "$out")"; final="";;
    *) stage="results/.bench-stage-$$"; final="$(realpath -m "$out")";;
esac
mkdir -p "$stage"

hostroot_path >/dev/null || die "cannot build the host root"
img="$(guestimg_path)" || die "cannot build the guest image"
if [ "${#mesa[@]}" -gt 0 ]; then
    m="$(mesa_path)" || die "cannot build Mesa with our patches (make mesa)"
    mesa=(--mesa "/cache/$(basename "$m")/prefix")
fi
log "bench: results in ${final:-$stage}"
case "$rounds" in ''|*[!0-9]*|0) die "--rounds wants a positive number, not '$rounds'";; esac
rc=0
if [ "$rounds" -eq 1 ]; then
    in_host tools/bench/inner.sh --out "$stage" --image "/cache/$(basename "$img")" "${quick[@]}" "${mesa[@]}" || rc=$?
else
    for k in $(seq "$rounds"); do
        log "bench: round $k of $rounds"
        in_host tools/bench/inner.sh --out "$stage/round-$k" --image "/cache/$(basename "$img")" \
            "${quick[@]}" "${mesa[@]}" || rc=$?
        [ "$rc" -eq 0 ] || break
    done
    [ "$rc" -ne 0 ] || in_host tools/bench/combine.py "$stage" >/dev/null || rc=$?
fi
total=$(printf '%-28s %5d s' "total (tools/bench/run.sh)" $((SECONDS - T0)))
echo "$total" | tee -a "$stage/timings.txt" >&2
[ -f "$stage/table.md" ] && printf '\nTotal runtime: %s s\n' $((SECONDS - T0)) >>"$stage/table.md"
if [ -n "$final" ]; then
    mkdir -p "$final"
    cp -r "$stage/." "$final/"
    rm -rf --one-file-system -- "$stage"
fi
[ "$rc" -eq 0 ] && cat "${final:-$stage}/table.md"
exit "$rc"
