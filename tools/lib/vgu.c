// SPDX-License-Identifier: MIT
/*
 * vgu: see vgu.h. Plain ioctls over the virtio-gpu render uAPI, and the
 * driver's debugfs counters.
 */
#include <errno.h>
#include <fcntl.h>
#include <glob.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include "vgu.h"
#include "vgu_internal.h"

int vgu_ioctl(int fd, unsigned long request, void *arg)
{
	int ret;

	/*
	 * A signal (EINTR) or a driver asking to be called again (EAGAIN)
	 * is not a failure of the request itself: the DRM core restarts
	 * nothing by itself for these, so the caller must.
	 */
	do {
		ret = ioctl(fd, request, arg);
	} while (ret == -1 && (errno == EINTR || errno == EAGAIN));
	return ret == -1 ? -errno : 0;
}

int64_t vgu_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000ll + ts.tv_nsec;
}

void vgu_sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) && errno == EINTR)
		;
}

int vgu_driver_name(int fd, char *name, size_t len)
{
	struct drm_version v;
	int ret;

	if (len == 0)
		return -EINVAL;
	memset(&v, 0, sizeof(v));
	v.name = name;
	v.name_len = len - 1;
	ret = vgu_ioctl(fd, DRM_IOCTL_VERSION, &v);
	if (ret)
		return ret;
	/* The kernel copies at most name_len bytes and does not terminate. */
	name[v.name_len < len - 1 ? v.name_len : len - 1] = '\0';
	return 0;
}

int vgu_open(const char *driver, enum vgu_node kind, char *path)
{
	const char *fmt = kind == VGU_NODE_RENDER ? "/dev/dri/renderD%d" :
						    "/dev/dri/card%d";
	int first = kind == VGU_NODE_RENDER ? 128 : 0;
	char p[64], name[64];
	int i, fd, last = -ENODEV;

	/* 64 minors of each kind, as the DRM core numbers them. */
	for (i = first; i < first + 64; i++) {
		snprintf(p, sizeof(p), fmt, i);
		fd = open(p, O_RDWR | O_CLOEXEC);
		if (fd < 0) {
			if (errno != ENOENT)
				last = -errno;
			continue;
		}
		if (vgu_driver_name(fd, name, sizeof(name)) == 0 &&
		    strcmp(name, driver) == 0) {
			if (path)
				snprintf(path, 64, "%s", p);
			return fd;
		}
		close(fd);
	}
	return last;
}

int vgu_getparam(int fd, uint64_t param, int *value)
{
	struct drm_virtgpu_getparam gp = {
		.param = param,
		.value = vgu_u64_ptr(value),
	};

	*value = 0;
	return vgu_ioctl(fd, DRM_IOCTL_VIRTGPU_GETPARAM, &gp);
}

int vgu_has_param(int fd, uint64_t param)
{
	int v;

	return !vgu_getparam(fd, param, &v) && v;
}

void vgu_probe_features(int fd, struct vgu_features *f)
{
	int v;

	f->virgl = vgu_has_param(fd, VIRTGPU_PARAM_3D_FEATURES);
	f->query_fix = !vgu_getparam(fd, VIRTGPU_PARAM_CAPSET_QUERY_FIX, &v) ?
		       v : -1;
	f->blob = vgu_has_param(fd, VIRTGPU_PARAM_RESOURCE_BLOB);
	f->host_visible = vgu_has_param(fd, VIRTGPU_PARAM_HOST_VISIBLE);
	f->ctx_init = vgu_has_param(fd, VIRTGPU_PARAM_CONTEXT_INIT);
	f->capsets = !vgu_getparam(fd, VIRTGPU_PARAM_SUPPORTED_CAPSET_IDs, &v) ?
		     (unsigned int)v : 0;
	f->virgl_capset = f->capsets & (1u << VGU_CAPSET_VIRGL2) ?
			  VGU_CAPSET_VIRGL2 :
			  f->capsets & (1u << VGU_CAPSET_VIRGL) ?
			  VGU_CAPSET_VIRGL : 0;
}

