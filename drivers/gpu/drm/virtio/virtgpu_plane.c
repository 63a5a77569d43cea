// SPDX-License-Identifier: MIT
/*
 * Primary and cursor planes: what they show, cursor images, drm_panic.
 *
 * Copyright 2026 The virtio-gpu-ng authors
 */

#include <linux/dma-fence-unwrap.h>
#include <linux/dma-resv.h>
#include <linux/slab.h>

#include <drm/drm_atomic.h>
#include <drm/drm_atomic_helper.h>
#include <drm/drm_damage_helper.h>
#include <drm/drm_fourcc.h>
#include <drm/drm_framebuffer.h>
#include <drm/drm_gem_atomic_helper.h>
#include <drm/drm_gem_framebuffer_helper.h>
#include <drm/drm_managed.h>
#include <drm/drm_plane.h>
#include <drm/drm_rect.h>

#include "virtgpu_drv.h"

/*
 * Dumb buffers are created as B8G8R8X8 host resources, which is XRGB8888 in
 * memory; ARGB8888 has the same layout and the alpha is not used for
 * scanout.
 */
static const u32 vgpu_primary_formats[] = {
	DRM_FORMAT_XRGB8888,
	DRM_FORMAT_ARGB8888,
};

static const u32 vgpu_cursor_formats[] = {
	DRM_FORMAT_ARGB8888,
};

/* Longest wait of an async flip for a fence that came after its check. */
#define VGPU_ASYNC_FENCE_TIMEOUT	(HZ / 10)

/**
 * struct vgpu_plane_state - a plane's state and what its commit learned
 * @base: the DRM state
 * @after_render: prepare_fb() let the commit go without waiting for the
 *	buffer's rendering ("DOC: present ordering"), so that rendering is
 *	still on its way through the host when the scanout commands follow.
 *	Only meaningful for the commit that prepared this state.
 */
struct vgpu_plane_state {
	struct drm_plane_state base;
	bool after_render;
};

static inline struct vgpu_plane_state *
to_vgpu_plane_state(struct drm_plane_state *state)
{
	return container_of(state, struct vgpu_plane_state, base);
}

static const u64 vgpu_modifiers[] = {
	DRM_FORMAT_MOD_LINEAR,
	DRM_FORMAT_MOD_INVALID,
};

static int vgpu_plane_atomic_check(struct drm_plane *plane,
				   struct vgpu_atomic_state *state)
{
	struct drm_plane_state *new = drm_atomic_get_new_plane_state(state,
								     plane);
	bool cursor = plane->type == DRM_PLANE_TYPE_CURSOR;
	struct drm_crtc_state *crtc_state;
	int ret;

	if (!new->fb || WARN_ON(!new->crtc))
		return 0;

	crtc_state = drm_atomic_get_crtc_state(state, new->crtc);
	if (IS_ERR(crtc_state))
		return PTR_ERR(crtc_state);

	ret = drm_atomic_helper_check_plane_state(new, crtc_state,
						  DRM_PLANE_NO_SCALING,
						  DRM_PLANE_NO_SCALING,
						  cursor, true);
	if (ret)
		return ret;

	/* "DOC: zero-copy scanout": the host would show nothing, or crash. */
	if (new->visible && to_vgpu_bo(new->fb->obj[0])->unmappable)
		return -EINVAL;

	/* The host takes exactly one cursor size. */
	if (cursor && new->visible &&
	    (new->fb->width != VGPU_CURSOR_DIM ||
	     new->fb->height != VGPU_CURSOR_DIM))
		return -EINVAL;
	return 0;
}

/* Copies the damaged rectangles of a dumb buffer to its host resource. */
static void vgpu_primary_upload(struct vgpu_device *vgdev,
				struct drm_plane_state *old,
				struct drm_plane_state *new,
				struct vgpu_bo *bo)
{
	struct drm_framebuffer *fb = new->fb;
	struct drm_atomic_helper_damage_iter iter;
	struct drm_rect clip;

