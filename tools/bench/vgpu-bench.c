// SPDX-License-Identifier: MIT
/*
 * vgpu-bench: one virtio-gpu workload per invocation, run inside the guest.
 *
 *   vgpu-bench WORKLOAD [-n COUNT]
 *   WORKLOAD: submit transfer churn latency flip flip-async cursor damage
 *             glmark2 glmark2-flip kmscube kmscube-atomic idle idle-kms
 *             glfinish readback alloc-map submit-wait (stock Mesa), the
 *             same with -ng (patched Mesa, userspace/mesa), upload-memcpy
 *             upload-blob upload-transfer
 *
 * Prints one result line "BENCH name ops=N seconds=S ..." and, when the
 * driver exposes debugfs counters, one "STATS name key=value ..." line with
 * the counters accumulated during the measured loop. Both lines also go to
 * /dev/console, framed by "VGPU-BENCH-START name" / "VGPU-BENCH-END name"
 * so that the host can cut its trace and QEMU's CPU time at the markers.
 *
 * Setup (opening, modesets, resource creation) happens before the START
 * marker and teardown after the END marker: the window holds the loop only.
 * Timing is never judged here; this measures, it does not test.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "drm_fourcc.h"
#include "vgu.h"

#define DRIVER VGU_DRIVER
/*
 * Quiet times around the loop. The host samples its counters when it sees
 * a marker on the serial log, a little later than the guest wrote it (more
 * so on a busy host): the guest stays quiet for a while after START, lets
 * deferred work finish before END, and holds still after END, so that a
 * late sample still cuts the window in the right place.
 */
#define SETTLE_START_MS	200
#define SETTLE_END_MS	100
#define HOLD_AFTER_MS	300

/*
 * The flip loops run over this many pairs of buffers in turn, a fifth of
 * the flips each (see flip_loop()).
 */
#define FLIP_PAIRS	5

struct bench {
	const char *name;
	long count;		/* -n override, 0 = the workload's default */
	int fd;
	/* filled by the workload */
	uint64_t ops;
	double seconds;
	char extra[512];
	/* workload private state */
	uint32_t bo, res;
	struct vgu_dumb fb[2 * FLIP_PAIRS];
	struct vgu_output out;
	uint32_t blob_mode, blob_damage;
	uint32_t p_fb_id, p_damage;
	double *lat_us;
	/* a client program's process and its pipes (see client_start()) */
	pid_t client;
	FILE *cl_in, *cl_out;
	void *src, *dst;
};

