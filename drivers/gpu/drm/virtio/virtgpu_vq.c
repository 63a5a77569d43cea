// SPDX-License-Identifier: MIT
/*
 * The command core: the only code that touches the virtqueues.
 *
 * Copyright 2026 The virtio-gpu-ng authors
 */

/**
 * DOC: command core
 *
 * Every request the driver makes of the host is a &struct vgpu_cmd: a
 * request header and body, an optional payload (memory entries, a command
 * stream), a response buffer, and what has to happen when the response is
 * in (signal a fence, drop object references, run a callback, wake a
 * waiter). Callers build commands with vgpu_cmd_new() and hand them over
 * with vgpu_cmd_submit(), vgpu_cmd_submit_cursor() or vgpu_cmd_submit_wait();
 * nothing else in the driver adds buffers to a virtqueue or notifies the
 * host.
 *
 * Ordering. Commands enter the ring in the order they were submitted. When
 * the ring is full, a command goes to the queue's backlog instead, and so do
 * all commands after it until the backlog is empty again, so submission
 * never sleeps and never reorders. The virtqueue callback moves the backlog
 * into the ring as the host frees descriptors. Fence ids are taken under the
 * queue lock at submission, so they increase in ring order.
 *
 * Notification. Commands are batched, and the host is notified when
 * somebody needs a result or the batch is due: "DOC: notification".
 *
 * Foreign fences. A command that must wait for fences the host cannot see
 * is held back by its file, not by the core ("DOC: deferred submission" in
 * virtgpu_context.c); the core only ever sees commands that may go.
 *
 * Unplug. A command submitted after the device is gone, or still in the
 * ring when it goes, is completed locally with -ENODEV, so every callback
 * runs exactly once and nothing leaks. That includes deferred commands
 * whose fences signal after the unplug.
 */

#include <linux/ktime.h>
#include <linux/mm.h>
#include <linux/sizes.h>
#include <linux/slab.h>
#include <linux/vmalloc.h>

#include <drm/drm_drv.h>
#include <drm/drm_gem.h>
#include <drm/drm_print.h>

#include <kunit/visibility.h>

#include "virtgpu_drv.h"
#include "virtgpu_trace.h"

static unsigned int notify_delay_us = 5000;
module_param(notify_delay_us, uint, 0644);
MODULE_PARM_DESC(notify_delay_us,
		 "Longest time a queued command waits for a notification of the host, in microseconds (default 5000; 0 notifies after every command)");

static unsigned int fence_delay_us = 20000;
module_param(fence_delay_us, uint, 0644);
MODULE_PARM_DESC(fence_delay_us,
		 "Longest time fenced work that nobody waits for waits for a notification, in microseconds (default 20000; never shorter than notify_delay_us)");

static unsigned int notify_batch = 192;
module_param(notify_batch, uint, 0644);
MODULE_PARM_DESC(notify_batch,
		 "Notify the host once this many commands wait (default 192)");

static bool merge_submits = true;
module_param(merge_submits, bool, 0644);
MODULE_PARM_DESC(merge_submits,
		 "Let queued SUBMIT_3Ds of one context share one request (default Y)");

/* Below this many free descriptors, waiting makes the ring overflow. */
#define VGPU_LOW_FREE	16

void vgpu_stat_add(struct vgpu_device *vgdev, enum vgpu_stat stat, u64 n)
{
	atomic64_add(n, &vgdev->stats.ev[stat]);
}

/* Index of a command type in &vgpu_stats.cmd, or -1 for an unknown type. */
VISIBLE_IF_KUNIT int vgpu_cmd_slot(u32 type)
{
	if (type >= VIRTIO_GPU_CMD_GET_DISPLAY_INFO &&
	    type <= VIRTIO_GPU_CMD_SET_SCANOUT_BLOB)
		return type - VIRTIO_GPU_CMD_GET_DISPLAY_INFO;
	if (type >= VIRTIO_GPU_CMD_CTX_CREATE &&
	    type <= VIRTIO_GPU_CMD_RESOURCE_UNMAP_BLOB)
		return VGPU_CMD_2D_COUNT + type - VIRTIO_GPU_CMD_CTX_CREATE;
	if (type == VIRTIO_GPU_CMD_UPDATE_CURSOR ||
	    type == VIRTIO_GPU_CMD_MOVE_CURSOR)
		return VGPU_CMD_2D_COUNT + VGPU_CMD_3D_COUNT +
		       type - VIRTIO_GPU_CMD_UPDATE_CURSOR;
	return -1;
}
EXPORT_SYMBOL_IF_KUNIT(vgpu_cmd_slot);

/**
 * vgpu_cmd_new() - allocate a command
 * @vgdev: the device
 * @type: VIRTIO_GPU_CMD_*
 * @req_len: size of the request structure, header included
 *
 * The request is zeroed but for its type; the response defaults to a bare
 * header. The caller owns the one reference. RESOURCE_UNREF commands are
 * always allocated.
 *
 * Context: process context.
 * Return: the command, or NULL when out of memory.
 */
struct vgpu_cmd *vgpu_cmd_new(struct vgpu_device *vgdev, u32 type,
			      size_t req_len)
{
	gfp_t gfp = GFP_KERNEL;
	struct vgpu_cmd *cmd;

	if (WARN_ON(req_len > VGPU_CMD_REQ_MAX ||
		    req_len < sizeof(struct virtio_gpu_ctrl_hdr)))
		return NULL;

	/*
	 * Freeing an object must not fail: its pages can only go once the
	 * host has dropped the resource, which takes this command.
	 */
	if (type == VIRTIO_GPU_CMD_RESOURCE_UNREF)
		gfp |= __GFP_NOFAIL;
	cmd = kzalloc(sizeof(*cmd), gfp);
	if (!cmd)
		return NULL;

	kref_init(&cmd->ref);
	INIT_LIST_HEAD(&cmd->link);
	INIT_LIST_HEAD(&cmd->riders);
	init_completion(&cmd->completion);
	cmd->req_len = req_len;
	cmd->req.hdr.type = cpu_to_le32(type);
	cmd->resp = &cmd->resp_inline;
	cmd->resp_len = sizeof(cmd->resp_inline);
	return cmd;
}

static void vgpu_cmd_release(struct kref *ref)
{
	struct vgpu_cmd *cmd = container_of(ref, struct vgpu_cmd, ref);
	unsigned int i;

	for (i = 0; i < cmd->nr_objs; i++)
		drm_gem_object_put(cmd->objs[i]);
	kvfree(cmd->objs);
	if (cmd->payload_owned)
		kvfree(cmd->payload);
	kfree(cmd->sg);
	kfree(cmd->ride_sgs);
	if (cmd->resp != &cmd->resp_inline)
		kfree(cmd->resp);
	if (cmd->fence)
		dma_fence_put(&cmd->fence->base);
	kfree(cmd);
}