int vgu_context_init(int fd, uint32_t capset_id, uint32_t num_rings)
{
	struct drm_virtgpu_context_set_param p[2];
	struct drm_virtgpu_context_init ci;
	uint32_t n = 0;

	p[n].param = VIRTGPU_CONTEXT_PARAM_CAPSET_ID;
	p[n++].value = capset_id;
	if (num_rings) {
		p[n].param = VIRTGPU_CONTEXT_PARAM_NUM_RINGS;
		p[n++].value = num_rings;
	}
	memset(&ci, 0, sizeof(ci));
	ci.num_params = n;
	ci.ctx_set_params = vgu_u64_ptr(p);
	return vgu_ioctl(fd, DRM_IOCTL_VIRTGPU_CONTEXT_INIT, &ci);
}

int vgu_resource_create(int fd, const struct vgu_res_desc *d,
			uint32_t *bo_handle, uint32_t *res_handle)
{
	struct drm_virtgpu_resource_create rc;
	int ret;

	memset(&rc, 0, sizeof(rc));
	rc.target = d->target;
	rc.format = d->format;
	rc.bind = d->bind;
	rc.width = d->width;
	rc.height = d->height;
	rc.depth = d->depth ? d->depth : 1;
	rc.array_size = d->array_size ? d->array_size : 1;
	rc.last_level = d->last_level;
	rc.nr_samples = d->nr_samples;
	rc.size = d->size;
	rc.stride = d->stride;
	ret = vgu_ioctl(fd, DRM_IOCTL_VIRTGPU_RESOURCE_CREATE, &rc);
	if (ret)
		return ret;
	*bo_handle = rc.bo_handle;
	if (res_handle)
		*res_handle = rc.res_handle;
	return 0;
}

int vgu_resource_info(int fd, uint32_t bo, uint32_t *res, uint32_t *size)
{
	struct drm_virtgpu_resource_info ri = { .bo_handle = bo };
	int ret;

	ret = vgu_ioctl(fd, DRM_IOCTL_VIRTGPU_RESOURCE_INFO, &ri);
	if (ret)
		return ret;
	if (res)
		*res = ri.res_handle;
	if (size)
		*size = ri.size;
	return 0;
}

int vgu_gem_close(int fd, uint32_t bo)
{
	struct drm_gem_close gc = { .handle = bo };

	return vgu_ioctl(fd, DRM_IOCTL_GEM_CLOSE, &gc);
}

static void fill_execbuffer(struct drm_virtgpu_execbuffer *eb,
			    const struct vgu_submit *s)
{
	memset(eb, 0, sizeof(*eb));
	eb->command = vgu_u64_ptr(s->cmd);
	eb->size = s->size;
	eb->bo_handles = vgu_u64_ptr(s->bos);
	eb->num_bo_handles = s->num_bos;
	eb->fence_fd = -1;
	if (s->fence_in >= 0) {
		eb->flags |= VIRTGPU_EXECBUF_FENCE_FD_IN;
		eb->fence_fd = s->fence_in;
	}
	if (s->fence_out)
		eb->flags |= VIRTGPU_EXECBUF_FENCE_FD_OUT;
	if (s->ring_idx >= 0) {
		eb->flags |= VIRTGPU_EXECBUF_RING_IDX;
		eb->ring_idx = s->ring_idx;
	}
	if (s->num_in_syncobjs || s->num_out_syncobjs) {
		eb->syncobj_stride = sizeof(struct drm_virtgpu_execbuffer_syncobj);
		eb->num_in_syncobjs = s->num_in_syncobjs;
		eb->in_syncobjs = vgu_u64_ptr(s->in_syncobjs);
		eb->num_out_syncobjs = s->num_out_syncobjs;
		eb->out_syncobjs = vgu_u64_ptr(s->out_syncobjs);
	}
}

int vgu_execbuffer(int fd, const struct vgu_submit *s)
{
	struct drm_virtgpu_execbuffer eb;
	int ret;

	fill_execbuffer(&eb, s);
	ret = vgu_ioctl(fd, DRM_IOCTL_VIRTGPU_EXECBUFFER, &eb);
	if (ret)
		return ret;
	if (s->fence_out)
		*s->fence_out = eb.fence_fd;
	return 0;
}

int vgu_transfer(int fd, uint32_t bo, int to_host,
		 const struct drm_virtgpu_3d_box *box, uint32_t level,
		 uint32_t stride)
{
	/* Both directions take the same struct. */
	struct drm_virtgpu_3d_transfer_to_host t;

	memset(&t, 0, sizeof(t));
	t.bo_handle = bo;
	t.box = *box;
	t.level = level;
	t.stride = stride;
	return vgu_ioctl(fd, to_host ? DRM_IOCTL_VIRTGPU_TRANSFER_TO_HOST :
				       DRM_IOCTL_VIRTGPU_TRANSFER_FROM_HOST, &t);
}

