/* SPDX-License-Identifier: MIT */
/*
 * libvgpu: a thin C layer over the virtio-gpu DRM uAPI, for the benchmark
 * and monitoring tools. No libdrm: every call is one ioctl, so what a tool
 * measures is the driver and the host, not a userspace library.
 *
 * Conventions: functions return 0 (or a non-negative fd/handle) on success
 * and a negative errno on failure; nothing prints.
 */
#ifndef LIBVGPU_H
#define LIBVGPU_H

#include <stddef.h>
#include <stdint.h>

#include "drm.h"
#include "drm_mode.h"
#include "virtgpu_drm.h"
#include "virtgpu_ng_drm.h"

/* Gallium/virgl values used by the tools (virgl protocol, not the uAPI). */
#define VGPU_PIPE_BUFFER		0
#define VGPU_PIPE_TEXTURE_2D		2
#define VGPU_VIRGL_FORMAT_B8G8R8A8	1
#define VGPU_VIRGL_FORMAT_R8		64
#define VGPU_VIRGL_BIND_RENDER_TARGET	(1u << 1)
#define VGPU_VIRGL_BIND_SAMPLER_VIEW	(1u << 3)
#define VGPU_VIRGL_BIND_VERTEX_BUFFER	(1u << 4)
/* A virgl command header: opcode in bits 0-7, object 8-15, length 16-31. */
#define VGPU_VIRGL_CMD(op, obj, len) \
	((uint32_t)(op) | ((uint32_t)(obj) << 8) | ((uint32_t)(len) << 16))
#define VGPU_VIRGL_CCMD_NOP		0

enum vgpu_node {
	VGPU_NODE_CARD,		/* /dev/dri/cardN: KMS, needs master for modesets */
	VGPU_NODE_RENDER,	/* /dev/dri/renderDN: rendering only */
};

/* ioctl() restarted on EINTR/EAGAIN; returns 0 or -errno. */
int vgpu_ioctl(int fd, unsigned long request, void *arg);

/*
 * Open the first node of @kind whose DRM driver is called @driver
 * ("virtio_gpu"). Returns an fd (O_RDWR | O_CLOEXEC) or -errno. The path
 * opened is copied to @path when it is not NULL (at least 64 bytes).
 */
int vgpu_open(const char *driver, enum vgpu_node kind, char *path);
/* The DRM driver name of an open node, into @name (@len bytes). */
int vgpu_driver_name(int fd, char *name, size_t len);

int vgpu_getparam(int fd, uint64_t param, int *value);
int vgpu_context_init(int fd, uint32_t capset_id, uint32_t num_rings);

/* A 3D (virgl) resource; RESOURCE_CREATE also attaches its guest backing. */
struct vgpu_res_desc {
	uint32_t target, format, bind;
	uint32_t width, height, depth, array_size, last_level, nr_samples;
	uint32_t size;		/* bytes of guest backing */
	uint32_t stride;
};
int vgpu_resource_create(int fd, const struct vgpu_res_desc *d,
			 uint32_t *bo_handle, uint32_t *res_handle);
int vgpu_resource_info(int fd, uint32_t bo, uint32_t *res, uint32_t *size);
int vgpu_gem_close(int fd, uint32_t bo);

/*
 * One submission. @fence_in: a sync_file fd to wait for, or -1.
 * @fence_out: when not NULL, receives a new sync_file fd (FENCE_FD_OUT).
 * Syncobjs are optional (pass 0 counts).
 */
struct vgpu_submit {
	const void *cmd;
	uint32_t size;
	const uint32_t *bos;
	uint32_t num_bos;
	int fence_in;
	int *fence_out;
	int ring_idx;		/* -1: the default ring */
	const struct drm_virtgpu_execbuffer_syncobj *in_syncobjs;
	uint32_t num_in_syncobjs;
	const struct drm_virtgpu_execbuffer_syncobj *out_syncobjs;
	uint32_t num_out_syncobjs;
};
int vgpu_execbuffer(int fd, const struct vgpu_submit *s);

/*
 * The virtio-gpu-ng ioctls (virtgpu_ng_drm.h). Each returns -EINVAL on a
 * driver without them; vgpu_ng_has() says beforehand.
 */
int vgpu_ng_has(int fd, uint64_t param);
/*
 * @n submissions in one call; with @wait_ns >= 0, also waits for the last
 * one, at most @wait_ns nanoseconds from now (-ETIME after that). Signals
 * never resubmit anything: the call resumes where it stopped.
 */
int vgpu_ng_submit(int fd, const struct vgpu_submit *s, uint32_t n,
		   int64_t wait_ns);