/**
 * vgpu_cmd_get() - take another reference to a command
 * @cmd: the command
 *
 * For a caller that still reads the command after handing it to the
 * queue, which may complete it at any time.
 *
 * Context: any.
 * Return: @cmd.
 */
struct vgpu_cmd *vgpu_cmd_get(struct vgpu_cmd *cmd)
{
	kref_get(&cmd->ref);
	return cmd;
}

/**
 * vgpu_cmd_put() - drop a reference to a command
 * @cmd: the command, may be NULL
 *
 * Context: process context; the last put may drop GEM object references.
 */
void vgpu_cmd_put(struct vgpu_cmd *cmd)
{
	if (cmd)
		kref_put(&cmd->ref, vgpu_cmd_release);
}

/**
 * vgpu_cmd_want_resp() - give a command a response buffer of its own
 * @cmd: the command, not yet submitted
 * @len: size of the expected response, header included
 *
 * Context: process context.
 * Return: 0, or -ENOMEM.
 */
int vgpu_cmd_want_resp(struct vgpu_cmd *cmd, size_t len)
{
	void *resp = kzalloc(len, GFP_KERNEL);

	if (!resp)
		return -ENOMEM;
	cmd->resp = resp;
	cmd->resp_len = len;
	return 0;
}

/**
 * vgpu_cmd_attach_objs() - keep GEM objects alive until the host is done
 * @cmd: the command, not yet submitted
 * @objs: kvmalloc'ed array of referenced objects; the command takes both
 *	the array and the references
 * @nr: number of objects
 *
 * Context: any.
 */
void vgpu_cmd_attach_objs(struct vgpu_cmd *cmd, struct drm_gem_object **objs,
			  unsigned int nr)
{
	cmd->objs = objs;
	cmd->nr_objs = nr;
}

/*
 * A vmalloc'ed payload is not physically contiguous: describe it page by
 * page. Done before the queue lock is taken, as it allocates; done once.
 */
static int vgpu_cmd_map_payload(struct vgpu_cmd *cmd)
{
	u8 *p = cmd->payload;
	u32 left = cmd->payload_len;
	unsigned int n, i;

	if (!left || cmd->sg)
		return 0;
	if (!is_vmalloc_addr(p)) {
		cmd->nr_desc = 1;
		return 0;
	}

	n = DIV_ROUND_UP(offset_in_page(p) + left, PAGE_SIZE);
	cmd->sg = kmalloc_array(n, sizeof(*cmd->sg), GFP_KERNEL);
	if (!cmd->sg)
		return -ENOMEM;
	cmd->nr_desc = n;
	sg_init_table(cmd->sg, n);
	for (i = 0; i < n; i++) {
		u32 chunk = min_t(u32, left, PAGE_SIZE - offset_in_page(p));

		sg_set_page(&cmd->sg[i], vmalloc_to_page(p), chunk,
			    offset_in_page(p));
		p += chunk;
		left -= chunk;
	}
	return 0;
}

/**
 * vgpu_cmd_prepare() - allocate now what submitting @cmd would allocate
 * @cmd: a command, complete but not submitted
 *
 * For a command submitted later from a path that must not allocate: a
 * deferred submission is sent by a worker that its published out-fence
 * waits for, and memory reclaim may be waiting for that fence.
 * vgpu_cmd_submit() of a prepared command allocates nothing.
 *
 * Context: process context.
 * Return: 0, or -ENOMEM.
 */
int vgpu_cmd_prepare(struct vgpu_cmd *cmd)
{
	return vgpu_cmd_map_payload(cmd);
}

/**
 * DOC: riders
 *
 * A ring slot per command caps a notification at 256 commands, so
 * a storm of small EXECBUFFERs would pay one notification per ring no
 * matter how long the delay. While a batch is forming, a fenced SUBMIT_3D
 * of a virgl context (the one kind of stream known to be a plain sequence
 * of commands, see vgpu_stream_traits()) is therefore held out of the ring
 * as the queue's open carrier, and the next fenced SUBMIT_3Ds of the same
 * context and host timeline ride in it: their streams become further
 * descriptors of the same request, its size grows by theirs and its fence
 * id becomes the rider's. The host runs the streams back to back, exactly
 * as it would have run the requests, and answers once the last fence is
 * reached; the carrier's completion then completes each rider in order.
 * Any other command, a flush of the batch, a waiter on a fence (through
 * the timer, as the fence path may not take the queue lock) or a carrier
 * reaching %VGPU_RIDE_DESC_MAX descriptors or %VGPU_RIDE_BYTES_MAX bytes
 * seals it into the ring first, so order holds. Streams of one context
 * only ride together because a stream the host rejects midway can make it
 * skip the rest of the request: only that context's own later streams are
 * lost then, which a context whose streams are malformed cannot rely on
 * anyway. A carrier counts as one command towards @notify_batch, as it
 * takes one ring slot. A SUBMIT_3D alone on an idle queue, or one that is
 * urgent, goes to the ring at once. @merge_submits=N turns riding off.
 */

/**
 * vgpu_stream_traits() - how the host runs the streams of a context type
 * @capset_id: the context's capset; 0 for a context created without one,
 *	which the host makes a virgl context
 *
 * The only place that tells context types apart. Two properties of the
 * host's renderer decide how the core sends a context's SUBMIT_3Ds:
 *
 * - %VGPU_STREAM_INLINE: the stream is a plain sequence of commands that
 *   the host decodes and issues one after another while it processes the
 *   SUBMIT_3D, before it reads the next command of the control queue
 *   (virgl). Such a stream may carry the context's later ones ("DOC:
 *   riders"), and its fence is host-inline (&vgpu_fence.host_inline).
 *   Other renderers (venus, gfxstream, native contexts) run the stream on
 *   their own and may take one command per request.
 * - %VGPU_STREAM_URGENT: userspace polls what the host writes to shared
 *   memory instead of waiting on fences (venus rings), so nothing would
 *   make the batch leave: each SUBMIT_3D notifies at once, and carries
 *   nothing, as it leaves before anything could ride in it.
 *
 * Context: any.
 * Return: a mask of VGPU_STREAM_* flags.
 */
unsigned int vgpu_stream_traits(u32 capset_id)
{
	switch (capset_id) {
	case 0:
	case VIRTIO_GPU_CAPSET_VIRGL:
	case VIRTIO_GPU_CAPSET_VIRGL2:
		return VGPU_STREAM_INLINE;
	case VIRTIO_GPU_CAPSET_VENUS:
		return VGPU_STREAM_URGENT;
	default:
		return 0;
	}
}
EXPORT_SYMBOL_IF_KUNIT(vgpu_stream_traits);

/**
 * vgpu_cmd_stream_policy() - notification and riding of a SUBMIT_3D
 * @cmd: a SUBMIT_3D, not submitted
 * @capset_id: the capset of the context it runs in
 *
 * Context: any.
 */
