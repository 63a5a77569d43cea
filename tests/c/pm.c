// SPDX-License-Identifier: MIT
/*
 * pm: suspend to RAM and hibernation with the display lit and clients open.
 *
 * Each cycle puts a colour on the screen, suspends, and checks after the
 * resume:
 *   - on a 3D device the colour is a frame Mesa rendered into a GBM surface,
 *     which only the host holds; on a 2D device it is a dumb buffer;
 *   - "mem": the host is asked to wake the guest (VGPU-WAKEUP, see
 *     tests/lib/qemu-watch.py), and "deep" is written to mem_sleep and "mem"
 *     to /sys/power/state; "disk": a test_resume hibernation to the swap
 *     disk the harness gives (label vgpuswap): the image is written, then
 *     restored in place;
 *   - NAME-display-kept: the screen shows the same colour, with nothing
 *     committed since (host screendump check);
 *   - NAME-flip: a page flip to a dumb buffer of another colour completes,
 *     and NAME-flip-shows: the screen shows it;
 *   - on a 3D device, NAME-old-context: the GL context of the first frame
 *     renders and flips again without hanging (what it renders is not
 *     checked: a context's host state does not survive a reset), and
 *     NAME-render-new: a new context renders the right colour.
 * NAME is the kind and the cycle's number, e.g. mem-1. On a 3D device,
 * render-before checks that a new context renders right before the first
 * suspend, so that a failing NAME-render-new is the suspend's doing.
 *
 * Usage: pm [mem|disk]...   (default: mem mem disk)
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <GLES2/gl2.h>
#include <xf86drm.h>
#include <xf86drmMode.h>
#include <drm_fourcc.h>

#include "vgu_egl.h"
#include "vgu_test.h"

#define HOLD_MS		1500
#define RESUME_HOLD_MS	5000
#define FLIP_MS		3000

static const uint32_t palette[] = {
	0x2080c0, 0xc04020, 0x40c060, 0xa020a0, 0xc0c020, 0x20a0a0,
};
#define NCOLOURS (sizeof(palette) / sizeof(palette[0]))

struct screen {
	int fd;
	int gl;			/* the device renders 3D through Mesa */
	struct vgu_output out;
	struct vgu_dumb first;	/* the first frame of a 2D device */
	struct vgu_dumb dumb;	/* the flip target */
};

static void dumb_fill(struct vgu_dumb *d, uint32_t rgb)
{
	uint32_t *p = d->map;
	uint64_t i;

	for (i = 0; i < d->size / 4; i++)
		p[i] = rgb;
}

static void screen_check(const char *name, const char *what, uint32_t rgb,
			 int hold_ms)
{
	console_request("VGPU-SCREENDUMP pm-%s-%s colour=%06x hold_ms=%d test=pm/%s-%s\n",
			name, what, rgb, hold_ms, name, what);
	vgu_sleep_ms(hold_ms);
}

static int write_file(const char *path, const char *value)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC), ret = 0;
	size_t n = strlen(value);

	if (fd < 0)
		return errno;
	if (write(fd, value, n) != (ssize_t)n)
		ret = errno;
	close(fd);
	return ret;
}

static int file_has(const char *path, const char *word)
{
	char buf[256];
	ssize_t n;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return 0;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return 0;
	buf[n] = 0;
	return strstr(buf, word) != NULL;
}

/*
 * Suspends and returns once resumed: 0, -1 when the guest cannot do
 * @kind (the reason in @why), or the errno of the write that suspends.
 */
static int suspend(const char *kind, char *why, size_t len)
{
	if (!strcmp(kind, "disk")) {
		if (!file_has("/proc/swaps", "/dev/") &&
		    system("swapon -L vgpuswap 2>/dev/null") != 0) {
			snprintf(why, len, "no swap disk labelled vgpuswap");
			return -1;
		}
		if (write_file("/sys/power/disk", "test_resume")) {
			snprintf(why, len, "no test_resume in /sys/power/disk");
			return -1;
		}
		return write_file("/sys/power/state", "disk");
	}
	if (!file_has("/sys/power/mem_sleep", "deep") ||
	    write_file("/sys/power/mem_sleep", "deep")) {
		snprintf(why, len, "no S3 (deep) in /sys/power/mem_sleep");
		return -1;
	}
	console_request("VGPU-WAKEUP\n");
	return write_file("/sys/power/state", "mem");
}

/* A page flip to @fb, and its event; 0 or an errno. */
static int flip_wait(struct screen *s, uint32_t fb)
{
	if (drmModePageFlip(s->fd, s->out.crtc_id, fb, DRM_MODE_PAGE_FLIP_EVENT,
			    NULL))
		return errno;
	return -vgu_wait_flip_event(s->fd, FLIP_MS, NULL);
}

