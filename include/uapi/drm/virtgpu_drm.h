/* SPDX-License-Identifier: MIT */
/*
 * virtio-gpu DRM uAPI.
 *
 * Copyright 2026 The virtio-gpu-ng authors
 */
#ifndef VIRTGPU_DRM_H
#define VIRTGPU_DRM_H

#include "drm.h"

#if defined(__cplusplus)
extern "C" {
#endif

/**
 * DOC: virtio-gpu uAPI overview
 *
 * The ioctls numbered 0x01 to 0x0b are the upstream virtio-gpu ABI, kept
 * byte for byte: the numbers, the structure layouts and the flag values are
 * exactly those that Mesa (virgl, venus), minigbm and IGT already use, so
 * userspace built against either header runs on either driver. The member
 * names are kept as well, so that the same userspace source compiles against
 * either header; the structure bodies therefore read as upstream's do.
 *
 * Rules for everything in this file, old and new:
 *
 * - Only fixed-width types, laid out so that 32-bit and 64-bit userspace
 *   share one layout and no compat ioctl is needed: every structure is
 *   64-bit aligned, except upstream's transfer structures (44 bytes of
 *   __u32 members only), whose layout is the same on both anyway.
 * - Pointers travel as __u64.
 * - Members named pad must be zero; the kernel rejects non-zero padding
 *   where upstream did, and in every new ioctl.
 * - Flag words reject unknown bits with -EINVAL, so a bit can be given a
 *   meaning later without old kernels silently ignoring it.
 * - Every feature is discoverable with DRM_IOCTL_VIRTGPU_GETPARAM before it
 *   is used. A feature the host does not offer is reported as absent.
 */

/* -------------------------------------------------------------------------
 * MAP: fake mmap offset of a buffer object.
 */
#define DRM_VIRTGPU_MAP 0x01

/**
 * struct drm_virtgpu_map - ask for the mmap offset of a buffer object
 * @offset: out, offset to pass to mmap() on the DRM file descriptor.
 * @handle: in, GEM handle of the object.
 * @pad: MBZ.
 */
struct drm_virtgpu_map {
	__u64 offset;
	__u32 handle;
	__u32 pad;
};

#define DRM_IOCTL_VIRTGPU_MAP \
	DRM_IOWR(DRM_COMMAND_BASE + DRM_VIRTGPU_MAP, struct drm_virtgpu_map)

/* -------------------------------------------------------------------------
 * EXECBUFFER: hand a command stream to the host rendering context.
 */
#define DRM_VIRTGPU_EXECBUFFER 0x02

/* Wait for @fence_fd (a sync_file) before the host runs the commands. */
#define VIRTGPU_EXECBUF_FENCE_FD_IN	0x01
/* Return a sync_file in @fence_fd that signals when the commands are done. */
#define VIRTGPU_EXECBUF_FENCE_FD_OUT	0x02
/* Queue on ring @ring_idx of a context made with CONTEXT_INIT. */
#define VIRTGPU_EXECBUF_RING_IDX	0x04
#define VIRTGPU_EXECBUF_FLAGS  (VIRTGPU_EXECBUF_FENCE_FD_IN | \
				VIRTGPU_EXECBUF_FENCE_FD_OUT | \
				VIRTGPU_EXECBUF_RING_IDX)

/* Reset a binary in-syncobj once its fence has been collected. */
#define VIRTGPU_EXECBUF_SYNCOBJ_RESET	0x01
#define VIRTGPU_EXECBUF_SYNCOBJ_FLAGS	VIRTGPU_EXECBUF_SYNCOBJ_RESET

/**
 * struct drm_virtgpu_execbuffer_syncobj - one syncobj to wait on or signal
 * @handle: syncobj handle.
 * @flags: VIRTGPU_EXECBUF_SYNCOBJ_* (in-syncobjs only; MBZ for out).
 * @point: timeline point, 0 for a binary syncobj.
 */
