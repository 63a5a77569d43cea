/* SPDX-License-Identifier: MIT */
/*
 * Every difference between the kernels we build for lives here, and only
 * here. Where a header tells us what is available (a macro, a header file)
 * we probe for it; a version number is the last resort.
 *
 * Copyright 2026 The virtio-gpu-ng authors
 */
#ifndef VIRTGPU_COMPAT_H
#define VIRTGPU_COMPAT_H

#include <linux/dma-fence.h>
#include <linux/hrtimer.h>
#include <linux/rcupdate.h>
#include <drm/drm_drv.h>
#include <drm/drm_fbdev_shmem.h>
#include <drm/drm_gem_shmem_helper.h>
#include <drm/drm_panic.h>

/*
 * fbdev emulation. Newer kernels set up in-kernel DRM clients through
 * drm_client_setup() and a driver hook that DRM_FBDEV_SHMEM_DRIVER_OPS
 * fills in; 6.12 has drm_fbdev_shmem_setup() and no such hook.
 */
#ifdef DRM_FBDEV_SHMEM_DRIVER_OPS
#ifdef VGPU_HAVE_CLIENTS_DIR
#include <drm/clients/drm_client_setup.h>
#else
#include <drm/drm_client_setup.h>
#endif
#define VGPU_FBDEV_DRIVER_OPS	DRM_FBDEV_SHMEM_DRIVER_OPS,
static inline void vgpu_fbdev_setup(struct drm_device *dev)
{
	drm_client_setup(dev, NULL);
}
#else
#define VGPU_FBDEV_DRIVER_OPS
static inline void vgpu_fbdev_setup(struct drm_device *dev)
{
	drm_fbdev_shmem_setup(dev, 32);
}
#endif

/*
 * struct drm_driver lost its unused .date member in 6.14, but older kernels
 * warn when it is NULL. The Makefile looks for it in drm_drv.h.
 */
#ifdef VGPU_HAVE_DRIVER_DATE
#define VGPU_DRIVER_DATE_INIT	.date = "0",
#else
#define VGPU_DRIVER_DATE_INIT
#endif

/*
 * struct drm_atomic_state was renamed struct drm_atomic_commit; our code
 * names it through this macro.
 */
#ifdef VGPU_HAVE_ATOMIC_COMMIT
#define vgpu_atomic_state drm_atomic_commit
#else
#define vgpu_atomic_state drm_atomic_state
#endif

/*
 * The plane hook atomic_async_check() gained a "flip" argument (async page
 * flips go through it too). The Makefile looks for it in the vtables;
 * the hook names its parameters plane and state.
 */
#ifdef VGPU_HAVE_ASYNC_CHECK_FLIP
#define VGPU_ASYNC_CHECK_ARGS	\
	struct drm_plane *plane, struct vgpu_atomic_state *state, bool flip
#else
#define VGPU_ASYNC_CHECK_ARGS	\
	struct drm_plane *plane, struct vgpu_atomic_state *state
#endif

/*
 * drm_panic learned to draw through an array of pages (struct
 * drm_scanout_buffer has @pages), so a dumb buffer's pinned shmem pages
 * are enough. Before that it needs a kernel mapping, which cannot be made
 * at panic time: primary planes then keep dumb buffers vmapped while they
 * are scanned out, and only when drm_panic is built in.
 */
#ifdef VGPU_HAVE_PANIC_PAGES
#define VGPU_PANIC_NEEDS_VMAP	false
static inline bool vgpu_panic_point(struct drm_scanout_buffer *sb,
				    struct drm_gem_shmem_object *shmem,
				    unsigned int offset)
{
	if (!shmem->pages || offset)
		return false;
	sb->pages = shmem->pages;
	return true;
}
#else
#define VGPU_PANIC_NEEDS_VMAP	IS_ENABLED(CONFIG_DRM_PANIC)
static inline bool vgpu_panic_point(struct drm_scanout_buffer *sb,
				    struct drm_gem_shmem_object *shmem,
				    unsigned int offset)
{
	if (!shmem->vaddr)
		return false;
	iosys_map_set_vaddr(&sb->map[0], (u8 *)shmem->vaddr + offset);
	return true;
}
#endif

/* hrtimer_setup() replaced hrtimer_init() + assigning .function. */
#ifdef VGPU_HAVE_HRTIMER_SETUP
#define vgpu_hrtimer_setup(timer, fn, clock, mode) \
	hrtimer_setup(timer, fn, clock, mode)
#else
static inline void
vgpu_hrtimer_setup(struct hrtimer *timer,
		   enum hrtimer_restart (*fn)(struct hrtimer *),
		   clockid_t clock, enum hrtimer_mode mode)
{
	hrtimer_init(timer, clock, mode);
	timer->function = fn;
}
#endif

/*
 * dma_fence.ops became RCU-protected (a signalled fence may drop its ops,
 * so that their module can go). We only compare the pointer. The Makefile
 * looks for the annotation in dma-fence.h.
 */
#ifdef VGPU_HAVE_FENCE_OPS_RCU
#define vgpu_fence_ops_of(f)	rcu_access_pointer((f)->ops)
#else
#define vgpu_fence_ops_of(f)	((f)->ops)
#endif

/*
 * MODULE_IMPORT_NS() takes a string literal on newer kernels and a bare
 * name before; the KUnit tests import the namespace that
 * EXPORT_SYMBOL_IF_KUNIT() exports to. The tests' Makefile looks at how
 * module.h stringifies the name.
 */
#ifdef VGPU_HAVE_NS_STRING
#define VGPU_IMPORT_KUNIT_NS()	MODULE_IMPORT_NS("EXPORTED_FOR_KUNIT_TESTING")
#else
#define VGPU_IMPORT_KUNIT_NS()	MODULE_IMPORT_NS(EXPORTED_FOR_KUNIT_TESTING)
#endif

#endif /* VIRTGPU_COMPAT_H */