	drm_atomic_helper_damage_iter_init(&iter, old, new);
	drm_atomic_for_each_plane_damage(&iter, &clip) {
		u64 offset = fb->offsets[0] + (u64)clip.y1 * fb->pitches[0] +
			     clip.x1 * fb->format->cpp[0];

		vgpu_cmd_transfer_2d(vgdev, bo, offset, clip.x1, clip.y1,
				     drm_rect_width(&clip),
				     drm_rect_height(&clip), NULL);
	}
}

/*
 * Guest blobs have no host-side layout: the scanout is told the format,
 * pitches and offsets. Other resources carry their own.
 */
static void vgpu_primary_point(struct vgpu_device *vgdev,
			       struct vgpu_output *out, struct vgpu_bo *bo,
			       struct drm_plane_state *new)
{
	u32 x = new->src.x1 >> 16, y = new->src.y1 >> 16;
	u32 w = drm_rect_width(&new->src) >> 16;
	u32 h = drm_rect_height(&new->src) >> 16;

	if (bo->blob_mem == VIRTGPU_BLOB_MEM_GUEST)
		vgpu_cmd_set_scanout_blob(vgdev, out->index, bo, new->fb,
					  x, y, w, h);
	else
		vgpu_cmd_set_scanout(vgdev, out->index, bo->res_id, x, y, w, h,
				     to_vgpu_plane_state(new)->after_render);
}

/*
 * The commands that take the scanout from @old to @new: upload the damage
 * of a dumb buffer, point the scanout at the buffer if it changed (or
 * @repoint says the CRTC was reprogrammed), flush the damage.
 */
static void vgpu_primary_show(struct vgpu_device *vgdev,
			      struct vgpu_output *out,
			      struct drm_plane_state *old,
			      struct drm_plane_state *new, bool repoint)
{
	struct vgpu_bo *bo = to_vgpu_bo(new->fb->obj[0]);
	struct drm_rect damage;

	/* A guest blob is read in place: "DOC: zero-copy scanout". */
	if (bo->dumb && bo->blob_mem != VIRTGPU_BLOB_MEM_GUEST)
		vgpu_primary_upload(vgdev, old, new, bo);

	if (repoint || new->fb != old->fb || !old->visible ||
	    old->crtc != new->crtc || !drm_rect_equals(&new->src, &old->src))
		vgpu_primary_point(vgdev, out, bo, new);

	if (drm_atomic_helper_damage_merged(old, new, &damage))
		vgpu_cmd_resource_flush(vgdev, bo, damage.x1, damage.y1,
					drm_rect_width(&damage),
					drm_rect_height(&damage),
					to_vgpu_plane_state(new)->after_render);
}

/*
 * The states a plane update moves between, and the output it shows on:
 * the new CRTC's, or the old one's for a plane being turned off; NULL
 * for a plane that was off and stays off.
 */
static struct vgpu_output *
vgpu_plane_update_states(struct drm_plane *plane,
			 struct vgpu_atomic_state *state,
			 struct drm_plane_state **old,
			 struct drm_plane_state **new)
{
	struct drm_crtc *crtc;

	*old = drm_atomic_get_old_plane_state(state, plane);
	*new = drm_atomic_get_new_plane_state(state, plane);
	crtc = (*new)->crtc ?: (*old)->crtc;
	return crtc ? crtc_to_output(crtc) : NULL;
}

static void vgpu_primary_atomic_update(struct drm_plane *plane,
				       struct vgpu_atomic_state *state)
{
	struct vgpu_device *vgdev = to_vgdev(plane->dev);
	struct drm_plane_state *old, *new;
	struct vgpu_output *out;

	out = vgpu_plane_update_states(plane, state, &old, &new);
	if (!out)
		return;

	if (!new->fb || !new->visible) {
		vgpu_cmd_set_scanout(vgdev, out->index, 0, 0, 0, 0, 0, false);
		return;
	}
	vgpu_primary_show(vgdev, out, old, new,
			  drm_atomic_crtc_needs_modeset(new->crtc->state));
}

