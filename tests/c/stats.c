// SPDX-License-Identifier: MIT
/*
 * stats: the driver's debugfs counters (virtio-gpu-stats, ours only) move
 * as documented for one dumb buffer shown with one atomic commit: one
 * RESOURCE_CREATE_2D and ATTACH_BACKING, at least one TRANSFER_TO_HOST_2D
 * and RESOURCE_FLUSH, notifications batched (at most one per command), and
 * every command sent eventually completed. Needs DRM master.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>
#include <xf86drm.h>
#include <xf86drmMode.h>
#include <drm_fourcc.h>

#include "vgu_test.h"

static const char *const tests[] = {
	"resource-create-2d", "resource-attach-backing", "transfer-to-host-2d",
	"resource-flush", "notify", "notify-batched", "completed",
};

static int fd;
static char stats[256];

/* Commands sent: the sum of every cmd_* counter. */
static long long commands(const struct vgu_stats *s)
{
	long long sum = 0;
	unsigned int i;

	for (i = 0; i < s->n; i++)
		if (!strncmp(s->name[i], "cmd_", 4))
			sum += s->val[i];
	return sum;
}

static int add(drmModeAtomicReqPtr req, uint32_t obj, uint32_t type,
	       const char *name, uint64_t val)
{
	return atomic_add(fd, req, obj, type, name, val);
}

static void skip_all(const char *fmt, const char *arg)
{
	unsigned int i;

	for (i = 0; i < sizeof(tests) / sizeof(tests[0]); i++)
		skip(tests[i], fmt, arg);
}

/* Output 0: its connector, CRTC, primary plane and first mode. */
static int find_output(uint32_t *conn, uint32_t *crtc, uint32_t *plane,
		       drmModeModeInfo *mode)
{
	drmModeResPtr res = drmModeGetResources(fd);
	drmModePlaneResPtr pres = drmModeGetPlaneResources(fd);
	drmModeConnectorPtr c = NULL;
	uint32_t i;
	int ok = 0;

	if (!res || !pres || !res->count_connectors || !res->count_crtcs)
		goto out;
	c = drmModeGetConnector(fd, res->connectors[0]);
	if (!c || !c->count_modes)
		goto out;
	*conn = c->connector_id;
	*mode = c->modes[0];
	*crtc = res->crtcs[0];
	for (i = 0; i < pres->count_planes && !ok; i++) {
		drmModePlanePtr p = drmModeGetPlane(fd, pres->planes[i]);
		drmModeObjectPropertiesPtr props;
		uint32_t k;

		if (!p)
			continue;
		props = drmModeObjectGetProperties(fd, p->plane_id,
						   DRM_MODE_OBJECT_PLANE);
		for (k = 0; props && k < props->count_props; k++) {
			drmModePropertyPtr pp = drmModeGetProperty(fd,
								   props->props[k]);

			if (pp && !strcmp(pp->name, "type") &&
			    props->prop_values[k] == DRM_PLANE_TYPE_PRIMARY &&
			    p->possible_crtcs & 1) {
				*plane = p->plane_id;
				ok = 1;
			}
			drmModeFreeProperty(pp);
		}
		drmModeFreeObjectProperties(props);
		drmModeFreePlane(p);
	}
out:
	drmModeFreeConnector(c);
	drmModeFreePlaneResources(pres);
	drmModeFreeResources(res);
	return ok;
}