int vgu_wait(int fd, uint32_t bo, int nowait)
{
	struct drm_virtgpu_3d_wait w = {
		.handle = bo,
		.flags = nowait ? VIRTGPU_WAIT_NOWAIT : 0,
	};
	int ret;

	/*
	 * WAIT returns -EBUSY while the object is busy, even when it slept:
	 * without NOWAIT keep asking, so the caller gets "idle" or an error.
	 */
	for (;;) {
		ret = vgu_ioctl(fd, DRM_IOCTL_VIRTGPU_WAIT, &w);
		if (ret != -EBUSY || nowait)
			return ret;
	}
}

/* The request fields RESOURCE_CREATE_BLOB and NG_BLOB_CREATE share. */
#define FILL_BLOB(b, d) do {				\
	memset(&(b), 0, sizeof(b));			\
	(b).blob_mem = (d)->blob_mem;			\
	(b).blob_flags = (d)->blob_flags;		\
	(b).blob_hints = (d)->hints;			\
	(b).size = (d)->size;				\
	(b).blob_id = (d)->blob_id;			\
	(b).cmd = vgu_u64_ptr((d)->cmd);		\
	(b).cmd_size = (d)->cmd_size;			\
} while (0)

int vgu_blob_create(int fd, const struct vgu_blob_desc *d,
		    uint32_t *bo_handle, uint32_t *res_handle)
{
	struct drm_virtgpu_resource_create_blob b;
	int ret;

	FILL_BLOB(b, d);
	ret = vgu_ioctl(fd, DRM_IOCTL_VIRTGPU_RESOURCE_CREATE_BLOB, &b);
	if (ret)
		return ret;
	*bo_handle = b.bo_handle;
	if (res_handle)
		*res_handle = b.res_handle;
	return 0;
}

int vgu_ng_blob_create(int fd, const struct vgu_blob_desc *d,
		       uint32_t *bo_handle, uint64_t *offset,
		       uint32_t *map_info)
{
	struct drm_virtgpu_ng_blob_create b;
	int ret;

	FILL_BLOB(b, d);
	ret = vgu_ioctl(fd, DRM_IOCTL_VIRTGPU_NG_BLOB_CREATE, &b);
	if (ret)
		return ret;
	*bo_handle = b.bo_handle;
	if (offset)
		*offset = b.offset;
	if (map_info)
		*map_info = b.map_info;
	return 0;
}

void *vgu_map(int fd, uint32_t bo, size_t size)
{
	struct drm_virtgpu_map m = { .handle = bo };
	void *p;
	int ret;

	ret = vgu_ioctl(fd, DRM_IOCTL_VIRTGPU_MAP, &m);
	if (ret) {
		errno = -ret;
		return NULL;
	}
	p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, m.offset);
	return p == MAP_FAILED ? NULL : p;
}

int vgu_fence_wait(int fence_fd, int timeout_ms)
{
	struct pollfd pfd = { .fd = fence_fd, .events = POLLIN };
	int64_t deadline = vgu_now_ns() + (int64_t)timeout_ms * 1000000;
	int ret, left = timeout_ms;

	/* A sync_file polls readable once its fence has signalled. */
	for (;;) {
		ret = poll(&pfd, 1, left);
		if (ret > 0) {
			if (pfd.revents & POLLIN)
				return 0;
			return pfd.revents & POLLNVAL ? -EINVAL : -EIO;
		}
		if (ret == 0)
			return -ETIME;
		if (errno != EINTR && errno != EAGAIN)
			return -errno;
		if (timeout_ms >= 0) {
			left = (int)((deadline - vgu_now_ns()) / 1000000);
			if (left < 0)
				left = 0;
		}
	}
}

int vgu_syncobj_create(int fd, uint32_t *handle)
{
	struct drm_syncobj_create c = { 0 };
	int ret;

	ret = vgu_ioctl(fd, DRM_IOCTL_SYNCOBJ_CREATE, &c);
	if (!ret)
		*handle = c.handle;
	return ret;
}

int vgu_syncobj_destroy(int fd, uint32_t handle)
{
	struct drm_syncobj_destroy d = { .handle = handle };

	return vgu_ioctl(fd, DRM_IOCTL_SYNCOBJ_DESTROY, &d);
}

