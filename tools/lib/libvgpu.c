// SPDX-License-Identifier: MIT
/*
 * libvgpu: see libvgpu.h. Plain ioctls over the virtio-gpu uAPI.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include "drm_fourcc.h"
#include "libvgpu.h"

/* Userspace pointers travel through the uAPI as __u64. */
static inline uint64_t u64_ptr(const void *p)
{
	return (uint64_t)(uintptr_t)p;
}

int vgpu_ioctl(int fd, unsigned long request, void *arg)
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

int vgpu_driver_name(int fd, char *name, size_t len)
{
	struct drm_version v;
	int ret;

	if (len == 0)
		return -EINVAL;
	memset(&v, 0, sizeof(v));
	v.name = name;
	v.name_len = len - 1;
	ret = vgpu_ioctl(fd, DRM_IOCTL_VERSION, &v);
	if (ret)
		return ret;
	/* The kernel copies at most name_len bytes and does not terminate. */
	name[v.name_len < len - 1 ? v.name_len : len - 1] = '\0';
	return 0;
}

int vgpu_open(const char *driver, enum vgpu_node kind, char *path)
{
	const char *fmt = kind == VGPU_NODE_RENDER ? "/dev/dri/renderD%d" :
						     "/dev/dri/card%d";
	int first = kind == VGPU_NODE_RENDER ? 128 : 0;
	char p[64], name[64];
	int i, fd, last = -ENODEV;

	/* Without udev the minors are dense from their base; 16 is plenty. */
	for (i = first; i < first + 16; i++) {
		snprintf(p, sizeof(p), fmt, i);
		fd = open(p, O_RDWR | O_CLOEXEC);
		if (fd < 0) {
			if (errno != ENOENT)
				last = -errno;
			continue;
		}
		if (vgpu_driver_name(fd, name, sizeof(name)) == 0 &&
		    strcmp(name, driver) == 0) {
			if (path)
				snprintf(path, 64, "%s", p);
			return fd;
		}
		close(fd);
	}
	return last;
}

int vgpu_getparam(int fd, uint64_t param, int *value)
{
	struct drm_virtgpu_getparam gp = {
		.param = param,
		.value = u64_ptr(value),
	};

	return vgpu_ioctl(fd, DRM_IOCTL_VIRTGPU_GETPARAM, &gp);
}

int vgpu_context_init(int fd, uint32_t capset_id, uint32_t num_rings)
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
	ci.ctx_set_params = u64_ptr(p);
	return vgpu_ioctl(fd, DRM_IOCTL_VIRTGPU_CONTEXT_INIT, &ci);
}

int vgpu_resource_create(int fd, const struct vgpu_res_desc *d,
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
	ret = vgpu_ioctl(fd, DRM_IOCTL_VIRTGPU_RESOURCE_CREATE, &rc);
	if (ret)
		return ret;
	*bo_handle = rc.bo_handle;
	if (res_handle)
		*res_handle = rc.res_handle;
	return 0;
}

int vgpu_resource_info(int fd, uint32_t bo, uint32_t *res, uint32_t *size)
{
	struct drm_virtgpu_resource_info ri = { .bo_handle = bo };
	int ret;

	ret = vgpu_ioctl(fd, DRM_IOCTL_VIRTGPU_RESOURCE_INFO, &ri);
	if (ret)
		return ret;
	if (res)
		*res = ri.res_handle;
	if (size)
		*size = ri.size;
	return 0;
}

int vgpu_gem_close(int fd, uint32_t bo)
{
	struct drm_gem_close gc = { .handle = bo };

	return vgpu_ioctl(fd, DRM_IOCTL_GEM_CLOSE, &gc);
}

static void vgpu_fill_execbuffer(struct drm_virtgpu_execbuffer *eb,
				 const struct vgpu_submit *s)
{
	memset(eb, 0, sizeof(*eb));
	eb->command = u64_ptr(s->cmd);
	eb->size = s->size;
	eb->bo_handles = u64_ptr(s->bos);
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
		eb->in_syncobjs = u64_ptr(s->in_syncobjs);
		eb->num_out_syncobjs = s->num_out_syncobjs;
		eb->out_syncobjs = u64_ptr(s->out_syncobjs);
	}
}

