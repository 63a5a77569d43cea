// SPDX-License-Identifier: MIT
/*
 * vgu: the KMS part (see vgu.h), by plain ioctls on a card node.
 */
#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "vgu.h"
#include "vgu_internal.h"

int vgu_set_client_cap(int fd, uint64_t cap, uint64_t value)
{
	struct drm_set_client_cap c = { .capability = cap, .value = value };

	return vgu_ioctl(fd, DRM_IOCTL_SET_CLIENT_CAP, &c);
}

int vgu_set_master(int fd)
{
	return vgu_ioctl(fd, DRM_IOCTL_SET_MASTER, NULL);
}

int vgu_dumb_create(int fd, uint32_t width, uint32_t height, uint32_t fourcc,
		    struct vgu_dumb *b)
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
	ret = vgu_ioctl(fd, DRM_IOCTL_MODE_CREATE_DUMB, &cd);
	if (ret)
		return ret;
	b->handle = cd.handle;
	b->pitch = cd.pitch;
	b->size = cd.size;
	b->width = width;
	b->height = height;

	memset(&md, 0, sizeof(md));
	md.handle = cd.handle;
	ret = vgu_ioctl(fd, DRM_IOCTL_MODE_MAP_DUMB, &md);
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
	fb.pixel_format = fourcc;
	fb.handles[0] = cd.handle;
	fb.pitches[0] = cd.pitch;
	ret = vgu_ioctl(fd, DRM_IOCTL_MODE_ADDFB2, &fb);
	if (ret) {
		munmap(p, cd.size);
		b->map = NULL;
		goto err;
	}
	b->fb_id = fb.fb_id;
	return 0;
err:
	dd.handle = cd.handle;
	vgu_ioctl(fd, DRM_IOCTL_MODE_DESTROY_DUMB, &dd);
	memset(b, 0, sizeof(*b));
	return ret;
}

void vgu_dumb_destroy(int fd, struct vgu_dumb *b)
{
	struct drm_mode_destroy_dumb dd = { .handle = b->handle };

	if (b->fb_id)
		vgu_ioctl(fd, DRM_IOCTL_MODE_RMFB, &b->fb_id);
	if (b->map)
		munmap(b->map, b->size);
	if (b->handle)
		vgu_ioctl(fd, DRM_IOCTL_MODE_DESTROY_DUMB, &dd);
	memset(b, 0, sizeof(*b));
}

int vgu_prop(int fd, uint32_t obj, uint32_t type, const char *name,
	     uint32_t *prop_id, uint64_t *value)
{
	struct drm_mode_obj_get_properties op;
	struct drm_mode_get_property gp;
	uint32_t *ids = NULL;
	uint64_t *vals = NULL;
	uint32_t i;
	int ret;

	/* Once for the count, once for the lists. */
	memset(&op, 0, sizeof(op));
	op.obj_id = obj;
	op.obj_type = type;
	ret = vgu_ioctl(fd, DRM_IOCTL_MODE_OBJ_GETPROPERTIES, &op);
	if (ret)
		return ret;
	ids = calloc(op.count_props + 1, sizeof(*ids));
	vals = calloc(op.count_props + 1, sizeof(*vals));
	if (!ids || !vals) {
		ret = -ENOMEM;
		goto out;
	}
	op.props_ptr = vgu_u64_ptr(ids);
	op.prop_values_ptr = vgu_u64_ptr(vals);
	ret = vgu_ioctl(fd, DRM_IOCTL_MODE_OBJ_GETPROPERTIES, &op);
	if (ret)
		goto out;
	ret = -ENOENT;
	for (i = 0; i < op.count_props; i++) {
		memset(&gp, 0, sizeof(gp));
		gp.prop_id = ids[i];
		if (vgu_ioctl(fd, DRM_IOCTL_MODE_GETPROPERTY, &gp))
			continue;
		if (strncmp(gp.name, name, DRM_PROP_NAME_LEN) == 0) {
			if (prop_id)
				*prop_id = ids[i];
			if (value)
				*value = vals[i];
			ret = 0;
			break;
		}
	}
out:
	free(ids);
	free(vals);
	return ret;
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
	pr.plane_id_ptr = vgu_u64_ptr(ids);
	pr.count_planes = 32;
	ret = vgu_ioctl(fd, DRM_IOCTL_MODE_GETPLANERESOURCES, &pr);
	if (ret)
		return ret;
	for (i = 0; i < pr.count_planes && i < 32; i++) {
		memset(&gp, 0, sizeof(gp));
		gp.plane_id = ids[i];
		if (vgu_ioctl(fd, DRM_IOCTL_MODE_GETPLANE, &gp))
			continue;
		if (!(gp.possible_crtcs & (1u << crtc_index)))
			continue;
		/* DRM_PLANE_TYPE_PRIMARY is 1 in the "type" enum property. */
		if (vgu_prop(fd, ids[i], DRM_MODE_OBJECT_PLANE, "type", NULL,
			     &type) == 0 && type == 1) {
			*plane_id = ids[i];
			return 0;
		}
	}
	return -ENOENT;
}

