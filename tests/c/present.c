// SPDX-License-Identifier: MIT
/*
 * present: the render-then-flip loop of a GL client on KMS, checked from
 * the host. Mesa (virgl) renders each frame into a GBM buffer, a solid
 * colour of its own, and the frame is page-flipped to with the buffer's
 * implicit fence, as kmscube and compositors do. Runs of quick frames end
 * in a frame that is held while the host captures the display and checks
 * that it shows that frame's colour (kms/... style screendump check,
 * "colour=" instead of "crc="). A frame shown before its rendering was
 * done, or a flip that overtook its frame, shows the colour of an older
 * frame instead.
 *
 * Needs the virgl device: on the others (no 3D, or Mesa falling back to
 * software rendering, which would not go through the driver) it skips.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdint.h>
#include <string.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include <GLES2/gl2.h>
#include <xf86drm.h>
#include <xf86drmMode.h>
#include <drm_fourcc.h>

#include "vgu_egl.h"
#include "vgu_test.h"

/* Frames flipped as fast as they come, then one held for the host. */
#define RUN_FRAMES	12
#define CHECKS		4
#define HOLD_MS		1500

static const uint32_t palette[] = {
	0xff0000, 0x00ff00, 0x0000ff, 0xffff00, 0xff00ff, 0x00ffff,
	0x804000, 0x008040, 0x400080,
};
#define NCOLOURS (sizeof(palette) / sizeof(palette[0]))

struct kms {
	int fd;
	uint32_t conn, crtc;
	drmModeModeInfo mode;
};

static int find_output(struct kms *k, char *why, size_t len)
{
	drmModeResPtr res = drmModeGetResources(k->fd);
	int i, found = 0;

	if (!res) {
		snprintf(why, len, "drmModeGetResources: %s", strerror(errno));
		return 0;
	}
	for (i = 0; i < res->count_connectors && !found; i++) {
		drmModeConnectorPtr c = drmModeGetConnector(k->fd,
							    res->connectors[i]);
		drmModeEncoderPtr e;

		if (!c)
			continue;
		if (c->connection == DRM_MODE_CONNECTED && c->count_modes &&
		    c->count_encoders) {
			e = drmModeGetEncoder(k->fd, c->encoders[0]);
			if (e) {
				int j;

				for (j = 0; j < res->count_crtcs; j++)
					if (e->possible_crtcs & (1u << j))
						break;
				if (j < res->count_crtcs) {
					k->crtc = res->crtcs[j];
					k->conn = c->connector_id;
					k->mode = c->modes[0];
					found = 1;
				}
				drmModeFreeEncoder(e);
			}
		}
		drmModeFreeConnector(c);
	}
	drmModeFreeResources(res);
	if (!found)
		snprintf(why, len, "no connected connector with a mode");
	return found;
}

static void flip_done(int fd, unsigned int seq, unsigned int sec,
		      unsigned int usec, void *data)
{
	(void)fd; (void)seq; (void)sec; (void)usec;
	*(int *)data = 1;
}

/* Waits until the flip that was given @done as its user data is done. */
static int wait_flip(int fd, int *done)
{
	drmEventContext ev = {
		.version = 2,
		.page_flip_handler = flip_done,
	};
	struct pollfd p = { .fd = fd, .events = POLLIN };

	while (!*done) {
		if (poll(&p, 1, 2000) <= 0)
			return ETIMEDOUT;
		if (drmHandleEvent(fd, &ev))
			return errno;
	}
	return 0;
}

/* The host captures the display while the guest holds the frame. */
static void request_check(unsigned int idx, uint32_t rgb)
{
	console_request("VGPU-SCREENDUMP present-%u colour=%06x hold_ms=%d test=present/frame-colour-%u\n",
			idx, rgb, HOLD_MS, idx);
	vgu_sleep_ms(HOLD_MS);
}

/*
 * Renders frame @i and flips to it (a modeset for the first); the buffer
 * of the frame before goes back to the surface once the flip is done.
 */
static int present(struct kms *k, struct vgu_egl *g, unsigned int i,
		   struct gbm_bo **shown, char *why, size_t len)
{
	uint32_t rgb = palette[i % NCOLOURS];
	struct gbm_bo *bo;
	uint32_t fb;
	int ret, done = 0;

	glClearColor((rgb >> 16) / 255.0f, ((rgb >> 8) & 255) / 255.0f,
		     (rgb & 255) / 255.0f, 1.0f);
	glClear(GL_COLOR_BUFFER_BIT);
	if (!eglSwapBuffers(g->dpy, g->surface)) {
		snprintf(why, len, "frame %u: eglSwapBuffers 0x%x", i,
			 eglGetError());
		return 0;
	}
	bo = gbm_surface_lock_front_buffer(g->surf);
	fb = bo ? vgu_egl_bo_fb(k->fd, bo) : 0;
	if (!fb) {
		snprintf(why, len, "frame %u: no framebuffer: %s", i,
			 strerror(errno));
		return 0;
	}
	if (!*shown) {
		ret = drmModeSetCrtc(k->fd, k->crtc, fb, 0, 0, &k->conn, 1,
				     &k->mode) ? errno : 0;
	} else {
		ret = drmModePageFlip(k->fd, k->crtc, fb,
				      DRM_MODE_PAGE_FLIP_EVENT, &done) ? errno : 0;
		if (!ret)
			ret = wait_flip(k->fd, &done);
	}
	if (ret) {
		snprintf(why, len, "frame %u: %s: %s", i,
			 *shown ? "page flip" : "modeset", ename(ret));
		gbm_surface_release_buffer(g->surf, bo);
		return 0;
	}
	if (*shown)
		gbm_surface_release_buffer(g->surf, *shown);
	*shown = bo;
	return 1;
}

int main(void)
{
	struct vgu_egl g = VGU_EGL_INIT;
	struct gbm_bo *shown = NULL;
	char why[256] = "";
	const char *renderer;
	struct kms k = { 0 };
	unsigned int c, i, frame = 0;
	int ok = 1;

	k.fd = open_card_of(VGU_DRIVER);
	if (k.fd < 0) {
		fail("open", "no virtio_gpu card node");
		return test_exit();
	}
	if (drmSetMaster(k.fd) && !drmIsMaster(k.fd)) {
		skip("frames", "cannot become DRM master: %s", strerror(errno));
		return test_exit();
	}
	if (!find_output(&k, why, sizeof(why)) ||
	    !vgu_egl_window(&g, k.fd, k.mode.hdisplay, k.mode.vdisplay, why,
			    sizeof(why))) {
		skip("frames", "%s", why);
		vgu_egl_fini(&g);
		return test_exit();
	}
	renderer = (const char *)glGetString(GL_RENDERER);
	printf("# GL renderer: %s\n", renderer ? renderer : "(none)");
	if (!renderer || strncmp(renderer, "virgl", 5)) {
		skip("frames", "GL renders with %s, not virgl through the driver",
		     renderer ? renderer : "nothing");
		vgu_egl_fini(&g);
		return test_exit();
	}

	for (c = 0; c < CHECKS && ok; c++) {
		for (i = 0; i < RUN_FRAMES && ok; i++)
			ok = present(&k, &g, frame++, &shown, why, sizeof(why));
		if (ok)
			request_check(c, palette[(frame - 1) % NCOLOURS]);
	}
	check("frames", ok, "%s", why);
	printf("# %u frames, %u checked by the host\n", frame, c);

	if (shown)
		gbm_surface_release_buffer(g.surf, shown);
	vgu_egl_fini(&g);
	drmDropMaster(k.fd);
	close(k.fd);
	return test_exit();
}