/**
 * DOC: present ordering
 *
 * A frame rendered by a virgl context reaches the screen through three
 * commands on the control queue: the frame's SUBMIT_3D, then SET_SCANOUT
 * and RESOURCE_FLUSH of its buffer from the KMS commit. The atomic helpers
 * would make the commit wait on the CPU for the buffer's fences (the
 * implicit fence EXECBUFFER left in its reservation, or the client's
 * IN_FENCE_FD) before queuing the scanout commands: the submission then
 * leaves alone, the host answers it with an interrupt, and the scanout
 * commands pay a notification and an interrupt of their own. Two VM exits
 * per frame where one would do.
 *
 * The host gives a stronger order than the wait assumes. QEMU takes the
 * control queue's commands in ring order and runs each to its end, in one
 * thread, before it starts the next; a fenced command only has its answer
 * held back. For SUBMIT_3D of a virgl context that end is: virglrenderer
 * has decoded the stream and issued all its GL calls in the context's GL
 * context, and the fence it creates right after flushes them to the GL
 * driver. A TRANSFER has copied its data (glTexSubImage2D on the virgl
 * device, a memcpy on the 2D one). SET_SCANOUT and RESOURCE_FLUSH come
 * later, and the display draws the resource's texture with GL calls issued
 * later still, in QEMU's own context, which shares the texture. That the
 * draw sees the flushed rendering is the host GL driver's implicit
 * synchronisation of shared objects: llvmpipe runs all contexts' flushed
 * work through one rasterizer queue in order, and GPU drivers order
 * submissions that touch the same buffer. The in-tree driver relies on
 * the same for dumb buffers, whose TRANSFER it never waits for.
 *
 * So a fence whose work the host does while processing its command
 * (&vgpu_fence.host_inline), and whose command is already in the ring or
 * the backlog (emitted), needs no CPU wait before a KMS commit: the
 * scanout commands enter the ring behind it, and the commit's single
 * notification carries the frame and its flip together
 * (vgpu_fence_precedes_ctrl()).
 *
 * Everything else is still waited for on the CPU: fences of other drivers,
 * fences whose command has not been queued (a deferred EXECBUFFER), and
 * fences of contexts whose host work runs outside command processing
 * (venus and other non-virgl context types).
 *
 * The host answers the scanout commands as soon as it has processed them,
 * and the frame's submission once its fence has signalled: two interrupts
 * per frame, of which only the second tells anybody anything (flip events
 * come from the emulated vblank). So when prepare_fb() dropped such a
 * fence, the scanout commands carry fences too (&vgpu_plane_state.after_render,
 * vgpu_cmd_submit_display()), so that the host answers them together with
 * the frame. A frame that was done before the commit needs no such thing.
 *
 * The buffer is not rendered into while it is shown: the client renders
 * into it again only after the next flip's event, and that flip's
 * commands enter the ring, and so reach the host, before any later
 * rendering.
 */

/* Whether every unsignalled part of @fence (array, chain) precedes us. */
static bool vgpu_fences_precede_ctrl(struct vgpu_device *vgdev,
				     struct dma_fence *fence)
{
	struct dma_fence_unwrap iter;
	struct dma_fence *f;
	bool ordered = true;

	/* The walk runs to its end: that drops its reference to a chain. */
	dma_fence_unwrap_for_each(f, &iter, fence)
		ordered &= dma_fence_is_signaled(f) ||
			   vgpu_fence_precedes_ctrl(vgdev, f);
	return ordered;
}

/* Drops @state's fence when the commit need not wait for it. */
static void vgpu_plane_drop_ordered_fence(struct vgpu_device *vgdev,
					  struct drm_plane_state *state)
{
	if (!state->fence || dma_fence_is_signaled(state->fence))
		return;
	if (!vgpu_fences_precede_ctrl(vgdev, state->fence)) {
		vgpu_stat_add(vgdev, VGPU_STAT_KMS_FENCE_WAIT, 1);
		return;
	}
	vgpu_stat_add(vgdev, VGPU_STAT_KMS_FENCE_ORDERED, 1);
	dma_fence_put(state->fence);
	state->fence = NULL;
	to_vgpu_plane_state(state)->after_render = true;
}

/*
 * Whether every unsignalled write fence of @resv precedes control commands
 * submitted now ("DOC: present ordering").
 */
