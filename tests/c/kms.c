// SPDX-License-Identifier: MIT
/*
 * kms: modes and EDID of every connector, a modeset of every output, an
 * atomic page flip with damage and its event (and the flipped picture,
 * which the host compares with a QEMU screendump), emulated vblank, and the
 * cursor plane (legacy and atomic). Runs on the primary node as DRM master.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>
#include <xf86drm.h>
#include <xf86drmMode.h>
#include <drm_fourcc.h>

#include "virtgpu_drm.h"
#include "vgu_test.h"

#define MAX_OUT		8

/*
 * How long the flipped pattern stays on screen after the guest has asked
 * the host for a screendump. The host sees the request within its 0.5 s
 * poll of the serial log and the dump takes some 20 ms, so this leaves
 * about a second for a loaded host; a dump that may have come later is
 * reported as late next to the CRC mismatch it would cause.
 */
#define SCREENDUMP_HOLD_MS	1500

struct output {
	uint32_t conn, crtc, primary, cursor;
	int connected;
	drmModeModeInfo mode;
	uint32_t mode_blob;
	struct vgu_dumb fb[2];
	int active;
};

static int fd;
static int atomic;
static struct output outs[MAX_OUT];
static int nouts;
static drmModeResPtr res;

static uint64_t prop_value(uint32_t obj, uint32_t type, const char *name,
			   int *found)
{
	uint64_t val = 0;

	*found = !vgu_prop(fd, obj, type, name, NULL, &val);
	return val;
}

static int add(drmModeAtomicReqPtr req, uint32_t obj, uint32_t type,
	       const char *name, uint64_t val)
{
	return atomic_add(fd, req, obj, type, name, val);
}

static int commit(drmModeAtomicReqPtr req, uint32_t flags, void *data)
{
	return drmModeAtomicCommit(fd, req, flags, data) ? errno : 0;
}

/* The test pattern: gradients plus an XOR texture, never all black. */
static uint32_t pattern(uint32_t x, uint32_t y, uint32_t w, uint32_t h, int alt)
{
	uint32_t r = x * 255 / (w ? w : 1), g = y * 255 / (h ? h : 1);
	uint32_t b = (x ^ y) & 0xff;

	if (alt)
		return 0xff000000u | (b << 16) | (r << 8) | g;
	return 0xff000000u | (r << 16) | (g << 8) | b;
}

/* zlib's CRC-32 (reflected 0xedb88320), which the host side uses too. */
static uint32_t crc32_update(uint32_t crc, const void *data, size_t len)
{
	static uint32_t table[256];
	const uint8_t *p = data;
	uint32_t i, c;
	int k;

	if (!table[1]) {
		for (i = 0; i < 256; i++) {
			for (c = i, k = 0; k < 8; k++)
				c = (c >> 1) ^ (0xedb88320u & -(c & 1));
			table[i] = c;
		}
	}
	while (len--)
		crc = table[(crc ^ *p++) & 0xff] ^ (crc >> 8);
	return crc;
}

/*
 * CRC-32 of what @b shows, in the layout of a QEMU screendump (PPM): R, G,
 * B per pixel, row by row, no X byte and no pitch padding.
 */
static uint32_t screen_crc(const struct vgu_dumb *b)
{
	uint8_t rgb[3 * 256];
	uint32_t crc = 0xffffffffu, x, y, n;

	for (y = 0; y < b->height; y++) {
		const uint32_t *row = (uint32_t *)b->map + y * (b->pitch / 4);

		for (x = 0; x < b->width; x += n) {
			for (n = 0; n < 256 && x + n < b->width; n++) {
				rgb[3 * n] = row[x + n] >> 16;
				rgb[3 * n + 1] = row[x + n] >> 8;
				rgb[3 * n + 2] = row[x + n];
			}
			crc = crc32_update(crc, rgb, 3 * n);
		}
	}
	return ~crc;
}

/* A dumb buffer of @format showing the test pattern; 0 or an errno. */
static int buf_create(struct vgu_dumb *b, uint32_t w, uint32_t h,
		      uint32_t format, int alt)
{
	uint32_t *map, x, y;
	int ret = vgu_dumb_create(fd, w, h, format, b);

	if (ret)
		return -ret;
	map = b->map;
	for (y = 0; y < h; y++)
		for (x = 0; x < w; x++)
			map[y * (b->pitch / 4) + x] = pattern(x, y, w, h, alt);
	return 0;
}

static void buf_destroy(struct vgu_dumb *b)
{
	vgu_dumb_destroy(fd, b);
}

/* Standard 1024x768@60 (DMT), for an output that lists no modes. */
static drmModeModeInfo mode_1024x768(void)
{
	drmModeModeInfo m = {
		.clock = 65000,
		.hdisplay = 1024, .hsync_start = 1048, .hsync_end = 1184,
		.htotal = 1344,
		.vdisplay = 768, .vsync_start = 771, .vsync_end = 777,
		.vtotal = 806,
		.vrefresh = 60,
		.flags = DRM_MODE_FLAG_NHSYNC | DRM_MODE_FLAG_NVSYNC,
		.type = DRM_MODE_TYPE_DRIVER,
		.name = "1024x768",
	};
	return m;
}

static int has_edid_feature(void)
{
	char line[128];
	int v = -1;
	FILE *f = fopen("/sys/kernel/debug/dri/0/virtio-gpu-features", "r");

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "edid %d", &v) == 1)
			break;
	fclose(f);
	return v;
}