void vgpu_cmd_stream_policy(struct vgpu_cmd *cmd, u32 capset_id)
{
	unsigned int traits = vgpu_stream_traits(capset_id);

	cmd->urgent = traits & VGPU_STREAM_URGENT;
	cmd->may_carry = traits == VGPU_STREAM_INLINE;
}
EXPORT_SYMBOL_IF_KUNIT(vgpu_cmd_stream_policy);

/*
 * The descriptor table a carrier is added with, allocated only for the
 * few commands that become one. Under the queue lock, possibly in the
 * deferred-submission work that a published fence waits for: no reclaim.
 * Without memory the command simply travels alone.
 */
static bool vgpu_cmd_carrier_table(struct vgpu_cmd *cmd)
{
	if (!cmd->ride_sgs)
		cmd->ride_sgs = kmalloc_array(VGPU_RIDE_DESC_MAX,
					      sizeof(*cmd->ride_sgs),
					      GFP_NOWAIT | __GFP_NOWARN);
	return cmd->ride_sgs;
}

static int vgpu_resp_errno(u32 type)
{
	switch (type) {
	case VIRTIO_GPU_RESP_ERR_OUT_OF_MEMORY:
		return -ENOMEM;
	case VIRTIO_GPU_RESP_ERR_INVALID_SCANOUT_ID:
	case VIRTIO_GPU_RESP_ERR_INVALID_RESOURCE_ID:
	case VIRTIO_GPU_RESP_ERR_INVALID_CONTEXT_ID:
	case VIRTIO_GPU_RESP_ERR_INVALID_PARAMETER:
		return -EINVAL;
	default:
		return -EIO;
	}
}

/* The errno that the host's response to @cmd maps to. Any context. */
static int vgpu_cmd_resp_status(struct vgpu_device *vgdev, struct vgpu_cmd *cmd)
{
	u32 type = le32_to_cpu(((struct virtio_gpu_ctrl_hdr *)cmd->resp)->type);

	if (type < VIRTIO_GPU_RESP_ERR_UNSPEC)
		return 0;
	vgpu_stat_add(vgdev, VGPU_STAT_ERROR_RESP, 1);
	drm_dbg_driver(&vgdev->drm, "command 0x%04x failed: response 0x%04x\n",
		       le32_to_cpu(cmd->req.hdr.type), type);
	return vgpu_resp_errno(type);
}

/*
 * First half of a completion: record @status and signal the fences of
 * @cmd and of its riders, which the host answered with it. Any context:
 * for answers it runs in the virtqueue callback.
 */
static void vgpu_cmd_answer(struct vgpu_device *vgdev, struct vgpu_cmd *cmd,
			    int status)
{
	struct vgpu_cmd *rider;

	cmd->status = status;
	vgpu_stat_add(vgdev, VGPU_STAT_COMPLETED, 1);
	if (cmd->fence) {
		/* Ids start at 1: a zero seqno was never emitted. */
		if (cmd->fence->base.seqno)
			vgpu_fence_complete(vgdev, cmd->fence, status);
		else
			vgpu_fence_abort(vgdev, cmd->fence, status);
	}
	/* Nobody else looks at a carrier's riders once it left the ring. */
	list_for_each_entry(rider, &cmd->riders, link)
		vgpu_cmd_answer(vgdev, rider, status);
}

/*
 * Second half: what may sleep or free. The callback, then the waiter,
 * then the riders in order. Process context.
 */
static void vgpu_cmd_finish(struct vgpu_device *vgdev, struct vgpu_queue *q,
			    struct vgpu_cmd *cmd)
{
	struct vgpu_cmd *rider, *next;

	if (cmd->done)
		cmd->done(vgdev, cmd);
	complete(&cmd->completion);

	list_for_each_entry_safe(rider, next, &cmd->riders, link) {
		list_del_init(&rider->link);
		vgpu_cmd_finish(vgdev, q, rider);
	}

	if (atomic_dec_and_test(&q->inflight))
		wake_up_all(&q->idle);
	vgpu_cmd_put(cmd);
}

/* A command that never got an answer from the host: both halves, now. */
static void vgpu_cmd_complete(struct vgpu_device *vgdev, struct vgpu_queue *q,
			      struct vgpu_cmd *cmd, int err)
{
	vgpu_cmd_answer(vgdev, cmd, err);
	vgpu_cmd_finish(vgdev, q, cmd);
}

static struct scatterlist *vgpu_cmd_payload_sgl(struct vgpu_cmd *cmd)
{
	if (cmd->sg)
		return cmd->sg;
	sg_init_one(&cmd->payload_sg, cmd->payload, cmd->payload_len);
	return &cmd->payload_sg;
}

/*
 * Adds @cmd, and the streams of its riders, to the ring. Caller holds
 * q->lock. Returns 0 or -ENOSPC.
 */
static int vgpu_queue_add_locked(struct vgpu_device *vgdev,
				 struct vgpu_queue *q, struct vgpu_cmd *cmd)
{
	struct scatterlist *alone[3], **sgs = alone;
	struct scatterlist req, resp;
	u32 bytes = cmd->req_len + cmd->payload_len + cmd->resp_len;
	struct vgpu_cmd *rider;
	unsigned int out = 0;
	int ret;

	if (!list_empty(&cmd->riders))
		sgs = cmd->ride_sgs;
	sg_init_one(&req, cmd->req.bytes, cmd->req_len);
	sgs[out++] = &req;
	if (cmd->payload_len)
		sgs[out++] = vgpu_cmd_payload_sgl(cmd);
	list_for_each_entry(rider, &cmd->riders, link) {
		if (!rider->payload_len)
			continue;
		sgs[out++] = vgpu_cmd_payload_sgl(rider);
		bytes += rider->payload_len;
	}
	sg_init_one(&resp, cmd->resp, cmd->resp_len);
	sgs[out] = &resp;

	ret = virtqueue_add_sgs(q->vq, sgs, out, 1, cmd, GFP_ATOMIC);
	if (ret)
		return ret;

	vgpu_stat_add(vgdev, VGPU_STAT_BYTES, bytes);
	return 0;
}

/* Into the ring, or behind the backlog if there is one. Caller holds q->lock. */
static void vgpu_queue_place_locked(struct vgpu_device *vgdev,
				    struct vgpu_queue *q, struct vgpu_cmd *cmd)
{
	if (!list_empty(&q->backlog) || vgpu_queue_add_locked(vgdev, q, cmd)) {
		/* Ring full: keep the order, the virtqueue callback adds it. */
		list_add_tail(&cmd->link, &q->backlog);
		vgpu_stat_add(vgdev, VGPU_STAT_RING_FULL, 1);
	}
}

/* The open carrier takes no more riders. Caller holds q->lock. */
static void vgpu_queue_seal_locked(struct vgpu_device *vgdev,
				   struct vgpu_queue *q)
{
	struct vgpu_cmd *cmd = q->open;

	if (!cmd)
		return;
	WRITE_ONCE(q->open, NULL);
	vgpu_queue_place_locked(vgdev, q, cmd);
}

