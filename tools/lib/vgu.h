/* SPDX-License-Identifier: MIT */
/*
 * vgu: the userspace library of this project, over the virtio-gpu DRM
 * uAPI (virtgpu_drm.h, our virtgpu_ng_drm.h) and the few KMS ioctls the
 * tools need. The benchmark and monitor (tools/) and the guest C tests
 * (tests/c/) share it; the tests add their result lines and their
 * libdrm-based KMS code on top (tests/c/vgu_test.h).
 *
 * Public names start with vgu_/VGU_ ("virtio-gpu userspace"): the kernel
 * driver owns vgpu_, and a userspace name must never be mistaken for one
 * of the driver's in a grep, a trace or a review.
 *
 * No libdrm, on purpose: every call here is one ioctl (restarted on
 * EINTR/EAGAIN) or one read of debugfs, so a benchmark measures the driver
 * and the host rather than a library, and the tools link statically into
 * a guest that needs nothing but the kernel. libdrm-dev is still needed at
 * build time for its copies of drm.h and drm_mode.h. The tests link libdrm
 * anyway, for drmMode* and for Mesa, and use this library beside it.
 *
 * Conventions: functions return 0 (or a non-negative fd/handle) on success
 * and a negative errno on failure; those returning a pointer return NULL
 * with errno set. Nothing here prints.
 */
#ifndef VGU_H
#define VGU_H

#include <stddef.h>
#include <stdint.h>

#include "drm.h"
#include "drm_mode.h"
#include "virtgpu_drm.h"
#include "virtgpu_ng_drm.h"

#define VGU_DRIVER			"virtio_gpu"

/* Gallium/virgl values (the virgl protocol, not the uAPI). */
#define VGU_PIPE_BUFFER			0
#define VGU_PIPE_TEXTURE_2D		2
#define VGU_VIRGL_FORMAT_B8G8R8A8	1
#define VGU_VIRGL_FORMAT_B8G8R8X8	2
#define VGU_VIRGL_FORMAT_R8		64
#define VGU_VIRGL_BIND_VERTEX_BUFFER	(1u << 4)
#define VGU_VIRGL_BIND_RENDER_TARGET	(1u << 1)
#define VGU_VIRGL_BIND_SAMPLER_VIEW	(1u << 3)
/* A virgl command header: opcode in bits 0-7, object 8-15, length 16-31. */
#define VGU_VIRGL_CMD(op, obj, len) \
	((uint32_t)(op) | ((uint32_t)(obj) << 8) | ((uint32_t)(len) << 16))
#define VGU_VIRGL_CCMD_NOP		0

/* Capset ids (VIRTIO_GPU_CAPSET_*), as bits of SUPPORTED_CAPSET_IDs. */
#define VGU_CAPSET_VIRGL		1
#define VGU_CAPSET_VIRGL2		2
#define VGU_CAPSET_VENUS		4

/* --- basics ------------------------------------------------------------- */

/* ioctl() restarted on EINTR/EAGAIN; returns 0 or -errno. */
int vgu_ioctl(int fd, unsigned long request, void *arg);

/* CLOCK_MONOTONIC in nanoseconds. */
int64_t vgu_now_ns(void);
/* Sleeps the whole time, signals or not. */
void vgu_sleep_ms(long ms);

enum vgu_node {
	VGU_NODE_CARD,		/* /dev/dri/cardN: KMS, needs master for modesets */
	VGU_NODE_RENDER,	/* /dev/dri/renderDN: rendering only */
};

/*
 * Opens the first node of @kind whose DRM driver is called @driver
 * (VGU_DRIVER, "vgem", ...). Returns an fd (O_RDWR | O_CLOEXEC) or -errno.
 * The path opened is copied to @path when it is not NULL (64 bytes).
 */
int vgu_open(const char *driver, enum vgu_node kind, char *path);
/* The DRM driver name of an open node, into @name (@len bytes). */
int vgu_driver_name(int fd, char *name, size_t len);