/* Result NAME-STEP: PASS for 0, else FAIL with @what and @ret; @ret. */
static int step_result(const char *name, const char *step, const char *what,
		       int ret)
{
	char test[64];

	snprintf(test, sizeof(test), "%s-%s", name, step);
	if (ret)
		fail(test, "%s%s", what, ename(ret));
	else
		pass(test);
	return ret;
}

/* A frame of @rgb rendered by @g and scanned out; 0 or an errno. */
static int gl_frame(struct screen *s, struct vgu_egl *g, uint32_t rgb,
		    int modeset, struct gbm_bo **shown)
{
	struct gbm_bo *bo;
	uint32_t fb;
	int ret;

	glClearColor((rgb >> 16) / 255.0f, ((rgb >> 8) & 255) / 255.0f,
		     (rgb & 255) / 255.0f, 1.0f);
	glClear(GL_COLOR_BUFFER_BIT);
	if (!eglSwapBuffers(g->dpy, g->surface))
		return EIO;
	bo = gbm_surface_lock_front_buffer(g->surf);
	fb = bo ? vgu_egl_bo_fb(s->fd, bo) : 0;
	if (!fb)
		return bo ? errno : ENOMEM;
	if (modeset) {
		ret = drmModeSetCrtc(s->fd, s->out.crtc_id, fb, 0, 0,
				     &s->out.connector_id, 1,
				     (drmModeModeInfoPtr)&s->out.mode) ? errno : 0;
	} else {
		ret = flip_wait(s, fb);
	}
	if (ret) {
		gbm_surface_release_buffer(g->surf, bo);
		return ret;
	}
	if (*shown)
		gbm_surface_release_buffer(g->surf, *shown);
	*shown = bo;
	return 0;
}

/*
 * In a child, a new surfaceless context on the render node clears to @rgb
 * and reads a pixel back; 0 when it is @rgb, else a reason in @why.
 */
static int render_new(uint32_t rgb, char *why, size_t len)
{
	static const EGLint cfg_attr[] = {
		EGL_SURFACE_TYPE, 0,
		EGL_RENDERABLE_TYPE, EGL_OPENGL_ES2_BIT,
		EGL_NONE,
	};
	static const EGLint ctx_attr[] = {
		EGL_CONTEXT_CLIENT_VERSION, 2, EGL_NONE,
	};
	int status = 0;
	pid_t pid = fork();

	if (pid < 0) {
		snprintf(why, len, "fork: %s", strerror(errno));
		return -1;
	}
	if (!pid) {
		struct vgu_egl e = VGU_EGL_INIT;
		char w[128];
		uint8_t px[4] = { 0 };
		GLuint tex, fbo;
		EGLConfig cfg;
		EGLint n = 0;
		int fd = open_render();

		alarm(60);
		if (fd < 0 || !vgu_egl_display(&e, fd, w, sizeof(w)) ||
		    !eglChooseConfig(e.dpy, cfg_attr, &cfg, 1, &n) || !n ||
		    !vgu_egl_context(&e, cfg, ctx_attr, w, sizeof(w)))
			_exit(2);
		/* Surfaceless: the target is a texture of its own. */
		glGenTextures(1, &tex);
		glBindTexture(GL_TEXTURE_2D, tex);
		glTexImage2D(GL_TEXTURE_2D, 0, GL_RGBA, 16, 16, 0, GL_RGBA,
			     GL_UNSIGNED_BYTE, NULL);
		glGenFramebuffers(1, &fbo);
		glBindFramebuffer(GL_FRAMEBUFFER, fbo);
		glFramebufferTexture2D(GL_FRAMEBUFFER, GL_COLOR_ATTACHMENT0,
				       GL_TEXTURE_2D, tex, 0);
		glClearColor((rgb >> 16) / 255.0f, ((rgb >> 8) & 255) / 255.0f,
			     (rgb & 255) / 255.0f, 1.0f);
		glClear(GL_COLOR_BUFFER_BIT);
		glReadPixels(0, 0, 1, 1, GL_RGBA, GL_UNSIGNED_BYTE, px);
		printf("# new context: cleared to %06x, read %02x%02x%02x (GL error 0x%x)\n",
		       rgb, px[0], px[1], px[2], glGetError());
		fflush(stdout);
		_exit(((uint32_t)px[0] << 16 | px[1] << 8 | px[2]) == rgb ? 0 : 1);
	}
	if (waitpid(pid, &status, 0) < 0) {
		snprintf(why, len, "waitpid: %s", strerror(errno));
		return -1;
	}
	if (WIFSIGNALED(status)) {
		snprintf(why, len, "the client died of signal %d%s",
			 WTERMSIG(status),
			 WTERMSIG(status) == SIGALRM ? " (hung for 60 s)" : "");
		return -1;
	}
	switch (WEXITSTATUS(status)) {
	case 0:
		return 0;
	case 1:
		snprintf(why, len, "the read-back pixel is not %06x", rgb);
		return -1;
	default:
		snprintf(why, len, "no GLES context on the render node");
		return -1;
	}
}