/* Finds each connector's CRTC and planes; checks modes and EDID. */
static void test_connectors(void)
{
	int i, j, modes_ok = 1, pref_ok = 1, nconn = 0, edid_feat;
	int edid_checked = 0, edid_ok = 1, edid_prop_missing = 0;
	char why[256] = "", pwhy[256] = "", ewhy[256] = "";
	drmModePlaneResPtr pres = drmModeGetPlaneResources(fd);

	edid_feat = has_edid_feature();
	for (i = 0; i < res->count_connectors && nouts < MAX_OUT; i++) {
		drmModeConnectorPtr c = drmModeGetConnector(fd, res->connectors[i]);
		struct output *o;
		uint32_t crtc_mask = 0;
		int found;
		uint64_t blob_id;

		if (!c)
			continue;
		nconn++;
		printf("# connector %u: %s, %d modes\n", c->connector_id,
		       c->connection == DRM_MODE_CONNECTED ? "connected" :
		       "disconnected", c->count_modes);
		if (c->connection == DRM_MODE_CONNECTED) {
			if (!c->count_modes) {
				modes_ok = 0;
				snprintf(why, sizeof(why),
					 "connected connector %u has no modes",
					 c->connector_id);
			} else if (!(c->modes[0].type & DRM_MODE_TYPE_PREFERRED)) {
				pref_ok = 0;
				snprintf(pwhy, sizeof(pwhy),
					 "connector %u: first mode %s is not preferred",
					 c->connector_id, c->modes[0].name);
			}
		}

		/* EDID: present on connected connectors when the host has it. */
		blob_id = prop_value(c->connector_id, DRM_MODE_OBJECT_CONNECTOR,
				     "EDID", &found);
		if (!found) {
			edid_prop_missing = 1;
		} else if (c->connection == DRM_MODE_CONNECTED) {
			drmModePropertyBlobPtr b = NULL;
			static const uint8_t hdr[8] = {
				0, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0 };

			edid_checked++;
			if (blob_id)
				b = drmModeGetPropertyBlob(fd, blob_id);
			if (!b || b->length < 128 || memcmp(b->data, hdr, 8)) {
				edid_ok = 0;
				snprintf(ewhy, sizeof(ewhy),
					 "connector %u: EDID blob %llu length %u%s",
					 c->connector_id,
					 (unsigned long long)blob_id,
					 b ? b->length : 0,
					 b && b->length >= 8 ? ", bad header" : "");
			}
			drmModeFreePropertyBlob(b);
		}

		o = &outs[nouts];
		o->conn = c->connector_id;
		o->connected = c->connection == DRM_MODE_CONNECTED;
		if (c->count_modes)
			o->mode = c->modes[0];
		else
			o->mode = mode_1024x768();
		for (j = 0; j < c->count_encoders; j++) {
			drmModeEncoderPtr e = drmModeGetEncoder(fd, c->encoders[j]);

			if (e) {
				crtc_mask |= e->possible_crtcs;
				drmModeFreeEncoder(e);
			}
		}
		for (j = 0; j < res->count_crtcs; j++) {
			int k, taken = 0;

			if (!(crtc_mask & (1u << j)))
				continue;
			for (k = 0; k < nouts; k++)
				taken |= outs[k].crtc == res->crtcs[j];
			if (!taken) {
				o->crtc = res->crtcs[j];
				break;
			}
		}
		/* Planes: primary and cursor that can go on this CRTC. */
		for (j = 0; o->crtc && pres && j < (int)pres->count_planes; j++) {
			drmModePlanePtr p = drmModeGetPlane(fd, pres->planes[j]);
			int idx, type, k;
			uint64_t t;

			if (!p)
				continue;
			for (idx = 0; idx < res->count_crtcs; idx++)
				if (res->crtcs[idx] == o->crtc)
					break;
			t = prop_value(p->plane_id, DRM_MODE_OBJECT_PLANE, "type",
				       &type);
			if (type && p->possible_crtcs & (1u << idx)) {
				int taken = 0;

				for (k = 0; k < nouts; k++)
					taken |= outs[k].primary == p->plane_id ||
						 outs[k].cursor == p->plane_id;
				if (!taken && t == DRM_PLANE_TYPE_PRIMARY &&
				    !o->primary)
					o->primary = p->plane_id;
				if (!taken && t == DRM_PLANE_TYPE_CURSOR &&
				    !o->cursor)
					o->cursor = p->plane_id;
			}
			drmModeFreePlane(p);
		}
		if (o->crtc)
			nouts++;
		drmModeFreeConnector(c);
	}
	drmModeFreePlaneResources(pres);

	if (!nconn) {
		fail("connector-modes", "no connectors");
		return;
	}
	check("connector-modes", modes_ok, "%s", why);
	check("connector-preferred-first", pref_ok, "%s", pwhy);
	if (edid_prop_missing) {
		if (edid_feat == 1)
			fail("connector-edid",
			     "host has EDID (debugfs) but a connector has no EDID property");
		else
			skip("connector-edid", "no EDID property (host without EDID?)");
	} else if (!edid_checked) {
		skip("connector-edid", "no connected connector");
	} else {
		check("connector-edid", edid_ok, "%s", ewhy);
	}
}