/**
 * vgpu_cmd_can_ride() - may a command ride in an open carrier?
 * @open: the carrier, or NULL
 * @cmd: a command being submitted
 * @ring_size: descriptors of the ring the carrier goes to
 *
 * Only a fenced SUBMIT_3D of the same context and host timeline: then the
 * carrier's fence id may become the rider's, and the host running both
 * streams in one go is what it would have done with two requests in a
 * row. A carrier that would outgrow a quarter of the ring,
 * %VGPU_RIDE_DESC_MAX descriptors or %VGPU_RIDE_BYTES_MAX bytes takes no
 * more: @cmd seals it and goes after it.
 *
 * Context: any; both commands are held by the caller.
 * Return: true when @cmd may be appended to @open.
 */
VISIBLE_IF_KUNIT bool vgpu_cmd_can_ride(const struct vgpu_cmd *open,
					const struct vgpu_cmd *cmd,
					unsigned int ring_size)
{
	const struct virtio_gpu_cmd_submit *sub;
	unsigned int descs;

	if (!open || !cmd->fence || !open->fence ||
	    cmd->req.hdr.type != cpu_to_le32(VIRTIO_GPU_CMD_SUBMIT_3D) ||
	    cmd->req.hdr.ctx_id != open->req.hdr.ctx_id ||
	    cmd->fence->timeline != open->fence->timeline)
		return false;

	/* A request header and a response besides the streams. */
	descs = open->nr_desc + cmd->nr_desc + 2;
	if (descs > VGPU_RIDE_DESC_MAX || descs > ring_size / 4)
		return false;
	sub = container_of(&open->req.hdr, struct virtio_gpu_cmd_submit, hdr);
	return le32_to_cpu(sub->size) + cmd->payload_len <= VGPU_RIDE_BYTES_MAX;
}
EXPORT_SYMBOL_IF_KUNIT(vgpu_cmd_can_ride);

static bool vgpu_queue_can_ride(struct vgpu_queue *q, struct vgpu_cmd *cmd)
{
	return vgpu_cmd_can_ride(q->open, cmd,
				 virtqueue_get_vring_size(q->vq));
}

/* Appends @cmd's stream to the open carrier's. Caller holds q->lock. */
static void vgpu_queue_ride_locked(struct vgpu_device *vgdev,
				   struct vgpu_queue *q, struct vgpu_cmd *cmd)
{
	struct vgpu_cmd *open = q->open;
	struct virtio_gpu_cmd_submit *sub;

	sub = container_of(&open->req.hdr, struct virtio_gpu_cmd_submit, hdr);
	sub->size = cpu_to_le32(le32_to_cpu(sub->size) + cmd->payload_len);
	/* The host answers once the last stream's fence is reached. */
	open->req.hdr.fence_id = cmd->req.hdr.fence_id;
	open->nr_desc += cmd->nr_desc;
	list_add_tail(&cmd->link, &open->riders);
	vgpu_stat_add(vgdev, VGPU_STAT_RIDERS, 1);
}

/*
 * Moves backlog into the ring while it fits. Caller holds q->lock.
 * Returns true when something was added.
 */
static bool vgpu_queue_refill_locked(struct vgpu_device *vgdev,
				     struct vgpu_queue *q)
{
	struct vgpu_cmd *cmd, *next;
	bool added = false;

	list_for_each_entry_safe(cmd, next, &q->backlog, link) {
		if (vgpu_queue_add_locked(vgdev, q, cmd))
			break;
		list_del_init(&cmd->link);
		added = true;
	}
	return added;
}

/* 0 for the control queue, 1 for the cursor queue: for tracepoints. */
static unsigned int vgpu_queue_index(struct vgpu_device *vgdev,
				     struct vgpu_queue *q)
{
	return q == &vgdev->cursorq;
}

/*
 * The batch leaves now. Caller holds q->lock; returns whether to notify
 * after unlocking.
 */
static bool vgpu_queue_send_batch_locked(struct vgpu_device *vgdev,
					 struct vgpu_queue *q)
{
	vgpu_queue_seal_locked(vgdev, q);
	q->unkicked = 0;
	q->eager = 0;
	q->timer_lazy = false;
	/* Every fence emitted so far is in this batch or the backlog. */
	WRITE_ONCE(q->kicked_fence, READ_ONCE(vgdev->fences.last_id));
	hrtimer_try_to_cancel(&q->kick_timer);
	if (virtqueue_kick_prepare(q->vq))
		return true;
	vgpu_stat_add(vgdev, VGPU_STAT_NOTIFY_SUPPRESSED, 1);
	trace_vgpu_notify(vgpu_queue_index(vgdev, q), false);
	return false;
}

/**
 * DOC: notification
 *
 * Every notification is a VM exit, so commands are batched:
 * a command added to the ring leaves with the next notification, and the
 * core sends one when
 *
 * - someone needs a result: a synchronous caller (vgpu_cmd_submit_wait()),
 *   a submission of a context whose userspace polls shared memory rather
 *   than fences (venus), a fence that anybody waits on or polls (the
 *   dma-fence core calls our enable_signaling hook for dma_fence_wait(),
 *   sync_file poll, syncobj waits and implicit-fence waits; a fence that
 *   already has a waiter when it is emitted makes its command urgent), a
 *   busy WAIT NOWAIT, an mmap() that needs map info, the end of every KMS
 *   commit (which takes the frame's submission along: "DOC: present
 *   ordering" in virtgpu_plane.c);
 * - @notify_batch commands are waiting;
 * - the ring is nearly full;
 * - and otherwise when the hrtimer armed by the first waiting command
 *   expires, @notify_delay_us later; or @fence_delay_us later while every
 *   waiting command is fenced work that nobody waits for yet.
 *
 * The delays only bound how late a command nobody waits for reaches the
 * host; whoever waits makes it leave at once. So they can be long: 5 ms by
 * default. Fenced work nobody has asked about, a frame's last submission
 * above all, has somebody who will ask: its waiter or the frame's page
 * flip, which takes it along. Sending it on the shorter timer instead
 * costs a notification of its own whenever the flip comes more than
 * @notify_delay_us after the rendering, so it waits for the longer
 * backstop, 20 ms, a little over a 60 Hz frame. Any other command arms
 * or shortens the timer to @notify_delay_us.
 *
 * The batch, 192 by default, is three quarters of QEMU's
 * 256-entry ring: the host works through one batch while the next one
 * fills the rest of the ring, and when the ring does fill, the backlog
 * moves in a quarter of a ring at a time (see "DOC: completion"). A
 * smaller batch would pay a notification per fraction of a ring in the
 * storms that fill it. Cursor moves, batched like the rest, reach the
 * host within the delay, a third of a 60 Hz frame.
 *
 * @notify_delay_us=0 notifies after every command. Order never changes:
 * batching only delays the notification, not the ring. When a
 * notification is due the core still asks the virtqueue whether the host
 * wants it (with event-idx the host can say no while it is processing)
 * and counts both outcomes.
 */