struct drm_virtgpu_execbuffer_syncobj {
	__u32 handle;
	__u32 flags;
	__u64 point;
};

/**
 * struct drm_virtgpu_execbuffer - submit a command stream
 * @flags: VIRTGPU_EXECBUF_*; unknown bits are rejected.
 * @size: size of the command stream in bytes.
 * @command: user pointer to the command stream.
 * @bo_handles: user pointer to an array of __u32 GEM handles the commands use.
 * @num_bo_handles: number of entries in @bo_handles.
 * @fence_fd: in, a sync_file fd with FENCE_FD_IN; out, a new sync_file fd
 *	with FENCE_FD_OUT.
 * @ring_idx: ring to queue on, with VIRTGPU_EXECBUF_RING_IDX.
 * @syncobj_stride: size of one entry of @in_syncobjs / @out_syncobjs, at
 *	least sizeof(struct drm_virtgpu_execbuffer_syncobj).
 * @num_in_syncobjs: number of syncobjs to wait for.
 * @num_out_syncobjs: number of syncobjs to signal on completion.
 * @in_syncobjs: user pointer to the in-syncobj array.
 * @out_syncobjs: user pointer to the out-syncobj array.
 */
struct drm_virtgpu_execbuffer {
	__u32 flags;
	__u32 size;
	__u64 command;
	__u64 bo_handles;
	__u32 num_bo_handles;
	__s32 fence_fd;
	__u32 ring_idx;
	__u32 syncobj_stride;
	__u32 num_in_syncobjs;
	__u32 num_out_syncobjs;
	__u64 in_syncobjs;
	__u64 out_syncobjs;
};

#define DRM_IOCTL_VIRTGPU_EXECBUFFER \
	DRM_IOWR(DRM_COMMAND_BASE + DRM_VIRTGPU_EXECBUFFER, \
		 struct drm_virtgpu_execbuffer)

/* -------------------------------------------------------------------------
 * GETPARAM: feature discovery.
 */
#define DRM_VIRTGPU_GETPARAM 0x03

/* 1 if the host runs a 3D renderer (virgl). */
#define VIRTGPU_PARAM_3D_FEATURES		1
/* 1: GET_CAPS honours the requested capset version. */
#define VIRTGPU_PARAM_CAPSET_QUERY_FIX		2
/* 1 if RESOURCE_CREATE_BLOB is available. */
#define VIRTGPU_PARAM_RESOURCE_BLOB		3
/* 1 if host-visible blobs can be mapped into the guest. */
#define VIRTGPU_PARAM_HOST_VISIBLE		4
/* 1 if resources can be shared with other virtio devices by UUID. */
#define VIRTGPU_PARAM_CROSS_DEVICE		5
/* 1 if CONTEXT_INIT is available. */
#define VIRTGPU_PARAM_CONTEXT_INIT		6
/* Bit mask of the capset ids the host supports (1 << id). */
#define VIRTGPU_PARAM_SUPPORTED_CAPSET_IDs	7
/* 1 if CONTEXT_INIT accepts VIRTGPU_CONTEXT_PARAM_DEBUG_NAME. */
#define VIRTGPU_PARAM_EXPLICIT_DEBUG_NAME	8
/*
 * Alignment in bytes that the host requires of blob sizes and mappings;
 * GETPARAM fails with ENOENT when the device states none.
 */
#define VIRTGPU_PARAM_BLOB_ALIGNMENT		9

/**
 * struct drm_virtgpu_getparam - query one parameter
 * @param: in, VIRTGPU_PARAM_*.
 * @value: in, user pointer to an int that receives the value (an int, not
 *	a __u64, for compatibility with every kernel that had this ioctl).
 */
struct drm_virtgpu_getparam {
	__u64 param;
	__u64 value;
};

#define DRM_IOCTL_VIRTGPU_GETPARAM \
	DRM_IOWR(DRM_COMMAND_BASE + DRM_VIRTGPU_GETPARAM, \
		 struct drm_virtgpu_getparam)

