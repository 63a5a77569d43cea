#!/bin/bash
# Runs inside a private mount namespace (see run_in_root in common.sh):
# mounts what a chroot needs, runs the command, unmounts in reverse order.
# Usage: chroot-inner.sh ROOT [-b HOST:INROOT]... -- CMD...
set -eu
root="$1"; shift
[ -d "$root" ] || { echo "no root $root" >&2; exit 1; }
mounted=()
# shellcheck disable=SC2317  # runs from the EXIT trap
cleanup() {
    local i
    for ((i = ${#mounted[@]} - 1; i >= 0; i--)); do
        umount -l "${mounted[$i]}" 2>/dev/null || true
    done
}
trap cleanup EXIT
# Nothing done here may propagate back to the host namespace.
mount --make-rprivate /
mnt() { # mnt TARGET MOUNT-ARGS...
    local t="$1"; shift
    mkdir -p "$t"
    mount "$@" "$t"
    mounted+=("$t")
}
mnt "$root/proc" -t proc proc
mnt "$root/sys" --rbind /sys
mnt "$root/dev" --rbind /dev
while [ "$#" -gt 0 ]; do
    case "$1" in
        -b) src="${2%%:*}"; dst="${2#*:}"; mnt "$root$dst" --bind "$src"; shift 2;;
        --) shift; break;;
        *) echo "chroot-inner: bad arg $1" >&2; exit 2;;
    esac
done
# A clean environment: only our own variables cross into the root.
envs=(PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin HOME=/root
      LANG=C.UTF-8 DEBIAN_FRONTEND=noninteractive)
while IFS='=' read -r k v; do
    case "$k" in VGPU_*|KVER|DRIVER|CONFIGS|CI|TERM) envs+=("$k=$v");; esac
done < <(env)
# In the background, so that a TERM/INT (e.g. from unshare --kill-child when
# the caller dies) is passed on at once instead of after the command ends.
chroot "$root" /usr/bin/env -i "${envs[@]}" "$@" &
child=$!
trap 'kill -TERM "$child" 2>/dev/null' INT TERM
rc=0
while :; do
    wait "$child" && rc=0 || rc=$?
    kill -0 "$child" 2>/dev/null || break
done
exit "$rc"