static int64_t vgpu_deadline(int64_t wait_ns)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec + wait_ns;
}

int vgpu_ng_has(int fd, uint64_t param)
{
	int v = 0;

	return !vgpu_getparam(fd, param, &v) && v;
}

int vgpu_ng_submit(int fd, const struct vgpu_submit *s, uint32_t n,
		   int64_t wait_ns)
{
	struct drm_virtgpu_execbuffer eb[VIRTGPU_NG_SUBMIT_MAX_ENTRIES];
	struct drm_virtgpu_ng_submit args;
	uint32_t i;
	int ret;

	if (!n || n > VIRTGPU_NG_SUBMIT_MAX_ENTRIES)
		return -EINVAL;
	for (i = 0; i < n; i++)
		vgpu_fill_execbuffer(&eb[i], &s[i]);
	memset(&args, 0, sizeof(args));
	args.count = n;
	args.stride = sizeof(eb[0]);
	args.entries = u64_ptr(eb);
	if (wait_ns >= 0) {
		args.flags = VIRTGPU_NG_SUBMIT_WAIT;
		args.timeout_ns = vgpu_deadline(wait_ns);
	}
	/* vgpu_ioctl() repeats an interrupted call, which resumes. */
	ret = vgpu_ioctl(fd, DRM_IOCTL_VIRTGPU_NG_SUBMIT, &args);
	for (i = 0; i < args.queued; i++)
		if (s[i].fence_out)
			*s[i].fence_out = eb[i].fence_fd;
	return ret;
}

int vgpu_ng_blob_create(int fd, uint32_t blob_mem, uint32_t blob_flags,
			uint32_t hints, uint64_t size, uint64_t blob_id,
			const void *cmd, uint32_t cmd_size,
			uint32_t *bo_handle, uint64_t *offset,
			uint32_t *map_info)
{
	struct drm_virtgpu_ng_blob_create b;
	int ret;

	memset(&b, 0, sizeof(b));
	b.blob_mem = blob_mem;
	b.blob_flags = blob_flags;
	b.blob_hints = hints;
	b.size = size;
	b.blob_id = blob_id;
	b.cmd = u64_ptr(cmd);
	b.cmd_size = cmd_size;
	ret = vgpu_ioctl(fd, DRM_IOCTL_VIRTGPU_NG_BLOB_CREATE, &b);
	if (ret)
		return ret;
	*bo_handle = b.bo_handle;
	if (offset)
		*offset = b.offset;
	if (map_info)
		*map_info = b.map_info;
	return 0;
}

int vgpu_ng_transfer(int fd, uint32_t bo, int to_host,
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
		t.timeout_ns = vgpu_deadline(wait_ns);
	}
	return vgpu_ioctl(fd, DRM_IOCTL_VIRTGPU_NG_TRANSFER, &t);
}

int vgpu_execbuffer(int fd, const struct vgpu_submit *s)
{
	struct drm_virtgpu_execbuffer eb;
	int ret;

	vgpu_fill_execbuffer(&eb, s);
	ret = vgpu_ioctl(fd, DRM_IOCTL_VIRTGPU_EXECBUFFER, &eb);
	if (ret)
		return ret;
	if (s->fence_out)
		*s->fence_out = eb.fence_fd;
	return 0;
}

int vgpu_transfer_to_host(int fd, uint32_t bo,
			  const struct drm_virtgpu_3d_box *box,
			  uint32_t level, uint32_t stride)
{
	struct drm_virtgpu_3d_transfer_to_host t;

	memset(&t, 0, sizeof(t));
	t.bo_handle = bo;
	t.box = *box;
	t.level = level;
	t.stride = stride;
	return vgpu_ioctl(fd, DRM_IOCTL_VIRTGPU_TRANSFER_TO_HOST, &t);
}

int vgpu_transfer_from_host(int fd, uint32_t bo,
			    const struct drm_virtgpu_3d_box *box,
			    uint32_t level, uint32_t stride)
{
	struct drm_virtgpu_3d_transfer_from_host t;

	memset(&t, 0, sizeof(t));
	t.bo_handle = bo;
	t.box = *box;
	t.level = level;
	t.stride = stride;
	return vgpu_ioctl(fd, DRM_IOCTL_VIRTGPU_TRANSFER_FROM_HOST, &t);
}