static bool vgpu_resv_precedes_ctrl(struct vgpu_device *vgdev,
				    struct dma_resv *resv)
{
	struct dma_resv_iter cursor;
	struct dma_fence *f;
	bool ordered = true;

	dma_resv_iter_begin(&cursor, resv, DMA_RESV_USAGE_WRITE);
	dma_resv_for_each_fence_unlocked(&cursor, f) {
		if (dma_resv_iter_is_restarted(&cursor))
			ordered = true;
		if (!dma_fence_is_signaled(f) &&
		    !vgpu_fence_precedes_ctrl(vgdev, f)) {
			ordered = false;
			break;
		}
	}
	dma_resv_iter_end(&cursor);
	return ordered;
}

/*
 * A page flip of the primary plane alone needs nothing of the commit
 * machinery: its commands are queued, and it completes as soon as they are
 * (an async flip) or on the next emulated vblank (a vsync'd one, whose
 * event vgpu_atomic_commit() arms, as hardware latches a flip at vblank).
 * vgpu_atomic_check() therefore marks it for the helpers' async path,
 * which runs it inside the ioctl: no commit worker to wake, and so no
 * worker that a loaded guest can make late for the vblank. What this check
 * refuses, and so leaves to a full commit, is whatever a full commit would
 * handle differently: a flip that moves, hides or shows the plane, a
 * vsync'd one without an event, a CRTC still waiting for a flip (the full
 * path answers EBUSY, as it must), and a buffer with unsignalled implicit
 * write fences that the commit worker would wait for (the ioctl should
 * not).
 */
static int vgpu_primary_async_check(VGPU_ASYNC_CHECK_ARGS)
{
	struct drm_plane_state *new = drm_atomic_get_new_plane_state(state,
								     plane);
	struct drm_plane_state *cur = plane->state;
	struct drm_crtc_state *crtc_state;
	struct drm_crtc_commit *commit;

	if (!new || !new->fb || !new->visible || !cur->fb || !cur->visible ||
	    new->crtc != cur->crtc || !drm_rect_equals(&new->src, &cur->src) ||
	    !drm_rect_equals(&new->dst, &cur->dst))
		return -EINVAL;

	crtc_state = drm_atomic_get_new_crtc_state(state, new->crtc);
	if (!crtc_state || !crtc_state->active)
		return -EINVAL;
	/* A vsync'd flip is completed by the vblank tick: its event. */
	if (!crtc_state->async_flip && !crtc_state->event)
		return -EINVAL;

	/* The CRTC's lock is held, so its current state cannot go away. */
	commit = new->crtc->state->commit;
	if (commit && !try_wait_for_completion(&commit->flip_done))
		return -EBUSY;
	if (vgpu_crtc_flip_pending(new->crtc))
		return -EBUSY;

	/* IN_FENCE_FD, where the helpers let it through to us. */
	if (new->fence &&
	    !vgpu_fences_precede_ctrl(to_vgdev(plane->dev), new->fence))
		return -EBUSY;
	return vgpu_resv_precedes_ctrl(to_vgdev(plane->dev),
				       new->fb->obj[0]->resv) ? 0 : -EBUSY;
}

static void vgpu_primary_async_update(struct drm_plane *plane,
				      struct vgpu_atomic_state *state)
{
	struct drm_plane_state *new = drm_atomic_get_new_plane_state(state,
								     plane);
	struct drm_plane_state *cur = plane->state;
	struct vgpu_device *vgdev = to_vgdev(plane->dev);

	/*
	 * prepare_fb() kept only a fence that the check did not see: the
	 * client rendered into the buffer while flipping to it. The ioctl
	 * waits for it, within bounds: the picture is the client's problem,
	 * a stuck ioctl would be ours.
	 */
	if (new->fence)
		dma_fence_wait_timeout(new->fence, false,
				       VGPU_ASYNC_FENCE_TIMEOUT);

	vgpu_primary_show(vgdev, crtc_to_output(cur->crtc), cur, new, false);