/* Full modeset of the outputs in @mask in one atomic commit. */
static int modeset(unsigned int mask, char *why, size_t len)
{
	drmModeAtomicReqPtr req = drmModeAtomicAlloc();
	int i, ret = 0;

	for (i = 0; i < nouts && !ret; i++) {
		struct output *o = &outs[i];

		if (!(mask & (1u << i)))
			continue;
		if (!o->fb[0].fb_id) {
			ret = buf_create(&o->fb[0], o->mode.hdisplay,
					 o->mode.vdisplay, DRM_FORMAT_XRGB8888, 0);
			if (!ret)
				ret = buf_create(&o->fb[1], o->mode.hdisplay,
						 o->mode.vdisplay,
						 DRM_FORMAT_XRGB8888, 1);
			if (ret) {
				snprintf(why, len, "dumb buffer %ux%u: %s",
					 o->mode.hdisplay, o->mode.vdisplay,
					 ename(ret));
				break;
			}
		}
		if (!o->mode_blob &&
		    drmModeCreatePropertyBlob(fd, &o->mode, sizeof(o->mode),
					      &o->mode_blob)) {
			ret = errno;
			snprintf(why, len, "mode blob: %s", ename(ret));
			break;
		}
		if (add(req, o->conn, DRM_MODE_OBJECT_CONNECTOR, "CRTC_ID", o->crtc) ||
		    add(req, o->crtc, DRM_MODE_OBJECT_CRTC, "MODE_ID", o->mode_blob) ||
		    add(req, o->crtc, DRM_MODE_OBJECT_CRTC, "ACTIVE", 1) ||
		    add(req, o->primary, DRM_MODE_OBJECT_PLANE, "FB_ID", o->fb[0].fb_id) ||
		    add(req, o->primary, DRM_MODE_OBJECT_PLANE, "CRTC_ID", o->crtc) ||
		    add(req, o->primary, DRM_MODE_OBJECT_PLANE, "SRC_X", 0) ||
		    add(req, o->primary, DRM_MODE_OBJECT_PLANE, "SRC_Y", 0) ||
		    add(req, o->primary, DRM_MODE_OBJECT_PLANE, "SRC_W",
			(uint64_t)o->mode.hdisplay << 16) ||
		    add(req, o->primary, DRM_MODE_OBJECT_PLANE, "SRC_H",
			(uint64_t)o->mode.vdisplay << 16) ||
		    add(req, o->primary, DRM_MODE_OBJECT_PLANE, "CRTC_X", 0) ||
		    add(req, o->primary, DRM_MODE_OBJECT_PLANE, "CRTC_Y", 0) ||
		    add(req, o->primary, DRM_MODE_OBJECT_PLANE, "CRTC_W",
			o->mode.hdisplay) ||
		    add(req, o->primary, DRM_MODE_OBJECT_PLANE, "CRTC_H",
			o->mode.vdisplay)) {
			ret = EINVAL;
			snprintf(why, len, "output %d: a KMS property is missing", i);
			break;
		}
	}
	if (!ret) {
		ret = commit(req, DRM_MODE_ATOMIC_ALLOW_MODESET, NULL);
		if (ret)
			snprintf(why, len, "atomic commit: %s", ename(ret));
	}
	drmModeAtomicFree(req);
	if (!ret)
		for (i = 0; i < nouts; i++)
			if (mask & (1u << i))
				outs[i].active = 1;
	return ret;
}

static void test_modeset(void)
{
	char why[256], name[64];
	int i, ret;

	for (i = 0; i < nouts; i++) {
		struct output *o = &outs[i];

		snprintf(name, sizeof(name), "modeset-output-%d", i);
		printf("# output %d: connector %u crtc %u primary %u cursor %u mode %s (%s)\n",
		       i, o->conn, o->crtc, o->primary, o->cursor, o->mode.name,
		       o->connected ? "connected" : "disconnected");
		if (!o->primary) {
			fail(name, "no primary plane for CRTC %u", o->crtc);
			continue;
		}
		why[0] = '\0';
		ret = modeset(1u << i, why, sizeof(why));
		check(name, !ret, "%s %s: %s", o->mode.name,
		      o->connected ? "connected" : "disconnected", why);
	}
	if (nouts < 2) {
		skip("dual-output-modeset", "only %d output(s)", nouts);
		return;
	}
	why[0] = '\0';
	ret = modeset(3, why, sizeof(why));
	check("dual-output-modeset", !ret, "%s", why);
}

/*
 * A TEST_ONLY modeset of output 0 with @m; the errno of the commit.
 * Nothing changes on screen whatever the answer.
 */
static int try_mode(struct output *o, const drmModeModeInfo *m)
{
	drmModeAtomicReqPtr req = drmModeAtomicAlloc();
	uint32_t blob = 0;
	int ret;

	if (drmModeCreatePropertyBlob(fd, m, sizeof(*m), &blob)) {
		drmModeAtomicFree(req);
		return -errno;
	}
	if (add(req, o->conn, DRM_MODE_OBJECT_CONNECTOR, "CRTC_ID", o->crtc) ||
	    add(req, o->crtc, DRM_MODE_OBJECT_CRTC, "MODE_ID", blob) ||
	    add(req, o->crtc, DRM_MODE_OBJECT_CRTC, "ACTIVE", 1))
		ret = -1;
	else
		ret = commit(req, DRM_MODE_ATOMIC_ALLOW_MODESET |
			     DRM_MODE_ATOMIC_TEST_ONLY, NULL);
	drmModeAtomicFree(req);
	drmModeDestroyPropertyBlob(fd, blob);
	return ret;
}

/*
 * Modelines whose refresh rate cannot be real are refused by the atomic
 * check: the emulated vblank would run at that rate. Each is one of the
 * output's own modes with one field broken.
 */
