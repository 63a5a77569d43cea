/* SPDX-License-Identifier: MIT */
/*
 * virtio-gpu-ng DRM uAPI: what this driver adds to the upstream ioctls.
 *
 * Copyright 2026 The virtio-gpu-ng authors
 */
#ifndef VIRTGPU_NG_DRM_H
#define VIRTGPU_NG_DRM_H

#include "virtgpu_drm.h"

#if defined(__cplusplus)
extern "C" {
#endif

/**
 * DOC: virtio-gpu-ng uAPI additions
 *
 * Three ioctls that fold the sequences userspace drivers issue most often
 * into one call each, so that a frame, a readback or a memory allocation
 * costs fewer system calls and fewer synchronous trips to the host:
 *
 * - SUBMIT: several command streams in one call, optionally waiting for
 *   the last one (replaces EXECBUFFER with FENCE_FD_OUT, poll and close).
 * - BLOB_CREATE: create a blob and return its mmap offset and the host's
 *   caching mode (replaces RESOURCE_CREATE_BLOB, RESOURCE_INFO and MAP).
 * - TRANSFER: copy between guest backing and host resource, optionally
 *   waiting for the copy (replaces WAIT, TRANSFER_FROM_HOST and WAIT).
 *
 * The rules of virtgpu_drm.h hold here too. The ioctl numbers start at
 * 0x40 and the GETPARAM numbers at 0x100, far from upstream's and from
 * the private numbers other kernels use, and each ioctl is announced by
 * its own GETPARAM: a kernel without it answers EINVAL to the GETPARAM,
 * which userspace takes as "absent". Deadlines are absolute
 * CLOCK_MONOTONIC times in nanoseconds, so that a call restarted after a
 * signal does not wait longer than the first one would have.
 */

/*
 * GETPARAM: the most entries one SUBMIT takes (VIRTGPU_NG_SUBMIT_MAX_ENTRIES);
 * 0 or EINVAL if SUBMIT is absent.
 */
#define VIRTGPU_NG_PARAM_SUBMIT		0x100
/* GETPARAM: 1 if BLOB_CREATE is available. */
#define VIRTGPU_NG_PARAM_BLOB_CREATE	0x101
/* GETPARAM: 1 if TRANSFER is available. */
#define VIRTGPU_NG_PARAM_TRANSFER	0x102

/* -------------------------------------------------------------------------
 * SUBMIT: EXECBUFFERs in a batch, and a wait.
 */
#define DRM_VIRTGPU_NG_SUBMIT 0x40

/* Most entries in one call, and the largest entry. */
#define VIRTGPU_NG_SUBMIT_MAX_ENTRIES	32
#define VIRTGPU_NG_SUBMIT_MAX_STRIDE	4096

/* After queuing, wait for the last entry's fence until @timeout_ns. */
#define VIRTGPU_NG_SUBMIT_WAIT		0x0001
#define VIRTGPU_NG_SUBMIT_FLAGS		VIRTGPU_NG_SUBMIT_WAIT

/**
 * struct drm_virtgpu_ng_submit - queue several command streams
 * @flags: VIRTGPU_NG_SUBMIT_*; unknown bits are rejected.
 * @count: number of entries, 1 to VIRTGPU_NG_SUBMIT_MAX_ENTRIES.
 * @stride: size of one entry, at least sizeof(struct drm_virtgpu_execbuffer)
 *	and at most VIRTGPU_NG_SUBMIT_MAX_STRIDE. Bytes beyond the structure
 *	this kernel knows must be zero.
 * @queued: in and out. Entries before this index were queued by an
 *	earlier, interrupted call and are skipped; must be 0 on the first
 *	call and at most @count. On return it counts the queued entries.
 * @entries: user pointer to @count struct drm_virtgpu_execbuffer, each
 *	with the meaning and checks of EXECBUFFER. A FENCE_FD_OUT entry gets
 *	its sync_file in its own @fence_fd.
 * @timeout_ns: with VIRTGPU_NG_SUBMIT_WAIT, the absolute CLOCK_MONOTONIC
 *	deadline of the wait; must be 0 without it.
 *
 * Every entry is checked (flags, sizes, rings, syncobj entries, handles,
 * fence fds) before any is queued, and a bad one fails the call with
 * nothing queued. Entries are then queued in order, each seeing the fences
 * its predecessors published, as if each had been its own EXECBUFFER. If
 * queuing stops part way (a signal while taking a reservation lock, no
 * memory), the call fails and @queued says how many went; the kernel
 * restarts an interrupted call with the same arguments, so it resumes
 * after them and nothing is submitted twice.
 *
 * The wait, once every entry is queued, ends when the last entry's fence
 * signals (0), at the deadline (-ETIME), or on a signal (the restarted
 * call only waits, for the file's most recent SUBMIT). The sum of the
 * entries' stream sizes is bounded like one EXECBUFFER's stream.
 */
struct drm_virtgpu_ng_submit {
	__u32 flags;
	__u32 count;
	__u32 stride;
	__u32 queued;
	__u64 entries;
	__s64 timeout_ns;
};

#define DRM_IOCTL_VIRTGPU_NG_SUBMIT \
	DRM_IOWR(DRM_COMMAND_BASE + DRM_VIRTGPU_NG_SUBMIT, \
		 struct drm_virtgpu_ng_submit)

/* -------------------------------------------------------------------------
 * BLOB_CREATE: a blob, its mmap offset and its caching mode in one call.
 */
#define DRM_VIRTGPU_NG_BLOB_CREATE 0x41

/* How userspace's mapping of the blob behaves. */
#define VIRTGPU_NG_MAP_NONE		0	/* not mapped (yet) */
#define VIRTGPU_NG_MAP_CACHED		1
#define VIRTGPU_NG_MAP_UNCACHED		2
#define VIRTGPU_NG_MAP_WC		3

/**
 * struct drm_virtgpu_ng_blob_create - create a blob ready to be mapped
 * @blob_mem: VIRTGPU_BLOB_MEM_*, as RESOURCE_CREATE_BLOB.
 * @blob_flags: VIRTGPU_BLOB_FLAG_*, as RESOURCE_CREATE_BLOB.
 * @blob_hints: DRM_VIRTGPU_BLOB_FLAG_HINT_*, as RESOURCE_CREATE_BLOB.
 * @cmd_size: size of @cmd in bytes, as RESOURCE_CREATE_BLOB.
 * @size: size in bytes, as RESOURCE_CREATE_BLOB.
 * @blob_id: as RESOURCE_CREATE_BLOB.
 * @cmd: as RESOURCE_CREATE_BLOB.
 * @bo_handle: out, GEM handle.
 * @res_handle: out, host resource id.
 * @offset: out, for a VIRTGPU_BLOB_FLAG_USE_MAPPABLE blob the offset to
 *	pass to mmap() on this file, 0 otherwise.
 * @map_info: out, VIRTGPU_NG_MAP_*: how an mmap() of the blob caches.
 *	For host memory this is the host's answer, which the call waits for
 *	unless the mapping is deferred (then VIRTGPU_NG_MAP_NONE, and mmap()
 *	maps it).
 * @pad: MBZ.
 */
struct drm_virtgpu_ng_blob_create {
	__u32 blob_mem;
	__u32 blob_flags;
	__u32 blob_hints;
	__u32 cmd_size;
	__u64 size;
	__u64 blob_id;
	__u64 cmd;
	__u32 bo_handle;
	__u32 res_handle;
	__u64 offset;
	__u32 map_info;
	__u32 pad;
};

#define DRM_IOCTL_VIRTGPU_NG_BLOB_CREATE \
	DRM_IOWR(DRM_COMMAND_BASE + DRM_VIRTGPU_NG_BLOB_CREATE, \
		 struct drm_virtgpu_ng_blob_create)

/* -------------------------------------------------------------------------
 * TRANSFER: TRANSFER_TO_HOST or TRANSFER_FROM_HOST, and a wait.
 */
#define DRM_VIRTGPU_NG_TRANSFER 0x42

/* Exactly one direction. */
#define VIRTGPU_NG_TRANSFER_TO_HOST	0x0001
#define VIRTGPU_NG_TRANSFER_FROM_HOST	0x0002
/* Wait until the copy is done, until @timeout_ns. */
#define VIRTGPU_NG_TRANSFER_WAIT	0x0004
#define VIRTGPU_NG_TRANSFER_FLAGS	(VIRTGPU_NG_TRANSFER_TO_HOST | \
					 VIRTGPU_NG_TRANSFER_FROM_HOST | \
					 VIRTGPU_NG_TRANSFER_WAIT)

