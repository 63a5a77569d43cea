// SPDX-License-Identifier: MIT
/*
 * glloop: the GL loops whose cost the virtio-gpu-ng ioctls cut, as a test
 * and as a benchmark. Mesa (virgl) renders off-screen, with a surfaceless
 * GLES 3 context on the render node:
 *
 *   finish    clear a render target, glFinish()
 *   readback  have the GPU copy one of two buffers (uploaded once, with
 *             different contents) into a third, map that one for reading:
 *             a readback of data the GPU wrote
 *
 * "glloop" alone checks that both give the right results (PASS/FAIL lines,
 * the runner prefixes the program's name). "glloop bench LOOP N" runs N
 * iterations of one loop, once it has printed READY and read a line from
 * stdin, and prints one line "BENCH LOOP ops=.. s=..";
 * under LD_PRELOAD=libsccount.so it adds the system calls and the blocking
 * waits the loop made (see sccount.c).
 * Without virgl (no 3D device, or Mesa on its software renderer) it skips.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <GLES3/gl3.h>

#include "vgu_egl.h"
#include "vgu_test.h"

#define RT_DIM		64
#define BUF_WORDS	1024

struct glctx {
	int fd;
	struct vgu_egl egl;
	GLuint fbo, tex, src[2], dst;
};

static uint32_t pattern(unsigned int which, unsigned int word)
{
	return word * 2654435761u ^ (which ? 0x5a5a5a5au : 0x3c3c3c3cu);
}

static int gl_init(struct glctx *g, char *why, size_t len)
{
	static const EGLint cfg_attr[] = {
		EGL_SURFACE_TYPE, 0,
		EGL_RENDERABLE_TYPE, EGL_OPENGL_ES3_BIT_KHR,
		EGL_NONE,
	};
	static const EGLint ctx_attr[] = {
		EGL_CONTEXT_MAJOR_VERSION_KHR, 3, EGL_NONE,
	};
	static uint32_t data[BUF_WORDS];
	const char *renderer;
	unsigned int i, w;
	EGLConfig cfg;
	EGLint n = 0;

	g->fd = open_render();
	if (g->fd < 0) {
		snprintf(why, len, "no virtio_gpu render node");
		return 0;
	}
	if (!vgu_egl_display(&g->egl, g->fd, why, len))
		return 0;
	if (!eglChooseConfig(g->egl.dpy, cfg_attr, &cfg, 1, &n) || !n) {
		snprintf(why, len, "no GLES 3 EGL config");
		return 0;
	}
	if (!vgu_egl_context(&g->egl, cfg, ctx_attr, why, len))
		return 0;
	renderer = (const char *)glGetString(GL_RENDERER);
	if (!renderer || !strstr(renderer, "virgl")) {
		snprintf(why, len, "Mesa does not run on virgl here (renderer '%s')",
			 renderer ? renderer : "none");
		return 0;
	}

	glGenTextures(1, &g->tex);
	glBindTexture(GL_TEXTURE_2D, g->tex);
	glTexStorage2D(GL_TEXTURE_2D, 1, GL_RGBA8, RT_DIM, RT_DIM);
	glGenFramebuffers(1, &g->fbo);
	glBindFramebuffer(GL_FRAMEBUFFER, g->fbo);
	glFramebufferTexture2D(GL_FRAMEBUFFER, GL_COLOR_ATTACHMENT0,
			       GL_TEXTURE_2D, g->tex, 0);
	if (glCheckFramebufferStatus(GL_FRAMEBUFFER) != GL_FRAMEBUFFER_COMPLETE) {
		snprintf(why, len, "render target incomplete");
		return 0;
	}
	glGenBuffers(2, g->src);
	for (i = 0; i < 2; i++) {
		for (w = 0; w < BUF_WORDS; w++)
			data[w] = pattern(i, w);
		glBindBuffer(GL_COPY_READ_BUFFER, g->src[i]);
		glBufferData(GL_COPY_READ_BUFFER, sizeof(data), data,
			     GL_STATIC_DRAW);
	}
	glGenBuffers(1, &g->dst);
	glBindBuffer(GL_COPY_WRITE_BUFFER, g->dst);
	glBufferData(GL_COPY_WRITE_BUFFER, BUF_WORDS * 4, NULL, GL_DYNAMIC_READ);
	return glGetError() == GL_NO_ERROR;
}

static void gl_fini(struct glctx *g)
{
	vgu_egl_fini(&g->egl);
	if (g->fd >= 0)
		close(g->fd);
}

/* One finish iteration; returns the colour it cleared to. */
static uint32_t finish_once(unsigned int i)
{
	uint8_t r = i * 37, gr = i * 91, b = i * 13;

	glClearColor(r / 255.0f, gr / 255.0f, b / 255.0f, 1.0f);
	glClear(GL_COLOR_BUFFER_BIT);
	glFinish();
	return r | gr << 8 | (uint32_t)b << 16 | 0xffu << 24;
}