/* -------------------------------------------------------------------------
 * RESOURCE_CREATE: a classic (non-blob) host resource with guest backing.
 */
#define DRM_VIRTGPU_RESOURCE_CREATE 0x04

/**
 * struct drm_virtgpu_resource_create - create a resource and its GEM object
 * @target: gallium texture target (PIPE_TEXTURE_*, PIPE_BUFFER).
 * @format: virgl/gallium format.
 * @bind: gallium bind flags.
 * @width: width in pixels.
 * @height: height in pixels.
 * @depth: depth in pixels.
 * @array_size: number of array layers.
 * @last_level: index of the last mip level.
 * @nr_samples: number of samples.
 * @flags: resource flags passed to the host (VIRTIO_GPU_RESOURCE_FLAG_*).
 * @bo_handle: out, GEM handle.
 * @res_handle: out, host resource id.
 * @size: size of the guest backing in bytes (0 means one page).
 * @stride: row stride hint; passed through unchanged.
 */
struct drm_virtgpu_resource_create {
	__u32 target;
	__u32 format;
	__u32 bind;
	__u32 width;
	__u32 height;
	__u32 depth;
	__u32 array_size;
	__u32 last_level;
	__u32 nr_samples;
	__u32 flags;
	__u32 bo_handle;
	__u32 res_handle;
	__u32 size;
	__u32 stride;
};

#define DRM_IOCTL_VIRTGPU_RESOURCE_CREATE \
	DRM_IOWR(DRM_COMMAND_BASE + DRM_VIRTGPU_RESOURCE_CREATE, \
		 struct drm_virtgpu_resource_create)

/* -------------------------------------------------------------------------
 * RESOURCE_INFO: look up the host resource behind a GEM handle.
 */
#define DRM_VIRTGPU_RESOURCE_INFO 0x05

/**
 * struct drm_virtgpu_resource_info - describe a buffer object
 * @bo_handle: in, GEM handle.
 * @res_handle: out, host resource id.
 * @size: out, object size in bytes (truncated to 32 bits).
 * @blob_mem: out, VIRTGPU_BLOB_MEM_* for blobs, 0 otherwise.
 */
struct drm_virtgpu_resource_info {
	__u32 bo_handle;
	__u32 res_handle;
	__u32 size;
	__u32 blob_mem;
};

#define DRM_IOCTL_VIRTGPU_RESOURCE_INFO \
	DRM_IOWR(DRM_COMMAND_BASE + DRM_VIRTGPU_RESOURCE_INFO, \
		 struct drm_virtgpu_resource_info)

/* -------------------------------------------------------------------------
 * TRANSFER_FROM_HOST / TRANSFER_TO_HOST: copy a box between the host
 * resource and its guest backing.
 */
#define DRM_VIRTGPU_TRANSFER_FROM_HOST 0x06
#define DRM_VIRTGPU_TRANSFER_TO_HOST 0x07

/**
 * struct drm_virtgpu_3d_box - a 3D box in texels
 * @x: left.
 * @y: top.
 * @z: front.
 * @w: width.
 * @h: height.
 * @d: depth.
 */
struct drm_virtgpu_3d_box {
	__u32 x;
	__u32 y;
	__u32 z;
	__u32 w;
	__u32 h;
	__u32 d;
};

/**
 * struct drm_virtgpu_3d_transfer_to_host - guest backing to host resource
 * @bo_handle: GEM handle.
 * @box: region of the resource.
 * @level: mip level.
 * @offset: byte offset of the box in the guest backing.
 * @stride: row stride in the backing, 0 for packed.
 * @layer_stride: layer stride in the backing, 0 for packed.
 */
struct drm_virtgpu_3d_transfer_to_host {
	__u32 bo_handle;
	struct drm_virtgpu_3d_box box;
	__u32 level;
	__u32 offset;
	__u32 stride;
	__u32 layer_stride;
};

