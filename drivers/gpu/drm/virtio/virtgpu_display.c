// SPDX-License-Identifier: MIT
/*
 * Display pipeline: one CRTC, encoder and connector per host scanout, with
 * vertical blanking emulated from the mode's refresh rate.
 *
 * Copyright 2026 The virtio-gpu-ng authors
 */

#include <linux/hrtimer.h>
#include <linux/ktime.h>
#include <linux/math64.h>

#include <drm/drm_atomic.h>
#include <drm/drm_atomic_helper.h>
#include <drm/drm_damage_helper.h>
#include <drm/drm_edid.h>
#include <drm/drm_gem_framebuffer_helper.h>
#include <drm/drm_modeset_helper_vtables.h>
#include <drm/drm_probe_helper.h>
#include <drm/drm_simple_kms_helper.h>
#include <drm/drm_vblank.h>

#include <kunit/visibility.h>

#include "virtgpu_drv.h"
#include "virtgpu_trace.h"

/* Largest scanout we offer, and the fallback size without host data. */
#define VGPU_MAX_DIM		8192
#define VGPU_FALLBACK_W		1024
#define VGPU_FALLBACK_H		768

/*
 * Refresh rates a mode may have. The emulated vblank runs at the mode's
 * rate, so a modeline with an absurd clock (a typo, a fuzzer, an overflow
 * of htotal * vtotal * vscan) would otherwise make a frame last minutes or
 * nanoseconds, and every flip, vblank wait and commit with it. Real panels
 * fall in this range with room to spare on both sides.
 */
#define VGPU_MIN_REFRESH_HZ	10
#define VGPU_MAX_REFRESH_HZ	1000
#define VGPU_DEFAULT_HZ		60

/*
 * Frame period of @mode in nanoseconds, from the modeline itself rather
 * than 1 / rounded refresh rate: clients measure vblank intervals against
 * the modeline. Interlaced modes scan out two fields per frame, doublescan
 * and vscan repeat lines. 0 when the period is outside the refresh range.
 */
VISIBLE_IF_KUNIT u64 vgpu_mode_frame_ns(const struct drm_display_mode *mode)
{
	u64 lines = mode->vtotal;
	u64 ns;

	if (mode->clock <= 0 || mode->htotal <= 0 || mode->vtotal <= 0)
		return 0;
	if (mode->flags & DRM_MODE_FLAG_DBLSCAN)
		lines *= 2;
	if (mode->vscan > 1)
		lines *= mode->vscan;
	/*
	 * The clock is in kHz. Up to 2^49 pixels a frame: the product with
	 * 10^6 needs more than 64 bits.
	 */
	ns = mul_u64_u32_div(lines * mode->htotal, 1000000, mode->clock);
	if (mode->flags & DRM_MODE_FLAG_INTERLACE)
		ns /= 2;
	if (ns < NSEC_PER_SEC / VGPU_MAX_REFRESH_HZ ||
	    ns > NSEC_PER_SEC / VGPU_MIN_REFRESH_HZ)
		return 0;
	return ns;
}
EXPORT_SYMBOL_IF_KUNIT(vgpu_mode_frame_ns);

/**
 * DOC: emulated vblank
 *
 * The host has no vblank interrupt, yet compositors pace
 * themselves on vblank events and page-flip completion. Each CRTC has a
 * grid of vblank times, one every frame period of its mode from the moment
 * the mode was set. While anybody wants vblank interrupts an hrtimer fires
 * on the grid; each tick is a vblank, and page-flip events are delivered on
 * the next tick after the flip's commands have been queued: a flip of the
 * primary plane alone arms its event inside the ioctl, as hardware latches
 * a flip (vgpu_atomic_commit()), a full commit in vgpu_crtc_atomic_flush().
 * The period comes from the mode, whose refresh rate the mode checks keep
 * between VGPU_MIN_REFRESH_HZ and VGPU_MAX_REFRESH_HZ. Timestamps come
 * from the grid, so they stay exact while the timer is off, and the timer
 * can stop as soon as nobody waits (vblank_disable_immediate): an idle
 * guest does not wake up 60 times a second.
 *
 * Pacing flips costs a vsync'd client its frames above the refresh rate,
 * on purpose: without it (the fake vblank of drivers that have none) a
 * compositor or a game with vsync on renders and copies frames as fast as
 * the host takes them, hundreds a second that no one sees, and with many
 * guests per host that is the host's CPU gone. A client that wants its
 * frames shown at once asks for an async flip, which completes as soon as
 * its commands are queued: inside the ioctl when it changes only the
 * primary plane's buffer (vgpu_primary_async_check()), otherwise in
 * vgpu_crtc_atomic_flush().
 */

