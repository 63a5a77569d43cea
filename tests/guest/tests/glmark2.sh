#!/bin/sh
# glmark2-es2-drm, short, on virgl: two scenes of a few seconds each,
# rendered off-screen. PASS when it ends with a score and its renderer is
# virgl (not the guest's own llvmpipe). The score is logged as an INFO line
# only: under TCG it measures the host's load more than the driver.
# Result (the runner prefixes "glmark2/"): score
W=${W:-/mnt/work}
OUT=$W/out
# Scene specs for -b; the runner may pass others.
SCENES=${*:-build:duration=3 texture:duration=3}

CONFIG=$(sed -n 's/^CONFIG=//p' "$W/config.env" 2>/dev/null)
case "$CONFIG" in
    2d|2d-dual)
        echo "SKIP score no virgl on $CONFIG: glmark2 would measure the guest's software renderer"
        exit 0;;
esac
if ! command -v glmark2-es2-drm >/dev/null; then
    echo "FAIL score [glmark2-es2-drm not installed]"
    exit 0
fi

args=""
for s in $SCENES; do args="$args -b $s"; done
log=$OUT/glmark2.txt
start=$(date +%s)
# No -s: the DRM flavour renders at the connector's mode whatever it says.
# shellcheck disable=SC2086  # one word per argument
glmark2-es2-drm --off-screen $args >"$log" 2>&1
rc=$?
end=$(date +%s)

renderer=$(sed -n 's/^ *GL_RENDERER: *//p' "$log" | head -1)
score=$(sed -n 's/^ *glmark2 Score: *\([0-9][0-9]*\).*/\1/p' "$log" | tail -1)
sed -n 's/^ *\(\[[a-z]*\].*FPS.*\)/# \1/p' "$log"
echo "# exit $rc after $((end - start)) s, renderer '$renderer'"
if [ -n "$score" ]; then
    echo "INFO glmark2/score $score renderer $renderer"
fi
if [ "$rc" -ne 0 ] || [ -z "$score" ]; then
    echo "FAIL score [exit $rc, no score: $(grep -v '^ *$' "$log" | tail -1 | cut -c1-100)]"
else
    case "$renderer" in
        *virgl*) echo "PASS score";;
        *) echo "FAIL score [renderer '$renderer', not virgl]";;
    esac
fi
