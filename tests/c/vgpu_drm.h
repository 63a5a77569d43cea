/* SPDX-License-Identifier: MIT */
/*
 * DRM helpers shared by the guest-side C tests: finding our device,
 * ioctls that report an errno, closing handles, GETPARAM, KMS property
 * lookup.
 */
#ifndef VGPU_DRM_H
#define VGPU_DRM_H

#include <errno.h>
#include <fcntl.h>
#include <glob.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <xf86drm.h>
#include <xf86drmMode.h>

#include "virtgpu_drm.h"
#include "vgpu_test.h"

/* Returns 0 or the errno of the ioctl (EINTR/EAGAIN are retried). */
static inline int xioctl(int fd, unsigned long req, void *arg)
{
	return drmIoctl(fd, req, arg) ? errno : 0;
}

/* A short name for an errno, for result lines; thread-safe. */
static inline const char *ename(int e)
{
	static __thread char buf[8][32];
	static __thread int n;
	char *b = buf[n++ % 8];

	switch (e) {
	case 0: return "success";
	case EINVAL: return "EINVAL";
	case EFAULT: return "EFAULT";
	case ENOENT: return "ENOENT";
	case ENODEV: return "ENODEV";
	case EOPNOTSUPP: return "EOPNOTSUPP";
	case EEXIST: return "EEXIST";
	case EBUSY: return "EBUSY";
	case ENOMEM: return "ENOMEM";
	case ENOSYS: return "ENOSYS";
	case EPERM: return "EPERM";
	case EACCES: return "EACCES";
	case ETIME: return "ETIME";
	case ETIMEDOUT: return "ETIMEDOUT";
	case EIO: return "EIO";
	}
	snprintf(b, sizeof(buf[0]), "errno %d", e);
	return b;
}

/* Opens the first node of @fmt (numbered @first..@last) run by virtio_gpu. */
static inline int open_node(const char *fmt, int first, int last)
{
	char path[64];
	int i, fd;

	for (i = first; i <= last; i++) {
		drmVersionPtr v;

		snprintf(path, sizeof(path), fmt, i);
		fd = open(path, O_RDWR | O_CLOEXEC);
		if (fd < 0)
			continue;
		v = drmGetVersion(fd);
		if (v && !strcmp(v->name, "virtio_gpu")) {
			drmFreeVersion(v);
			return fd;
		}
		if (v)
			drmFreeVersion(v);
		close(fd);
	}
	return -1;
}

static inline int open_render(void)
{
	return open_node("/dev/dri/renderD%d", 128, 191);
}

/* Closes a GEM handle; 0 (none) is ignored. */
static inline void close_handle(int fd, uint32_t handle)
{
	struct drm_gem_close gc = { .handle = handle };

	if (handle)
		drmIoctl(fd, DRM_IOCTL_GEM_CLOSE, &gc);
}

/* Polls a sync_file: 1 signalled, 0 not within @ms, or -errno. */
static inline int fence_wait(int fd, int ms)
{
	struct pollfd pfd = { .fd = fd, .events = POLLIN };
	int64_t end = now_ns() + (int64_t)ms * 1000000ll;
	int n;

	for (;;) {
		n = poll(&pfd, 1, ms);
		if (n > 0)
			return (pfd.revents & POLLIN) ? 1 : -EIO;
		if (!n)
			return 0;
		if (errno != EINTR)
			return -errno;
		ms = (int)((end - now_ns()) / 1000000ll);
		if (ms < 0)
			ms = 0;
	}
}

/* RESOURCE_CREATE of a 64x64 virgl render target. */
static inline struct drm_virtgpu_resource_create rt64_args(void)
{
	return (struct drm_virtgpu_resource_create){
		.target = 2,		/* PIPE_TEXTURE_2D */
		.format = 2,		/* VIRGL_FORMAT_B8G8R8X8_UNORM */
		.bind = 2,		/* VIRGL_BIND_RENDER_TARGET */
		.width = 64,
		.height = 64,
		.depth = 1,
		.array_size = 1,
		.size = 64 * 64 * 4,
	};
}

/* A 64x64 render target's GEM handle; 0 on failure. */
static inline uint32_t rt64_create(int fd)
{
	struct drm_virtgpu_resource_create rc = rt64_args();

	return xioctl(fd, DRM_IOCTL_VIRTGPU_RESOURCE_CREATE, &rc) ? 0 :
	       rc.bo_handle;
}

/*
 * RESOURCE_CREATE of a virgl buffer of @size bytes with guest backing (the
 * R8 vertex buffer Mesa's virgl makes for plain buffers).
 */
static inline struct drm_virtgpu_resource_create virgl_buffer_args(uint32_t size)
{
	return (struct drm_virtgpu_resource_create){
		.target = 0,		/* PIPE_BUFFER */
		.format = 64,		/* VIRGL_FORMAT_R8_UNORM */
		.bind = 1u << 4,	/* VIRGL_BIND_VERTEX_BUFFER */
		.width = size,
		.height = 1,
		.depth = 1,
		.array_size = 1,
		.size = size,
	};
}

/* TRANSFER_TO_HOST or _FROM_HOST (@req) of a whole buffer of @size bytes. */
static inline int transfer_buffer(int fd, unsigned long req, uint32_t bo,
				  uint32_t size)
{
	struct drm_virtgpu_3d_transfer_to_host t = {
		.bo_handle = bo,
		.box = { .w = size, .h = 1, .d = 1 },
	};

	return xioctl(fd, req, &t);
}

/* Blocking WAIT; a driver may answer EBUSY when its own timeout ran out. */
static inline int wait_idle(int fd, uint32_t bo)
{
	struct drm_virtgpu_3d_wait w = { .handle = bo };
	int i, ret = EBUSY;

	for (i = 0; i < 4 && ret == EBUSY; i++)
		ret = xioctl(fd, DRM_IOCTL_VIRTGPU_WAIT, &w);
	return ret;
}

