#!/bin/sh
# The visible demo of "make run": EGL renderer, then kmscube on the display
# while the host takes a screendump (it watches the console for the marker).
OUT=/mnt/work/out
EGLINFO=$(command -v eglinfo || ls /usr/lib/mesa-demos/eglinfo 2>/dev/null)
if [ -z "$EGLINFO" ]; then
    echo "FAIL eglinfo [eglinfo not installed]"
else
    "$EGLINFO" -B -p gbm >"$OUT/eglinfo-gbm.txt" 2>&1 ||
        "$EGLINFO" >"$OUT/eglinfo-gbm.txt" 2>&1
    "$EGLINFO" -B -p surfaceless >"$OUT/eglinfo-surfaceless.txt" 2>&1
    r=$(grep -m1 -i 'renderer' "$OUT/eglinfo-gbm.txt")
    [ -n "$r" ] || r=$(grep -m1 -i 'renderer' "$OUT/eglinfo-surfaceless.txt")
    echo "VGPU-RENDERER: $r" >/dev/console
    case "$r" in
        *virgl*|*Virgl*|*VIRGL*) echo "PASS eglinfo-virgl";;
        *) echo "FAIL eglinfo-virgl [${r:-no renderer line}]";;
    esac
fi
# kmscube renders to the first connector through GBM/KMS; under TCG it does a
# few frames per second, so give it time before the screendump.
# kmscube quits on input from stdin ("user interrupted!"), and /dev/null is
# always readable: give it a FIFO opened read-write, which never is.
mkfifo /tmp/kmscube.in
kmscube <>/tmp/kmscube.in >"$OUT/kmscube.txt" 2>&1 &
pid=$!
sleep 8
if kill -0 "$pid" 2>/dev/null; then
    echo "PASS kmscube-running"
else
    wait "$pid"
    echo "FAIL kmscube-running [exited $? early: $(tail -1 "$OUT/kmscube.txt")]"
fi
echo "VGPU-SCREENDUMP kmscube" >/dev/console
sleep 6
kill "$pid" 2>/dev/null
wait "$pid" 2>/dev/null
echo "PASS demo-done"