int vgpu_wait(int fd, uint32_t bo, int nowait)
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
		ret = vgpu_ioctl(fd, DRM_IOCTL_VIRTGPU_WAIT, &w);
		if (ret != -EBUSY || nowait)
			return ret;
	}
}

int vgpu_blob_create(int fd, uint32_t blob_mem, uint32_t blob_flags,
		     uint64_t size, uint64_t blob_id,
		     const void *cmd, uint32_t cmd_size,
		     uint32_t *bo_handle, uint32_t *res_handle)
{
	struct drm_virtgpu_resource_create_blob b;
	int ret;

	memset(&b, 0, sizeof(b));
	b.blob_mem = blob_mem;
	b.blob_flags = blob_flags;
	b.size = size;
	b.blob_id = blob_id;
	b.cmd = u64_ptr(cmd);
	b.cmd_size = cmd_size;
	ret = vgpu_ioctl(fd, DRM_IOCTL_VIRTGPU_RESOURCE_CREATE_BLOB, &b);
	if (ret)
		return ret;
	*bo_handle = b.bo_handle;
	if (res_handle)
		*res_handle = b.res_handle;
	return 0;
}

void *vgpu_map(int fd, uint32_t bo, size_t size)
{
	struct drm_virtgpu_map m = { .handle = bo };
	void *p;

	if (vgpu_ioctl(fd, DRM_IOCTL_VIRTGPU_MAP, &m))
		return NULL;
	p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, m.offset);
	return p == MAP_FAILED ? NULL : p;
}

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int vgpu_fence_wait(int fence_fd, int timeout_ms)
{
	struct pollfd pfd = { .fd = fence_fd, .events = POLLIN };
	int64_t deadline = timeout_ms < 0 ? 0 : now_ms() + timeout_ms;
	int ret, left;

	/* A sync_file polls readable once its fence has signalled. */
	for (;;) {
		left = timeout_ms < 0 ? -1 : (int)(deadline - now_ms());
		if (timeout_ms >= 0 && left < 0)
			left = 0;
		ret = poll(&pfd, 1, left);
		if (ret > 0) {
			if (pfd.revents & (POLLERR | POLLNVAL))
				return -EINVAL;
			return 0;
		}
		if (ret == 0)
			return -ETIME;
		if (errno != EINTR && errno != EAGAIN)
			return -errno;
	}
}

int vgpu_syncobj_create(int fd, uint32_t *handle)
{
	struct drm_syncobj_create c = { 0 };
	int ret;

	ret = vgpu_ioctl(fd, DRM_IOCTL_SYNCOBJ_CREATE, &c);
	if (!ret)
		*handle = c.handle;
	return ret;
}

int vgpu_syncobj_destroy(int fd, uint32_t handle)
{
	struct drm_syncobj_destroy d = { .handle = handle };

	return vgpu_ioctl(fd, DRM_IOCTL_SYNCOBJ_DESTROY, &d);
}