/* MAP + mmap of @size bytes of @bo; NULL with *err set on failure. */
static inline void *map_bo(int fd, uint32_t bo, size_t size, int *err)
{
	struct drm_virtgpu_map m = { .handle = bo };
	void *p;

	*err = xioctl(fd, DRM_IOCTL_VIRTGPU_MAP, &m);
	if (*err)
		return NULL;
	p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, m.offset);
	if (p == MAP_FAILED) {
		*err = errno;
		return NULL;
	}
	return p;
}

/* An open card node of the DRM driver called @name, or -1. */
static inline int open_card_of(const char *name)
{
	char path[64];
	int i, fd;

	for (i = 0; i < 64; i++) {
		drmVersionPtr v;
		int match;

		snprintf(path, sizeof(path), "/dev/dri/card%d", i);
		fd = open(path, O_RDWR | O_CLOEXEC);
		if (fd < 0)
			continue;
		v = drmGetVersion(fd);
		match = v && !strcmp(v->name, name);
		if (v)
			drmFreeVersion(v);
		if (match)
			return fd;
		close(fd);
	}
	return -1;
}

/*
 * vgem's card node (dumb buffers are not a render-node ioctl), loading the
 * module if needed: *@loaded says whether vgem_close() should unload it.
 * Returns the fd, or -1 with *@why set.
 */
static inline int vgem_open(int *loaded, const char **why)
{
	int i, fd = open_card_of("vgem");

	*loaded = 0;
	*why = NULL;
	if (fd >= 0)
		return fd;
	if (system("modprobe vgem >/dev/null 2>&1")) {
		*why = "modprobe vgem failed (no CONFIG_DRM_VGEM?)";
		return -1;
	}
	*loaded = 1;
	/* No udev: devtmpfs makes the node during the probe. */
	for (i = 0; i < 50 && fd < 0; i++) {
		sleep_ms(100);
		fd = open_card_of("vgem");
	}
	if (fd < 0)
		*why = "vgem loaded but no vgem card node";
	return fd;
}

/* Closes @fd (if open) and unloads vgem if vgem_open() loaded it. */
static inline void vgem_close(int fd, int loaded)
{
	if (fd >= 0)
		close(fd);
	if (loaded && system("modprobe -r vgem >/dev/null 2>&1"))
		printf("INFO vgem: modprobe -r failed\n");
}

/*
 * A counter of our debugfs virtio-gpu-stats (the only virtio_gpu device of
 * the guest); -1 when absent: the distro driver, or no debugfs.
 */
static inline long long vgpu_stat(const char *name)
{
	char line[128], n[64];
	long long v, found = -1;
	glob_t g;
	FILE *f;

	if (glob("/sys/kernel/debug/dri/*/virtio-gpu-stats", 0, NULL, &g))
		return -1;
	f = fopen(g.gl_pathv[0], "r");
	globfree(&g);
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "%63s %lld", n, &v) == 2 && !strcmp(n, name)) {
			found = v;
			break;
		}
	fclose(f);
	return found;
}

/* GETPARAM writes an int, whatever the __u64 in the struct suggests. */
static inline int getparam(int fd, uint64_t param, int *val)
{
	struct drm_virtgpu_getparam gp = {
		.param = param,
		.value = (uintptr_t)val,
	};

	*val = 0;
	return xioctl(fd, DRM_IOCTL_VIRTGPU_GETPARAM, &gp);
}

/* What the host offers, as GETPARAM reports it. */
struct features {
	int virgl;
	int query_fix;		/* -1 when the query failed */
	int blob;
	int host_visible;
	int ctx_init;
	unsigned int capsets;
	int virgl_capset;	/* 2 (VIRGL2) or 1 (VIRGL) or 0 */
};

static inline void probe_features(int fd, struct features *f)
{
	int v;

	f->virgl = !getparam(fd, VIRTGPU_PARAM_3D_FEATURES, &v) && v;
	f->query_fix = !getparam(fd, VIRTGPU_PARAM_CAPSET_QUERY_FIX, &v) ? v : -1;
	f->blob = !getparam(fd, VIRTGPU_PARAM_RESOURCE_BLOB, &v) && v;
	f->host_visible = !getparam(fd, VIRTGPU_PARAM_HOST_VISIBLE, &v) && v;
	f->ctx_init = !getparam(fd, VIRTGPU_PARAM_CONTEXT_INIT, &v) && v;
	f->capsets = !getparam(fd, VIRTGPU_PARAM_SUPPORTED_CAPSET_IDs, &v) ?
		     (unsigned int)v : 0;
	f->virgl_capset = f->capsets & (1u << 2) ? 2 :
			  f->capsets & (1u << 1) ? 1 : 0;
	printf("# features: 3d %d blob %d host_visible %d context_init %d capsets 0x%x\n",
	       f->virgl, f->blob, f->host_visible, f->ctx_init, f->capsets);
}

/* The id of property @name of KMS object @obj, or 0. */
static inline uint32_t vgpu_prop_id(int fd, uint32_t obj, uint32_t type,
				    const char *name)
{
	drmModeObjectPropertiesPtr props;
	uint32_t id = 0, i;

	props = drmModeObjectGetProperties(fd, obj, type);
	if (!props)
		return 0;
	for (i = 0; i < props->count_props && !id; i++) {
		drmModePropertyPtr p = drmModeGetProperty(fd, props->props[i]);

		if (p && !strcmp(p->name, name))
			id = p->prop_id;
		drmModeFreeProperty(p);
	}
	drmModeFreeObjectProperties(props);
	return id;
}

#endif