int main(void)
{
	struct drm_mode_create_dumb cd = { .bpp = 32 };
	struct drm_mode_map_dumb md = { 0 };
	struct drm_mode_destroy_dumb dd = { 0 };
	uint32_t handles[4] = { 0 }, pitches[4] = { 0 }, offsets[4] = { 0 };
	uint32_t conn = 0, crtc = 0, plane = 0, fb = 0, mode_blob = 0, clip_blob = 0;
	struct drm_mode_rect clip;
	drmModeModeInfo mode;
	drmModeAtomicReqPtr req;
	struct vgu_stats s;
	long long sent, done, inflight;
	uint32_t *map;
	int i, ret;

	if (vgu_stats_path(stats, sizeof(stats))) {
		skip_all("%s", "no virtio-gpu-stats in debugfs (not our driver, or no debugfs)");
		return test_exit();
	}
	fd = open("/dev/dri/card0", O_RDWR | O_CLOEXEC);
	if (fd < 0) {
		fail("open", "/dev/dri/card0: %s", strerror(errno));
		return test_exit();
	}
	if (drmSetMaster(fd) && !drmIsMaster(fd)) {
		skip_all("cannot become DRM master: %s", strerror(errno));
		return test_exit();
	}
	drmSetClientCap(fd, DRM_CLIENT_CAP_UNIVERSAL_PLANES, 1);
	if (drmSetClientCap(fd, DRM_CLIENT_CAP_ATOMIC, 1)) {
		skip_all("%s", "no atomic modesetting");
		return test_exit();
	}
	if (!find_output(&conn, &crtc, &plane, &mode)) {
		fail("setup", "no connector with modes, CRTC or primary plane");
		return test_exit();
	}
	if (drmModeCreatePropertyBlob(fd, &mode, sizeof(mode), &mode_blob)) {
		fail("setup", "mode blob: %s", strerror(errno));
		return test_exit();
	}

	/* Start from a quiet device: nothing of earlier work in flight. */
	for (i = 0; i < 200; i++) {
		ret = vgu_stats_read(stats, &s);
		if (ret) {
			fail("setup", "read %s: %s", stats, strerror(-ret));
			return test_exit();
		}
		if (!vgu_stats_get(&s, "inflight_ctrl") && !vgu_stats_get(&s, "inflight_cursor"))
			break;
		vgu_sleep_ms(10);
	}
	ret = vgu_stats_reset(stats);
	if (ret) {
		fail("setup", "reset %s: %s", stats, strerror(-ret));
		return test_exit();
	}

	cd.width = mode.hdisplay;
	cd.height = mode.vdisplay;
	if (drmIoctl(fd, DRM_IOCTL_MODE_CREATE_DUMB, &cd)) {
		fail("setup", "dumb %ux%u: %s", cd.width, cd.height,
		     strerror(errno));
		return test_exit();
	}
	md.handle = dd.handle = cd.handle;
	if (drmIoctl(fd, DRM_IOCTL_MODE_MAP_DUMB, &md)) {
		fail("setup", "map dumb: %s", strerror(errno));
		return test_exit();
	}
	map = mmap(NULL, cd.size, PROT_READ | PROT_WRITE, MAP_SHARED, fd,
		   md.offset);
	if (map == MAP_FAILED) {
		fail("setup", "mmap dumb: %s", strerror(errno));
		return test_exit();
	}
	for (i = 0; i < (int)(cd.size / 4); i++)
		map[i] = 0xff000000u | (i * 2654435761u >> 8);
	handles[0] = cd.handle;
	pitches[0] = cd.pitch;
	if (drmModeAddFB2(fd, cd.width, cd.height, DRM_FORMAT_XRGB8888, handles,
			  pitches, offsets, &fb, 0)) {
		fail("setup", "AddFB2: %s", strerror(errno));
		return test_exit();
	}
	clip = (struct drm_mode_rect){ 0, 0, cd.width, cd.height };
	if (drmModeCreatePropertyBlob(fd, &clip, sizeof(clip), &clip_blob)) {
		fail("setup", "damage blob: %s", strerror(errno));
		return test_exit();
	}

	req = drmModeAtomicAlloc();
	ret = add(req, conn, DRM_MODE_OBJECT_CONNECTOR, "CRTC_ID", crtc) ||
	      add(req, crtc, DRM_MODE_OBJECT_CRTC, "MODE_ID", mode_blob) ||
	      add(req, crtc, DRM_MODE_OBJECT_CRTC, "ACTIVE", 1) ||
	      add(req, plane, DRM_MODE_OBJECT_PLANE, "FB_ID", fb) ||
	      add(req, plane, DRM_MODE_OBJECT_PLANE, "CRTC_ID", crtc) ||
	      add(req, plane, DRM_MODE_OBJECT_PLANE, "SRC_X", 0) ||
	      add(req, plane, DRM_MODE_OBJECT_PLANE, "SRC_Y", 0) ||
	      add(req, plane, DRM_MODE_OBJECT_PLANE, "SRC_W",
		  (uint64_t)cd.width << 16) ||
	      add(req, plane, DRM_MODE_OBJECT_PLANE, "SRC_H",
		  (uint64_t)cd.height << 16) ||
	      add(req, plane, DRM_MODE_OBJECT_PLANE, "CRTC_X", 0) ||
	      add(req, plane, DRM_MODE_OBJECT_PLANE, "CRTC_Y", 0) ||
	      add(req, plane, DRM_MODE_OBJECT_PLANE, "CRTC_W", cd.width) ||
	      add(req, plane, DRM_MODE_OBJECT_PLANE, "CRTC_H", cd.height) ||
	      add(req, plane, DRM_MODE_OBJECT_PLANE, "FB_DAMAGE_CLIPS",
		  clip_blob) ? EINVAL : 0;
	if (ret)
		fail("setup", "a KMS property is missing");
	else if (drmModeAtomicCommit(fd, req, DRM_MODE_ATOMIC_ALLOW_MODESET, NULL))
		fail("setup", "atomic commit: %s", strerror(errno));
	drmModeAtomicFree(req);

	/*
	 * Everything sent must complete: poll for up to 2 s until nothing is
	 * in flight. Other clients (the fbdev console's damage worker) may
	 * have sent commands just before the reset that complete after it,
	 * so completions can exceed the commands counted since the reset.
	 */
	for (i = 0; i < 200; i++) {
		if (vgu_stats_read(stats, &s))
			break;
		if (vgu_stats_get(&s, "completed") >= commands(&s) &&
		    !vgu_stats_get(&s, "inflight_ctrl") &&
		    !vgu_stats_get(&s, "inflight_cursor"))
			break;
		vgu_sleep_ms(10);
	}
	sent = commands(&s);
	done = vgu_stats_get(&s, "completed");
	inflight = vgu_stats_get(&s, "inflight_ctrl") +
		   vgu_stats_get(&s, "inflight_cursor");
	printf("# after one commit:");
	for (i = 0; i < (int)s.n; i++)
		if (s.val[i])
			printf(" %s=%lld", s.name[i], s.val[i]);
	printf("\n");

	check("resource-create-2d", vgu_stats_get(&s, "cmd_resource_create_2d") == 1,
	      "cmd_resource_create_2d = %lld, want 1",
	      vgu_stats_get(&s, "cmd_resource_create_2d"));
	check("resource-attach-backing",
	      vgu_stats_get(&s, "cmd_resource_attach_backing") == 1,
	      "cmd_resource_attach_backing = %lld, want 1",
	      vgu_stats_get(&s, "cmd_resource_attach_backing"));
	check("transfer-to-host-2d", vgu_stats_get(&s, "cmd_transfer_to_host_2d") >= 1,
	      "cmd_transfer_to_host_2d = %lld, want >= 1",
	      vgu_stats_get(&s, "cmd_transfer_to_host_2d"));
	check("resource-flush", vgu_stats_get(&s, "cmd_resource_flush") >= 1,
	      "cmd_resource_flush = %lld, want >= 1",
	      vgu_stats_get(&s, "cmd_resource_flush"));
	check("notify", vgu_stats_get(&s, "notify") >= 1, "notify = %lld, want >= 1",
	      vgu_stats_get(&s, "notify"));
	check("notify-batched", vgu_stats_get(&s, "notify") <= sent,
	      "notify = %lld > %lld commands", vgu_stats_get(&s, "notify"), sent);
	check("completed", done >= sent && !inflight,
	      "completed = %lld, commands sent = %lld, in flight %lld (after 2 s)",
	      done, sent, inflight);

	drmModeRmFB(fd, fb);
	munmap(map, cd.size);
	drmIoctl(fd, DRM_IOCTL_MODE_DESTROY_DUMB, &dd);
	drmModeDestroyPropertyBlob(fd, clip_blob);
	drmModeDestroyPropertyBlob(fd, mode_blob);
	drmDropMaster(fd);
	close(fd);
	return test_exit();
}