int vgu_syncobj_wait(int fd, uint32_t handle, int64_t timeout_ns)
{
	struct drm_syncobj_wait w;

	memset(&w, 0, sizeof(w));
	w.handles = vgu_u64_ptr(&handle);
	w.count_handles = 1;
	w.flags = DRM_SYNCOBJ_WAIT_FLAGS_WAIT_FOR_SUBMIT;
	/* The ioctl takes an absolute CLOCK_MONOTONIC deadline. */
	w.timeout_nsec = timeout_ns < 0 ? INT64_MAX : vgu_now_ns() + timeout_ns;
	return vgu_ioctl(fd, DRM_IOCTL_SYNCOBJ_WAIT, &w);
}

int vgu_ng_submit(int fd, const struct vgu_submit *s, uint32_t n,
		  int64_t wait_ns)
{
	struct drm_virtgpu_execbuffer eb[VIRTGPU_NG_SUBMIT_MAX_ENTRIES];
	struct drm_virtgpu_ng_submit args;
	uint32_t i;
	int ret;

	if (!n || n > VIRTGPU_NG_SUBMIT_MAX_ENTRIES)
		return -EINVAL;
	for (i = 0; i < n; i++)
		fill_execbuffer(&eb[i], &s[i]);
	memset(&args, 0, sizeof(args));
	args.count = n;
	args.stride = sizeof(eb[0]);
	args.entries = vgu_u64_ptr(eb);
	if (wait_ns >= 0) {
		args.flags = VIRTGPU_NG_SUBMIT_WAIT;
		args.timeout_ns = vgu_now_ns() + wait_ns;
	}
	/* vgu_ioctl() repeats an interrupted call, which resumes. */
	ret = vgu_ioctl(fd, DRM_IOCTL_VIRTGPU_NG_SUBMIT, &args);
	for (i = 0; i < args.queued; i++)
		if (s[i].fence_out)
			*s[i].fence_out = eb[i].fence_fd;
	return ret;
}

int vgu_ng_transfer(int fd, uint32_t bo, int to_host,
		    const struct drm_virtgpu_3d_box *box, uint32_t level,
		    uint32_t stride, int64_t wait_ns)
{
	struct drm_virtgpu_ng_transfer t;

	memset(&t, 0, sizeof(t));
	t.flags = to_host ? VIRTGPU_NG_TRANSFER_TO_HOST :
			    VIRTGPU_NG_TRANSFER_FROM_HOST;
	t.bo_handle = bo;
	t.box = *box;
	t.level = level;
	t.stride = stride;
	if (wait_ns >= 0) {
		t.flags |= VIRTGPU_NG_TRANSFER_WAIT;
		t.timeout_ns = vgu_now_ns() + wait_ns;
	}
	return vgu_ioctl(fd, DRM_IOCTL_VIRTGPU_NG_TRANSFER, &t);
}

/* --- debugfs counters --------------------------------------------------- */

int vgu_stats_path(char *path, size_t len)
{
	glob_t g;

	if (glob("/sys/kernel/debug/dri/*/virtio-gpu-stats", 0, NULL, &g))
		return -ENOENT;
	snprintf(path, len, "%s", g.gl_pathv[0]);
	globfree(&g);
	return 0;
}

int vgu_stats_read(const char *path, struct vgu_stats *s)
{
	char line[128], found[256];
	FILE *f;

	if (!path) {
		if (vgu_stats_path(found, sizeof(found)))
			return -ENOENT;
		path = found;
	}
	f = fopen(path, "re");
	if (!f)
		return -errno;
	s->n = 0;
	while (s->n < VGU_STATS_MAX && fgets(line, sizeof(line), f))
		if (sscanf(line, "%47s %lld", s->name[s->n], &s->val[s->n]) == 2)
			s->n++;
	fclose(f);
	return 0;
}

long long vgu_stats_get(const struct vgu_stats *s, const char *name)
{
	unsigned int i;

	for (i = 0; i < s->n; i++)
		if (!strcmp(s->name[i], name))
			return s->val[i];
	return -1;
}

int vgu_stats_reset(const char *path)
{
	int fd, ret = 0;

	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (write(fd, "0\n", 2) < 0)
		ret = -errno;
	close(fd);
	return ret;
}

long long vgu_stat(const char *name)
{
	struct vgu_stats s;

	return vgu_stats_read(NULL, &s) ? -1 : vgu_stats_get(&s, name);
}
