// SPDX-License-Identifier: MIT
/*
 * Host fences.
 *
 * This file and the command core (virtgpu_vq.c) call each other, by
 * design: the core gives fences their ids and signals them from the
 * host's answers, and a fence that somebody starts waiting for asks the
 * core to notify the host of its command now (vgpu_queue_kick_soon()).
 * Merging them would put the dma-fence ops in the middle of the ring
 * code; splitting further would not remove the loop, which is the
 * protocol's: fences are answers to commands.
 *
 * Copyright 2026 The virtio-gpu-ng authors
 */

#include <linux/slab.h>

#include <drm/drm_file.h>

#include <kunit/visibility.h>

#include "virtgpu_drv.h"
#include "virtgpu_trace.h"

/*
 * A fence is signalled when the host answers the command that carried it;
 * the host answers fenced commands only once their work is done. Commands
 * on one timeline (the kernel's, or one ring of one context) complete in
 * order on the host, so an answer for id N also completes every earlier id
 * of the same timeline, even if its own answer is still on its way.
 */

static const char *vgpu_fence_driver_name(struct dma_fence *f)
{
	return VGPU_DRIVER_NAME;
}

static const char *vgpu_fence_timeline_name(struct dma_fence *f)
{
	struct vgpu_fence *fence = container_of(f, struct vgpu_fence, base);

	return fence->use_ring ? "ring" : "host";
}

/*
 * Somebody waits for this fence (or polls it): if its command has not been
 * sent to the host yet, send the batch now instead of after the notify
 * delay. Runs with the fence lock held, so the queue lock is not taken:
 * see vgpu_queue_kick_soon().
 */
static bool vgpu_fence_enable_signaling(struct dma_fence *f)
{
	struct vgpu_fence *fence = container_of(f, struct vgpu_fence, base);
	struct vgpu_device *vgdev = fence->vgdev;

	if (f->seqno > READ_ONCE(vgdev->ctrlq.kicked_fence)) {
		vgpu_queue_kick_soon(&vgdev->ctrlq);
		vgpu_usage_count(fence->usage, &fence->usage->notifies, 1);
	}
	return true;
}

static void vgpu_fence_release(struct dma_fence *f)
{
	struct vgpu_fence *fence = container_of(f, struct vgpu_fence, base);

	vgpu_usage_put(fence->usage);
	dma_fence_free(f);
}

static const struct dma_fence_ops vgpu_fence_ops = {
	.get_driver_name = vgpu_fence_driver_name,
	.get_timeline_name = vgpu_fence_timeline_name,
	.enable_signaling = vgpu_fence_enable_signaling,
	.release = vgpu_fence_release,
};

/*
 * Signals @fence, ending its client's busy period. Under the fence lock,
 * after any error was set.
 */
static void vgpu_fence_signal_locked(struct vgpu_fence *fence)
{
	if (fence->busy) {
		fence->busy = false;
		vgpu_usage_busy_end(fence->usage);
	}
	trace_vgpu_fence_signal(fence->base.seqno, fence->timeline,
				fence->base.error);
	dma_fence_signal_locked(&fence->base);
}

/**
 * vgpu_fence_alloc() - allocate an unemitted fence
 * @vgdev: the device
 * @timeline: dma-fence context of the host timeline the command runs on
 * @ring_idx: ring of the host context
 * @use_ring: whether @ring_idx is passed to the host
 * @deferred: the command waits for foreign fences before it is emitted
 *
 * The fence gets its id when it is emitted with a command. Until then its
 * seqno is 0, and dma-fence code that compares the seqnos of one context
 * (dma_resv_add_fence() replacing an older fence, sync_file merges keeping
 * the later one) would take it for the oldest fence of @timeline. That
 * window is short for a command queued at once, before the fence is
 * published; a deferred command publishes its fence long before it is
 * emitted, so such a fence gets a dma-fence context of its own and is
 * never compared with another.
 *
 * Context: process context.
 * Return: the fence with one reference, or NULL.
 */