/**
 * struct drm_virtgpu_3d_transfer_from_host - host resource to guest backing
 * @bo_handle: GEM handle.
 * @box: region of the resource.
 * @level: mip level.
 * @offset: byte offset of the box in the guest backing.
 * @stride: row stride in the backing, 0 for packed.
 * @layer_stride: layer stride in the backing, 0 for packed.
 */
struct drm_virtgpu_3d_transfer_from_host {
	__u32 bo_handle;
	struct drm_virtgpu_3d_box box;
	__u32 level;
	__u32 offset;
	__u32 stride;
	__u32 layer_stride;
};

#define DRM_IOCTL_VIRTGPU_TRANSFER_FROM_HOST \
	DRM_IOWR(DRM_COMMAND_BASE + DRM_VIRTGPU_TRANSFER_FROM_HOST, \
		 struct drm_virtgpu_3d_transfer_from_host)
#define DRM_IOCTL_VIRTGPU_TRANSFER_TO_HOST \
	DRM_IOWR(DRM_COMMAND_BASE + DRM_VIRTGPU_TRANSFER_TO_HOST, \
		 struct drm_virtgpu_3d_transfer_to_host)

/* -------------------------------------------------------------------------
 * WAIT: wait until the host is done with a buffer object.
 */
#define DRM_VIRTGPU_WAIT 0x08

/* Do not sleep: return -EBUSY if the object is still busy. */
#define VIRTGPU_WAIT_NOWAIT 1

/**
 * struct drm_virtgpu_3d_wait - wait for a buffer object to go idle
 * @handle: GEM handle (0 is invalid).
 * @flags: VIRTGPU_WAIT_*; unknown bits are rejected.
 */
struct drm_virtgpu_3d_wait {
	__u32 handle;
	__u32 flags;
};

#define DRM_IOCTL_VIRTGPU_WAIT \
	DRM_IOWR(DRM_COMMAND_BASE + DRM_VIRTGPU_WAIT, struct drm_virtgpu_3d_wait)

/* -------------------------------------------------------------------------
 * GET_CAPS: read one capability set of the host renderer.
 */
#define DRM_VIRTGPU_GET_CAPS 0x09

/* Capset ids, the same numbers as the device's VIRTIO_GPU_CAPSET_*. */
#define VIRTGPU_DRM_CAPSET_VIRGL		1
#define VIRTGPU_DRM_CAPSET_VIRGL2		2
#define VIRTGPU_DRM_CAPSET_GFXSTREAM_VULKAN	3
#define VIRTGPU_DRM_CAPSET_VENUS		4
#define VIRTGPU_DRM_CAPSET_CROSS_DOMAIN		5
#define VIRTGPU_DRM_CAPSET_DRM			6

/**
 * struct drm_virtgpu_get_caps - copy a capset to userspace
 * @cap_set_id: capset id (VIRTGPU_DRM_CAPSET_*).
 * @cap_set_ver: capset version.
 * @addr: user pointer to the destination.
 * @size: size of the destination; at most this much is copied.
 * @pad: MBZ.
 */
struct drm_virtgpu_get_caps {
	__u32 cap_set_id;
	__u32 cap_set_ver;
	__u64 addr;
	__u32 size;
	__u32 pad;
};

#define DRM_IOCTL_VIRTGPU_GET_CAPS \
	DRM_IOWR(DRM_COMMAND_BASE + DRM_VIRTGPU_GET_CAPS, \
		 struct drm_virtgpu_get_caps)

/* -------------------------------------------------------------------------
 * RESOURCE_CREATE_BLOB: a blob resource, in guest memory, host memory or
 * both.
 */
#define DRM_VIRTGPU_RESOURCE_CREATE_BLOB 0x0a

#define VIRTGPU_BLOB_MEM_GUEST			0x0001
#define VIRTGPU_BLOB_MEM_HOST3D			0x0002
#define VIRTGPU_BLOB_MEM_HOST3D_GUEST		0x0003