	/*
	 * The async helper keeps plane->state, which must end up showing the
	 * new buffer; the state it frees then holds (and unprepares) the old.
	 */
	swap(cur->fb, new->fb);
	vgpu_queues_kick(vgdev);
}

/* What the deferred UPDATE_CURSOR needs once the image is on the host. */
struct vgpu_cursor_upload {
	struct vgpu_output *out;
	u32 res_id;
	u32 gen;
	u32 hot_x;
	u32 hot_y;
	/* The host reads the image in place; the upload only orders. */
	bool in_place;
};

static void vgpu_cursor_image_done(struct vgpu_device *vgdev,
				   struct vgpu_cmd *cmd)
{
	struct vgpu_cursor_upload *up = cmd->priv;
	struct vgpu_output *out = up->out;
	bool latest;
	int x, y;

	spin_lock(&vgdev->cursor_lock);
	latest = up->gen == out->cursor_gen;
	x = out->cursor_x;
	y = out->cursor_y;
	spin_unlock(&vgdev->cursor_lock);

	/* A host may refuse to upload into a blob it reads in place anyway. */
	if (latest && (!cmd->status || up->in_place))
		vgpu_cmd_cursor(vgdev, true, out->index, x, y, up->res_id,
				up->hot_x, up->hot_y);
	kfree(up);
}

/*
 * Uploads a cursor image, then shows it. @bo is referenced until the
 * upload is done; @gen is the output's cursor generation the image
 * belongs to.
 *
 * The image travels on the control queue and UPDATE_CURSOR on the cursor
 * queue, which the host serves independently. Rather than sleeping until
 * the upload is done, the update is sent from the upload's completion,
 * with the position current at that time.
 */
static int vgpu_cursor_send_image(struct vgpu_device *vgdev,
				  struct vgpu_output *out, struct vgpu_bo *bo,
				  u32 gen, u32 hot_x, u32 hot_y)
{
	struct drm_gem_object **objs;
	struct vgpu_cursor_upload *up;
	struct vgpu_cmd *cmd;

	up = kmalloc(sizeof(*up), GFP_KERNEL);
	objs = kvmalloc_array(1, sizeof(*objs), GFP_KERNEL);
	cmd = vgpu_cmd_new_transfer_2d(vgdev);
	if (!up || !objs || !cmd) {
		kfree(up);
		kvfree(objs);
		vgpu_cmd_put(cmd);
		return -ENOMEM;
	}
	up->out = out;
	up->res_id = bo->res_id;
	up->gen = gen;
	up->hot_x = hot_x;
	up->hot_y = hot_y;
	up->in_place = bo->blob_mem == VIRTGPU_BLOB_MEM_GUEST;

	vgpu_cmd_fill_transfer_2d(cmd, bo->res_id, 0, 0, 0, VGPU_CURSOR_DIM,
				  VGPU_CURSOR_DIM);
	drm_gem_object_get(&bo->shmem.base);
	objs[0] = &bo->shmem.base;
	vgpu_cmd_attach_objs(cmd, objs, 1);
	cmd->done = vgpu_cursor_image_done;
	cmd->priv = up;
	return vgpu_cmd_submit(vgdev, cmd, NULL);
}

/*
 * drm_panic. The panic screen is drawn into the dumb buffer being scanned
 * out, which the host only sees after a transfer and a flush. Those two
 * commands are allocated here, once, and reused: a panic may not allocate.
 */
static void vgpu_panic_cmds_done(struct vgpu_device *vgdev,
				 struct vgpu_cmd *cmd)
{
	atomic_set(&vgdev->panic_busy, 0);
}

static void vgpu_panic_release(struct drm_device *dev, void *data)
{
	struct vgpu_device *vgdev = data;

	vgpu_cmd_put(vgdev->panic_cmds[0]);
	vgpu_cmd_put(vgdev->panic_cmds[1]);
}

/**
 * vgpu_panic_init() - allocate the commands drm_panic will send
 * @vgdev: the device, with a display
 *
 * Context: process context.
 * Return: 0 or -ENOMEM.
 */
