/* SPDX-License-Identifier: MIT */
/*
 * GLES through Mesa on GBM for the guest C tests (glloop off-screen on the
 * render node, present on a GBM surface it scans out): the GBM device, its
 * EGL display and a current context. Each setup step returns 1, or 0 with
 * the reason in @why, which the caller reports as a SKIP.
 */
#ifndef VGU_EGL_H
#define VGU_EGL_H

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <EGL/egl.h>
#include <EGL/eglext.h>
#include <gbm.h>
#include <xf86drmMode.h>
#include <drm_fourcc.h>

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

/*
 * A GBM surface of @w x @h XRGB8888 for scanout, on a GBM device and EGL
 * display of @fd, with a current GLES 2 context of the config whose visual
 * is that format.
 */
static inline int vgu_egl_window(struct vgu_egl *e, int fd, uint32_t w,
				 uint32_t h, char *why, size_t len)
{
	static const EGLint cfg_attr[] = {
		EGL_SURFACE_TYPE, EGL_WINDOW_BIT,
		EGL_RED_SIZE, 8, EGL_GREEN_SIZE, 8, EGL_BLUE_SIZE, 8,
		EGL_ALPHA_SIZE, 0,
		EGL_RENDERABLE_TYPE, EGL_OPENGL_ES2_BIT,
		EGL_NONE,
	};
	static const EGLint ctx_attr[] = {
		EGL_CONTEXT_CLIENT_VERSION, 2, EGL_NONE,
	};
	EGLConfig cfgs[64], cfg = NULL;
	EGLint n = 0, i, vid;

	if (!vgu_egl_display(e, fd, why, len))
		return 0;
	e->surf = gbm_surface_create(e->gbm, w, h, GBM_FORMAT_XRGB8888,
				     GBM_BO_USE_SCANOUT | GBM_BO_USE_RENDERING);
	if (!e->surf) {
		snprintf(why, len, "gbm_surface_create: %s", strerror(errno));
		return 0;
	}
	if (!eglChooseConfig(e->dpy, cfg_attr, cfgs, 64, &n))
		n = 0;
	for (i = 0; i < n && !cfg; i++)
		if (eglGetConfigAttrib(e->dpy, cfgs[i], EGL_NATIVE_VISUAL_ID,
				       &vid) && vid == GBM_FORMAT_XRGB8888)
			cfg = cfgs[i];
	if (!cfg) {
		snprintf(why, len, "no EGL config for XRGB8888 (%d configs)", n);
		return 0;
	}
	return vgu_egl_context(e, cfg, ctx_attr, why, len);
}

static inline void vgu_egl_fb_destroy(struct gbm_bo *bo, void *data)
{
	drmModeRmFB(gbm_device_get_fd(gbm_bo_get_device(bo)),
		    (uint32_t)(uintptr_t)data);
}

/* The XRGB8888 framebuffer of @bo, made on first use and kept with it. */
static inline uint32_t vgu_egl_bo_fb(int fd, struct gbm_bo *bo)
{
	uint32_t handles[4] = { gbm_bo_get_handle(bo).u32 };
	uint32_t pitches[4] = { gbm_bo_get_stride(bo) };
	uint32_t offsets[4] = { 0 }, fb = 0;

	if (gbm_bo_get_user_data(bo))
		return (uint32_t)(uintptr_t)gbm_bo_get_user_data(bo);
	if (drmModeAddFB2(fd, gbm_bo_get_width(bo), gbm_bo_get_height(bo),
			  DRM_FORMAT_XRGB8888, handles, pitches, offsets,
			  &fb, 0))
		return 0;
	gbm_bo_set_user_data(bo, (void *)(uintptr_t)fb, vgu_egl_fb_destroy);
	return fb;
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