int vgpu_syncobj_wait(int fd, uint32_t handle, int64_t timeout_ns)
{
	struct drm_syncobj_wait w;
	struct timespec ts;

	/* The ioctl takes an absolute CLOCK_MONOTONIC deadline. */
	clock_gettime(CLOCK_MONOTONIC, &ts);
	memset(&w, 0, sizeof(w));
	w.handles = u64_ptr(&handle);
	w.count_handles = 1;
	w.flags = DRM_SYNCOBJ_WAIT_FLAGS_WAIT_FOR_SUBMIT;
	w.timeout_nsec = timeout_ns < 0 ? INT64_MAX :
		(int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec + timeout_ns;
	return vgpu_ioctl(fd, DRM_IOCTL_SYNCOBJ_WAIT, &w);
}

/* --- KMS ------------------------------------------------------------------ */

int vgpu_set_client_cap(int fd, uint64_t cap, uint64_t value)
{
	struct drm_set_client_cap c = { .capability = cap, .value = value };

	return vgpu_ioctl(fd, DRM_IOCTL_SET_CLIENT_CAP, &c);
}

int vgpu_set_master(int fd)
{
	return vgpu_ioctl(fd, DRM_IOCTL_SET_MASTER, NULL);
}

int vgpu_dumb_create(int fd, uint32_t width, uint32_t height, int alpha,
		     struct vgpu_dumb *b)
{
	struct drm_mode_create_dumb cd;
	struct drm_mode_map_dumb md;
	struct drm_mode_fb_cmd2 fb;
	struct drm_mode_destroy_dumb dd;
	void *p;
	int ret;

	memset(b, 0, sizeof(*b));
	memset(&cd, 0, sizeof(cd));
	cd.width = width;
	cd.height = height;
	cd.bpp = 32;
	ret = vgpu_ioctl(fd, DRM_IOCTL_MODE_CREATE_DUMB, &cd);
	if (ret)
		return ret;
	b->handle = cd.handle;
	b->pitch = cd.pitch;
	b->size = cd.size;
	b->width = width;
	b->height = height;

	memset(&md, 0, sizeof(md));
	md.handle = cd.handle;
	ret = vgpu_ioctl(fd, DRM_IOCTL_MODE_MAP_DUMB, &md);
	if (ret)
		goto err;
	p = mmap(NULL, cd.size, PROT_READ | PROT_WRITE, MAP_SHARED, fd,
		 md.offset);
	if (p == MAP_FAILED) {
		ret = -errno;
		goto err;
	}
	b->map = p;

	memset(&fb, 0, sizeof(fb));
	fb.width = width;
	fb.height = height;
	fb.pixel_format = alpha ? DRM_FORMAT_ARGB8888 : DRM_FORMAT_XRGB8888;
	fb.handles[0] = cd.handle;
	fb.pitches[0] = cd.pitch;
	ret = vgpu_ioctl(fd, DRM_IOCTL_MODE_ADDFB2, &fb);
	if (ret) {
		munmap(p, cd.size);
		b->map = NULL;
		goto err;
	}
	b->fb_id = fb.fb_id;
	return 0;
err:
	dd.handle = cd.handle;
	vgpu_ioctl(fd, DRM_IOCTL_MODE_DESTROY_DUMB, &dd);
	return ret;
}

void vgpu_dumb_destroy(int fd, struct vgpu_dumb *b)
{
	struct drm_mode_destroy_dumb dd = { .handle = b->handle };

	if (b->fb_id)
		vgpu_ioctl(fd, DRM_IOCTL_MODE_RMFB, &b->fb_id);
	if (b->map)
		munmap(b->map, b->size);
	if (b->handle)
		vgpu_ioctl(fd, DRM_IOCTL_MODE_DESTROY_DUMB, &dd);
	memset(b, 0, sizeof(*b));
}

int vgpu_prop_id(int fd, uint32_t id, uint32_t type, const char *name,
		 uint32_t *prop_id)
{
	struct drm_mode_obj_get_properties op;
	struct drm_mode_get_property gp;
	uint32_t *ids = NULL;
	uint64_t *vals = NULL;
	uint32_t i;
	int ret;

	memset(&op, 0, sizeof(op));
	op.obj_id = id;
	op.obj_type = type;
	ret = vgpu_ioctl(fd, DRM_IOCTL_MODE_OBJ_GETPROPERTIES, &op);
	if (ret)
		return ret;
	ids = calloc(op.count_props + 1, sizeof(*ids));
	vals = calloc(op.count_props + 1, sizeof(*vals));
	if (!ids || !vals) {
		ret = -ENOMEM;
		goto out;
	}
	op.props_ptr = u64_ptr(ids);
	op.prop_values_ptr = u64_ptr(vals);
	ret = vgpu_ioctl(fd, DRM_IOCTL_MODE_OBJ_GETPROPERTIES, &op);
	if (ret)
		goto out;
	ret = -ENOENT;
	for (i = 0; i < op.count_props; i++) {
		memset(&gp, 0, sizeof(gp));
		gp.prop_id = ids[i];
		if (vgpu_ioctl(fd, DRM_IOCTL_MODE_GETPROPERTY, &gp))
			continue;
		if (strncmp(gp.name, name, DRM_PROP_NAME_LEN) == 0) {
			*prop_id = ids[i];
			ret = 0;
			break;
		}
	}
out:
	free(ids);
	free(vals);
	return ret;
}

/* Value of property @name on an object, for the plane "type" lookup. */
static int prop_value(int fd, uint32_t id, uint32_t type, const char *name,
		      uint64_t *value)
{
	struct drm_mode_obj_get_properties op;
	struct drm_mode_get_property gp;
	uint32_t ids[64];
	uint64_t vals[64];
	uint32_t i;
	int ret;

	memset(&op, 0, sizeof(op));
	op.obj_id = id;
	op.obj_type = type;
	op.count_props = 64;
	op.props_ptr = u64_ptr(ids);
	op.prop_values_ptr = u64_ptr(vals);
	ret = vgpu_ioctl(fd, DRM_IOCTL_MODE_OBJ_GETPROPERTIES, &op);
	if (ret)
		return ret;
	for (i = 0; i < op.count_props && i < 64; i++) {
		memset(&gp, 0, sizeof(gp));
		gp.prop_id = ids[i];
		if (vgpu_ioctl(fd, DRM_IOCTL_MODE_GETPROPERTY, &gp))
			continue;
		if (strncmp(gp.name, name, DRM_PROP_NAME_LEN) == 0) {
			*value = vals[i];
			return 0;
		}
	}
	return -ENOENT;
}

static int find_primary_plane(int fd, uint32_t crtc_index, uint32_t *plane_id)
{
	struct drm_mode_get_plane_res pr;
	struct drm_mode_get_plane gp;
	uint32_t ids[32];
	uint64_t type;
	uint32_t i;
	int ret;

	memset(&pr, 0, sizeof(pr));
	pr.plane_id_ptr = u64_ptr(ids);
	pr.count_planes = 32;
	ret = vgpu_ioctl(fd, DRM_IOCTL_MODE_GETPLANERESOURCES, &pr);
	if (ret)
		return ret;
	for (i = 0; i < pr.count_planes && i < 32; i++) {
		memset(&gp, 0, sizeof(gp));
		gp.plane_id = ids[i];
		if (vgpu_ioctl(fd, DRM_IOCTL_MODE_GETPLANE, &gp))
			continue;
		if (!(gp.possible_crtcs & (1u << crtc_index)))
			continue;
		/* DRM_PLANE_TYPE_PRIMARY is 1 in the "type" enum property. */
		if (prop_value(fd, ids[i], DRM_MODE_OBJECT_PLANE, "type",
			       &type) == 0 && type == 1) {
			*plane_id = ids[i];
			return 0;
		}
	}
	return -ENOENT;
}

int vgpu_find_output(int fd, struct vgpu_output *out)
{
	struct drm_mode_card_res res;
	struct drm_mode_get_connector conn;
	struct drm_mode_get_encoder enc;
	struct drm_mode_crtc crtc;
	struct drm_mode_modeinfo modes[64];
	uint32_t conn_ids[16], crtc_ids[16], enc_ids[16];
	uint32_t i, j;
	int ret;

	memset(out, 0, sizeof(*out));
	memset(&res, 0, sizeof(res));
	res.connector_id_ptr = u64_ptr(conn_ids);
	res.count_connectors = 16;
	res.crtc_id_ptr = u64_ptr(crtc_ids);
	res.count_crtcs = 16;
	res.encoder_id_ptr = u64_ptr(enc_ids);
	res.count_encoders = 16;
	ret = vgpu_ioctl(fd, DRM_IOCTL_MODE_GETRESOURCES, &res);
	if (ret)
		return ret;

	for (i = 0; i < res.count_connectors && i < 16; i++) {
		memset(&conn, 0, sizeof(conn));
		conn.connector_id = conn_ids[i];
		conn.modes_ptr = u64_ptr(modes);
		conn.count_modes = 64;
		if (vgpu_ioctl(fd, DRM_IOCTL_MODE_GETCONNECTOR, &conn))
			continue;
		/* connection 1 = DRM_MODE_CONNECTED */
		if (conn.connection != 1 || conn.count_modes == 0)
			continue;
		out->connector_id = conn.connector_id;
		out->mode = modes[0];
		for (j = 0; j < conn.count_modes && j < 64; j++) {
			if (modes[j].type & DRM_MODE_TYPE_PREFERRED) {
				out->mode = modes[j];
				break;
			}
		}
		/* Prefer the CRTC the connector already uses (fbdev's). */
		memset(&enc, 0, sizeof(enc));
		enc.encoder_id = conn.encoder_id ? conn.encoder_id : enc_ids[0];
		if (vgpu_ioctl(fd, DRM_IOCTL_MODE_GETENCODER, &enc))
			continue;
		out->crtc_id = enc.crtc_id;
		for (j = 0; j < res.count_crtcs && j < 16; j++) {
			if (!out->crtc_id && (enc.possible_crtcs & (1u << j)))
				out->crtc_id = crtc_ids[j];
			if (crtc_ids[j] == out->crtc_id)
				out->crtc_index = j;
		}
		if (!out->crtc_id)
			continue;
		memset(&crtc, 0, sizeof(crtc));
		crtc.crtc_id = out->crtc_id;
		if (vgpu_ioctl(fd, DRM_IOCTL_MODE_GETCRTC, &crtc) == 0)
			out->crtc_active = crtc.mode_valid && crtc.fb_id;
		/* Planes are listed only with the universal-planes cap. */
		if (find_primary_plane(fd, out->crtc_index,
				       &out->primary_plane_id))
			out->primary_plane_id = 0;
		return 0;
	}
	return -ENODEV;
}

int vgpu_create_blob(int fd, const void *data, uint32_t len, uint32_t *blob)
{
	struct drm_mode_create_blob cb = {
		.data = u64_ptr(data),
		.length = len,
	};
	int ret;

	ret = vgpu_ioctl(fd, DRM_IOCTL_MODE_CREATEPROPBLOB, &cb);
	if (!ret)
		*blob = cb.blob_id;
	return ret;
}

void vgpu_atomic_init(struct vgpu_atomic *a)
{
	memset(a, 0, sizeof(*a));
}

int vgpu_atomic_add(struct vgpu_atomic *a, uint32_t obj, uint32_t prop,
		    uint64_t value)
{
	if (a->nprops >= VGPU_ATOMIC_MAX)
		return -ENOSPC;
	if (a->nobj == 0 || a->objs[a->nobj - 1] != obj) {
		a->objs[a->nobj] = obj;
		a->count[a->nobj] = 0;
		a->nobj++;
	}
	a->count[a->nobj - 1]++;
	a->props[a->nprops] = prop;
	a->values[a->nprops] = value;
	a->nprops++;
	return 0;
}

int vgpu_atomic_commit(int fd, const struct vgpu_atomic *a, uint32_t flags,
		       uint64_t user_data)
{
	struct drm_mode_atomic req;

	memset(&req, 0, sizeof(req));
	req.flags = flags;
	req.count_objs = a->nobj;
	req.objs_ptr = u64_ptr(a->objs);
	req.count_props_ptr = u64_ptr(a->count);
	req.props_ptr = u64_ptr(a->props);
	req.prop_values_ptr = u64_ptr(a->values);
	req.user_data = user_data;
	return vgpu_ioctl(fd, DRM_IOCTL_MODE_ATOMIC, &req);
}

int vgpu_wait_flip_event(int fd, int timeout_ms, uint64_t *user_data)
{
	struct pollfd pfd = { .fd = fd, .events = POLLIN };
	char buf[1024];
	ssize_t n, off;
	int ret;

	for (;;) {
		ret = poll(&pfd, 1, timeout_ms);
		if (ret < 0 && (errno == EINTR || errno == EAGAIN))
			continue;
		if (ret < 0)
			return -errno;
		if (ret == 0)
			return -ETIME;
		n = read(fd, buf, sizeof(buf));
		if (n < 0 && (errno == EINTR || errno == EAGAIN))
			continue;
		if (n < 0)
			return -errno;
		/* One read returns whole events; walk them. */
		for (off = 0; off + (ssize_t)sizeof(struct drm_event) <= n;) {
			struct drm_event *e = (struct drm_event *)(buf + off);
			struct drm_event_vblank *vb = (struct drm_event_vblank *)e;

			if (e->length < sizeof(*e))
				return -EPROTO;
			if (e->type == DRM_EVENT_FLIP_COMPLETE) {
				if (user_data)
					*user_data = vb->user_data;
				return 0;
			}
			off += e->length;
		}
	}
}