struct vgpu_fence *vgpu_fence_alloc(struct vgpu_device *vgdev, u64 timeline,
				    u32 ring_idx, bool use_ring, bool deferred)
{
	struct vgpu_fence *fence = kzalloc(sizeof(*fence), GFP_KERNEL);

	if (!fence)
		return NULL;
	/* The seqno is set at emission. */
	dma_fence_init(&fence->base, &vgpu_fence_ops, &vgdev->fences.lock,
		       deferred ? dma_fence_context_alloc(1) : timeline, 0);
	INIT_LIST_HEAD(&fence->link);
	fence->vgdev = vgdev;
	fence->timeline = timeline;
	fence->ring_idx = ring_idx;
	fence->use_ring = use_ring;
	return fence;
}
EXPORT_SYMBOL_IF_KUNIT(vgpu_fence_alloc);

/**
 * vgpu_fence_ordered() - is @f ahead of a command submitted now?
 * @f: any dma-fence
 * @timeline: host timeline of the command about to be submitted
 * @owner: file submitting it
 *
 * The host runs one timeline's commands in ring order, so a command need
 * not wait for a fence of its own timeline whose command enters the ring
 * before it: one that is emitted already (its command is in the ring or
 * the backlog, both ahead of anything submitted later), or one of the
 * same file that is not emitted yet (it is on the file's deferred list,
 * which the file's later commands never overtake). Another file's
 * unemitted fence on the shared kernel timeline may enter the ring at any
 * time later, so it must be waited for like a foreign fence.
 *
 * Context: any. A stale seqno of 0 only makes the answer false, which is
 * safe.
 * Return: true when @f needs no waiting before the command.
 */
bool vgpu_fence_ordered(struct dma_fence *f, u64 timeline, const void *owner)
{
	struct vgpu_fence *fence;

	if (vgpu_fence_ops_of(f) != &vgpu_fence_ops)
		return false;
	fence = container_of(f, struct vgpu_fence, base);
	if (fence->timeline != timeline)
		return false;
	return READ_ONCE(f->seqno) || fence->owner == owner;
}
EXPORT_SYMBOL_IF_KUNIT(vgpu_fence_ordered);

/**
 * vgpu_fence_precedes_ctrl() - is @f's work done before later control
 * commands are processed?
 * @vgdev: the device
 * @f: any dma-fence
 *
 * True for an emitted fence of @vgdev whose work the host does inline
 * (@host_inline): its command is in the ring or the backlog, so the host
 * processes it, and finishes its work, before any control command
 * submitted after this call.
 *
 * Context: any. A stale seqno of 0 only makes the answer false, which is
 * safe.
 * Return: true when a control command submitted now needs no wait for @f.
 */
bool vgpu_fence_precedes_ctrl(struct vgpu_device *vgdev, struct dma_fence *f)
{
	struct vgpu_fence *fence;

	if (vgpu_fence_ops_of(f) != &vgpu_fence_ops)
		return false;
	fence = container_of(f, struct vgpu_fence, base);
	return fence->vgdev == vgdev && fence->host_inline &&
	       READ_ONCE(f->seqno);
}

/**
 * vgpu_fence_emit() - give a fence its id and put it in a command header
 * @vgdev: the device
 * @hdr: header of the command that carries the fence
 * @fence: the fence
 *
 * Context: called by the command core under the queue lock, so that ids
 * follow ring order.
 */
void vgpu_fence_emit(struct vgpu_device *vgdev, struct virtio_gpu_ctrl_hdr *hdr,
		     struct vgpu_fence *fence)
{
	u32 hdr_flags = VIRTIO_GPU_FLAG_FENCE;
	unsigned long flags;

	spin_lock_irqsave(&vgdev->fences.lock, flags);
	/* Read locklessly by vgpu_fence_ordered(). */
	WRITE_ONCE(fence->base.seqno, ++vgdev->fences.last_id);
	if (fence->render && fence->usage) {
		fence->busy = true;
		vgpu_usage_busy_begin(fence->usage);
	}
	dma_fence_get(&fence->base);
	list_add_tail(&fence->link, &vgdev->fences.pending);
	spin_unlock_irqrestore(&vgdev->fences.lock, flags);
	trace_vgpu_fence_emit(fence->base.seqno, fence->timeline, 0);