/*
 * The latest point of the grid that starts at @epoch, one every @period
 * nanoseconds, at or before @t; @epoch itself for a @t before it.
 */
VISIBLE_IF_KUNIT ktime_t vgpu_grid_floor(ktime_t epoch, u64 period, ktime_t t)
{
	s64 since = ktime_to_ns(ktime_sub(t, epoch));
	u64 rem;

	if (since <= 0)
		return epoch;
	div64_u64_rem(since, period, &rem);
	return ktime_sub_ns(t, rem);
}
EXPORT_SYMBOL_IF_KUNIT(vgpu_grid_floor);

static ktime_t vgpu_vblank_floor(struct vgpu_output *out, ktime_t t)
{
	return vgpu_grid_floor(out->vblank_epoch, out->frame_ns, t);
}

static enum hrtimer_restart vgpu_vblank_tick(struct hrtimer *timer)
{
	struct vgpu_output *out = container_of(timer, struct vgpu_output,
					       vblank_timer);

	/* Forwarding by whole periods keeps the timer on the grid. */
	hrtimer_forward_now(timer, ns_to_ktime(out->frame_ns));
	trace_vgpu_vblank(drm_crtc_index(&out->crtc));
	drm_crtc_handle_vblank(&out->crtc);
	/*
	 * The last reference often goes inside the handler, which then
	 * disables vblank at once (vblank_disable_immediate); the cancel in
	 * vgpu_crtc_disable_vblank() cannot stop a running callback, so the
	 * callback has to see for itself that it is no longer wanted.
	 */
	return READ_ONCE(out->vblank_wanted) ? HRTIMER_RESTART :
					       HRTIMER_NORESTART;
}

static int vgpu_crtc_enable_vblank(struct drm_crtc *crtc)
{
	struct vgpu_output *out = crtc_to_output(crtc);
	ktime_t next = ktime_add_ns(vgpu_vblank_floor(out, ktime_get()),
				    out->frame_ns);

	WRITE_ONCE(out->vblank_wanted, true);
	hrtimer_start(&out->vblank_timer, next, HRTIMER_MODE_ABS);
	return 0;
}

static void vgpu_crtc_disable_vblank(struct drm_crtc *crtc)
{
	struct vgpu_output *out = crtc_to_output(crtc);

	/*
	 * Called under the vblank spinlock, maybe from the tick itself: the
	 * tick may not be waited for, it stops by itself (vgpu_vblank_tick()).
	 */
	WRITE_ONCE(out->vblank_wanted, false);
	hrtimer_try_to_cancel(&out->vblank_timer);
}

static bool vgpu_crtc_vblank_timestamp(struct drm_crtc *crtc, int *max_error,
				       ktime_t *vblank_time,
				       bool in_vblank_irq)
{
	struct vgpu_output *out = crtc_to_output(crtc);

	/* In the tick the timer already points at the next grid point. */
	if (in_vblank_irq)
		*vblank_time = ktime_sub_ns(hrtimer_get_expires(&out->vblank_timer),
					    out->frame_ns);
	else
		*vblank_time = vgpu_vblank_floor(out, ktime_get());
	return true;
}

