#!/bin/sh
# Zero-copy scanout ("DOC: zero-copy scanout" in virtgpu_object.c): where
# the device offers blobs without virgl, dumb buffers are guest blobs that
# the host shows in place. Runs after tests that scanned dumb buffers out
# (kms, and the fbdev console since boot): the scanouts must have been
# blobs, and not one byte uploaded. The picture itself is checked by kms's
# screendump on the same run.
# Results (the runner prefixes "zerocopy/"): in-place  scanout-blob  no-uploads
ALL="in-place scanout-blob no-uploads"
skip_all() {
    for t in $ALL; do echo "SKIP $t $*"; done
    exit 0
}

dri=""
for d in /sys/kernel/debug/dri/*; do
    [ -r "$d/virtio-gpu-features" ] && dri=$d && break
done
[ -n "$dri" ] || skip_all "no virtio-gpu debugfs (not our driver)"
feat() { sed -n "s/^$1 //p" "$dri/virtio-gpu-features"; }
stat_of() { sed -n "s/^$1 //p" "$dri/virtio-gpu-stats"; }

if [ "$(feat resource_blob)" != 1 ] || [ "$(feat virgl)" != 0 ]; then
    skip_all "the device has no blobs, or has virgl: dumb buffers stay 2D resources"
fi
if [ "$(feat dumb_blob)" = 1 ]; then
    echo "PASS in-place"
else
    echo "FAIL in-place [blob device without virgl, but dumb_blob is 0]"
fi
blob=$(stat_of cmd_set_scanout_blob)
plain=$(stat_of cmd_set_scanout)
bytes=$(stat_of xfer_to_host_bytes)
echo "# set_scanout_blob=$blob set_scanout=$plain xfer_to_host_bytes=$bytes"
if [ "${blob:-0}" -gt 0 ]; then
    echo "PASS scanout-blob"
else
    echo "FAIL scanout-blob [no SET_SCANOUT_BLOB sent]"
fi
if [ "${bytes:-1}" -eq 0 ]; then
    echo "PASS no-uploads"
else
    echo "FAIL no-uploads [$bytes bytes of TRANSFER_TO_HOST]"
fi