static void test_bogus_modes(void)
{
	struct output *o = &outs[0];
	drmModeModeInfo m;
	char why[256] = "";
	int ret, bad = 0;

	if (!nouts || !o->primary) {
		skip("mode-bogus-refused", "no output");
		return;
	}
	ret = try_mode(o, &o->mode);
	if (ret) {
		fail("mode-bogus-refused", "the output's own mode %s: %s",
		     o->mode.name, ret < 0 ? "property missing" : ename(ret));
		return;
	}
#define BOGUS(what, change) do {					\
		m = o->mode;						\
		change;							\
		ret = try_mode(o, &m);					\
		if (ret != EINVAL && !bad++)				\
			snprintf(why, sizeof(why), "%s: got %s", what,	\
				 ret < 0 ? "property missing" :		\
				 ret ? ename(ret) : "success");		\
	} while (0)
	BOGUS("clock INT_MAX kHz", m.clock = 0x7fffffff);
	BOGUS("clock 1 kHz", m.clock = 1);
	BOGUS("htotal * vtotal * vscan = 2^32",
	      (m.htotal = 32768, m.vtotal = 32768, m.vscan = 4));
	BOGUS("clock 0", m.clock = 0);
#undef BOGUS
	check("mode-bogus-refused", !bad, "%s", why);
}

/*
 * A dumb buffer may be larger than any scanout (the DRM core sets no such
 * limit, and IGT probes the largest allocation with 2^18 pixel rows);
 * only ADDFB holds the scanout's size limit.
 */
static void test_dumb_large(void)
{
	struct drm_mode_create_dumb cd = { .width = 1 << 18, .height = 4,
					   .bpp = 32 };
	struct drm_mode_destroy_dumb dd;
	uint32_t handles[4] = { 0 }, pitches[4] = { 0 }, offsets[4] = { 0 };
	uint32_t fb = 0;
	int ret;

	if (drmIoctl(fd, DRM_IOCTL_MODE_CREATE_DUMB, &cd)) {
		fail("dumb-larger-than-scanout", "CREATE_DUMB %ux%u: %s",
		     cd.width, cd.height, ename(errno));
		return;
	}
	handles[0] = cd.handle;
	pitches[0] = cd.pitch;
	ret = drmModeAddFB2(fd, cd.width, cd.height, DRM_FORMAT_XRGB8888,
			    handles, pitches, offsets, &fb, 0) ? errno : 0;
	if (!ret)
		drmModeRmFB(fd, fb);
	dd.handle = cd.handle;
	drmIoctl(fd, DRM_IOCTL_MODE_DESTROY_DUMB, &dd);
	check("dumb-larger-than-scanout",
	      cd.pitch == cd.width * 4 && ret == EINVAL,
	      "pitch %u, ADDFB2 of %ux%u: %s", cd.pitch, cd.width, cd.height,
	      ret ? ename(ret) : "success");
}

/*
 * A guest blob the host cannot map for display (past udmabuf's default 64
 * MiB) must be refused by the plane check, not sent: QEMU 10.0 would
 * read its pixels through a NULL image. Output 0 must be lit.
 */
static void test_blob_unmappable(void)
{
	struct drm_virtgpu_resource_create_blob b = {
		.blob_mem = VIRTGPU_BLOB_MEM_GUEST,
		.blob_flags = VIRTGPU_BLOB_FLAG_USE_SHAREABLE,
		.size = 65ull << 20,
	};
	uint32_t handles[4] = { 0 }, pitches[4] = { 0 }, offsets[4] = { 0 };
	struct output *o = &outs[0];
	struct drm_gem_close gc = { 0 };
	drmModeAtomicReqPtr req;
	struct vgu_features ft;
	uint32_t fb = 0;
	int ret;

	vgu_probe_features(fd, &ft);
	if (!ft.blob || !nouts || !o->active) {
		skip("blob-unmappable-refused", "%s",
		     ft.blob ? "output 0 is not lit" : "the device has no blobs");
		return;
	}
	if (drmIoctl(fd, DRM_IOCTL_VIRTGPU_RESOURCE_CREATE_BLOB, &b)) {
		fail("blob-unmappable-refused", "CREATE_BLOB of 65 MiB: %s",
		     ename(errno));
		return;
	}
	handles[0] = b.bo_handle;
	pitches[0] = o->fb[0].pitch;
	ret = drmModeAddFB2(fd, o->fb[0].width, o->fb[0].height,
			    DRM_FORMAT_XRGB8888, handles, pitches, offsets,
			    &fb, 0) ? errno : 0;
	if (!ret) {
		req = drmModeAtomicAlloc();
		ret = add(req, o->primary, DRM_MODE_OBJECT_PLANE, "FB_ID", fb) ?
		      ENOENT : commit(req, DRM_MODE_ATOMIC_TEST_ONLY, NULL);
		drmModeAtomicFree(req);
		drmModeRmFB(fd, fb);
		check("blob-unmappable-refused", ret == EINVAL,
		      "TEST_ONLY commit of a 65 MiB guest blob: %s",
		      ret ? ename(ret) : "accepted");
	} else {
		fail("blob-unmappable-refused", "ADDFB2: %s", ename(ret));
	}
	gc.handle = b.bo_handle;
	drmIoctl(fd, DRM_IOCTL_GEM_CLOSE, &gc);
}

struct flip_state {
	int done;
	unsigned int sec, usec, seq;
};

static void flip_handler(int fd_, unsigned int seq, unsigned int sec,
			 unsigned int usec, unsigned int crtc, void *data)
{
	struct flip_state *s = data;

	(void)fd_;
	(void)crtc;
	s->done = 1;
	s->sec = sec;
	s->usec = usec;
	s->seq = seq;
}