static const struct drm_crtc_funcs vgpu_crtc_funcs = {
	/* Emulated vblank. */
	.enable_vblank = vgpu_crtc_enable_vblank,
	.disable_vblank = vgpu_crtc_disable_vblank,
	.get_vblank_timestamp = vgpu_crtc_vblank_timestamp,
	/* Everything else is plain atomic. */
	.reset = drm_atomic_helper_crtc_reset,
	.atomic_duplicate_state = drm_atomic_helper_crtc_duplicate_state,
	.atomic_destroy_state = drm_atomic_helper_crtc_destroy_state,
	.page_flip = drm_atomic_helper_page_flip,
	.set_config = drm_atomic_helper_set_config,
	.destroy = drm_crtc_cleanup,
};

static void vgpu_crtc_atomic_enable(struct drm_crtc *crtc,
				    struct vgpu_atomic_state *state)
{
	struct vgpu_output *out = crtc_to_output(crtc);
	u64 frame_ns = vgpu_mode_frame_ns(&crtc->state->adjusted_mode);

	/* vgpu_crtc_mode_valid() let only modes with a period through. */
	out->frame_ns = frame_ns ?: NSEC_PER_SEC / VGPU_DEFAULT_HZ;
	out->vblank_epoch = ktime_get();
	drm_crtc_vblank_on(crtc);
}

static void vgpu_crtc_atomic_disable(struct drm_crtc *crtc,
				     struct vgpu_atomic_state *state)
{
	struct vgpu_device *vgdev = to_vgdev(crtc->dev);
	struct vgpu_output *out = crtc_to_output(crtc);

	vgpu_cmd_set_scanout(vgdev, out->index, 0, 0, 0, 0, 0, false);
	/* Sends an armed flip's event; its vblank will not come. */
	drm_crtc_vblank_off(crtc);
	spin_lock_irq(&crtc->dev->event_lock);
	out->flip_armed = false;
	spin_unlock_irq(&crtc->dev->event_lock);
}

/*
 * Completes the commit's event on the next emulated vblank, or at once for
 * an async flip: the host shows a new buffer as soon as it is told to.
 */
static void vgpu_crtc_atomic_flush(struct drm_crtc *crtc,
				   struct vgpu_atomic_state *state)
{
	struct drm_pending_vblank_event *event = crtc->state->event;

	if (!event)
		return;
	crtc->state->event = NULL;

	spin_lock_irq(&crtc->dev->event_lock);
	if (crtc->state->active && !crtc->state->async_flip &&
	    drm_crtc_vblank_get(crtc) == 0)
		drm_crtc_arm_vblank_event(crtc, event);
	else
		drm_crtc_send_vblank_event(crtc, event);
	spin_unlock_irq(&crtc->dev->event_lock);
}

/*
 * Every mode a client sets comes through here, not only the probed ones,
 * so a bogus user modeline fails the atomic check with EINVAL.
 */
static enum drm_mode_status
vgpu_crtc_mode_valid(struct drm_crtc *crtc, const struct drm_display_mode *mode)
{
	if (mode->clock <= 0)
		return MODE_CLOCK_LOW;
	if (!vgpu_mode_frame_ns(mode))
		return MODE_BAD_VVALUE;
	return MODE_OK;
}

static const struct drm_crtc_helper_funcs vgpu_crtc_helper_funcs = {
	.mode_valid = vgpu_crtc_mode_valid,
	.atomic_enable = vgpu_crtc_atomic_enable,
	.atomic_disable = vgpu_crtc_atomic_disable,
	.atomic_flush = vgpu_crtc_atomic_flush,
};

static int vgpu_connector_get_modes(struct drm_connector *connector)
{
	struct vgpu_device *vgdev = to_vgdev(connector->dev);
	struct vgpu_output *out = connector_to_output(connector);
	const struct drm_edid *edid;
	struct drm_display_mode *mode;
	u32 width, height;
	int count = 0;

	mutex_lock(&vgdev->display_lock);
	edid = drm_edid_dup(out->edid);
	width = le32_to_cpu(out->info.r.width);
	height = le32_to_cpu(out->info.r.height);
	mutex_unlock(&vgdev->display_lock);

	drm_edid_connector_update(connector, edid);
	if (edid)
		count = drm_edid_connector_add_modes(connector);
	drm_edid_free(edid);

	/* What the host window is now comes first. */
	if (width && height) {
		mode = drm_cvt_mode(connector->dev, width, height,
				    VGPU_DEFAULT_HZ,
				    false, false, false);
		if (mode) {
			mode->type |= DRM_MODE_TYPE_PREFERRED;
			drm_mode_probed_add(connector, mode);
			count++;
		}
	}

	if (!edid) {
		count += drm_add_modes_noedid(connector, VGPU_MAX_DIM,
					      VGPU_MAX_DIM);
		if (!width || !height)
			drm_set_preferred_mode(connector, VGPU_FALLBACK_W,
					       VGPU_FALLBACK_H);
	}
	return count;
}