	hdr->fence_id = cpu_to_le64(fence->base.seqno);
	if (fence->use_ring) {
		hdr_flags |= VIRTIO_GPU_FLAG_INFO_RING_IDX;
		hdr->ring_idx = fence->ring_idx;
	}
	hdr->flags |= cpu_to_le32(hdr_flags);
}

static void vgpu_fence_retire(struct vgpu_device *vgdev,
			      struct list_head *done)
{
	struct vgpu_fence *fence, *next;

	list_for_each_entry_safe(fence, next, done, link) {
		list_del_init(&fence->link);
		if (fence->event) {
			drm_send_event(&vgdev->drm, fence->event);
			fence->event = NULL;
		}
		dma_fence_put(&fence->base);
	}
}

/**
 * vgpu_fence_complete() - the host answered the command carrying @fence
 * @vgdev: the device
 * @fence: the emitted fence
 * @err: 0, or the error the host reported for that command
 *
 * Signals @fence and every earlier unsignalled fence of the same host
 * timeline, including those with a dma-fence context of their own.
 * The pending list is in id order, so the walk stops at the first later
 * id: its cost is the number of older fences still pending, not the
 * length of the list.
 *
 * Context: any; answers come in the virtqueue callback.
 */
void vgpu_fence_complete(struct vgpu_device *vgdev, struct vgpu_fence *fence,
			 int err)
{
	u64 id = fence->base.seqno;
	struct vgpu_fence *f, *next;
	unsigned long flags;
	LIST_HEAD(done);

	spin_lock_irqsave(&vgdev->fences.lock, flags);
	if (err && !test_bit(DMA_FENCE_FLAG_SIGNALED_BIT, &fence->base.flags))
		dma_fence_set_error(&fence->base, err);
	list_for_each_entry_safe(f, next, &vgdev->fences.pending, link) {
		if (f->base.seqno > id)
			break;
		if (f->timeline != fence->timeline)
			continue;
		vgpu_fence_signal_locked(f);
		list_move_tail(&f->link, &done);
	}
	spin_unlock_irqrestore(&vgdev->fences.lock, flags);

	vgpu_fence_retire(vgdev, &done);
}

/**
 * vgpu_fence_abort() - signal a fence whose command never reached the host
 * @vgdev: the device
 * @fence: a fence that was not emitted
 * @err: why
 *
 * Context: any.
 */
void vgpu_fence_abort(struct vgpu_device *vgdev, struct vgpu_fence *fence,
		      int err)
{
	unsigned long flags;

	spin_lock_irqsave(&vgdev->fences.lock, flags);
	if (!test_bit(DMA_FENCE_FLAG_SIGNALED_BIT, &fence->base.flags)) {
		dma_fence_set_error(&fence->base, err);
		vgpu_fence_signal_locked(fence);
	}
	spin_unlock_irqrestore(&vgdev->fences.lock, flags);
}

/**
 * vgpu_fence_fail_all() - signal every pending fence with -ENODEV
 * @vgdev: the device, which the host no longer serves
 *
 * Context: process context.
 */
void vgpu_fence_fail_all(struct vgpu_device *vgdev)
{
	struct vgpu_fence *fence, *next;
	unsigned long flags;
	LIST_HEAD(done);

	spin_lock_irqsave(&vgdev->fences.lock, flags);
	list_for_each_entry_safe(fence, next, &vgdev->fences.pending, link) {
		dma_fence_set_error(&fence->base, -ENODEV);
		vgpu_fence_signal_locked(fence);
		list_move_tail(&fence->link, &done);
	}
	spin_unlock_irqrestore(&vgdev->fences.lock, flags);

	vgpu_fence_retire(vgdev, &done);
}

/**
 * vgpu_fence_cancel_event() - give back the poll-ring event of an unsent fence
 * @vgdev: the device
 * @fence: a fence whose command never reached the ring, or NULL
 *
 * The event was reserved at EXECBUFFER; a fence that never gets an id
 * never posts it.
 *
 * Context: process context.
 */
void vgpu_fence_cancel_event(struct vgpu_device *vgdev,
			     struct vgpu_fence *fence)
{
	if (fence && fence->event && !fence->base.seqno) {
		drm_event_cancel_free(&vgdev->drm, fence->event);
		fence->event = NULL;
	}
}