/* Applies the notification policy; caller holds q->lock. */
static bool vgpu_queue_policy_locked(struct vgpu_device *vgdev,
				     struct vgpu_queue *q, bool urgent)
{
	unsigned int delay = READ_ONCE(notify_delay_us);
	bool lazy;

	if (!q->unkicked)
		return false;
	if (urgent || !delay || q->unkicked >= READ_ONCE(notify_batch) ||
	    q->vq->num_free < VGPU_LOW_FREE || !list_empty(&q->backlog))
		return vgpu_queue_send_batch_locked(vgdev, q);
	lazy = !q->eager;
	if (lazy)
		delay = max(delay, READ_ONCE(fence_delay_us));
	/* An eager command must not inherit a lazy batch's longer wait. */
	if (!hrtimer_is_queued(&q->kick_timer) || (q->timer_lazy && !lazy)) {
		q->timer_lazy = lazy;
		hrtimer_start(&q->kick_timer, ns_to_ktime((u64)delay * NSEC_PER_USEC),
			      HRTIMER_MODE_REL_SOFT);
	}
	return false;
}

/*
 * Whether commands are waiting for a notification that has not happened:
 * a lockless kick (a fence waiter) notifies without resetting @unkicked,
 * and a command held open after it would only wait for the next waiter's
 * kick, which then has to go through the timer to seal it.
 */
static bool vgpu_queue_forming_locked(struct vgpu_queue *q)
{
	return q->unkicked && q->queued != READ_ONCE(q->soon_mark);
}

static void vgpu_queue_notify(struct vgpu_device *vgdev, struct vgpu_queue *q)
{
	vgpu_stat_add(vgdev, VGPU_STAT_NOTIFY, 1);
	trace_vgpu_notify(vgpu_queue_index(vgdev, q), true);
	virtqueue_notify(q->vq);
}

static int vgpu_queue_submit(struct vgpu_device *vgdev, struct vgpu_queue *q,
			     struct vgpu_cmd *cmd, struct vgpu_fence *fence,
			     bool urgent)
{
	unsigned long flags;
	bool notify = false;
	int slot, idx, ret;

	slot = vgpu_cmd_slot(le32_to_cpu(cmd->req.hdr.type));
	if (slot >= 0)
		atomic64_inc(&vgdev->stats.cmd[slot]);

	if (fence) {
		dma_fence_get(&fence->base);
		cmd->fence = fence;
	}
	urgent |= cmd->urgent;

	ret = vgpu_cmd_map_payload(cmd);
	atomic_inc(&q->inflight);
	if (ret) {
		vgpu_cmd_complete(vgdev, q, cmd, ret);
		return ret;
	}

	if (!drm_dev_enter(&vgdev->drm, &idx)) {
		vgpu_cmd_complete(vgdev, q, cmd, -ENODEV);
		return -ENODEV;
	}

	spin_lock_irqsave(&q->lock, flags);
	if (fence) {
		vgpu_fence_emit(vgdev, &cmd->req.hdr, fence);
		/* Somebody already waits for this one. */
		if (test_bit(DMA_FENCE_FLAG_ENABLE_SIGNAL_BIT,
			     &fence->base.flags))
			urgent = true;
	}
	trace_vgpu_cmd_queue(vgpu_queue_index(vgdev, q),
			     le32_to_cpu(cmd->req.hdr.type),
			     le32_to_cpu(cmd->req.hdr.ctx_id),
			     fence ? fence->base.seqno : 0,
			     cmd->req_len + cmd->payload_len);
	if (unlikely(q->parked && q->restorer != current)) {
		/* Suspended: it goes out, in order, once the host is back. */
		list_add_tail(&cmd->link, &q->parked_cmds);
	} else if (vgpu_queue_can_ride(q, cmd)) {
		vgpu_queue_ride_locked(vgdev, q, cmd);
	} else {
		/* Whatever is open goes first: order never changes. */
		vgpu_queue_seal_locked(vgdev, q);
		/*
		 * Hold a SUBMIT_3D back only while a batch is forming
		 * anyway: alone on an idle queue it goes to the ring at
		 * once, where a waiter's kick reaches it directly.
		 */
		if (cmd->may_carry && fence && !urgent &&
		    vgpu_queue_forming_locked(q) &&
		    READ_ONCE(notify_delay_us) && READ_ONCE(merge_submits) &&
		    vgpu_cmd_carrier_table(cmd))
			WRITE_ONCE(q->open, cmd);
		else
			vgpu_queue_place_locked(vgdev, q, cmd);
		q->unkicked++;
		q->queued++;
		/* Fenced work nobody waits for yet: "DOC: notification". */
		if (!fence || urgent)
			q->eager++;
	}
	notify = vgpu_queue_policy_locked(vgdev, q, urgent);
	spin_unlock_irqrestore(&q->lock, flags);

	if (notify) {
		vgpu_queue_notify(vgdev, q);
		if (fence)
			vgpu_usage_count(fence->usage, &fence->usage->notifies, 1);
	}
	drm_dev_exit(idx);
	return 0;
}

/**
 * vgpu_cmd_submit() - queue a command on the control queue
 * @vgdev: the device
 * @cmd: the command; the queue takes the caller's reference
 * @fence: fence to signal when the host is done, or NULL
 *
 * Never sleeps on the host. The command's callback runs exactly once, even
 * when submission fails.
 *
 * Context: process context.
 * Return: 0, or a negative errno (the command was completed with it).
 */
int vgpu_cmd_submit(struct vgpu_device *vgdev, struct vgpu_cmd *cmd,
		    struct vgpu_fence *fence)
{
	return vgpu_queue_submit(vgdev, &vgdev->ctrlq, cmd, fence, false);
}

/**
 * vgpu_cmd_submit_cursor() - queue a command on the cursor queue
 * @vgdev: the device
 * @cmd: an UPDATE_CURSOR or MOVE_CURSOR command; the queue takes the
 *	caller's reference
 *
 * Context: process context.
 * Return: 0, or a negative errno.
 */
int vgpu_cmd_submit_cursor(struct vgpu_device *vgdev, struct vgpu_cmd *cmd)
{
	return vgpu_queue_submit(vgdev, &vgdev->cursorq, cmd, NULL, false);
}

/**
 * vgpu_cmd_submit_wait() - queue a command and sleep until its response
 * @vgdev: the device
 * @cmd: the command; the caller keeps its reference and must put it after
 *	reading the response
 *
 * Only for replies the kernel itself needs (display info, EDID, capsets).
 * The sleep is bounded by VGPU_SYNC_TIMEOUT and counted.
 *
 * Context: process context, may sleep.
 * Return: 0, the errno of the host's error response, -ETIMEDOUT or
 * -ENODEV.
 */
