#!/bin/bash
# Builds the host root into $1/root (called by cache_build, see common.sh).
set -eu
# shellcheck source-path=SCRIPTDIR source=common.sh
. "$(dirname "$0")/common.sh"
out="$1"
root="$out/root"
bootstrap_trixie "$root" "$out/debootstrap.log"

cat >"$root/etc/apt/sources.list" <<SRC
deb $DEBIAN_MIRROR trixie main
deb $DEBIAN_MIRROR trixie-backports main
deb-src $DEBIAN_MIRROR trixie main
SRC
# No docs/man pages: smaller and faster.
cat >"$root/etc/dpkg/dpkg.cfg.d/01-nodoc" <<'CFG'
path-exclude /usr/share/doc/*
path-exclude /usr/share/man/*
path-exclude /usr/share/info/*
CFG
mapfile -t pkgs < <(pkg_list "$VGPU_SRC/tests/pkgs/host.list")
t1=$SECONDS
log "apt-get install ${#pkgs[@]} packages into the host root"
run_in_root "$root" -- sh -c 'apt-get update -q && apt-get install -y -q --no-install-recommends "$@" && apt-get clean' \
    sh "${pkgs[@]}" >"$out/apt.log" 2>&1 || { tail -30 "$out/apt.log" >&2; die "apt-get install failed"; }
log "apt install took $((SECONDS - t1)) s"
# shellcheck disable=SC2016  # dpkg-query's format, not shell
run_in_root "$root" -- dpkg-query -W -f '${Package} ${Version}\n' >"$out/versions.txt"
touch "$root/.vgpu-hostroot"
mkdir -p "$root/src" "$root/cache"