static void cycle(struct screen *s, const char *kind, unsigned int n)
{
	uint32_t a = palette[(2 * n) % NCOLOURS];
	uint32_t b = palette[(2 * n + 1) % NCOLOURS];
	struct vgu_egl g = VGU_EGL_INIT;
	struct gbm_bo *shown = NULL;
	char name[32], what[64], why[256] = "";
	int ret;

	snprintf(name, sizeof(name), "%s-%u", kind, n);
	if (s->gl) {
		if (!vgu_egl_window(&g, s->fd, s->out.mode.hdisplay,
				    s->out.mode.vdisplay, why, sizeof(why))) {
			fail(name, "%s", why);
			vgu_egl_fini(&g);
			return;
		}
		ret = gl_frame(s, &g, a, 1, &shown);
	} else {
		dumb_fill(&s->first, a);
		ret = drmModeSetCrtc(s->fd, s->out.crtc_id, s->first.fb_id, 0, 0,
				     &s->out.connector_id, 1,
				     (drmModeModeInfoPtr)&s->out.mode) ? errno : 0;
	}
	if (ret) {
		fail(name, "the first frame: %s", ename(ret));
		goto out;
	}
	screen_check(name, "before", a, HOLD_MS);
	if (s->gl && n == 1) {
		check("render-before", !render_new(palette[NCOLOURS - 1], why,
						   sizeof(why)), "%s", why);
	}

	ret = suspend(kind, why, sizeof(why));
	if (ret < 0) {
		skip(name, "%s", why);
		goto out;
	}
	if (step_result(name, "resumed", "writing /sys/power/state: ", ret))
		goto out;
	/* The host's display may take a while to show a device's first frame. */
	screen_check(name, "display-kept", a, RESUME_HOLD_MS);

	dumb_fill(&s->dumb, b);
	if (step_result(name, "flip", "", flip_wait(s, s->dumb.fb_id)))
		goto out;
	screen_check(name, "flip-shows", b, HOLD_MS);

	if (!s->gl)
		goto out;
	/* The old context: it must come back, whatever it draws. */
	snprintf(what, sizeof(what), "%s-old-context", name);
	alarm(60);
	ret = gl_frame(s, &g, a, 0, &shown);
	alarm(0);
	if (ret)
		printf("# %s: its frame: %s\n", what, ename(ret));
	pass(what);
	snprintf(what, sizeof(what), "%s-render-new", name);
	check(what, !render_new(palette[(2 * n + 2) % NCOLOURS], why,
				sizeof(why)), "%s", why);
out:
	if (shown)
		gbm_surface_release_buffer(g.surf, shown);
	vgu_egl_fini(&g);
}

static void on_alarm(int sig)
{
	(void)sig;
	fail("old-context", "the context of the first frame hung for 60 s");
	test_exit();
	_exit(1);
}

int main(int argc, char **argv)
{
	static const char *const dflt[] = { "mem", "mem", "disk" };
	const char *const *kinds = dflt;
	struct screen s = { 0 };
	unsigned int i, nk = 3;
	int ret;

	if (argc > 1) {
		kinds = (const char *const *)argv + 1;
		nk = argc - 1;
	}
	signal(SIGALRM, on_alarm);
	s.fd = open_card_of(VGU_DRIVER);
	if (s.fd < 0) {
		fail("open", "no virtio_gpu card node");
		return test_exit();
	}
	if (drmSetMaster(s.fd) && !drmIsMaster(s.fd)) {
		skip("cycles", "cannot become DRM master: %s", strerror(errno));
		return test_exit();
	}
	ret = vgu_find_output(s.fd, &s.out);
	if (ret) {
		skip("cycles", "no connected output: %s", ename(-ret));
		return test_exit();
	}
	ret = vgu_dumb_create(s.fd, s.out.mode.hdisplay, s.out.mode.vdisplay,
			      DRM_FORMAT_XRGB8888, &s.dumb);
	if (!ret)
		ret = vgu_dumb_create(s.fd, s.out.mode.hdisplay,
				      s.out.mode.vdisplay, DRM_FORMAT_XRGB8888,
				      &s.first);
	if (ret) {
		fail("cycles", "dumb buffer: %s", ename(-ret));
		return test_exit();
	}
	/* 3D when Mesa renders through virgl on this device. */
	{
		struct vgu_features f;

		probe_features(s.fd, &f);
		s.gl = f.virgl;
	}
	printf("# %s device\n", s.gl ? "3D" : "2D");
	for (i = 0; i < nk; i++)
		cycle(&s, kinds[i], i + 1);

	vgu_dumb_destroy(s.fd, &s.first);
	vgu_dumb_destroy(s.fd, &s.dumb);
	drmDropMaster(s.fd);
	close(s.fd);
	return test_exit();
}
