#!/bin/sh
# IGT's gputop, the generic per-client GPU monitor, reads every DRM file's
# fdinfo: with kmscube rendering through virgl it must list kmscube as a
# client of our device. gputop draws for a terminal, so it runs under
# script(1) on a pseudo-terminal of a set size, for five one-second
# refreshes, under a timeout; its screen is kept as gputop.txt, and the
# fdinfo it read as gputop-fdinfo.txt.
# Our own per-client view, vgpu-stat -c, must list kmscube too.
# Results (the runner prefixes "gputop/"): runs, shows-client,
# vgpu-stat-client
W=${W:-/mnt/work}
OUT=$W/out
CONFIG=$(sed -n 's/^CONFIG=//p' "$W/config.env" 2>/dev/null)
case "$CONFIG" in
    2d|2d-dual)
        echo "SKIP runs no virgl on $CONFIG: no client has render time to show"
        echo "SKIP shows-client no virgl on $CONFIG: no client has render time to show"
        echo "SKIP vgpu-stat-client no virgl on $CONFIG: no client has render time to show"
        exit 0;;
esac
for t in gputop kmscube script; do
    if ! command -v "$t" >/dev/null; then
        echo "FAIL runs [$t not installed]"
        exit 0
    fi
done

# kmscube quits on input from stdin: a FIFO opened read-write never has any.
mkfifo /tmp/gputop-kmscube.in
kmscube <>/tmp/gputop-kmscube.in >"$OUT/gputop-kmscube.txt" 2>&1 &
pid=$!
# gputop leaves out clients with no render time yet: let kmscube start.
sleep 5
timeout 60 script -q -c "stty rows 40 cols 160; gputop -d 1 -n 5" /dev/null \
    >"$OUT/gputop.txt" 2>&1
rc=$?
timeout 30 "$W/bin/vgpu-stat" -c 1 2 >"$OUT/vgpu-stat-clients.txt" 2>&1
# What gputop read: kmscube's DRM files' fdinfo, kept beside its screen.
for f in /proc/"$pid"/fdinfo/*; do
    grep -q '^drm-driver' "$f" 2>/dev/null || continue
    echo "== $f"
    cat "$f"
done >"$OUT/gputop-fdinfo.txt"
kill "$pid" 2>/dev/null
wait "$pid" 2>/dev/null
# The screen without its escape sequences, for the log and the checks.
sed 's/\x1b\[[0-9;]*[A-Za-z]//g' "$OUT/gputop.txt" | tr -d '\r' >"$OUT/gputop-plain.txt"
cat "$OUT/gputop-plain.txt" "$OUT/gputop-fdinfo.txt" "$OUT/vgpu-stat-clients.txt"
if [ "$rc" = 0 ]; then
    echo "PASS runs"
else
    echo "FAIL runs [gputop exited $rc: $(grep -v '^ *$' "$OUT/gputop-plain.txt" | tail -1)]"
fi
if grep -q 'kmscube' "$OUT/gputop-plain.txt"; then
    echo "PASS shows-client"
else
    echo "FAIL shows-client [no kmscube line in gputop's screen]"
fi
if grep -q ' kmscube ' "$OUT/vgpu-stat-clients.txt"; then
    echo "PASS vgpu-stat-client"
else
    echo "FAIL vgpu-stat-client [no kmscube line in vgpu-stat -c]"
fi
