#!/bin/sh
# Rewrites patch 0001 from include/uapi/drm/virtgpu_ng_drm.h, keeping its
# author, date and message: run it after changing that header (the Mesa
# build refuses a patch whose copy differs). Needs git.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
p=$(ls "$here"/0001-*.patch)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
mkdir -p "$tmp/include/drm-uapi"
cp "$here/../../include/uapi/drm/virtgpu_ng_drm.h" "$tmp/include/drm-uapi/"
# The message: the subject (maybe folded) and the body up to the diffstat.
# format-patch folds a long subject: unfold it, or git would see two lines.
sed -n '/^Subject: /,/^---$/p' "$p" | sed -e '$d' -e 's/^Subject: \[PATCH[^]]*\] //' |
    awk 'NR > 1 && !body && /^ / { line = line $0; next }
         { if (NR > 1) print line; line = $0; if (NR > 1 && $0 == "") body = 1 }
         END { print line }' >"$tmp/msg"
author=$(sed -n 's/^From: //p' "$p" | head -1)
date=$(sed -n 's/^Date: //p' "$p" | head -1)
cd "$tmp"
git init -q
git add include
GIT_AUTHOR_DATE="$date" GIT_COMMITTER_DATE="$date" \
    git -c user.name=x -c user.email=x@invalid commit -q --author="$author" -F msg
git format-patch -q --no-signature --zero-commit --subject-prefix='PATCH 1/3' -1 --stdout >"$p"