/* Waits for one DRM event for up to 10 s; 0 or an errno/ETIME. */
static int wait_event(struct flip_state *s)
{
	drmEventContext ev = {
		.version = 3,
		.page_flip_handler2 = flip_handler,
	};
	struct pollfd pfd = { .fd = fd, .events = POLLIN };
	int n, tries;

	for (tries = 0; tries < 100 && !s->done; tries++) {
		n = poll(&pfd, 1, 100);
		if (n < 0 && errno != EINTR)
			return errno;
		if (n > 0 && drmHandleEvent(fd, &ev))
			return errno ? errno : EIO;
	}
	return s->done ? 0 : ETIME;
}

/*
 * Starts one atomic flip of output 0 to fb[idx], with a damage clip, an
 * event and @extra flags; 0 or the errno of the commit.
 */
static int flip_start(struct output *o, int idx, uint32_t extra,
		      struct flip_state *s, char *why, size_t len)
{
	struct drm_mode_rect clip = {
		.x1 = 0, .y1 = 0,
		.x2 = o->mode.hdisplay / 2, .y2 = o->mode.vdisplay / 2,
	};
	drmModeAtomicReqPtr req;
	uint32_t blob = 0;
	int ret;

	s->done = 0;
	if (drmModeCreatePropertyBlob(fd, &clip, sizeof(clip), &blob)) {
		snprintf(why, len, "damage blob: %s", ename(errno));
		return errno;
	}
	req = drmModeAtomicAlloc();
	if (add(req, o->primary, DRM_MODE_OBJECT_PLANE, "FB_ID", o->fb[idx].fb_id) ||
	    add(req, o->primary, DRM_MODE_OBJECT_PLANE, "FB_DAMAGE_CLIPS", blob)) {
		snprintf(why, len, "primary plane lacks FB_ID or FB_DAMAGE_CLIPS");
		ret = EINVAL;
	} else {
		ret = commit(req, DRM_MODE_PAGE_FLIP_EVENT |
			     DRM_MODE_ATOMIC_NONBLOCK | extra, s);
		if (ret)
			snprintf(why, len, "atomic commit: %s", ename(ret));
	}
	drmModeAtomicFree(req);
	drmModeDestroyPropertyBlob(fd, blob);
	return ret;
}

/* Waits for the event of a flip that flip_start() started. */
static int flip_wait(struct flip_state *s, char *why, size_t len)
{
	int ret = wait_event(s);

	if (ret)
		snprintf(why, len, "flip event: %s",
			 ret == ETIME ? "none within 10 s" : ename(ret));
	return ret;
}

/* One flip of output 0 to fb[idx], waited for. */
static int flip(struct output *o, int idx, uint32_t extra,
		struct flip_state *s, char *why, size_t len)
{
	int ret = flip_start(o, idx, extra, s, why, len);

	return ret ? ret : flip_wait(s, why, len);
}

/*
 * Async (tearing) flips complete at once, in the ioctl itself. A CRTC
 * still waiting for a vsync'd flip refuses them with EBUSY, as it refuses
 * any nonblocking commit then. The vsync'd flip waits for the next
 * emulated vblank; if that tick happens to fall between the two ioctls,
 * the async flip is legitimately accepted, so the pair is tried a few
 * times. Ends with fb[0] on screen.
 */
static void test_async_flip(struct output *o)
{
	struct flip_state s, a;
	char why[256] = "";
	int i, ret = 0, busy = 0;

	for (i = 0; i < 4 && !ret; i++)
		ret = flip(o, (i + 1) % 2, DRM_MODE_PAGE_FLIP_ASYNC, &s, why,
			   sizeof(why));
	if (ret == EINVAL && i == 1) {
		skip("async-flip-event", "the driver refuses async flips");
		skip("async-flip-busy", "the driver refuses async flips");
		return;
	}
	if (ret) {
		fail("async-flip-event", "async flip %d: %s", i - 1, why);
		skip("async-flip-busy", "async flips failed");
		return;
	}
	pass("async-flip-event");

	for (i = 0; i < 3 && !busy && !ret; i++) {
		ret = flip_start(o, 1, 0, &s, why, sizeof(why));
		if (ret)
			break;
		ret = flip_start(o, 0, DRM_MODE_PAGE_FLIP_ASYNC, &a, why,
				 sizeof(why));
		if (ret == EBUSY) {
			busy = 1;
			ret = 0;
		} else if (!ret) {
			/* The vblank came first: both events are due. */
			ret = flip_wait(&a, why, sizeof(why));
			if (!ret && !s.done)
				ret = flip_wait(&s, why, sizeof(why));
			continue;
		}
		if (!ret)
			ret = flip_wait(&s, why, sizeof(why));
		if (!ret)
			ret = flip(o, 0, DRM_MODE_PAGE_FLIP_ASYNC, &a, why,
				   sizeof(why));
	}
	if (ret)
		fail("async-flip-busy", "%s", why);
	else
		check("async-flip-busy", busy,
		      "three async flips behind a pending vsync'd flip were accepted");
}

/*
 * A vsync'd flip completes on the next emulated vblank; until then a
 * second nonblocking flip gets EBUSY (retried in case the tick falls
 * between the two ioctls), and a blocking commit waits for that vblank:
 * when it returns, the first flip's event is there. Ends with fb[0] on
 * screen.
 */