int vgpu_panic_init(struct vgpu_device *vgdev)
{
	struct vgpu_cmd *a, *b;

	if (!IS_ENABLED(CONFIG_DRM_PANIC))
		return 0;
	a = vgpu_cmd_new_transfer_2d(vgdev);
	b = vgpu_cmd_new_resource_flush(vgdev);
	if (!a || !b) {
		vgpu_cmd_put(a);
		vgpu_cmd_put(b);
		return -ENOMEM;
	}
	/* The host answers in order: the flush is the last of the two. */
	b->done = vgpu_panic_cmds_done;
	vgdev->panic_cmds[0] = a;
	vgdev->panic_cmds[1] = b;
	return drmm_add_action_or_reset(&vgdev->drm, vgpu_panic_release, vgdev);
}

/*
 * Makes the host show the panic screen drawn in @bo, the dumb buffer of
 * the panicking plane. Runs in panic context: see vgpu_cmd_submit_panic().
 */
static void vgpu_panic_show(struct vgpu_device *vgdev, struct vgpu_bo *bo,
			    const struct drm_framebuffer *fb)
{
	if (!vgdev->panic_cmds[0] || atomic_xchg(&vgdev->panic_busy, 1))
		return;

	vgpu_cmd_fill_transfer_2d(vgdev->panic_cmds[0], bo->res_id,
				  fb->offsets[0], 0, 0, fb->width, fb->height);
	vgpu_cmd_fill_resource_flush(vgdev->panic_cmds[1], bo->res_id, 0, 0,
				     fb->width, fb->height);

	/*
	 * Nothing in the ring: free them for a later attempt. Only the
	 * transfer in the ring: they stay busy, as it is still the host's.
	 */
	if (!vgpu_cmd_submit_panic(vgdev, vgdev->panic_cmds, 2))
		atomic_set(&vgdev->panic_busy, 0);
}

/*
 * drm_panic draws into the scanned-out dumb buffer and has us transfer and
 * flush it (vgpu_panic_show()). Without drm_panic drawing through pages,
 * the buffer must already have a kernel mapping: those kernels keep dumb
 * buffers vmapped while they are on a primary plane.
 */
static bool vgpu_primary_wants_vmap(struct drm_plane_state *state)
{
	return VGPU_PANIC_NEEDS_VMAP && state->fb &&
	       to_vgpu_bo(state->fb->obj[0])->dumb;
}

static void vgpu_primary_vunmap(struct drm_framebuffer *fb)
{
	struct iosys_map map[DRM_FORMAT_MAX_PLANES] = {};

	/* Shmem mappings are counted: the address only names which one. */
	iosys_map_set_vaddr(&map[0], to_vgpu_bo(fb->obj[0])->shmem.vaddr);
	drm_gem_fb_vunmap(fb, map);
}

static int vgpu_primary_prepare_fb(struct drm_plane *plane,
				   struct drm_plane_state *new)
{
	struct iosys_map map[DRM_FORMAT_MAX_PLANES];
	bool vmap = vgpu_primary_wants_vmap(new);
	int ret;

	if (vmap) {
		ret = drm_gem_fb_vmap(new->fb, map, NULL);
		if (ret)
			return ret;
	}
	ret = drm_gem_plane_helper_prepare_fb(plane, new);
	if (ret && vmap)
		vgpu_primary_vunmap(new->fb);
	if (!ret)
		vgpu_plane_drop_ordered_fence(to_vgdev(plane->dev), new);
	return ret;
}

static void vgpu_primary_cleanup_fb(struct drm_plane *plane,
				    struct drm_plane_state *old)
{
	if (vgpu_primary_wants_vmap(old))
		vgpu_primary_vunmap(old->fb);
}

static int vgpu_primary_get_scanout_buffer(struct drm_plane *plane,
					   struct drm_scanout_buffer *sb)
{
	struct vgpu_device *vgdev = to_vgdev(plane->dev);
	struct drm_plane_state *state = plane->state;
	struct drm_framebuffer *fb = state ? state->fb : NULL;
	struct vgpu_bo *bo;