/**
 * struct drm_virtgpu_ng_transfer - copy a box and maybe wait for it
 * @flags: VIRTGPU_NG_TRANSFER_*; unknown bits are rejected.
 * @bo_handle: GEM handle of a resource with guest backing.
 * @box: region of the resource.
 * @level: mip level.
 * @stride: bytes per row in the backing, 0 for the resource's own.
 * @layer_stride: bytes per layer in the backing, 0 for the resource's own.
 * @pad: MBZ.
 * @offset: byte offset of the box in the backing.
 * @timeout_ns: with VIRTGPU_NG_TRANSFER_WAIT, the absolute CLOCK_MONOTONIC
 *	deadline of the call's waits; must be 0 without it, and the call
 *	then bounds its waits for other fences itself (15 seconds).
 *
 * Needs no WAIT before it: work the host finishes before it processes
 * this copy (this file's rendering, and any virgl context's submissions
 * already sent) is ordered by the host. Fences on the buffer that the host
 * does not order that way (other context types' work, submissions still
 * held back for foreign fences, other drivers' fences) are waited for
 * first, by the call, within the deadline. With VIRTGPU_NG_TRANSFER_WAIT
 * the call returns once the copy is done: for FROM_HOST, the backing then
 * holds the data. Returns -ETIME at the deadline.
 */
struct drm_virtgpu_ng_transfer {
	__u32 flags;
	__u32 bo_handle;
	struct drm_virtgpu_3d_box box;
	__u32 level;
	__u32 stride;
	__u32 layer_stride;
	__u32 pad;
	__u64 offset;
	__s64 timeout_ns;
};

#define DRM_IOCTL_VIRTGPU_NG_TRANSFER \
	DRM_IOWR(DRM_COMMAND_BASE + DRM_VIRTGPU_NG_TRANSFER, \
		 struct drm_virtgpu_ng_transfer)

#if defined(__cplusplus)
}
#endif

#endif /* VIRTGPU_NG_DRM_H */