static void test_vsync_flip_busy(struct output *o)
{
	struct flip_state s, t;
	struct pollfd p = { .fd = fd, .events = POLLIN };
	drmModeAtomicReqPtr req;
	char why[256] = "";
	int i, ret = 0, busy = 0;

	for (i = 0; i < 3 && !busy && !ret; i++) {
		ret = flip_start(o, 1, 0, &s, why, sizeof(why));
		if (ret)
			break;
		ret = flip_start(o, 0, 0, &t, why, sizeof(why));
		if (ret == EBUSY) {
			busy = 1;
			ret = 0;
		} else if (!ret) {
			/* The vblank came first: both events are due. */
			ret = flip_wait(&t, why, sizeof(why));
			if (!ret && !s.done)
				ret = flip_wait(&s, why, sizeof(why));
			continue;
		}
		if (!ret)
			ret = flip_wait(&s, why, sizeof(why));
	}
	if (ret)
		fail("vsync-flip-busy", "%s", why);
	else
		check("vsync-flip-busy", busy,
		      "three flips behind a pending vsync'd flip were accepted");

	ret = flip_start(o, 0, 0, &s, why, sizeof(why));
	if (ret) {
		fail("vsync-flip-then-blocking", "%s", why);
		return;
	}
	req = drmModeAtomicAlloc();
	if (add(req, o->primary, DRM_MODE_OBJECT_PLANE, "FB_ID", o->fb[1].fb_id))
		ret = -1;
	else
		ret = commit(req, 0, NULL);
	drmModeAtomicFree(req);
	/* The first flip's vblank has passed: its event is readable now. */
	if (!ret && poll(&p, 1, 0) != 1)
		ret = -2;
	if (!ret || ret == -2)
		flip_wait(&s, why, sizeof(why));
	check("vsync-flip-then-blocking", !ret, "%s",
	      ret == -1 ? "primary plane lacks FB_ID" :
	      ret == -2 ? "the blocking commit returned before the pending flip's vblank" :
	      ename(ret));
	if (flip(o, 0, 0, &s, why, sizeof(why)))
		printf("# back to fb[0]: %s\n", why);
}

/*
 * Asks the host to compare head 0 with @crc: tests/lib/qemu-watch.py
 * follows the serial console, takes a QEMU screendump and records the
 * result as kms/screendump-matches. The pattern must stay on screen until
 * the dump is taken, so this holds it for SCREENDUMP_HOLD_MS.
 */
static void request_screendump(uint32_t crc, uint32_t w, uint32_t h)
{
	struct timespec ts = {
		SCREENDUMP_HOLD_MS / 1000, (SCREENDUMP_HOLD_MS % 1000) * 1000000L
	};
	char line[160];
	int con, n;

	con = open("/dev/console", O_WRONLY | O_NOCTTY | O_CLOEXEC);
	if (con < 0) {
		printf("# /dev/console: %s, no screendump\n", strerror(errno));
		return;
	}
	n = snprintf(line, sizeof(line),
		     "VGPU-SCREENDUMP kms-pattern crc=%08x w=%u h=%u hold_ms=%d test=kms/screendump-matches\n",
		     crc, w, h, SCREENDUMP_HOLD_MS);
	if (write(con, line, n) != n)
		printf("# /dev/console: %s\n", strerror(errno));
	/*
	 * The host bounds the dump's delay by when the line reached the
	 * serial port, so the hold starts once the UART has sent it.
	 */
	tcdrain(con);
	close(con);
	while (nanosleep(&ts, &ts) && errno == EINTR)
		;
}

static void test_flip(void)
{
	struct output *o = &outs[0];
	struct flip_state s[4];
	char why[256] = "";
	uint32_t crc;
	int i, ret = 0, incr = 1;

	if (!nouts || !o->active) {
		skip("atomic-flip-event", "output 0 is not lit");
		skip("flip-timestamps-increase", "output 0 is not lit");
		skip("async-flip-event", "output 0 is not lit");
		skip("async-flip-busy", "output 0 is not lit");
		skip("vsync-flip-busy", "output 0 is not lit");
		skip("vsync-flip-then-blocking", "output 0 is not lit");
		return;
	}
	for (i = 0; i < 4 && !ret; i++)
		ret = flip(o, (i + 1) % 2, 0, &s[i], why, sizeof(why));
	if (ret) {
		fail("atomic-flip-event", "flip %d: %s", i, why);
		skip("flip-timestamps-increase", "flips failed");
		skip("async-flip-event", "flips failed");
		skip("async-flip-busy", "flips failed");
		skip("vsync-flip-busy", "flips failed");
		skip("vsync-flip-then-blocking", "flips failed");
	} else {
		pass("atomic-flip-event");
		for (i = 1; i < 4; i++) {
			uint64_t a = s[i - 1].sec * 1000000ull + s[i - 1].usec;
			uint64_t b = s[i].sec * 1000000ull + s[i].usec;

			if (b <= a) {
				incr = 0;
				snprintf(why, sizeof(why),
					 "event %d at %u.%06u, event %d at %u.%06u",
					 i - 1, s[i - 1].sec, s[i - 1].usec, i,
					 s[i].sec, s[i].usec);
			}
		}
		check("flip-timestamps-increase", incr, "%s", why);
		test_vsync_flip_busy(o);
		test_async_flip(o);
	}

	/* The pattern now on screen (fb[0], after an even number of flips). */
	crc = screen_crc(&o->fb[0]);
	printf("INFO kms/pattern crc32 %08x of RGB %ux%u output 0\n", crc,
	       o->fb[0].width, o->fb[0].height);
	fflush(stdout);
	if (!ret)
		request_screendump(crc, o->fb[0].width, o->fb[0].height);
}