	if (!vgdev->panic_cmds[0] || !fb || !state->visible)
		return -ENODEV;
	bo = to_vgpu_bo(fb->obj[0]);
	if (!bo->dumb || !vgpu_panic_point(sb, &bo->shmem, fb->offsets[0]))
		return -ENODEV;

	sb->format = fb->format;
	sb->width = fb->width;
	sb->height = fb->height;
	sb->pitch[0] = fb->pitches[0];
	return 0;
}

static void vgpu_primary_panic_flush(struct drm_plane *plane)
{
	struct drm_framebuffer *fb = plane->state->fb;

	vgpu_panic_show(to_vgdev(plane->dev), to_vgpu_bo(fb->obj[0]), fb);
}

static void vgpu_cursor_atomic_update(struct drm_plane *plane,
				      struct vgpu_atomic_state *state)
{
	struct vgpu_device *vgdev = to_vgdev(plane->dev);
	struct drm_plane_state *old, *new;
	struct vgpu_output *out;
	bool image, shown;
	u32 gen;

	out = vgpu_plane_update_states(plane, state, &old, &new);
	if (!out)
		return;
	shown = new->fb && new->visible;

	image = shown && (new->fb != old->fb || !old->visible ||
			  new->hotspot_x != old->hotspot_x ||
			  new->hotspot_y != old->hotspot_y);

	spin_lock(&vgdev->cursor_lock);
	out->cursor_x = new->crtc_x;
	out->cursor_y = new->crtc_y;
	if (image || !shown)
		out->cursor_gen++;
	gen = out->cursor_gen;
	spin_unlock(&vgdev->cursor_lock);

	if (!shown) {
		if (old->fb && old->visible)
			vgpu_cmd_cursor(vgdev, true, out->index, 0, 0, 0, 0, 0);
		return;
	}

	if (image)
		vgpu_cursor_send_image(vgdev, out,
				       to_vgpu_bo(new->fb->obj[0]), gen,
				       new->hotspot_x, new->hotspot_y);
	else
		vgpu_cmd_cursor(vgdev, false, out->index, new->crtc_x,
				new->crtc_y, 0, 0, 0);
}

/*
 * Legacy cursor ioctls and compositors move the cursor many times a frame.
 * A move that keeps the image needs nothing from the commit machinery (no
 * vblank, no flip event, no upload), so it takes the async path: a
 * MOVE_CURSOR on the cursor queue, batched like any other command. Anything
 * else (new image, hotspot, shown or hidden) is a full commit.
 */
static int vgpu_cursor_async_check(VGPU_ASYNC_CHECK_ARGS)
{
	struct drm_plane_state *new = drm_atomic_get_new_plane_state(state,
								     plane);
	struct drm_plane_state *cur = plane->state;

	if (!new || !new->fb || new->fb != cur->fb || !new->visible ||
	    !cur->visible || new->crtc != cur->crtc ||
	    new->hotspot_x != cur->hotspot_x ||
	    new->hotspot_y != cur->hotspot_y)
		return -EINVAL;
	return 0;
}

static void vgpu_cursor_async_update(struct drm_plane *plane,
				     struct vgpu_atomic_state *state)
{
	struct drm_plane_state *new = drm_atomic_get_new_plane_state(state,
								     plane);
	struct drm_plane_state *cur = plane->state;
	struct vgpu_device *vgdev = to_vgdev(plane->dev);
	struct vgpu_output *out = crtc_to_output(cur->crtc);

	/* The async helper keeps plane->state: it must end up as @new. */
	cur->crtc_x = new->crtc_x;
	cur->crtc_y = new->crtc_y;
	cur->crtc_w = new->crtc_w;
	cur->crtc_h = new->crtc_h;
	cur->src_x = new->src_x;
	cur->src_y = new->src_y;
	cur->src_w = new->src_w;
	cur->src_h = new->src_h;
	cur->src = new->src;
	cur->dst = new->dst;

	spin_lock(&vgdev->cursor_lock);
	out->cursor_x = new->crtc_x;
	out->cursor_y = new->crtc_y;
	spin_unlock(&vgdev->cursor_lock);

	vgpu_cmd_cursor(vgdev, false, out->index, new->crtc_x, new->crtc_y,
			0, 0, 0);
}