/* --- render uAPI -------------------------------------------------------- */

/* GETPARAM writes an int, whatever the __u64 in the struct suggests. */
int vgu_getparam(int fd, uint64_t param, int *value);
/* GETPARAM @param succeeds with a non-zero value. */
int vgu_has_param(int fd, uint64_t param);

/* What the host offers, as GETPARAM reports it. */
struct vgu_features {
	int virgl;
	int query_fix;		/* -1 when the query failed */
	int blob;
	int host_visible;
	int ctx_init;
	unsigned int capsets;	/* bit N: capset id N */
	int virgl_capset;	/* VGU_CAPSET_VIRGL2, _VIRGL or 0 */
};
void vgu_probe_features(int fd, struct vgu_features *f);

int vgu_context_init(int fd, uint32_t capset_id, uint32_t num_rings);

/* A 3D (virgl) resource; RESOURCE_CREATE also attaches its guest backing. */
struct vgu_res_desc {
	uint32_t target, format, bind;
	uint32_t width, height, depth, array_size, last_level, nr_samples;
	uint32_t size;		/* bytes of guest backing */
	uint32_t stride;
};
int vgu_resource_create(int fd, const struct vgu_res_desc *d,
			uint32_t *bo_handle, uint32_t *res_handle);
int vgu_resource_info(int fd, uint32_t bo, uint32_t *res, uint32_t *size);
int vgu_gem_close(int fd, uint32_t bo);

/*
 * One submission. @fence_in: a sync_file fd to wait for, or -1.
 * @fence_out: when not NULL, receives a new sync_file fd (FENCE_FD_OUT).
 * Syncobjs are optional (pass 0 counts).
 */