/* How many of our emulated-vblank timers are queued, or -1. */
static int vblank_timers_queued(void)
{
	char line[256];
	int n = 0;
	FILE *f = fopen("/proc/timer_list", "re");

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (strstr(line, "vgpu_vblank_tick"))
			n++;
	fclose(f);
	return n;
}

/*
 * Once nobody waits for vblank, the emulated vblank stops: an idle guest
 * must not wake up at the refresh rate. The last reference goes inside
 * the tick, which used to keep the timer running.
 */
static void test_vblank_stops(void)
{
	int n = -1, tries;

	if (vblank_timers_queued() < 0) {
		skip("vblank-timer-stops", "no /proc/timer_list");
		return;
	}
	/* vblank_disable_immediate: gone within a frame or two. */
	for (tries = 0; tries < 20 && n; tries++) {
		vgu_sleep_ms(25);
		n = vblank_timers_queued();
	}
	check("vblank-timer-stops", n == 0,
	      "%d vblank timer(s) still queued 0.5 s after the last wait", n);
}

static void test_vblank(void)
{
	drmVBlank vb;
	unsigned int seq[3];
	int i, ret = 0, idx;

	if (!nouts || !outs[0].active) {
		skip("vblank-relative", "output 0 is not lit");
		skip("vblank-timer-stops", "output 0 is not lit");
		return;
	}
	for (idx = 0; idx < res->count_crtcs; idx++)
		if (res->crtcs[idx] == outs[0].crtc)
			break;
	for (i = 0; i < 3 && !ret; i++) {
		memset(&vb, 0, sizeof(vb));
		vb.request.type = DRM_VBLANK_RELATIVE |
				  ((idx << DRM_VBLANK_HIGH_CRTC_SHIFT) &
				   DRM_VBLANK_HIGH_CRTC_MASK);
		vb.request.sequence = 1;
		ret = drmWaitVBlank(fd, &vb) ? errno : 0;
		seq[i] = vb.reply.sequence;
	}
	if (ret) {
		fail("vblank-relative", "drmWaitVBlank: %s", ename(ret));
		skip("vblank-timer-stops", "no vblank (drmWaitVBlank: %s)",
		     ename(ret));
		return;
	}
	check("vblank-relative", seq[1] > seq[0] && seq[2] > seq[1],
	      "sequences %u %u %u", seq[0], seq[1], seq[2]);
	test_vblank_stops();
}

static void test_cursor(void)
{
	struct output *o = &outs[0];
	struct vgu_dumb cur = { 0 }, small = { 0 };
	drmModeAtomicReqPtr req;
	int i, ret, moves_ok;

	if (!nouts || !o->active) {
		skip("cursor-legacy", "output 0 is not lit");
		skip("cursor-legacy-move", "output 0 is not lit");
		skip("cursor-legacy-hide", "output 0 is not lit");
		skip("cursor-atomic", "output 0 is not lit");
		skip("cursor-atomic-move", "output 0 is not lit");
		skip("cursor-atomic-hide", "output 0 is not lit");
		skip("cursor-atomic-32x32", "output 0 is not lit");
		return;
	}
	ret = buf_create(&cur, 64, 64, DRM_FORMAT_ARGB8888, 0);
	if (ret) {
		fail("cursor-legacy", "64x64 ARGB8888 buffer: %s", ename(ret));
		return;
	}

	ret = drmModeSetCursor(fd, o->crtc, cur.handle, 64, 64) ? errno : 0;
	check("cursor-legacy", !ret, "drmModeSetCursor: %s", ename(ret));
	moves_ok = 1;
	for (i = 0; i < 100 && !ret; i++)
		if (drmModeMoveCursor(fd, o->crtc, (i * 7) % o->mode.hdisplay,
				      (i * 5) % o->mode.vdisplay)) {
			moves_ok = 0;
			ret = errno;
		}
	check("cursor-legacy-move", moves_ok, "move %d: %s", i, ename(ret));
	ret = drmModeSetCursor(fd, o->crtc, 0, 0, 0) ? errno : 0;
	check("cursor-legacy-hide", !ret, "drmModeSetCursor(0): %s", ename(ret));

	if (!atomic || !o->cursor) {
		fail("cursor-atomic", "no cursor plane for CRTC %u", o->crtc);
		skip("cursor-atomic-move", "no cursor plane");
		skip("cursor-atomic-hide", "no cursor plane");
		skip("cursor-atomic-32x32", "no cursor plane");
		buf_destroy(&cur);
		return;
	}
#define CURSOR_PROPS(r, fbid, size, x, y) \
	(add(r, o->cursor, DRM_MODE_OBJECT_PLANE, "FB_ID", fbid) || \
	 add(r, o->cursor, DRM_MODE_OBJECT_PLANE, "CRTC_ID", fbid ? o->crtc : 0) || \
	 add(r, o->cursor, DRM_MODE_OBJECT_PLANE, "SRC_X", 0) || \
	 add(r, o->cursor, DRM_MODE_OBJECT_PLANE, "SRC_Y", 0) || \
	 add(r, o->cursor, DRM_MODE_OBJECT_PLANE, "SRC_W", fbid ? (uint64_t)(size) << 16 : 0) || \
	 add(r, o->cursor, DRM_MODE_OBJECT_PLANE, "SRC_H", fbid ? (uint64_t)(size) << 16 : 0) || \
	 add(r, o->cursor, DRM_MODE_OBJECT_PLANE, "CRTC_X", x) || \
	 add(r, o->cursor, DRM_MODE_OBJECT_PLANE, "CRTC_Y", y) || \
	 add(r, o->cursor, DRM_MODE_OBJECT_PLANE, "CRTC_W", fbid ? (size) : 0) || \
	 add(r, o->cursor, DRM_MODE_OBJECT_PLANE, "CRTC_H", fbid ? (size) : 0))

	req = drmModeAtomicAlloc();
	/* Hotspot (0, 0), where the plane has the properties. */
	add(req, o->cursor, DRM_MODE_OBJECT_PLANE, "HOTSPOT_X", 0);
	add(req, o->cursor, DRM_MODE_OBJECT_PLANE, "HOTSPOT_Y", 0);
	ret = CURSOR_PROPS(req, cur.fb_id, 64, 10, 10) ? EINVAL : commit(req, 0, NULL);
	drmModeAtomicFree(req);
	check("cursor-atomic", !ret, "atomic commit: %s", ename(ret));

	moves_ok = 1;
	for (i = 0; i < 100 && !ret; i++) {
		req = drmModeAtomicAlloc();
		ret = add(req, o->cursor, DRM_MODE_OBJECT_PLANE, "CRTC_X",
			  (i * 7) % o->mode.hdisplay) ||
		      add(req, o->cursor, DRM_MODE_OBJECT_PLANE, "CRTC_Y",
			  (i * 5) % o->mode.vdisplay) ? EINVAL :
		      commit(req, 0, NULL);
		drmModeAtomicFree(req);
		if (ret)
			moves_ok = 0;
	}
	check("cursor-atomic-move", moves_ok, "move %d: %s", i, ename(ret));

	req = drmModeAtomicAlloc();
	ret = add(req, o->cursor, DRM_MODE_OBJECT_PLANE, "FB_ID", 0) ||
	      add(req, o->cursor, DRM_MODE_OBJECT_PLANE, "CRTC_ID", 0) ?
	      EINVAL : commit(req, 0, NULL);
	drmModeAtomicFree(req);
	check("cursor-atomic-hide", !ret, "atomic commit: %s", ename(ret));

	ret = buf_create(&small, 32, 32, DRM_FORMAT_ARGB8888, 0);
	if (ret) {
		fail("cursor-atomic-32x32", "32x32 buffer: %s", ename(ret));
	} else {
		req = drmModeAtomicAlloc();
		ret = CURSOR_PROPS(req, small.fb_id, 32, 10, 10) ? -1 :
		      commit(req, 0, NULL);
		drmModeAtomicFree(req);
		check("cursor-atomic-32x32", ret == EINVAL,
		      "expected EINVAL, got %s", ret < 0 ? "missing property" :
		      ename(ret));
	}
#undef CURSOR_PROPS
	buf_destroy(&small);
	buf_destroy(&cur);
}