static void vgpu_plane_reset(struct drm_plane *plane)
{
	struct vgpu_plane_state *state;

	if (plane->state) {
		__drm_atomic_helper_plane_destroy_state(plane->state);
		kfree(to_vgpu_plane_state(plane->state));
		plane->state = NULL;
	}
	state = kzalloc(sizeof(*state), GFP_KERNEL);
	if (state)
		__drm_atomic_helper_plane_reset(plane, &state->base);
}

static struct drm_plane_state *
vgpu_plane_duplicate_state(struct drm_plane *plane)
{
	struct vgpu_plane_state *state;

	if (!plane->state)
		return NULL;
	/* @after_render starts false: it describes one commit only. */
	state = kzalloc(sizeof(*state), GFP_KERNEL);
	if (!state)
		return NULL;
	__drm_atomic_helper_plane_duplicate_state(plane, &state->base);
	return &state->base;
}

static void vgpu_plane_destroy_state(struct drm_plane *plane,
				     struct drm_plane_state *state)
{
	__drm_atomic_helper_plane_destroy_state(state);
	kfree(to_vgpu_plane_state(state));
}

static const struct drm_plane_funcs vgpu_plane_funcs = {
	.update_plane = drm_atomic_helper_update_plane,
	.disable_plane = drm_atomic_helper_disable_plane,
	.reset = vgpu_plane_reset,
	.atomic_duplicate_state = vgpu_plane_duplicate_state,
	.atomic_destroy_state = vgpu_plane_destroy_state,
};

static const struct drm_plane_helper_funcs vgpu_primary_helper_funcs = {
	.prepare_fb = vgpu_primary_prepare_fb,
	.cleanup_fb = vgpu_primary_cleanup_fb,
	.atomic_check = vgpu_plane_atomic_check,
	.atomic_update = vgpu_primary_atomic_update,
	.get_scanout_buffer = vgpu_primary_get_scanout_buffer,
	.panic_flush = vgpu_primary_panic_flush,
	.atomic_async_check = vgpu_primary_async_check,
	.atomic_async_update = vgpu_primary_async_update,
};

static const struct drm_plane_helper_funcs vgpu_cursor_helper_funcs = {
	.prepare_fb = drm_gem_plane_helper_prepare_fb,
	.atomic_check = vgpu_plane_atomic_check,
	.atomic_update = vgpu_cursor_atomic_update,
	.atomic_async_check = vgpu_cursor_async_check,
	.atomic_async_update = vgpu_cursor_async_update,
};

/**
 * vgpu_plane_init() - create the primary or cursor plane of one output
 * @vgdev: the device
 * @type: DRM_PLANE_TYPE_PRIMARY or DRM_PLANE_TYPE_CURSOR
 * @index: the output
 *
 * Context: process context.
 * Return: the plane (freed with the device), or an ERR_PTR.
 */
struct drm_plane *vgpu_plane_init(struct vgpu_device *vgdev,
				  enum drm_plane_type type,
				  unsigned int index)
{
	bool cursor = type == DRM_PLANE_TYPE_CURSOR;
	struct drm_plane *plane;

	plane = __drmm_universal_plane_alloc(&vgdev->drm, sizeof(*plane), 0,
					     BIT(index), &vgpu_plane_funcs,
					     cursor ? vgpu_cursor_formats :
						      vgpu_primary_formats,
					     cursor ?
					     ARRAY_SIZE(vgpu_cursor_formats) :
					     ARRAY_SIZE(vgpu_primary_formats),
					     vgpu_modifiers, type, NULL);
	if (IS_ERR(plane))
		return plane;

	/*
	 * The DRM core gives cursor planes their HOTSPOT_X/Y properties
	 * itself, because the driver declares DRIVER_CURSOR_HOTSPOT.
	 */
	if (cursor) {
		drm_plane_helper_add(plane, &vgpu_cursor_helper_funcs);
	} else {
		drm_plane_helper_add(plane, &vgpu_primary_helper_funcs);
		drm_plane_enable_fb_damage_clips(plane);
	}
	return plane;
}