static void die(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	fprintf(stderr, "vgpu-bench: ");
	vfprintf(stderr, fmt, ap);
	fprintf(stderr, "\n");
	va_end(ap);
	exit(1);
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/*
 * A line on the console reaches the host's serial log synchronously (the
 * UART is emulated in the vCPU thread), which is what makes it a marker.
 */
static void console(const char *fmt, ...)
{
	char line[1024];
	va_list ap;
	int fd, n;

	va_start(ap, fmt);
	n = vsnprintf(line, sizeof(line) - 1, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	if (n > (int)sizeof(line) - 2)
		n = sizeof(line) - 2;
	line[n++] = '\n';
	fd = open("/dev/console", O_WRONLY | O_NOCTTY | O_CLOEXEC);
	if (fd < 0)
		return;
	if (write(fd, line, n) < 0)
		fprintf(stderr, "vgpu-bench: console write: %s\n", strerror(errno));
	close(fd);
}

static long count_or(struct bench *b, long def)
{
	return b->count > 0 ? b->count : def;
}

/* --- debugfs counters (our driver only) ----------------------------------- */

static char stats_path[256];

/* "name value" lines into one "name=value ..." string, non-zero ones only. */
static int stats_read(char *buf, size_t len)
{
	struct vgu_stats st;
	size_t used = 0;
	unsigned int i;
	int ret;

	buf[0] = '\0';
	ret = vgu_stats_read(stats_path, &st);
	if (ret)
		return ret;
	for (i = 0; i < st.n; i++) {
		int n;

		/* sync_wait must show even when zero: it is a headline metric */
		if (st.val[i] == 0 && strcmp(st.name[i], "sync_wait") &&
		    strcmp(st.name[i], "notify"))
			continue;
		n = snprintf(buf + used, len - used, "%s%s=%lld",
			     used ? " " : "", st.name[i], st.val[i]);
		if (n < 0 || (size_t)n >= len - used)
			break;
		used += n;
	}
	return 0;
}

/* --- render workloads (virgl device) -------------------------------------- */

static void open_render(struct bench *b)
{
	b->fd = vgu_open(DRIVER, VGU_NODE_RENDER, NULL);
	if (b->fd < 0)
		die("no %s render node: %s", DRIVER, strerror(-b->fd));
	if (!vgu_has_param(b->fd, VIRTGPU_PARAM_3D_FEATURES))
		die("the device has no 3D (virgl) support");
}

/* One virgl NOP: a header dword with opcode 0 and no payload. */
static const uint32_t nop_cmd[1] = {
	VGU_VIRGL_CMD(VGU_VIRGL_CCMD_NOP, 0, 0),
};

static void submit_setup(struct bench *b)
{
	int fence = -1, ret;
	struct vgu_submit s = {
		.cmd = nop_cmd, .size = sizeof(nop_cmd),
		.fence_in = -1, .fence_out = &fence, .ring_idx = -1,
	};

	open_render(b);
	/* The first submission creates the host context: keep it out. */
	ret = vgu_execbuffer(b->fd, &s);
	if (ret)
		die("execbuffer: %s", strerror(-ret));
	vgu_fence_wait(fence, -1);
	close(fence);
}

static void submit_run(struct bench *b)
{
	long i, n = count_or(b, 10000);
	int fence = -1, ret;
	struct vgu_submit s = {
		.cmd = nop_cmd, .size = sizeof(nop_cmd),
		.fence_in = -1, .ring_idx = -1,
	};
	double t0 = now_s();

	for (i = 0; i < n; i++) {
		/* Only the last one carries a fence: the loop measures submits. */
		s.fence_out = i == n - 1 ? &fence : NULL;
		ret = vgu_execbuffer(b->fd, &s);
		if (ret)
			die("execbuffer %ld: %s", i, strerror(-ret));
	}
	ret = vgu_fence_wait(fence, 60000);
	if (ret)
		die("fence wait: %s", strerror(-ret));
	b->seconds = now_s() - t0;
	close(fence);
	b->ops = n;
}

static void latency_run(struct bench *b)
{
	long i, n = count_or(b, 1000);
	int fence, ret;
	struct vgu_submit s = {
		.cmd = nop_cmd, .size = sizeof(nop_cmd),
		.fence_in = -1, .fence_out = &fence, .ring_idx = -1,
	};
	double t0 = now_s(), t;

	b->lat_us = calloc(n, sizeof(*b->lat_us));
	if (!b->lat_us)
		die("out of memory");
	for (i = 0; i < n; i++) {
		t = now_s();
		ret = vgu_execbuffer(b->fd, &s);
		if (ret)
			die("execbuffer %ld: %s", i, strerror(-ret));
		ret = vgu_fence_wait(fence, 10000);
		if (ret)
			die("fence wait %ld: %s", i, strerror(-ret));
		b->lat_us[i] = (now_s() - t) * 1e6;
		close(fence);
	}
	b->seconds = now_s() - t0;
	b->ops = n;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static void latency_report(struct bench *b)
{
	long n = b->ops, i;
	double sum = 0;

	if (!n)
		return;
	for (i = 0; i < n; i++)
		sum += b->lat_us[i];
	qsort(b->lat_us, n, sizeof(*b->lat_us), cmp_double);
	snprintf(b->extra, sizeof(b->extra),
		 "lat_mean_us=%.1f lat_p50_us=%.1f lat_p99_us=%.1f lat_max_us=%.1f",
		 sum / n, b->lat_us[n / 2], b->lat_us[(n * 99) / 100],
		 b->lat_us[n - 1]);
	free(b->lat_us);
	b->lat_us = NULL;
}

static void transfer_setup(struct bench *b)
{
	struct vgu_res_desc d = {
		.target = VGU_PIPE_TEXTURE_2D,
		.format = VGU_VIRGL_FORMAT_B8G8R8A8,
		.bind = VGU_VIRGL_BIND_SAMPLER_VIEW |
			VGU_VIRGL_BIND_RENDER_TARGET,
		.width = 64, .height = 64,
		.size = 64 * 64 * 4, .stride = 64 * 4,
	};
	uint8_t *p;
	int ret;

	open_render(b);
	ret = vgu_resource_create(b->fd, &d, &b->bo, &b->res);
	if (ret)
		die("resource create: %s", strerror(-ret));
	/* Touch the backing so the transfers copy real pages. */
	p = vgu_map(b->fd, b->bo, d.size);
	if (p) {
		memset(p, 0x5a, d.size);
		munmap(p, d.size);
	}
	ret = vgu_wait(b->fd, b->bo, 0);
	if (ret)
		die("wait: %s", strerror(-ret));
}

static void transfer_run(struct bench *b)
{
	struct drm_virtgpu_3d_box box = { 0, 0, 0, 64, 64, 1 };
	long i, n = count_or(b, 10000);
	double t0 = now_s();
	int ret;

	/*
	 * stride 0: the resource's own layout. The upstream driver accepts a
	 * stride only on host3d blobs and fails the ioctl otherwise.
	 */
	for (i = 0; i < n; i++) {
		ret = vgu_transfer(b->fd, b->bo, 1, &box, 0, 0);
		if (ret)
			die("transfer %ld: %s", i, strerror(-ret));
	}
	ret = vgu_wait(b->fd, b->bo, 0);
	if (ret)
		die("wait: %s", strerror(-ret));
	b->seconds = now_s() - t0;
	b->ops = n;
}

static void churn_run(struct bench *b)
{
	struct vgu_res_desc d = {
		.target = VGU_PIPE_BUFFER,
		.format = VGU_VIRGL_FORMAT_R8,
		.bind = VGU_VIRGL_BIND_VERTEX_BUFFER,
		.width = 4096, .height = 1,
		.size = 4096,
	};
	long i, n = count_or(b, 2000);
	double t0 = now_s();
	uint32_t bo;
	int ret;

	for (i = 0; i < n; i++) {
		ret = vgu_resource_create(b->fd, &d, &bo, NULL);
		if (ret)
			die("resource create %ld: %s", i, strerror(-ret));
		ret = vgu_gem_close(b->fd, bo);
		if (ret)
			die("gem close %ld: %s", i, strerror(-ret));
	}
	/*
	 * The host handles the control queue in order: once one more
	 * resource is idle, every create and unref before it is done.
	 */
	ret = vgu_resource_create(b->fd, &d, &bo, NULL);
	if (ret)
		die("resource create: %s", strerror(-ret));
	vgu_wait(b->fd, bo, 0);
	vgu_gem_close(b->fd, bo);
	b->seconds = now_s() - t0;
	b->ops = n;
}

/* --- KMS workloads (2D device, card node, DRM master) ---------------------- */

static void open_card(struct bench *b, int atomic)
{
	int ret;

	b->fd = vgu_open(DRIVER, VGU_NODE_CARD, NULL);
	if (b->fd < 0)
		die("no %s card node: %s", DRIVER, strerror(-b->fd));
	/* The first opener is master already; ask anyway, for clarity. */
	ret = vgu_set_master(b->fd);
	if (ret)
		die("SET_MASTER: %s (is something else on the display?)",
		    strerror(-ret));
	vgu_set_client_cap(b->fd, DRM_CLIENT_CAP_UNIVERSAL_PLANES, 1);
	if (atomic) {
		ret = vgu_set_client_cap(b->fd, DRM_CLIENT_CAP_ATOMIC, 1);
		if (ret)
			die("no atomic modesetting: %s", strerror(-ret));
	}
	ret = vgu_find_output(b->fd, &b->out);
	if (ret)
		die("no connected output: %s", strerror(-ret));
}

static uint32_t prop(struct bench *b, uint32_t obj, uint32_t type,
		     const char *name)
{
	uint32_t id;
	int ret = vgu_prop(b->fd, obj, type, name, &id, NULL);

	if (ret)
		die("property %s on %u: %s", name, obj, strerror(-ret));
	return id;
}

static void fill(struct vgu_dumb *d, uint32_t color)
{
	uint32_t x, y;

	for (y = 0; y < d->height; y++) {
		uint32_t *row = (uint32_t *)((char *)d->map + (size_t)y * d->pitch);

		for (x = 0; x < d->width; x++)
			row[x] = color;
	}
}

static void flip_setup(struct bench *b)
{
	struct drm_mode_modeinfo *m;
	struct drm_mode_rect full;
	struct vgu_atomic a;
	uint32_t plane, crtc, conn, w, h;
	int i, ret;

	open_card(b, 1);
	m = &b->out.mode;
	w = m->hdisplay;
	h = m->vdisplay;
	plane = b->out.primary_plane_id;
	crtc = b->out.crtc_id;
	conn = b->out.connector_id;
	if (!plane)
		die("no primary plane for CRTC %u", crtc);
	for (i = 0; i < 2 * FLIP_PAIRS; i++) {
		ret = vgu_dumb_create(b->fd, w, h, DRM_FORMAT_XRGB8888, &b->fb[i]);
		if (ret)
			die("dumb buffer %ux%u: %s", w, h, strerror(-ret));
		fill(&b->fb[i], i & 1 ? 0x00203080 : 0x00806020);
	}
	ret = vgu_create_blob(b->fd, m, sizeof(*m), &b->blob_mode);
	if (ret)
		die("mode blob: %s", strerror(-ret));
	full.x1 = 0;
	full.y1 = 0;
	full.x2 = w;
	full.y2 = h;
	ret = vgu_create_blob(b->fd, &full, sizeof(full), &b->blob_damage);
	if (ret)
		die("damage blob: %s", strerror(-ret));
	b->p_fb_id = prop(b, plane, DRM_MODE_OBJECT_PLANE, "FB_ID");
	b->p_damage = prop(b, plane, DRM_MODE_OBJECT_PLANE, "FB_DAMAGE_CLIPS");

	/* Take the display over with fb[0], blocking, as a full modeset. */
	vgu_atomic_init(&a);
	vgu_atomic_add(&a, conn, prop(b, conn, DRM_MODE_OBJECT_CONNECTOR,
				       "CRTC_ID"), crtc);
	vgu_atomic_add(&a, crtc, prop(b, crtc, DRM_MODE_OBJECT_CRTC, "MODE_ID"),
			b->blob_mode);
	vgu_atomic_add(&a, crtc, prop(b, crtc, DRM_MODE_OBJECT_CRTC, "ACTIVE"), 1);
	vgu_atomic_add(&a, plane, b->p_fb_id, b->fb[0].fb_id);
	vgu_atomic_add(&a, plane, prop(b, plane, DRM_MODE_OBJECT_PLANE, "CRTC_ID"),
			crtc);
	vgu_atomic_add(&a, plane, prop(b, plane, DRM_MODE_OBJECT_PLANE, "SRC_X"), 0);
	vgu_atomic_add(&a, plane, prop(b, plane, DRM_MODE_OBJECT_PLANE, "SRC_Y"), 0);
	vgu_atomic_add(&a, plane, prop(b, plane, DRM_MODE_OBJECT_PLANE, "SRC_W"),
			(uint64_t)w << 16);
	vgu_atomic_add(&a, plane, prop(b, plane, DRM_MODE_OBJECT_PLANE, "SRC_H"),
			(uint64_t)h << 16);
	vgu_atomic_add(&a, plane, prop(b, plane, DRM_MODE_OBJECT_PLANE, "CRTC_X"), 0);
	vgu_atomic_add(&a, plane, prop(b, plane, DRM_MODE_OBJECT_PLANE, "CRTC_Y"), 0);
	vgu_atomic_add(&a, plane, prop(b, plane, DRM_MODE_OBJECT_PLANE, "CRTC_W"), w);
	vgu_atomic_add(&a, plane, prop(b, plane, DRM_MODE_OBJECT_PLANE, "CRTC_H"), h);
	ret = vgu_atomic_commit(b->fd, &a, DRM_MODE_ATOMIC_ALLOW_MODESET, 0);
	if (ret)
		die("initial atomic modeset: %s", strerror(-ret));
	snprintf(b->extra, sizeof(b->extra), "mode=%ux%u", w, h);
}

/*
 * flip: vsync'd flips, each waited for, so a driver with vblank runs at the
 * refresh rate. flip-async: the same with DRM_MODE_PAGE_FLIP_ASYNC (tearing
 * flips, what a game without vsync asks for), which shows the cost of a flip
 * itself; drivers without async flips refuse the first one.
 *
 * The flips alternate between two buffers, and every fifth of the loop
 * moves on to the next of FLIP_PAIRS pairs: three fresh pairs in one boot
 * ran the same loop at medians of 1715 to 2590 flips/s, so one loop
 * samples several, for both drivers alike. Every flip is still a
 * full-screen upload of the buffer it shows. The spread from boot to boot
 * stays as large as it was.
 */
/* Shows @fb_id with the damage blob, an event, and waits for the event. */
static void show_and_wait(struct bench *b, uint32_t fb_id, uint32_t flags,
			  long i)
{
	uint32_t plane = b->out.primary_plane_id;
	struct vgu_atomic a;
	uint64_t ud;
	int ret;

	vgu_atomic_init(&a);
	vgu_atomic_add(&a, plane, b->p_fb_id, fb_id);
	vgu_atomic_add(&a, plane, b->p_damage, b->blob_damage);
	ret = vgu_atomic_commit(b->fd, &a, DRM_MODE_PAGE_FLIP_EVENT |
				 DRM_MODE_ATOMIC_NONBLOCK | flags, i + 1);
	if (ret && !i && (flags & DRM_MODE_PAGE_FLIP_ASYNC))
		die("the driver refuses async page flips: %s", strerror(-ret));
	if (ret)
		die("%s %ld: %s", b->name, i, strerror(-ret));
	ret = vgu_wait_flip_event(b->fd, 10000, &ud);
	if (ret)
		die("%s event %ld: %s", b->name, i, strerror(-ret));
}

static void flip_loop(struct bench *b, uint32_t extra_flags)
{
	long i, n = count_or(b, 600);
	double t0 = now_s();

	for (i = 0; i < n; i++) {
		long pair = i * FLIP_PAIRS / n;

		show_and_wait(b, b->fb[2 * pair + ((i + 1) & 1)].fb_id,
			      extra_flags, i);
	}
	b->seconds = now_s() - t0;
	b->ops = n;
}

static void flip_run(struct bench *b)
{
	flip_loop(b, 0);
}

static void flip_async_run(struct bench *b)
{
	flip_loop(b, DRM_MODE_PAGE_FLIP_ASYNC);
}

/*
 * Some unmeasured flips first, so that the measured loop starts in a
 * steady state of flipping rather than right after the modeset: a loop
 * of 600 takes under half a second, short enough for a slow start to
 * show in its rate.
 */
static void flip_warm(struct bench *b, uint32_t extra_flags)
{
	struct bench warm = *b;

	warm.count = 60;
	flip_loop(&warm, extra_flags);
}

static void flip_setup_paced(struct bench *b)
{
	flip_setup(b);
	flip_warm(b, 0);
}

static void flip_setup_async(struct bench *b)
{
	flip_setup(b);
	flip_warm(b, DRM_MODE_PAGE_FLIP_ASYNC);
}

static void flip_teardown(struct bench *b)
{
	int i;

	/* Closing the master hands the display back to fbdev. */
	for (i = 0; i < 2 * FLIP_PAIRS; i++)
		vgu_dumb_destroy(b->fd, &b->fb[i]);
}

/*
 * damage: a still full-screen buffer of which two 64x64 corners change,
 * top left and bottom right, shown with a vsync'd commit each (FB_DAMAGE_CLIPS
 * with both rectangles): what a compositor does for a blinking cursor or a
 * clock. What matters is what crosses to the host per update.
 */
static void damage_setup(struct bench *b)
{
	struct drm_mode_rect clips[2];
	uint32_t w, h;
	int ret;

	flip_setup(b);
	w = b->out.mode.hdisplay;
	h = b->out.mode.vdisplay;
	clips[0] = (struct drm_mode_rect){ 0, 0, 64, 64 };
	clips[1] = (struct drm_mode_rect){ w - 64, h - 64, w, h };
	ret = vgu_create_blob(b->fd, clips, sizeof(clips), &b->blob_damage);
	if (ret)
		die("damage blob: %s", strerror(-ret));
}

static void damage_run(struct bench *b)
{
	long i, n = count_or(b, 600);
	double t0 = now_s();

	for (i = 0; i < n; i++)
		show_and_wait(b, b->fb[0].fb_id, 0, i);
	b->seconds = now_s() - t0;
	b->ops = n;
}

static int cursor_ioctl(struct bench *b, uint32_t flags, uint32_t handle,
			int32_t x, int32_t y)
{
	struct drm_mode_cursor c;

	memset(&c, 0, sizeof(c));
	c.flags = flags;
	c.crtc_id = b->out.crtc_id;
	c.handle = handle;
	c.width = handle ? 64 : 0;
	c.height = handle ? 64 : 0;
	c.x = x;
	c.y = y;
	return vgu_ioctl(b->fd, DRM_IOCTL_MODE_CURSOR, &c);
}

static void cursor_setup(struct bench *b)
{
	struct drm_mode_modeinfo *m;
	struct drm_mode_crtc sc;
	uint32_t conn;
	int ret;

	open_card(b, 0);
	m = &b->out.mode;
	/* Normally fbdev scans out already; if not, light the CRTC up. */
	if (!b->out.crtc_active) {
		ret = vgu_dumb_create(b->fd, m->hdisplay, m->vdisplay,
				      DRM_FORMAT_XRGB8888, &b->fb[1]);
		if (ret)
			die("dumb buffer: %s", strerror(-ret));
		fill(&b->fb[1], 0x00404040);
		conn = b->out.connector_id;
		memset(&sc, 0, sizeof(sc));
		sc.crtc_id = b->out.crtc_id;
		sc.fb_id = b->fb[1].fb_id;
		sc.set_connectors_ptr = (uint64_t)(uintptr_t)&conn;
		sc.count_connectors = 1;
		sc.mode = *m;
		sc.mode_valid = 1;
		ret = vgu_ioctl(b->fd, DRM_IOCTL_MODE_SETCRTC, &sc);
		if (ret)
			die("SETCRTC: %s", strerror(-ret));
	}
	ret = vgu_dumb_create(b->fd, 64, 64, DRM_FORMAT_ARGB8888, &b->fb[0]);
	if (ret)
		die("cursor buffer: %s", strerror(-ret));
	fill(&b->fb[0], 0xc0ff8000);
	ret = cursor_ioctl(b, DRM_MODE_CURSOR_BO, b->fb[0].handle, 0, 0);
	if (ret)
		die("set cursor: %s", strerror(-ret));
	snprintf(b->extra, sizeof(b->extra), "mode=%ux%u", m->hdisplay,
		 m->vdisplay);
}

static void cursor_run(struct bench *b)
{
	long i, n = count_or(b, 1000);
	int w = b->out.mode.hdisplay - 64, h = b->out.mode.vdisplay - 64;
	double t0 = now_s();
	int ret;

	for (i = 0; i < n; i++) {
		ret = cursor_ioctl(b, DRM_MODE_CURSOR_MOVE, 0,
				   (i * 7) % w, (i * 5) % h);
		if (ret)
			die("move cursor %ld: %s", i, strerror(-ret));
	}
	b->seconds = now_s() - t0;
	b->ops = n;
}

static void cursor_teardown(struct bench *b)
{
	cursor_ioctl(b, DRM_MODE_CURSOR_BO, 0, 0, 0);
	vgu_dumb_destroy(b->fd, &b->fb[0]);
	vgu_dumb_destroy(b->fd, &b->fb[1]);
}

/* --- glmark2 (virgl through Mesa) ------------------------------------------ */

/*
 * A fixed scene list with fixed durations, so that both drivers render the
 * same thing for the same time. Overridable (for a quick look) with
 * VGPU_BENCH_GLMARK2="args..." in the environment.
 */
static const char *const glmark2_default =
	"--off-screen -s 256x256 -b build:duration=4 -b texture:duration=4 "
	"-b shading:duration=4";

/*
 * The same scenes on screen: glmark2-es2-drm renders at the display's mode
 * and page-flips to every frame, as a GL client of KMS does.
 */
static const char *const glmark2_flip_default =
	"-b build:duration=4 -b texture:duration=4 -b shading:duration=4";

static void glmark2_loop(struct bench *b, const char *args)
{
	char cmd[1024], line[1024];
	double t0, fps_sum = 0, scene_s = 4;
	long score = -1, scenes = 0;
	const char *d;
	FILE *p;
	int st;

	/* Scene durations are all equal in our list: take the first one. */
	d = strstr(args, "duration=");
	if (d)
		scene_s = atof(d + 9);
	snprintf(cmd, sizeof(cmd), "glmark2-es2-drm %s 2>&1", args);
	t0 = now_s();
	p = popen(cmd, "r");
	if (!p)
		die("popen glmark2: %s", strerror(errno));
	while (fgets(line, sizeof(line), p)) {
		const char *f = strstr(line, "FPS: ");
		const char *s = strstr(line, "Score: ");

		fputs(line, stderr);
		if (f) {
			fps_sum += atof(f + 5);
			scenes++;
		}
		if (s)
			score = atol(s + 7);
	}
	st = pclose(p);
	b->seconds = now_s() - t0;
	if (st != 0 || score < 0)
		die("glmark2 failed (status %d, score %ld)", st, score);
	/*
	 * glmark2 prints FPS per scene, not frame counts: frames are
	 * FPS x scene duration, which is what the per-op metrics divide by.
	 */
	b->ops = (uint64_t)(fps_sum * scene_s + 0.5);
	snprintf(b->extra, sizeof(b->extra), "score=%ld scenes=%ld", score,
		 scenes);
}

static void glmark2_run(struct bench *b)
{
	const char *args = getenv("VGPU_BENCH_GLMARK2");

	glmark2_loop(b, args ? args : glmark2_default);
}

static void glmark2_flip_run(struct bench *b)
{
	const char *args = getenv("VGPU_BENCH_GLMARK2_FLIP");

	glmark2_loop(b, args ? args : glmark2_flip_default);
}

/* --- kmscube: render a frame with GL, flip to it, repeat ------------------ */

/*
 * kmscube (Mesa virgl through GBM and EGL) draws a frame and page-flips to
 * it, COUNT times: the loop of every guest that shows what it renders.
 * "kmscube" uses legacy page flips with implicit fences, "kmscube-atomic"
 * atomic commits with EGL native fences as IN_FENCE_FD and OUT_FENCE_PTR.
 */
#define KMSCUBE_STDIN	"/tmp/vgpu-bench-kmscube.in"

static void kmscube_loop(struct bench *b, const char *mode)
{
	long n = count_or(b, 300);
	char cmd[256], line[512];
	double t0;
	FILE *p;
	int st;

	/*
	 * kmscube quits on input or end of file on stdin: give it a FIFO
	 * that it holds open itself and nobody writes.
	 */
	unlink(KMSCUBE_STDIN);
	if (mkfifo(KMSCUBE_STDIN, 0600))
		die("mkfifo %s: %s", KMSCUBE_STDIN, strerror(errno));
	snprintf(cmd, sizeof(cmd), "kmscube %s -c %ld 2>&1 <>%s", mode, n,
		 KMSCUBE_STDIN);
	t0 = now_s();
	p = popen(cmd, "r");
	if (!p)
		die("popen kmscube: %s", strerror(errno));
	while (fgets(line, sizeof(line), p))
		fputs(line, stderr);
	st = pclose(p);
	b->seconds = now_s() - t0;
	unlink(KMSCUBE_STDIN);
	if (st != 0)
		die("kmscube %s failed (status %d)", mode, st);
	b->ops = n;
}

static void kmscube_run(struct bench *b)
{
	kmscube_loop(b, "");
}

static void kmscube_atomic_run(struct bench *b)
{
	kmscube_loop(b, "-A");
}

/* --- Mesa clients: GL and Vulkan loops on stock or patched Mesa ---------- */

/*
 * glloop and vkloop (tests/c) run one loop of a GL or Vulkan driver and
 * report it; under LD_PRELOAD=libsccount.so they also count the system
 * calls and blocking waits it made. They come from this program's own
 * directory. A client starts in the setup, says READY once it is warmed
 * up, and runs its loop when told, so that the window holds the loop only.
 * The -ng workloads select Mesa with our patches (userspace/mesa) from the
 * work disk, as tests/guest/tests/mesa-ng.sh does.
 */
#define PATCHED_MESA	"/mnt/work/mesa"

static void client_start(struct bench *b, const char *prog, const char *loop,
			 long n, int patched)
{
	char self[256], path[320], lib[320], count[32], line[512];
	int to[2], from[2];
	ssize_t len;

	len = readlink("/proc/self/exe", self, sizeof(self) - 1);
	if (len <= 0)
		die("readlink /proc/self/exe: %s", strerror(errno));
	self[len] = '\0';
	*strrchr(self, '/') = '\0';
	snprintf(path, sizeof(path), "%s/%s", self, prog);
	snprintf(lib, sizeof(lib), "%s/libsccount.so", self);
	snprintf(count, sizeof(count), "%ld", n);
	if (patched && access(PATCHED_MESA "/lib/libEGL_mesa.so.0", R_OK))
		die("patched Mesa is not in " PATCHED_MESA " (make mesa)");
	if (pipe(to) || pipe(from))
		die("pipe: %s", strerror(errno));
	b->client = fork();
	if (b->client < 0)
		die("fork: %s", strerror(errno));
	if (!b->client) {
		dup2(to[0], 0);
		dup2(from[1], 1);
		close(to[1]);
		close(from[0]);
		setenv("LD_PRELOAD", lib, 1);
		if (patched) {
			/* GL through glvnd: our vendor library, as mesa-ng.sh. */
			setenv("__EGL_VENDOR_LIBRARY_FILENAMES", PATCHED_MESA
			       "/share/glvnd/egl_vendor.d/50_mesa.json", 1);
			setenv("LD_LIBRARY_PATH", PATCHED_MESA "/lib", 1);
			setenv("VK_ICD_FILENAMES", PATCHED_MESA
			       "/share/vulkan/icd.d/virtio_icd.x86_64.json", 1);
		}
		execl(path, prog, "bench", loop, count, (char *)NULL);
		_exit(127);
	}
	close(to[0]);
	close(from[1]);
	b->cl_in = fdopen(to[1], "w");
	b->cl_out = fdopen(from[0], "r");
	if (!b->cl_in || !b->cl_out)
		die("fdopen: %s", strerror(errno));
	while (fgets(line, sizeof(line), b->cl_out)) {
		if (!strncmp(line, "READY", 5))
			return;
		fputs(line, stderr);
	}
	die("%s %s ended before it was ready", prog, loop);
}

static void client_run(struct bench *b)
{
	unsigned long calls = 0, waits = 0;
	char line[512];
	double secs = 0;
	long ops = 0;
	int bad = 0, n;

	fprintf(b->cl_in, "go\n");
	fflush(b->cl_in);
	while (fgets(line, sizeof(line), b->cl_out)) {
		if (strncmp(line, "BENCH ", 6)) {
			fputs(line, stderr);
			continue;
		}
		n = sscanf(line, "BENCH %*s ops=%ld s=%lf bad=%d syscalls=%lu waits=%lu",
			   &ops, &secs, &bad, &calls, &waits);
		if (n < 3 || bad)
			die("client: %s", line);
		b->ops = ops;
		b->seconds = secs;
		if (n == 5 && ops > 0)
			snprintf(b->extra, sizeof(b->extra),
				 "syscalls_per_op=%.3f waits_per_op=%.3f",
				 (double)calls / ops, (double)waits / ops);
		return;
	}
	die("client ended without a result");
}

static void client_teardown(struct bench *b)
{
	int st = 0;

	fclose(b->cl_in);
	fclose(b->cl_out);
	if (waitpid(b->client, &st, 0) < 0 || !WIFEXITED(st) ||
	    WEXITSTATUS(st))
		die("client exited with status %d", st);
}

#define CLIENT(fn, prog, loop, patched)					\
static void fn(struct bench *b)						\
{									\
	client_start(b, prog, loop, count_or(b, 300), patched);	\
}
CLIENT(glfinish_setup, "glloop", "finish", 0)
CLIENT(glfinish_ng_setup, "glloop", "finish", 1)
CLIENT(readback_setup, "glloop", "readback", 0)
CLIENT(readback_ng_setup, "glloop", "readback", 1)
CLIENT(alloc_map_setup, "vkloop", "alloc-map", 0)
CLIENT(alloc_map_ng_setup, "vkloop", "alloc-map", 1)
CLIENT(submit_wait_setup, "vkloop", "submit-wait", 0)
CLIENT(submit_wait_ng_setup, "vkloop", "submit-wait", 1)

/* --- upload: 64 MiB from guest memory to the host ------------------------- */

/*
 * Three ways to get 64 MiB of fresh data to the host, each COUNT times:
 * a plain memcpy between two guest buffers (the bound: what copying the
 * bytes costs at all), a memcpy into a mapped host-visible blob (the host
 * sees it as it is written), and a memcpy into a guest-backed resource
 * followed by TRANSFER_TO_HOST, waited for.
 */
#define UPLOAD_SIZE	(64u << 20)
#define UPLOAD_BLOB_ID	7u

static void upload_fill(struct bench *b)
{
	b->src = malloc(UPLOAD_SIZE);
	if (!b->src)
		die("out of memory");
	memset(b->src, 0x3c, UPLOAD_SIZE);
}

static void upload_memcpy_setup(struct bench *b)
{
	upload_fill(b);
	b->dst = malloc(UPLOAD_SIZE);
	if (!b->dst)
		die("out of memory");
	memset(b->dst, 0, UPLOAD_SIZE);
}

/* A host-visible virgl buffer, created the way Mesa's virgl creates one. */
static void upload_blob_setup(struct bench *b)
{
	uint32_t cmd[12] = {
		VGU_VIRGL_CMD(48 /* PIPE_RESOURCE_CREATE */, 0, 11),
		VGU_PIPE_BUFFER, VGU_VIRGL_FORMAT_R8,
		VGU_VIRGL_BIND_VERTEX_BUFFER, UPLOAD_SIZE, 1, 1, 1, 0, 0,
		(1u << 1) | (1u << 2),	/* MAP_PERSISTENT | MAP_COHERENT */
		UPLOAD_BLOB_ID,
	};
	struct vgu_blob_desc d = {
		.blob_mem = VIRTGPU_BLOB_MEM_HOST3D,
		.blob_flags = VIRTGPU_BLOB_FLAG_USE_MAPPABLE,
		.size = UPLOAD_SIZE, .blob_id = UPLOAD_BLOB_ID,
		.cmd = cmd, .cmd_size = sizeof(cmd),
	};
	int ret;

	open_render(b);
	if (!vgu_has_param(b->fd, VIRTGPU_PARAM_HOST_VISIBLE))
		die("the device has no host-visible memory");
	upload_fill(b);
	ret = vgu_blob_create(b->fd, &d, &b->bo, &b->res);
	if (ret)
		die("host blob: %s", strerror(-ret));
	b->dst = vgu_map(b->fd, b->bo, UPLOAD_SIZE);
	if (!b->dst)
		die("cannot map the host blob");
}

static void upload_transfer_setup(struct bench *b)
{
	struct vgu_res_desc d = {
		.target = VGU_PIPE_BUFFER,
		.format = VGU_VIRGL_FORMAT_R8,
		.bind = VGU_VIRGL_BIND_VERTEX_BUFFER,
		.width = UPLOAD_SIZE, .height = 1,
		.size = UPLOAD_SIZE,
	};
	int ret;

	open_render(b);
	upload_fill(b);
	ret = vgu_resource_create(b->fd, &d, &b->bo, &b->res);
	if (ret)
		die("resource create: %s", strerror(-ret));
	b->dst = vgu_map(b->fd, b->bo, UPLOAD_SIZE);
	if (!b->dst)
		die("cannot map the resource");
}

static void upload_run(struct bench *b)
{
	struct drm_virtgpu_3d_box box = { 0, 0, 0, UPLOAD_SIZE, 1, 1 };
	long i, n = count_or(b, 20);
	double t0 = now_s();
	int ret;

	for (i = 0; i < n; i++) {
		((char *)b->src)[0] = i;
		memcpy(b->dst, b->src, UPLOAD_SIZE);
		if (strcmp(b->name, "upload-transfer"))
			continue;
		ret = vgu_transfer(b->fd, b->bo, 1, &box, 0, 0);
		if (!ret)
			ret = vgu_wait(b->fd, b->bo, 0);
		if (ret)
			die("transfer: %s", strerror(-ret));
	}
	b->seconds = now_s() - t0;
	b->ops = n;
	snprintf(b->extra, sizeof(b->extra), "mib_per_s=%.1f",
		 b->seconds > 0 ? n * (UPLOAD_SIZE >> 20) / b->seconds : 0.0);
}

static void upload_teardown(struct bench *b)
{
	if (!strcmp(b->name, "upload-memcpy"))
		free(b->dst);
	else
		munmap(b->dst, UPLOAD_SIZE);
	free(b->src);
}

/* --- idle: the background rate of the device, for reference --------------- */

static void idle_run(struct bench *b)
{
	long ms = count_or(b, 10000);
	double t0 = now_s();

	vgu_sleep_ms(ms);
	b->seconds = now_s() - t0;
	b->ops = 1;
}

/* --------------------------------------------------------------------------- */

struct workload {
	const char *name;
	void (*setup)(struct bench *b);
	void (*run)(struct bench *b);
	void (*report)(struct bench *b);
	void (*teardown)(struct bench *b);
};

static const struct workload workloads[] = {
	{ "submit", submit_setup, submit_run, NULL, NULL },
	{ "transfer", transfer_setup, transfer_run, NULL, NULL },
	{ "churn", open_render, churn_run, NULL, NULL },
	{ "flip", flip_setup_paced, flip_run, NULL, flip_teardown },
	{ "flip-async", flip_setup_async, flip_async_run, NULL, flip_teardown },
	{ "cursor", cursor_setup, cursor_run, NULL, cursor_teardown },
	{ "latency", submit_setup, latency_run, latency_report, NULL },
	{ "glmark2", NULL, glmark2_run, NULL, NULL },
	{ "glmark2-flip", NULL, glmark2_flip_run, NULL, NULL },
	{ "damage", damage_setup, damage_run, NULL, flip_teardown },
	/*
	 * idle-kms: a KMS client shows a still frame and asks for nothing,
	 * no vblank events either: what an idle desktop costs the host.
	 */
	{ "idle-kms", flip_setup, idle_run, NULL, flip_teardown },
	{ "kmscube", NULL, kmscube_run, NULL, NULL },
	{ "kmscube-atomic", NULL, kmscube_atomic_run, NULL, NULL },
	{ "idle", NULL, idle_run, NULL, NULL },
	{ "glfinish", glfinish_setup, client_run, NULL, client_teardown },
	{ "glfinish-ng", glfinish_ng_setup, client_run, NULL, client_teardown },
	{ "readback", readback_setup, client_run, NULL, client_teardown },
	{ "readback-ng", readback_ng_setup, client_run, NULL, client_teardown },
	{ "alloc-map", alloc_map_setup, client_run, NULL, client_teardown },
	{ "alloc-map-ng", alloc_map_ng_setup, client_run, NULL, client_teardown },
	{ "submit-wait", submit_wait_setup, client_run, NULL, client_teardown },
	{ "submit-wait-ng", submit_wait_ng_setup, client_run, NULL,
	  client_teardown },
	{ "upload-memcpy", upload_memcpy_setup, upload_run, NULL,
	  upload_teardown },
	{ "upload-blob", upload_blob_setup, upload_run, NULL, upload_teardown },
	{ "upload-transfer", upload_transfer_setup, upload_run, NULL,
	  upload_teardown },
};

static void usage(void)
{
	size_t i;

	fprintf(stderr, "usage: vgpu-bench WORKLOAD [-n COUNT]\nworkloads:");
	for (i = 0; i < sizeof(workloads) / sizeof(workloads[0]); i++)
		fprintf(stderr, " %s", workloads[i].name);
	fprintf(stderr, "\n");
	exit(2);
}

int main(int argc, char **argv)
{
	const struct workload *w = NULL;
	struct bench b;
	char stats[2048], res[1024];
	size_t i;
	int opt;

	if (argc < 2)
		usage();
	for (i = 0; i < sizeof(workloads) / sizeof(workloads[0]); i++)
		if (strcmp(argv[1], workloads[i].name) == 0)
			w = &workloads[i];
	if (!w)
		usage();
	memset(&b, 0, sizeof(b));
	b.name = w->name;
	b.fd = -1;
	optind = 2;
	while ((opt = getopt(argc, argv, "n:")) != -1) {
		if (opt == 'n')
			b.count = strtol(optarg, NULL, 0);
		else
			usage();
	}
	/* glmark2 output goes through a pipe: a dead reader must not kill us. */
	signal(SIGPIPE, SIG_IGN);
	if (vgu_stats_path(stats_path, sizeof(stats_path)))
		stats_path[0] = '\0';

	if (w->setup)
		w->setup(&b);
	if (stats_path[0] && vgu_stats_reset(stats_path))
		fprintf(stderr, "vgpu-bench: reset %s: %s\n", stats_path,
			strerror(errno));
	console("VGPU-BENCH-START %s", b.name);
	vgu_sleep_ms(SETTLE_START_MS);
	w->run(&b);
	vgu_sleep_ms(SETTLE_END_MS);
	console("VGPU-BENCH-END %s", b.name);
	vgu_sleep_ms(HOLD_AFTER_MS);
	if (stats_path[0])
		stats_read(stats, sizeof(stats));
	if (w->report)
		w->report(&b);
	if (w->teardown)
		w->teardown(&b);
	if (b.fd >= 0)
		close(b.fd);

	snprintf(res, sizeof(res), "BENCH %s ops=%" PRIu64 " seconds=%.6f ops_per_s=%.2f%s%s",
		 b.name, b.ops, b.seconds, b.seconds > 0 ? b.ops / b.seconds : 0.0,
		 b.extra[0] ? " " : "", b.extra);
	printf("%s\n", res);
	console("%s", res);
	if (stats_path[0]) {
		printf("STATS %s %s\n", b.name, stats);
		console("STATS %s %s", b.name, stats);
	}
	fflush(stdout);
	return 0;
}
