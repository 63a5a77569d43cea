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

#include "vgpu_drm.h"
#include "vgpu_test.h"

#define STATS	"/sys/kernel/debug/dri/0/virtio-gpu-stats"
#define MAX_STATS	64

static const char *const tests[] = {
	"resource-create-2d", "resource-attach-backing", "transfer-to-host-2d",
	"resource-flush", "notify", "notify-batched", "completed",
};

struct stats {
	int n;
	char name[MAX_STATS][40];
	long long val[MAX_STATS];
};

static int fd;

static int read_stats(struct stats *s)
{
	char line[128];
	FILE *f = fopen(STATS, "r");

	if (!f)
		return -1;
	s->n = 0;
	while (s->n < MAX_STATS && fgets(line, sizeof(line), f))
		if (sscanf(line, "%39s %lld", s->name[s->n], &s->val[s->n]) == 2)
			s->n++;
	fclose(f);
	return 0;
}

static long long stat_get(const struct stats *s, const char *name)
{
	int i;

	for (i = 0; i < s->n; i++)
		if (!strcmp(s->name[i], name))
			return s->val[i];
	return -1;
}

/* Commands sent: the sum of every cmd_* counter. */
static long long commands(const struct stats *s)
{
	long long sum = 0;
	int i;

	for (i = 0; i < s->n; i++)
		if (!strncmp(s->name[i], "cmd_", 4))
			sum += s->val[i];
	return sum;
}

static int add(drmModeAtomicReqPtr req, uint32_t obj, uint32_t type,
	       const char *name, uint64_t val)
{
	uint32_t id = vgpu_prop_id(fd, obj, type, name);

	if (!id)
		return -1;
	return drmModeAtomicAddProperty(req, obj, id, val) < 0 ? -1 : 0;
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
	struct stats s;
	long long sent, done, inflight;
	uint32_t *map;
	int i, ret;
	FILE *f;

	if (access(STATS, F_OK)) {
		skip_all("%s", "no " STATS " (not our driver, or no debugfs)");
		return vgpu_exit();
	}
	fd = open("/dev/dri/card0", O_RDWR | O_CLOEXEC);
	if (fd < 0) {
		fail("open", "/dev/dri/card0: %s", strerror(errno));
		return vgpu_exit();
	}
	if (drmSetMaster(fd) && !drmIsMaster(fd)) {
		skip_all("cannot become DRM master: %s", strerror(errno));
		return vgpu_exit();
	}
	drmSetClientCap(fd, DRM_CLIENT_CAP_UNIVERSAL_PLANES, 1);
	if (drmSetClientCap(fd, DRM_CLIENT_CAP_ATOMIC, 1)) {
		skip_all("%s", "no atomic modesetting");
		return vgpu_exit();
	}
	if (!find_output(&conn, &crtc, &plane, &mode)) {
		fail("setup", "no connector with modes, CRTC or primary plane");
		return vgpu_exit();
	}
	if (drmModeCreatePropertyBlob(fd, &mode, sizeof(mode), &mode_blob)) {
		fail("setup", "mode blob: %s", strerror(errno));
		return vgpu_exit();
	}

	/* Start from a quiet device: nothing of earlier work in flight. */
	for (i = 0; i < 200; i++) {
		if (read_stats(&s)) {
			fail("setup", "read %s: %s", STATS, strerror(errno));
			return vgpu_exit();
		}
		if (!stat_get(&s, "inflight_ctrl") && !stat_get(&s, "inflight_cursor"))
			break;
		sleep_ms(10);
	}
	f = fopen(STATS, "w");
	if (!f || fputs("0", f) < 0 || fclose(f)) {
		fail("setup", "reset %s: %s", STATS, strerror(errno));
		return vgpu_exit();
	}

	cd.width = mode.hdisplay;
	cd.height = mode.vdisplay;
	if (drmIoctl(fd, DRM_IOCTL_MODE_CREATE_DUMB, &cd)) {
		fail("setup", "dumb %ux%u: %s", cd.width, cd.height,
		     strerror(errno));
		return vgpu_exit();
	}
	md.handle = dd.handle = cd.handle;
	if (drmIoctl(fd, DRM_IOCTL_MODE_MAP_DUMB, &md)) {
		fail("setup", "map dumb: %s", strerror(errno));
		return vgpu_exit();
	}
	map = mmap(NULL, cd.size, PROT_READ | PROT_WRITE, MAP_SHARED, fd,
		   md.offset);
	if (map == MAP_FAILED) {
		fail("setup", "mmap dumb: %s", strerror(errno));
		return vgpu_exit();
	}
	for (i = 0; i < (int)(cd.size / 4); i++)
		map[i] = 0xff000000u | (i * 2654435761u >> 8);
	handles[0] = cd.handle;
	pitches[0] = cd.pitch;
	if (drmModeAddFB2(fd, cd.width, cd.height, DRM_FORMAT_XRGB8888, handles,
			  pitches, offsets, &fb, 0)) {
		fail("setup", "AddFB2: %s", strerror(errno));
		return vgpu_exit();
	}
	clip = (struct drm_mode_rect){ 0, 0, cd.width, cd.height };
	if (drmModeCreatePropertyBlob(fd, &clip, sizeof(clip), &clip_blob)) {
		fail("setup", "damage blob: %s", strerror(errno));
		return vgpu_exit();
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
		if (read_stats(&s))
			break;
		if (stat_get(&s, "completed") >= commands(&s) &&
		    !stat_get(&s, "inflight_ctrl") &&
		    !stat_get(&s, "inflight_cursor"))
			break;
		sleep_ms(10);
	}
	sent = commands(&s);
	done = stat_get(&s, "completed");
	inflight = stat_get(&s, "inflight_ctrl") +
		   stat_get(&s, "inflight_cursor");
	printf("# after one commit:");
	for (i = 0; i < s.n; i++)
		if (s.val[i])
			printf(" %s=%lld", s.name[i], s.val[i]);
	printf("\n");

	check("resource-create-2d", stat_get(&s, "cmd_resource_create_2d") == 1,
	      "cmd_resource_create_2d = %lld, want 1",
	      stat_get(&s, "cmd_resource_create_2d"));
	check("resource-attach-backing",
	      stat_get(&s, "cmd_resource_attach_backing") == 1,
	      "cmd_resource_attach_backing = %lld, want 1",
	      stat_get(&s, "cmd_resource_attach_backing"));
	check("transfer-to-host-2d", stat_get(&s, "cmd_transfer_to_host_2d") >= 1,
	      "cmd_transfer_to_host_2d = %lld, want >= 1",
	      stat_get(&s, "cmd_transfer_to_host_2d"));
	check("resource-flush", stat_get(&s, "cmd_resource_flush") >= 1,
	      "cmd_resource_flush = %lld, want >= 1",
	      stat_get(&s, "cmd_resource_flush"));
	check("notify", stat_get(&s, "notify") >= 1, "notify = %lld, want >= 1",
	      stat_get(&s, "notify"));
	check("notify-batched", stat_get(&s, "notify") <= sent,
	      "notify = %lld > %lld commands", stat_get(&s, "notify"), sent);
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
	return vgpu_exit();
}
