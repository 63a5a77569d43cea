#!/bin/sh
# The driver's tracepoints under perf: tools/trace/vgpu-trace records them
# while a short workload runs (kmscube for five seconds on the 3D configs;
# the stats program's dumb buffer and commit on the 2D ones), then
# summarises them. The recording and the summary are kept as
# vgpu-trace.data and vgpu-trace.txt.
# Results (the runner prefixes "trace/"): recorded, commands, frames
W=${W:-/mnt/work}
OUT=$W/out
CONFIG=$(sed -n 's/^CONFIG=//p' "$W/config.env" 2>/dev/null)
TOOL=$W/bin/vgpu-trace
if ! command -v perf >/dev/null; then
    echo "FAIL recorded [perf not installed]"
    exit 0
fi
exec 3</dev/null
case "$CONFIG" in
    2d|2d-dual) workload="$W/bin/stats";;
    *) mkfifo /tmp/trace-kmscube.in
       workload="timeout 5 kmscube"
       exec 3<>/tmp/trace-kmscube.in;;
esac
# shellcheck disable=SC2086  # the workload is words
"$TOOL" record -o "$OUT/vgpu-trace.data" -- $workload <&3 >"$OUT/trace-workload.txt" 2>&1
rc=$?
"$TOOL" report "$OUT/vgpu-trace.data" >"$OUT/vgpu-trace.txt" 2>&1
cat "$OUT/vgpu-trace.txt"
# timeout(1) ends kmscube with 124; stats may report its own failures.
case "$rc" in
    0|124) echo "PASS recorded";;
    1) if [ -s "$OUT/vgpu-trace.data" ]; then echo "PASS recorded"
       else echo "FAIL recorded [perf record exited 1: $(tail -1 "$OUT/trace-workload.txt")]"; fi;;
    *) echo "FAIL recorded [exit $rc: $(tail -1 "$OUT/trace-workload.txt")]";;
esac
sent=$(sed -n 's/^notifications: \([0-9]*\) sent.*/\1/p' "$OUT/vgpu-trace.txt")
if grep -q '^RESOURCE_FLUSH \+[1-9]' "$OUT/vgpu-trace.txt" && [ "${sent:-0}" -gt 0 ]; then
    echo "PASS commands"
else
    echo "FAIL commands [no RESOURCE_FLUSH or no notification in the summary]"
fi
if grep -q '^frames: [1-9][0-9]* commits' "$OUT/vgpu-trace.txt"; then
    echo "PASS frames"
else
    echo "FAIL frames [$(grep -m1 '^frames' "$OUT/vgpu-trace.txt")]"
fi