/* One readback iteration; returns the number of wrong words. */
static unsigned int readback_once(struct glctx *g, unsigned int i)
{
	const uint32_t *p;
	unsigned int w, bad = 0;

	glBindBuffer(GL_COPY_READ_BUFFER, g->src[i & 1]);
	glCopyBufferSubData(GL_COPY_READ_BUFFER, GL_COPY_WRITE_BUFFER, 0, 0,
			    BUF_WORDS * 4);
	p = glMapBufferRange(GL_COPY_WRITE_BUFFER, 0, BUF_WORDS * 4,
			     GL_MAP_READ_BIT);
	if (!p)
		return BUF_WORDS;
	for (w = 0; w < BUF_WORDS; w++)
		bad += p[w] != pattern(i & 1, w);
	glUnmapBuffer(GL_COPY_WRITE_BUFFER);
	return bad;
}

static void test(struct glctx *g)
{
	unsigned int i, bad = 0;
	uint32_t want = 0, got = 0;

	for (i = 0; i < 20; i++) {
		want = finish_once(i);
		/* glReadPixels: a readback of the render target too. */
		glReadPixels(0, 0, 1, 1, GL_RGBA, GL_UNSIGNED_BYTE, &got);
		if (got != want)
			break;
	}
	check("finish", i == 20, "iteration %u: pixel %08x, want %08x", i, got,
	      want);
	for (i = 0; i < 20 && !bad; i++)
		bad = readback_once(g, i);
	check("readback", !bad, "iteration %u: %u of %u words wrong", i - 1,
	      bad, BUF_WORDS);
	check("gl-errors", glGetError() == GL_NO_ERROR, "glGetError 0x%x",
	      glGetError());
}


static int bench(struct glctx *g, const char *loop, long n)
{
	sccount_read_t rd = sccount_reader();
	unsigned long c0 = 0, w0 = 0, c1 = 0, w1 = 0;
	unsigned int bad = 0;
	int64_t t0;
	long i;

	/* One of each first: the first map or flush sets things up. */
	finish_once(0);
	readback_once(g, 0);
	if (!bench_ready())
		return 2;
	if (rd)
		rd(&c0, &w0);
	t0 = vgu_now_ns();

	if (!strcmp(loop, "finish")) {
		for (i = 0; i < n; i++)
			finish_once(i);
	} else if (!strcmp(loop, "readback")) {
		for (i = 0; i < n; i++)
			bad += readback_once(g, i);
	} else {
		fprintf(stderr, "unknown loop %s\n", loop);
		return 2;
	}
	t0 = vgu_now_ns() - t0;
	if (rd)
		rd(&c1, &w1);
	printf("BENCH %s ops=%ld s=%.3f bad=%u", loop, n, t0 / 1e9, bad);
	if (rd)
		printf(" syscalls=%lu waits=%lu", c1 - c0, w1 - w0);
	printf("\n");
	return bad ? 1 : 0;
}

int main(int argc, char **argv)
{
	struct glctx g = { .fd = -1, .egl = VGU_EGL_INIT };
	char why[160] = "";
	int rc = 0;

	if (!gl_init(&g, why, sizeof(why))) {
		if (argc > 1) {
			fprintf(stderr, "glloop: %s\n", why);
			rc = 77;
		} else {
			skip("finish", "%s", why);
			skip("readback", "%s", why);
			skip("gl-errors", "%s", why);
		}
		gl_fini(&g);
		return rc;
	}
	if (argc > 3 && !strcmp(argv[1], "bench"))
		rc = bench(&g, argv[2], atol(argv[3]));
	else
		test(&g);
	gl_fini(&g);
	return argc > 1 ? rc : test_exit();
}