int vgpu_cmd_submit_wait(struct vgpu_device *vgdev, struct vgpu_cmd *cmd)
{
	ktime_t start = ktime_get();
	long left;
	int ret;

	kref_get(&cmd->ref);
	ret = vgpu_queue_submit(vgdev, &vgdev->ctrlq, cmd, NULL, true);
	if (ret)
		return ret;

	left = wait_for_completion_timeout(&cmd->completion, VGPU_SYNC_TIMEOUT);
	vgpu_stat_add(vgdev, VGPU_STAT_SYNC_WAIT, 1);
	vgpu_stat_add(vgdev, VGPU_STAT_SYNC_WAIT_NS,
		      ktime_to_ns(ktime_sub(ktime_get(), start)));
	if (!left) {
		drm_err(&vgdev->drm, "host did not answer command 0x%04x\n",
			le32_to_cpu(cmd->req.hdr.type));
		return -ETIMEDOUT;
	}
	return cmd->status;
}

/**
 * vgpu_cmd_submit_panic() - put prepared commands in the ring from a panic
 * @vgdev: the device
 * @cmds: commands allocated beforehand; each gets a reference for the ring
 * @n: number of commands
 *
 * drm_panic runs with the other CPUs stopped, maybe inside this file, so
 * this neither allocates (the ring has room or the commands are not sent;
 * indirect tables fall back to direct descriptors), nor sleeps, nor waits
 * for a lock, nor touches the batching timer. It notifies at once: nothing
 * else will. The responses are completed as usual if the system lives on.
 *
 * Context: any, including panic.
 * Return: how many of @cmds, from the first, are in the ring.
 */
unsigned int vgpu_cmd_submit_panic(struct vgpu_device *vgdev,
				   struct vgpu_cmd **cmds, unsigned int n)
{
	struct vgpu_queue *q = &vgdev->ctrlq;
	unsigned int i;
	bool notify;

	if (!spin_trylock(&q->lock))
		return 0;
	/* Three descriptors per command at most, and never pass the backlog. */
	if (q->parked || !list_empty(&q->backlog) || q->vq->num_free < 3 * n) {
		spin_unlock(&q->lock);
		return 0;
	}
	for (i = 0; i < n; i++) {
		kref_get(&cmds[i]->ref);
		atomic_inc(&q->inflight);
		if (vgpu_queue_add_locked(vgdev, q, cmds[i])) {
			atomic_dec(&q->inflight);
			kref_put(&cmds[i]->ref, vgpu_cmd_release);
			break;
		}
	}
	notify = virtqueue_kick_prepare(q->vq);
	spin_unlock(&q->lock);
	if (notify)
		vgpu_queue_notify(vgdev, q);
	return i;
}

/* Nothing in the ring or waiting for it. Caller holds q->lock. */
static bool vgpu_queue_ring_empty_locked(struct vgpu_queue *q)
{
	return list_empty(&q->backlog) && !q->open &&
	       q->vq->num_free == virtqueue_get_vring_size(q->vq);
}

/*
 * Takes the host's answers: every used buffer, with callbacks disabled and
 * a re-check before re-enabling them; backlog into the freed slots; then,
 * outside the lock, the answers' fences. The rest of their completion goes
 * to the drain worker, in ring order: only this function takes used
 * buffers, from the virtqueue callback (which never runs concurrently with
 * itself) or from vgpu_queues_quiesce() once callbacks are synchronized.
 */
static void vgpu_queue_reap(struct vgpu_device *vgdev, struct vgpu_queue *q)
{
	bool notify = false, refilled = false, emptied;
	struct vgpu_cmd *cmd;
	unsigned long flags;
	LIST_HEAD(answered);
	unsigned int len;

	spin_lock_irqsave(&q->lock, flags);
	for (;;) {
		virtqueue_disable_cb(q->vq);
		while ((cmd = virtqueue_get_buf(q->vq, &len)))
			list_add_tail(&cmd->link, &answered);
		/* Backlog entries were due when they were submitted. */
		refilled |= vgpu_queue_refill_locked(vgdev, q);
		/*
		 * With a backlog left the ring is full and the host busy:
		 * an interrupt per response would refill a slot at a time.
		 * Ask for one when most of the ring is used instead, while
		 * the rest still keeps the host busy during the refill.
		 */
		if (list_empty(&q->backlog) ? virtqueue_enable_cb(q->vq) :
		    virtqueue_enable_cb_delayed(q->vq))
			break;
	}
	if (refilled)
		notify = vgpu_queue_send_batch_locked(vgdev, q);
	emptied = q->parked && vgpu_queue_ring_empty_locked(q);
	spin_unlock_irqrestore(&q->lock, flags);

	if (notify)
		vgpu_queue_notify(vgdev, q);
	if (emptied)
		wake_up_all(&q->idle);
	if (list_empty(&answered))
		return;

	list_for_each_entry(cmd, &answered, link) {
		int status = vgpu_cmd_resp_status(vgdev, cmd);

		trace_vgpu_cmd_response(le32_to_cpu(cmd->req.hdr.type),
					le32_to_cpu(((struct virtio_gpu_ctrl_hdr *)
						     cmd->resp)->type),
					cmd->fence ? cmd->fence->base.seqno : 0,
					status);
		vgpu_cmd_answer(vgdev, cmd, status);
	}

	spin_lock_irqsave(&q->lock, flags);
	list_splice_tail(&answered, &q->answered);
	spin_unlock_irqrestore(&q->lock, flags);
	schedule_work(&q->drain);
}

static void vgpu_queue_drain(struct work_struct *work)
{
	struct vgpu_queue *q = container_of(work, struct vgpu_queue, drain);
	struct vgpu_cmd *cmd, *next;
	LIST_HEAD(done);

	spin_lock_irq(&q->lock);
	list_splice_init(&q->answered, &done);
	spin_unlock_irq(&q->lock);

	list_for_each_entry_safe(cmd, next, &done, link) {
		list_del_init(&cmd->link);
		vgpu_cmd_finish(q->vgdev, q, cmd);
	}
}

/**
 * DOC: completion
 *
 * The virtqueue callback takes every used buffer with callbacks
 * disabled, re-enables them and re-checks, so a burst of responses costs one
 * interrupt. It signals the answered commands' fences right there, outside
 * the queue lock, so a process waiting on one wakes straight from the
 * interrupt instead of after a worker has run too. What may sleep or free
 * (the command's callback, dropping its object references, waking a
 * synchronous caller) is left to the drain worker, which takes the answered
 * commands in ring order. A fence therefore signals before the callbacks of
 * its batch have run: no fenced command may have a callback whose effects
 * its fence's waiters rely on (none has). A callback may submit new
 * commands. The virtqueue callback also moves backlog into the slots the
 * host freed, and while a backlog remains (a full ring) it asks for the next
 * interrupt only when about three quarters of the ring are used: the host
 * still has the last quarter to work on while the backlog moves in, and a
 * storm pays one interrupt per refill instead of one per response, at the
 * price of fences in that ring signalling up to that much later.
 */