static int vgpu_connector_detect(struct drm_connector *connector,
				 struct drm_modeset_acquire_ctx *ctx,
				 bool force)
{
	struct vgpu_device *vgdev = to_vgdev(connector->dev);
	struct vgpu_output *out = connector_to_output(connector);
	bool enabled;

	mutex_lock(&vgdev->display_lock);
	enabled = le32_to_cpu(out->info.enabled);
	mutex_unlock(&vgdev->display_lock);

	return enabled ? connector_status_connected :
			 connector_status_disconnected;
}

static const struct drm_connector_helper_funcs vgpu_connector_helper_funcs = {
	.get_modes = vgpu_connector_get_modes,
	.detect_ctx = vgpu_connector_detect,
};

static const struct drm_connector_funcs vgpu_connector_funcs = {
	.fill_modes = drm_helper_probe_single_connector_modes,
	.destroy = drm_connector_cleanup,
	.reset = drm_atomic_helper_connector_reset,
	.atomic_duplicate_state = drm_atomic_helper_connector_duplicate_state,
	.atomic_destroy_state = drm_atomic_helper_connector_destroy_state,
};

static int vgpu_output_init(struct vgpu_device *vgdev, unsigned int index)
{
	struct vgpu_output *out = &vgdev->outputs[index];
	struct drm_device *dev = &vgdev->drm;
	int ret;

	out->index = index;
	out->frame_ns = NSEC_PER_SEC / VGPU_DEFAULT_HZ;
	vgpu_hrtimer_setup(&out->vblank_timer, vgpu_vblank_tick, CLOCK_MONOTONIC,
			   HRTIMER_MODE_REL);

	out->primary = vgpu_plane_init(vgdev, DRM_PLANE_TYPE_PRIMARY, index);
	if (IS_ERR(out->primary))
		return PTR_ERR(out->primary);
	out->cursor = vgpu_plane_init(vgdev, DRM_PLANE_TYPE_CURSOR, index);
	if (IS_ERR(out->cursor))
		return PTR_ERR(out->cursor);

	ret = drm_crtc_init_with_planes(dev, &out->crtc, out->primary,
					out->cursor, &vgpu_crtc_funcs, NULL);
	if (ret)
		return ret;
	drm_crtc_helper_add(&out->crtc, &vgpu_crtc_helper_funcs);

	ret = drm_simple_encoder_init(dev, &out->encoder,
				      DRM_MODE_ENCODER_VIRTUAL);
	if (ret)
		return ret;
	out->encoder.possible_crtcs = drm_crtc_mask(&out->crtc);

	ret = drm_connector_init(dev, &out->connector, &vgpu_connector_funcs,
				 DRM_MODE_CONNECTOR_VIRTUAL);
	if (ret)
		return ret;
	drm_connector_helper_add(&out->connector, &vgpu_connector_helper_funcs);
	if (vgdev->has_edid)
		drm_connector_attach_edid_property(&out->connector);
	/* The host tells us about changes; no polling. */
	out->connector.polled = DRM_CONNECTOR_POLL_HPD;

	return drm_connector_attach_encoder(&out->connector, &out->encoder);
}

/*
 * The helpers' commit tail, plus one notification of the host for the
 * whole commit (every plane's transfers, scanout and flush commands) once
 * everything is queued. It then waits for the commit's events, which the
 * emulated vblank (or, for async flips, the flush itself) completes; unlike
 * a vblank wait that would warn after 100 ms, this survives a guest that
 * the host does not schedule for a while.
 */