#define VIRTGPU_BLOB_FLAG_USE_MAPPABLE		0x0001
#define VIRTGPU_BLOB_FLAG_USE_SHAREABLE		0x0002
#define VIRTGPU_BLOB_FLAG_USE_CROSS_DEVICE	0x0004

/* Map host memory into the window on first mmap (or MAP), not on create. */
#define DRM_VIRTGPU_BLOB_FLAG_HINT_DEFER_MAPPING	0x0001

/**
 * struct drm_virtgpu_resource_create_blob - create a blob resource
 * @blob_mem: VIRTGPU_BLOB_MEM_*.
 * @blob_flags: VIRTGPU_BLOB_FLAG_*; unknown bits are rejected.
 * @bo_handle: out, GEM handle.
 * @res_handle: out, host resource id.
 * @size: size in bytes; must be a multiple of the page size.
 * @pad: MBZ.
 * @cmd_size: size of @cmd in bytes, a multiple of 4.
 * @cmd: user pointer to a context command run before the blob is created
 *	(HOST3D blobs).
 * @blob_id: context-defined id of the host allocation to wrap.
 * @blob_hints: DRM_VIRTGPU_BLOB_FLAG_HINT_*; unknown bits are rejected.
 *	Userspace built against an older header passes a shorter structure,
 *	which the DRM core extends with zeroes.
 * @pad2: MBZ.
 */
struct drm_virtgpu_resource_create_blob {
	__u32 blob_mem;
	__u32 blob_flags;
	__u32 bo_handle;
	__u32 res_handle;
	__u64 size;
	__u32 pad;
	__u32 cmd_size;
	__u64 cmd;
	__u64 blob_id;
	__u32 blob_hints;
	__u32 pad2;
};

#define DRM_IOCTL_VIRTGPU_RESOURCE_CREATE_BLOB \
	DRM_IOWR(DRM_COMMAND_BASE + DRM_VIRTGPU_RESOURCE_CREATE_BLOB, \
		 struct drm_virtgpu_resource_create_blob)

/* -------------------------------------------------------------------------
 * CONTEXT_INIT: create the file's host rendering context explicitly.
 */
#define DRM_VIRTGPU_CONTEXT_INIT 0x0b

/* Capset the context speaks (VIRTIO_GPU_CAPSET_*). */
#define VIRTGPU_CONTEXT_PARAM_CAPSET_ID		0x0001
/* Number of independent fence timelines (rings), at most 64. */
#define VIRTGPU_CONTEXT_PARAM_NUM_RINGS		0x0002
/* Rings whose fences also post a DRM event on the file (bit mask). */
#define VIRTGPU_CONTEXT_PARAM_POLL_RINGS_MASK	0x0003
/* User pointer to a NUL-terminated debug name for the host. */
#define VIRTGPU_CONTEXT_PARAM_DEBUG_NAME	0x0004

/**
 * struct drm_virtgpu_context_set_param - one context parameter
 * @param: VIRTGPU_CONTEXT_PARAM_*.
 * @value: its value.
 */
struct drm_virtgpu_context_set_param {
	__u64 param;
	__u64 value;
};

/**
 * struct drm_virtgpu_context_init - create the context with parameters
 * @num_params: number of entries in @ctx_set_params.
 * @pad: MBZ.
 * @ctx_set_params: user pointer to an array of
 *	struct drm_virtgpu_context_set_param.
 */
struct drm_virtgpu_context_init {
	__u32 num_params;
	__u32 pad;
	__u64 ctx_set_params;
};

#define DRM_IOCTL_VIRTGPU_CONTEXT_INIT \
	DRM_IOWR(DRM_COMMAND_BASE + DRM_VIRTGPU_CONTEXT_INIT, \
		 struct drm_virtgpu_context_init)

/*
 * DRM event posted on the file when a fence of a ring in the context's
 * POLL_RINGS_MASK signals; it carries a plain struct drm_event.
 */
#define VIRTGPU_EVENT_FENCE_SIGNALED 0x90000000

#if defined(__cplusplus)
}
#endif

#endif /* VIRTGPU_DRM_H */