static void vgpu_vq_done(struct virtqueue *vq, struct vgpu_queue *q)
{
	struct vgpu_device *vgdev = vq->vdev->priv;

	vgpu_stat_add(vgdev, VGPU_STAT_IRQ, 1);
	vgpu_queue_reap(vgdev, q);
}

/**
 * vgpu_ctrl_vq_done() - virtqueue callback of the control queue
 * @vq: the virtqueue
 *
 * Context: interrupt context.
 */
void vgpu_ctrl_vq_done(struct virtqueue *vq)
{
	struct vgpu_device *vgdev = vq->vdev->priv;

	vgpu_vq_done(vq, &vgdev->ctrlq);
}

/**
 * vgpu_cursor_vq_done() - virtqueue callback of the cursor queue
 * @vq: the virtqueue
 *
 * Context: interrupt context.
 */
void vgpu_cursor_vq_done(struct virtqueue *vq)
{
	struct vgpu_device *vgdev = vq->vdev->priv;

	vgpu_vq_done(vq, &vgdev->cursorq);
}

static void vgpu_queue_kick(struct vgpu_device *vgdev, struct vgpu_queue *q)
{
	bool notify = false;

	spin_lock_irq(&q->lock);
	if (q->unkicked)
		notify = vgpu_queue_send_batch_locked(vgdev, q);
	spin_unlock_irq(&q->lock);
	if (notify)
		vgpu_queue_notify(vgdev, q);
}

/* Softirq context, with interrupts on, as vgpu_queue_kick() needs. */
static enum hrtimer_restart vgpu_kick_timer_fn(struct hrtimer *timer)
{
	struct vgpu_queue *q = container_of(timer, struct vgpu_queue,
					    kick_timer);

	vgpu_queue_kick(q->vgdev, q);
	return HRTIMER_NORESTART;
}

/**
 * vgpu_queue_kick_soon() - make the host look at the ring now
 * @q: the queue
 *
 * For callers that may not take the queue lock (fence callbacks run with
 * the fence lock held and interrupts off). Buffers are visible to the host
 * as soon as they are added; only the notification is batched. So this
 * notifies without the lock and without consulting event-idx: a waiter's
 * latency matters more than one possibly redundant notification. The batch
 * bookkeeping stays as it is; when the timer later flushes it, event-idx
 * suppresses that notification if the host has already taken everything.
 *
 * Context: any.
 */
void vgpu_queue_kick_soon(struct vgpu_queue *q)
{
	unsigned long mark;
	int idx;

	if (!drm_dev_enter(&q->vgdev->drm, &idx))
		return;
	/* A suspend takes the virtqueue away only after a grace period. */
	rcu_read_lock();
	if (!READ_ONCE(q->vq) || READ_ONCE(q->parked)) {
		rcu_read_unlock();
		drm_dev_exit(idx);
		return;
	}
	mark = READ_ONCE(q->queued);
	/*
	 * A command held open for riders is not in the ring yet, so a
	 * notification now would find nothing new: the timer, which may take
	 * the queue lock, seals it and notifies right away instead.
	 */
	if (READ_ONCE(q->open))
		hrtimer_start(&q->kick_timer, 0, HRTIMER_MODE_REL_SOFT);
	else
		vgpu_queue_notify(q->vgdev, q);
	WRITE_ONCE(q->soon_mark, mark);
	rcu_read_unlock();
	drm_dev_exit(idx);
}

/**
 * vgpu_wait_answer() - sleep until an asynchronous answer has come
 * @vgdev: the device
 * @state: the state the answer's callback moves on from @pending, then
 *	wakes &vgpu_device.answer_wq
 * @pending: the value that means "still waiting"
 *
 * For commands sent without waiting whose answer someone needs later (a
 * blob's mapping, a UUID): sends the batch, so that the command is not
 * waiting for it, then sleeps, counted as a synchronous wait.
 *
 * Context: process context; sleeps at most VGPU_SYNC_TIMEOUT.
 * Return: 0 once *@state has moved on, -ETIMEDOUT or -ERESTARTSYS.
 */
int vgpu_wait_answer(struct vgpu_device *vgdev, const int *state,
		     int pending)
{
	ktime_t start;
	long left;

	if (READ_ONCE(*state) != pending)
		return 0;
	vgpu_queues_kick(vgdev);
	start = ktime_get();
	left = wait_event_interruptible_timeout(vgdev->answer_wq,
						READ_ONCE(*state) != pending,
						VGPU_SYNC_TIMEOUT);
	vgpu_stat_add(vgdev, VGPU_STAT_SYNC_WAIT, 1);
	vgpu_stat_add(vgdev, VGPU_STAT_SYNC_WAIT_NS,
		      ktime_to_ns(ktime_sub(ktime_get(), start)));
	if (left < 0)
		return left;
	return left ? 0 : -ETIMEDOUT;
}

/**
 * vgpu_queues_kick() - send both queues' pending batches now
 * @vgdev: the device
 *
 * Called where the caller is about to depend on the host: the end of a KMS
 * commit, a wait for map info, a busy poll.
 *
 * Context: process context.
 */
void vgpu_queues_kick(struct vgpu_device *vgdev)
{
	int idx;

	if (!drm_dev_enter(&vgdev->drm, &idx))
		return;
	vgpu_queue_kick(vgdev, &vgdev->ctrlq);
	vgpu_queue_kick(vgdev, &vgdev->cursorq);
	drm_dev_exit(idx);
}

/**
 * vgpu_queue_init() - set up the software side of a queue
 * @vgdev: the device
 * @q: the queue; its virtqueue is assigned later by the probe
 *
 * Context: process context.
 */
void vgpu_queue_init(struct vgpu_device *vgdev, struct vgpu_queue *q)
{
	q->vgdev = vgdev;
	spin_lock_init(&q->lock);
	INIT_LIST_HEAD(&q->backlog);
	INIT_LIST_HEAD(&q->answered);
	INIT_LIST_HEAD(&q->parked_cmds);
	INIT_WORK(&q->drain, vgpu_queue_drain);
	atomic_set(&q->inflight, 0);
	init_waitqueue_head(&q->idle);
	vgpu_hrtimer_setup(&q->kick_timer, vgpu_kick_timer_fn, CLOCK_MONOTONIC,
			   HRTIMER_MODE_REL_SOFT);
}

/**
 * vgpu_queues_wait_idle() - wait (bounded) until the host answered everything
 * @vgdev: the device
 *
 * Used before removal, where commands must not be lost.
 *
 * Context: process context, may sleep.
 */
void vgpu_queues_wait_idle(struct vgpu_device *vgdev)
{
	vgpu_queue_kick(vgdev, &vgdev->ctrlq);
	vgpu_queue_kick(vgdev, &vgdev->cursorq);
	wait_event_timeout(vgdev->ctrlq.idle,
			   !atomic_read(&vgdev->ctrlq.inflight),
			   VGPU_SYNC_TIMEOUT);
	wait_event_timeout(vgdev->cursorq.idle,
			   !atomic_read(&vgdev->cursorq.inflight),
			   VGPU_SYNC_TIMEOUT);
}