/* The CRTCs a commit touches, for tracepoints (only when they are on). */
static u32 vgpu_commit_crtcs(struct vgpu_atomic_state *state)
{
	struct drm_crtc_state *crtc_state;
	struct drm_crtc *crtc;
	u32 mask = 0;
	int i;

	for_each_new_crtc_in_state(state, crtc, crtc_state, i)
		mask |= drm_crtc_mask(crtc);
	return mask;
}

static void vgpu_commit_tail(struct vgpu_atomic_state *state)
{
	struct drm_device *dev = state->dev;

	if (trace_vgpu_commit_begin_enabled())
		trace_vgpu_commit_begin(vgpu_commit_crtcs(state), false);
	drm_atomic_helper_commit_modeset_disables(dev, state);
	drm_atomic_helper_commit_planes(dev, state, 0);
	drm_atomic_helper_commit_modeset_enables(dev, state);
	vgpu_queues_kick(to_vgdev(dev));
	drm_atomic_helper_fake_vblank(state);
	drm_atomic_helper_commit_hw_done(state);
	drm_atomic_helper_wait_for_flip_done(dev, state);
	drm_atomic_helper_cleanup_planes(dev, state);
	if (trace_vgpu_commit_end_enabled())
		trace_vgpu_commit_end(vgpu_commit_crtcs(state), false);
}

static const struct drm_mode_config_helper_funcs vgpu_mode_helpers = {
	.atomic_commit_tail = vgpu_commit_tail,
};

/*
 * The helpers take the async path only for legacy cursor updates. A page
 * flip of the primary plane alone qualifies too, async or vsync'd, when
 * the plane's async check agrees (see vgpu_primary_async_check()).
 */
static int vgpu_atomic_check(struct drm_device *dev,
			     struct vgpu_atomic_state *state)
{
	struct drm_plane_state *plane_state;
	struct drm_plane *plane;
	bool primary_only = true;
	int i, ret;

	ret = drm_atomic_helper_check(dev, state);
	if (ret || state->async_update)
		return ret;
	for_each_new_plane_in_state(state, plane, plane_state, i)
		primary_only &= plane->type == DRM_PLANE_TYPE_PRIMARY;
	if (primary_only)
		state->async_update = !drm_atomic_helper_async_check(dev, state);
	return 0;
}

/*
 * A CRTC whose vsync'd flip, done inside the ioctl, still waits for its
 * vblank takes no new commit until then: a nonblocking one gets EBUSY,
 * as the helpers answer for their own pending commits, and a blocking one
 * waits, at most a second. Legacy cursor updates do not wait for vblank.
 */
static int vgpu_wait_armed_flips(struct vgpu_atomic_state *state,
				 bool nonblock)
{
	struct drm_crtc_state *crtc_state;
	struct drm_crtc *crtc;
	int i;

	if (state->legacy_cursor_update)
		return 0;
	for_each_new_crtc_in_state(state, crtc, crtc_state, i) {
		if (!vgpu_crtc_flip_pending(crtc))
			continue;
		if (nonblock)
			return -EBUSY;
		if (wait_event_interruptible_timeout(*drm_crtc_vblank_waitqueue(crtc),
						     !vgpu_crtc_flip_pending(crtc),
						     HZ) < 0)
			return -ERESTARTSYS;
	}
	return 0;
}

/*
 * The helpers' async path leaves a commit's events alone. By the time it
 * returns the host has been told about the flip: an async flip completes
 * then (as in vgpu_crtc_atomic_flush()), a vsync'd one on the next tick of
 * the emulated vblank, which sends the event armed here. A blocking
 * vsync'd commit takes the full path, which returns after the vblank.
 */
static int vgpu_atomic_commit(struct drm_device *dev,
			      struct vgpu_atomic_state *state, bool nonblock)
{
	struct drm_crtc_state *crtc_state;
	struct drm_pending_vblank_event *e;
	struct drm_crtc *crtc;
	bool vsync = false;
	int i, ret;