struct vgu_submit {
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
int vgu_execbuffer(int fd, const struct vgu_submit *s);

/* TRANSFER_TO_HOST (@to_host) or TRANSFER_FROM_HOST of @box. */
int vgu_transfer(int fd, uint32_t bo, int to_host,
		 const struct drm_virtgpu_3d_box *box, uint32_t level,
		 uint32_t stride);
/* Waits until @bo is idle; with @nowait, -EBUSY if it is not. */
int vgu_wait(int fd, uint32_t bo, int nowait);

/*
 * A blob resource: what RESOURCE_CREATE_BLOB and our NG_BLOB_CREATE take.
 * @hints: DRM_VIRTGPU_BLOB_FLAG_HINT_* (NG_BLOB_CREATE only).
 */
struct vgu_blob_desc {
	uint32_t blob_mem, blob_flags, hints;
	uint64_t size, blob_id;
	const void *cmd;
	uint32_t cmd_size;
};
int vgu_blob_create(int fd, const struct vgu_blob_desc *d,
		    uint32_t *bo_handle, uint32_t *res_handle);
/* MAP + mmap of @size bytes of any buffer object; NULL with errno set. */
void *vgu_map(int fd, uint32_t bo, size_t size);

/*
 * Polls a sync_file until it signals: 0, -ETIME after @timeout_ms (< 0:
 * no limit), or another -errno.
 */
int vgu_fence_wait(int fence_fd, int timeout_ms);

int vgu_syncobj_create(int fd, uint32_t *handle);
int vgu_syncobj_destroy(int fd, uint32_t handle);
int vgu_syncobj_wait(int fd, uint32_t handle, int64_t timeout_ns);

/*
 * The virtio-gpu-ng ioctls (virtgpu_ng_drm.h). Each returns -EINVAL on a
 * driver without them; vgu_has_param(VIRTGPU_NG_PARAM_*) says beforehand.
 */
/*
 * @n submissions in one call; with @wait_ns >= 0, also waits for the last
 * one, at most @wait_ns nanoseconds from now (-ETIME after that). Signals
 * never resubmit anything: the call resumes where it stopped.
 */
int vgu_ng_submit(int fd, const struct vgu_submit *s, uint32_t n,
		  int64_t wait_ns);
/*
 * A blob with its mmap offset (0 unless mappable) and caching
 * (VIRTGPU_NG_MAP_*) in one call.
 */
int vgu_ng_blob_create(int fd, const struct vgu_blob_desc *d,
		       uint32_t *bo_handle, uint64_t *offset,
		       uint32_t *map_info);
/* A transfer, and with @wait_ns >= 0 the wait for it (see vgu_ng_submit). */
int vgu_ng_transfer(int fd, uint32_t bo, int to_host,
		    const struct drm_virtgpu_3d_box *box, uint32_t level,
		    uint32_t stride, int64_t wait_ns);

/* --- debugfs counters (virtio-gpu-stats, our driver only) ---------------- */

#define VGU_STATS_MAX	128
struct vgu_stats {
	unsigned int n;
	char name[VGU_STATS_MAX][48];
	long long val[VGU_STATS_MAX];
};
/*
 * The counters file of the first virtio-gpu device into @path (@len
 * bytes); -ENOENT with the distro driver or without debugfs.
 */
int vgu_stats_path(char *path, size_t len);
/* Every "name value" line of @path (NULL: vgu_stats_path()'s). */
int vgu_stats_read(const char *path, struct vgu_stats *s);
/* Counter @name of @s, or -1. */
long long vgu_stats_get(const struct vgu_stats *s, const char *name);
/* Writing anything resets the counters. */
int vgu_stats_reset(const char *path);
/* One counter, read now; -1 when absent. */
long long vgu_stat(const char *name);

/* --- KMS (card node; vgu_kms.c) ------------------------------------------ */

int vgu_set_client_cap(int fd, uint64_t cap, uint64_t value);
int vgu_set_master(int fd);

struct vgu_dumb {
	uint32_t handle, pitch, fb_id;
	uint32_t width, height;
	uint64_t size;
	void *map;
};
/* A 32 bpp dumb buffer, mapped, with a framebuffer of @fourcc. */
int vgu_dumb_create(int fd, uint32_t width, uint32_t height, uint32_t fourcc,
		    struct vgu_dumb *b);
void vgu_dumb_destroy(int fd, struct vgu_dumb *b);

/* The first connected connector with its preferred mode and a CRTC. */
struct vgu_output {
	uint32_t connector_id, crtc_id, crtc_index;
	uint32_t primary_plane_id;
	struct drm_mode_modeinfo mode;
	int crtc_active;	/* the CRTC currently scans something out */
};
int vgu_find_output(int fd, struct vgu_output *out);

/*
 * Property @name of object @obj of @type (DRM_MODE_OBJECT_*): its id and
 * current value, each when not NULL; -ENOENT when the object has none.
 */
int vgu_prop(int fd, uint32_t obj, uint32_t type, const char *name,
	     uint32_t *prop_id, uint64_t *value);
int vgu_create_blob(int fd, const void *data, uint32_t len, uint32_t *blob);

/* Atomic request builder: at most VGU_ATOMIC_MAX properties. */
#define VGU_ATOMIC_MAX 32
struct vgu_atomic {
	uint32_t nobj;
	uint32_t objs[VGU_ATOMIC_MAX];
	uint32_t count[VGU_ATOMIC_MAX];
	uint32_t props[VGU_ATOMIC_MAX];
	uint64_t values[VGU_ATOMIC_MAX];
	uint32_t nprops;
};
void vgu_atomic_init(struct vgu_atomic *a);
/* Properties must be added grouped by object (as the ioctl lays them out). */
int vgu_atomic_add(struct vgu_atomic *a, uint32_t obj, uint32_t prop,
		   uint64_t value);
int vgu_atomic_commit(int fd, const struct vgu_atomic *a, uint32_t flags,
		      uint64_t user_data);
/* Reads DRM events until a flip-complete one arrives (or @timeout_ms). */
int vgu_wait_flip_event(int fd, int timeout_ms, uint64_t *user_data);

#endif /* VGU_H */