/*
 * A blob with its mmap offset (0 unless mappable) and caching
 * (VIRTGPU_NG_MAP_*) in one call. @hints: DRM_VIRTGPU_BLOB_FLAG_HINT_*.
 */
int vgpu_ng_blob_create(int fd, uint32_t blob_mem, uint32_t blob_flags,
			uint32_t hints, uint64_t size, uint64_t blob_id,
			const void *cmd, uint32_t cmd_size,
			uint32_t *bo_handle, uint64_t *offset,
			uint32_t *map_info);
/* A transfer, and with @wait_ns >= 0 the wait for it (see vgpu_ng_submit). */
int vgpu_ng_transfer(int fd, uint32_t bo, int to_host,
		     const struct drm_virtgpu_3d_box *box, uint32_t level,
		     uint32_t stride, int64_t wait_ns);

int vgpu_transfer_to_host(int fd, uint32_t bo,
			  const struct drm_virtgpu_3d_box *box,
			  uint32_t level, uint32_t stride);
int vgpu_transfer_from_host(int fd, uint32_t bo,
			    const struct drm_virtgpu_3d_box *box,
			    uint32_t level, uint32_t stride);
/* Wait until @bo is idle; with @nowait, -EBUSY if it is not. */
int vgpu_wait(int fd, uint32_t bo, int nowait);

int vgpu_blob_create(int fd, uint32_t blob_mem, uint32_t blob_flags,
		     uint64_t size, uint64_t blob_id,
		     const void *cmd, uint32_t cmd_size,
		     uint32_t *bo_handle, uint32_t *res_handle);
/* mmap a buffer object (any virtio-gpu BO, blob or not); NULL on failure. */
void *vgpu_map(int fd, uint32_t bo, size_t size);

/* Poll a sync_file until it signals; -ETIME after @timeout_ms (<0: none). */
int vgpu_fence_wait(int fence_fd, int timeout_ms);

int vgpu_syncobj_create(int fd, uint32_t *handle);
int vgpu_syncobj_destroy(int fd, uint32_t handle);
int vgpu_syncobj_wait(int fd, uint32_t handle, int64_t timeout_ns);

/* --- KMS helpers (card node) -------------------------------------------- */

int vgpu_set_client_cap(int fd, uint64_t cap, uint64_t value);
int vgpu_set_master(int fd);

struct vgpu_dumb {
	uint32_t handle, pitch, fb_id;
	uint32_t width, height;
	uint64_t size;
	void *map;
};
/* A 32 bpp dumb buffer, mapped, with an XRGB8888/ARGB8888 framebuffer. */
int vgpu_dumb_create(int fd, uint32_t width, uint32_t height, int alpha,
		     struct vgpu_dumb *b);
void vgpu_dumb_destroy(int fd, struct vgpu_dumb *b);

/* The first connected connector with its first (preferred) mode and a CRTC. */
struct vgpu_output {
	uint32_t connector_id, crtc_id, crtc_index;
	uint32_t primary_plane_id;
	struct drm_mode_modeinfo mode;
	int crtc_active;	/* the CRTC currently scans something out */
};
int vgpu_find_output(int fd, struct vgpu_output *out);

/* Property id of @name on object @id of @type (DRM_MODE_OBJECT_*). */
int vgpu_prop_id(int fd, uint32_t id, uint32_t type, const char *name,
		 uint32_t *prop_id);
int vgpu_create_blob(int fd, const void *data, uint32_t len, uint32_t *blob);

/* Atomic request builder: at most VGPU_ATOMIC_MAX properties. */
#define VGPU_ATOMIC_MAX 32
struct vgpu_atomic {
	uint32_t nobj;
	uint32_t objs[VGPU_ATOMIC_MAX];
	uint32_t count[VGPU_ATOMIC_MAX];
	uint32_t props[VGPU_ATOMIC_MAX];
	uint64_t values[VGPU_ATOMIC_MAX];
	uint32_t nprops;
};
void vgpu_atomic_init(struct vgpu_atomic *a);
/* Properties must be added grouped by object (as the ioctl lays them out). */
int vgpu_atomic_add(struct vgpu_atomic *a, uint32_t obj, uint32_t prop,
		    uint64_t value);
int vgpu_atomic_commit(int fd, const struct vgpu_atomic *a, uint32_t flags,
		       uint64_t user_data);
/* Read DRM events until a flip-complete one arrives (or @timeout_ms). */
int vgpu_wait_flip_event(int fd, int timeout_ms, uint64_t *user_data);

#endif /* LIBVGPU_H */