	for_each_new_crtc_in_state(state, crtc, crtc_state, i)
		vsync |= !crtc_state->async_flip;
	if (state->async_update && vsync && !nonblock &&
	    !state->legacy_cursor_update)
		state->async_update = false;
	if (!state->async_update || (vsync && !state->legacy_cursor_update)) {
		ret = vgpu_wait_armed_flips(state, nonblock);
		if (ret)
			return ret;
	}

	if (state->async_update && trace_vgpu_commit_begin_enabled())
		trace_vgpu_commit_begin(vgpu_commit_crtcs(state), true);
	ret = drm_atomic_helper_commit(dev, state, nonblock);
	if (ret || !state->async_update)
		return ret;

	for_each_new_crtc_in_state(state, crtc, crtc_state, i) {
		struct vgpu_output *out = crtc_to_output(crtc);

		e = crtc_state->event;
		if (!e)
			continue;
		crtc_state->event = NULL;
		spin_lock_irq(&dev->event_lock);
		if (!crtc_state->async_flip && drm_crtc_vblank_get(crtc) == 0) {
			drm_crtc_arm_vblank_event(crtc, e);
			out->flip_seq = e->sequence;
			out->flip_armed = true;
		} else {
			drm_crtc_send_vblank_event(crtc, e);
		}
		spin_unlock_irq(&dev->event_lock);
	}
	if (trace_vgpu_commit_end_enabled())
		trace_vgpu_commit_end(vgpu_commit_crtcs(state), true);
	return 0;
}

static const struct drm_mode_config_funcs vgpu_mode_funcs = {
	.fb_create = drm_gem_fb_create_with_dirty,
	.atomic_check = vgpu_atomic_check,
	.atomic_commit = vgpu_atomic_commit,
};

/* Reads the host's display layout and EDIDs; sleeps on the host. */
static void vgpu_display_refresh(struct vgpu_device *vgdev)
{
	unsigned int i;

	if (vgpu_cmd_get_display_info(vgdev))
		return;
	if (!vgdev->has_edid)
		return;
	for (i = 0; i < vgdev->num_scanouts; i++)
		vgpu_cmd_get_edid(vgdev, i);
}

/**
 * vgpu_display_changed() - the host reported a display change
 * @vgdev: the device
 *
 * Re-reads the layout and tells userspace with a hotplug event.
 *
 * Context: process context, may sleep.
 */
void vgpu_display_changed(struct vgpu_device *vgdev)
{
	vgpu_display_refresh(vgdev);
	drm_helper_hpd_irq_event(&vgdev->drm);
}

/**
 * vgpu_modeset_init() - create the KMS objects of every scanout
 * @vgdev: the device
 *
 * Context: process context, may sleep.
 * Return: 0 or a negative errno.
 */
int vgpu_modeset_init(struct vgpu_device *vgdev)
{
	struct drm_device *dev = &vgdev->drm;
	unsigned int i;
	int ret;

	ret = drmm_mode_config_init(dev);
	if (ret)
		return ret;

	dev->mode_config.funcs = &vgpu_mode_funcs;
	dev->mode_config.helper_private = &vgpu_mode_helpers;
	dev->mode_config.min_width = 32;
	dev->mode_config.min_height = 32;
	dev->mode_config.max_width = VGPU_MAX_DIM;
	dev->mode_config.max_height = VGPU_MAX_DIM;
	dev->mode_config.cursor_width = VGPU_CURSOR_DIM;
	dev->mode_config.cursor_height = VGPU_CURSOR_DIM;
	dev->mode_config.preferred_depth = 24;
	/* Tearing flips: the event completes when the host has been told. */
	dev->mode_config.async_page_flip = true;

	for (i = 0; i < vgdev->num_scanouts; i++) {
		ret = vgpu_output_init(vgdev, i);
		if (ret)
			return ret;
	}

	ret = drm_vblank_init(dev, vgdev->num_scanouts);
	if (ret)
		return ret;
	/* Grid timestamps make an off timer lose no vblanks. */
	dev->vblank_disable_immediate = true;

	ret = vgpu_panic_init(vgdev);
	if (ret)
		return ret;

	vgpu_display_refresh(vgdev);
	drm_mode_config_reset(dev);
	return 0;
}