int vgu_find_output(int fd, struct vgu_output *out)
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
	res.connector_id_ptr = vgu_u64_ptr(conn_ids);
	res.count_connectors = 16;
	res.crtc_id_ptr = vgu_u64_ptr(crtc_ids);
	res.count_crtcs = 16;
	res.encoder_id_ptr = vgu_u64_ptr(enc_ids);
	res.count_encoders = 16;
	ret = vgu_ioctl(fd, DRM_IOCTL_MODE_GETRESOURCES, &res);
	if (ret)
		return ret;

	for (i = 0; i < res.count_connectors && i < 16; i++) {
		memset(&conn, 0, sizeof(conn));
		conn.connector_id = conn_ids[i];
		conn.modes_ptr = vgu_u64_ptr(modes);
		conn.count_modes = 64;
		if (vgu_ioctl(fd, DRM_IOCTL_MODE_GETCONNECTOR, &conn))
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
		if (vgu_ioctl(fd, DRM_IOCTL_MODE_GETENCODER, &enc))
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
		if (vgu_ioctl(fd, DRM_IOCTL_MODE_GETCRTC, &crtc) == 0)
			out->crtc_active = crtc.mode_valid && crtc.fb_id;
		/* Planes are listed only with the universal-planes cap. */
		if (find_primary_plane(fd, out->crtc_index,
				       &out->primary_plane_id))
			out->primary_plane_id = 0;
		return 0;
	}
	return -ENODEV;
}

int vgu_create_blob(int fd, const void *data, uint32_t len, uint32_t *blob)
{
	struct drm_mode_create_blob cb = {
		.data = vgu_u64_ptr(data),
		.length = len,
	};
	int ret;

	ret = vgu_ioctl(fd, DRM_IOCTL_MODE_CREATEPROPBLOB, &cb);
	if (!ret)
		*blob = cb.blob_id;
	return ret;
}

void vgu_atomic_init(struct vgu_atomic *a)
{
	memset(a, 0, sizeof(*a));
}

int vgu_atomic_add(struct vgu_atomic *a, uint32_t obj, uint32_t prop,
		    uint64_t value)
{
	if (a->nprops >= VGU_ATOMIC_MAX)
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

int vgu_atomic_commit(int fd, const struct vgu_atomic *a, uint32_t flags,
		       uint64_t user_data)
{
	struct drm_mode_atomic req;

	memset(&req, 0, sizeof(req));
	req.flags = flags;
	req.count_objs = a->nobj;
	req.objs_ptr = vgu_u64_ptr(a->objs);
	req.count_props_ptr = vgu_u64_ptr(a->count);
	req.props_ptr = vgu_u64_ptr(a->props);
	req.prop_values_ptr = vgu_u64_ptr(a->values);
	req.user_data = user_data;
	return vgu_ioctl(fd, DRM_IOCTL_MODE_ATOMIC, &req);
}

int vgu_wait_flip_event(int fd, int timeout_ms, uint64_t *user_data)
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