static const char *const all_tests[] = {
	"connector-modes", "connector-preferred-first", "connector-edid",
	"modeset-output-0", "dual-output-modeset", "mode-bogus-refused",
	"dumb-larger-than-scanout", "atomic-flip-event",
	"flip-timestamps-increase", "vsync-flip-busy",
	"vsync-flip-then-blocking", "async-flip-event", "async-flip-busy",
	"vblank-relative", "vblank-timer-stops",
	"cursor-legacy",
	"cursor-legacy-move", "cursor-legacy-hide", "cursor-atomic",
	"cursor-atomic-move", "cursor-atomic-hide", "cursor-atomic-32x32",
	"blob-unmappable-refused",
};

static void skip_all(unsigned int from, const char *fmt, const char *arg)
{
	unsigned int i;

	for (i = from; i < sizeof(all_tests) / sizeof(all_tests[0]); i++)
		skip(all_tests[i], fmt, arg);
}

int main(void)
{
	int i;

	fd = open_card_of(VGU_DRIVER);
	if (fd < 0) {
		fail("open", "no virtio_gpu card node");
		return test_exit();
	}
	if (drmSetMaster(fd) && !drmIsMaster(fd)) {
		skip_all(0, "cannot become DRM master: %s", strerror(errno));
		return test_exit();
	}
	drmSetClientCap(fd, DRM_CLIENT_CAP_UNIVERSAL_PLANES, 1);
	atomic = !drmSetClientCap(fd, DRM_CLIENT_CAP_ATOMIC, 1);
	/*
	 * A virtualised cursor plane (DRIVER_CURSOR_HOTSPOT) is hidden from
	 * atomic clients that do not promise to set its hotspot.
	 */
	if (atomic && drmSetClientCap(fd, DRM_CLIENT_CAP_CURSOR_PLANE_HOTSPOT, 1))
		printf("# DRM_CLIENT_CAP_CURSOR_PLANE_HOTSPOT: %s\n",
		       strerror(errno));
	res = drmModeGetResources(fd);
	if (!res) {
		fail("resources", "drmModeGetResources: %s", strerror(errno));
		return test_exit();
	}
	test_connectors();
	if (!atomic) {
		skip_all(3, "%s", "no atomic modesetting");
		return test_exit();
	}
	test_modeset();
	test_bogus_modes();
	test_dumb_large();
	/* Back to output 0 alone for the rest (it stays lit). */
	test_flip();
	test_vblank();
	test_cursor();
	test_blob_unmappable();

	for (i = 0; i < nouts; i++) {
		buf_destroy(&outs[i].fb[0]);
		buf_destroy(&outs[i].fb[1]);
	}
	drmModeFreeResources(res);
	drmDropMaster(fd);
	close(fd);
	return test_exit();
}
