/* SPDX-License-Identifier: MIT */
/*
 * GLES through Mesa on GBM for the guest C tests (glloop off-screen on the
 * render node, present on a GBM surface it scans out): the GBM device, its
 * EGL display and a current context. Each setup step returns 1, or 0 with
 * the reason in @why, which the caller reports as a SKIP.
 */
#ifndef VGU_EGL_H
#define VGU_EGL_H

#include <stdio.h>

#include <EGL/egl.h>
#include <EGL/eglext.h>
#include <gbm.h>

struct vgu_egl {
	struct gbm_device *gbm;
	struct gbm_surface *surf;	/* NULL: surfaceless */
	EGLDisplay dpy;
	EGLContext ctx;
	EGLSurface surface;
};

#define VGU_EGL_INIT { .dpy = EGL_NO_DISPLAY, .ctx = EGL_NO_CONTEXT, \
		       .surface = EGL_NO_SURFACE }

/* A GBM device on @fd and an initialized EGL display on it, for GLES. */
static inline int vgu_egl_display(struct vgu_egl *e, int fd, char *why,
				  size_t len)
{
	e->gbm = gbm_create_device(fd);
	if (!e->gbm) {
		snprintf(why, len, "gbm_create_device failed");
		return 0;
	}
	e->dpy = eglGetPlatformDisplay(EGL_PLATFORM_GBM_KHR, e->gbm, NULL);
	if (e->dpy == EGL_NO_DISPLAY || !eglInitialize(e->dpy, NULL, NULL)) {
		snprintf(why, len, "no EGL display on GBM (0x%x)", eglGetError());
		return 0;
	}
	eglBindAPI(EGL_OPENGL_ES_API);
	return 1;
}

/*
 * A context of @cfg made current, on a window surface of e->surf when
 * there is one, else surfaceless.
 */
static inline int vgu_egl_context(struct vgu_egl *e, EGLConfig cfg,
				  const EGLint *ctx_attr, char *why, size_t len)
{
	e->ctx = eglCreateContext(e->dpy, cfg, EGL_NO_CONTEXT, ctx_attr);
	if (e->surf)
		e->surface = eglCreateWindowSurface(e->dpy, cfg,
						    (EGLNativeWindowType)e->surf,
						    NULL);
	if (e->ctx == EGL_NO_CONTEXT ||
	    (e->surf && e->surface == EGL_NO_SURFACE) ||
	    !eglMakeCurrent(e->dpy, e->surface, e->surface, e->ctx)) {
		snprintf(why, len, "no %s GLES context (0x%x)",
			 e->surf ? "window" : "surfaceless", eglGetError());
		return 0;
	}
	return 1;
}

static inline void vgu_egl_fini(struct vgu_egl *e)
{
	if (e->dpy != EGL_NO_DISPLAY) {
		eglMakeCurrent(e->dpy, EGL_NO_SURFACE, EGL_NO_SURFACE,
			       EGL_NO_CONTEXT);
		if (e->surface != EGL_NO_SURFACE)
			eglDestroySurface(e->dpy, e->surface);
		if (e->ctx != EGL_NO_CONTEXT)
			eglDestroyContext(e->dpy, e->ctx);
		eglTerminate(e->dpy);
	}
	if (e->surf)
		gbm_surface_destroy(e->surf);
	if (e->gbm)
		gbm_device_destroy(e->gbm);
}

#endif