static void vgpu_queue_abandon(struct vgpu_device *vgdev, struct vgpu_queue *q)
{
	struct vgpu_cmd *cmd, *next;
	LIST_HEAD(lost);

	/* Answers still waiting for the worker are finished here, not lost. */
	cancel_work_sync(&q->drain);
	vgpu_queue_drain(&q->drain);
	spin_lock_irq(&q->lock);
	while ((cmd = virtqueue_detach_unused_buf(q->vq)))
		list_add_tail(&cmd->link, &lost);
	list_splice_tail_init(&q->backlog, &lost);
	if (q->open) {
		list_add_tail(&q->open->link, &lost);
		WRITE_ONCE(q->open, NULL);
	}
	spin_unlock_irq(&q->lock);

	list_for_each_entry_safe(cmd, next, &lost, link) {
		list_del_init(&cmd->link);
		vgpu_cmd_complete(vgdev, q, cmd, -ENODEV);
	}
}

/**
 * vgpu_queues_quiesce() - complete everything still queued, after a reset
 * @vgdev: the device, already reset so that the host no longer uses the
 *	rings
 *
 * Responses that arrived are processed normally; commands the host never
 * answered are completed with -ENODEV.
 *
 * Context: process context, may sleep.
 */
void vgpu_queues_quiesce(struct vgpu_device *vgdev)
{
	/* A reset alone does not wait for a callback still running. */
	virtio_synchronize_cbs(vgdev->vdev);
	hrtimer_cancel(&vgdev->ctrlq.kick_timer);
	hrtimer_cancel(&vgdev->cursorq.kick_timer);
	vgpu_queue_reap(vgdev, &vgdev->ctrlq);
	vgpu_queue_reap(vgdev, &vgdev->cursorq);
	flush_work(&vgdev->ctrlq.drain);
	flush_work(&vgdev->cursorq.drain);
	vgpu_queue_abandon(vgdev, &vgdev->ctrlq);
	vgpu_queue_abandon(vgdev, &vgdev->cursorq);
}

static bool vgpu_queue_ring_empty(struct vgpu_queue *q)
{
	bool empty;

	spin_lock_irq(&q->lock);
	empty = vgpu_queue_ring_empty_locked(q);
	spin_unlock_irq(&q->lock);
	return empty;
}

/**
 * vgpu_queues_park() - stop feeding the rings, and let them empty
 * @vgdev: the device, about to be suspended
 *
 * From here on only the restoring task's commands reach a ring
 * (vgpu_queues_restoring()); everyone else's wait in order on the queue
 * until vgpu_queues_unpark(). What the rings already hold is sent now, and
 * this waits, bounded, for the host to answer it.
 *
 * Context: process context, may sleep.
 */
void vgpu_queues_park(struct vgpu_device *vgdev)
{
	struct vgpu_queue *qs[] = { &vgdev->ctrlq, &vgdev->cursorq };
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(qs); i++) {
		struct vgpu_queue *q = qs[i];
		bool notify;

		spin_lock_irq(&q->lock);
		notify = (q->unkicked || q->open) &&
			 vgpu_queue_send_batch_locked(vgdev, q);
		q->parked = true;
		spin_unlock_irq(&q->lock);
		if (notify)
			vgpu_queue_notify(vgdev, q);
	}
	for (i = 0; i < ARRAY_SIZE(qs); i++) {
		struct vgpu_queue *q = qs[i];

		wait_event_timeout(q->idle, vgpu_queue_ring_empty(q),
				   VGPU_SYNC_TIMEOUT);
		flush_work(&q->drain);
	}
}

/**
 * vgpu_queues_detach() - let go of the virtqueues of a reset device
 * @vgdev: the device, parked and already reset
 *
 * Answers that came in are finished; a command the host never answered is
 * completed with -EIO. Commands that never reached a ring stay parked. The
 * caller deletes the virtqueues after this.
 *
 * Context: process context, may sleep.
 */
void vgpu_queues_detach(struct vgpu_device *vgdev)
{
	struct vgpu_queue *qs[] = { &vgdev->ctrlq, &vgdev->cursorq };
	struct vgpu_cmd *cmd, *next;
	unsigned int i;

	virtio_synchronize_cbs(vgdev->vdev);
	for (i = 0; i < ARRAY_SIZE(qs); i++) {
		struct vgpu_queue *q = qs[i];
		LIST_HEAD(lost);

		hrtimer_cancel(&q->kick_timer);
		vgpu_queue_reap(vgdev, q);
		flush_work(&q->drain);

		spin_lock_irq(&q->lock);
		while ((cmd = virtqueue_detach_unused_buf(q->vq)))
			list_add_tail(&cmd->link, &lost);
		/* Older than anything parked: they go first on resume. */
		list_splice_init(&q->backlog, &q->parked_cmds);
		WRITE_ONCE(q->vq, NULL);
		spin_unlock_irq(&q->lock);

		list_for_each_entry_safe(cmd, next, &lost, link) {
			list_del_init(&cmd->link);
			vgpu_cmd_complete(vgdev, q, cmd, -EIO);
		}
	}
	/* vgpu_queue_kick_soon() may still hold a virtqueue it read. */
	synchronize_rcu();
}

/**
 * vgpu_queues_restoring() - the calling task may use the new virtqueues
 * @vgdev: the device, parked, with its virtqueues found again
 *
 * The commands that rebuild the host's state must reach it before any
 * parked one, which may name what they rebuild.
 *
 * Context: process context.
 */
void vgpu_queues_restoring(struct vgpu_device *vgdev)
{
	struct vgpu_queue *qs[] = { &vgdev->ctrlq, &vgdev->cursorq };
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(qs); i++) {
		spin_lock_irq(&qs[i]->lock);
		qs[i]->restorer = current;
		qs[i]->unkicked = 0;
		qs[i]->eager = 0;
		spin_unlock_irq(&qs[i]->lock);
	}
}

/**
 * vgpu_queues_unpark() - send what waited, and take commands again
 * @vgdev: the device, with its virtqueues
 *
 * Context: process context.
 */
void vgpu_queues_unpark(struct vgpu_device *vgdev)
{
	struct vgpu_queue *qs[] = { &vgdev->ctrlq, &vgdev->cursorq };
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(qs); i++) {
		struct vgpu_queue *q = qs[i];
		bool notify = false;

		spin_lock_irq(&q->lock);
		list_splice_tail_init(&q->parked_cmds, &q->backlog);
		q->parked = false;
		q->restorer = NULL;
		if (vgpu_queue_refill_locked(vgdev, q) || q->unkicked)
			notify = vgpu_queue_send_batch_locked(vgdev, q);
		spin_unlock_irq(&q->lock);
		if (notify)
			vgpu_queue_notify(vgdev, q);
	}
}
