// SPDX-License-Identifier: MIT
/*
 * EXECBUFFER and NG_SUBMIT: command streams, their fences and their
 * syncobjs. Commands that wait for foreign fences are handed to their
 * file's deferred list (virtgpu_context.c).
 *
 * Copyright 2026 The virtio-gpu-ng authors
 */

#include <linux/dma-fence-chain.h>
#include <linux/dma-fence-unwrap.h>
#include <linux/file.h>
#include <linux/module.h>
#include <linux/slab.h>
#include <linux/sync_file.h>
#include <linux/uaccess.h>

#include <drm/drm_drv.h>
#include <drm/drm_file.h>
#include <drm/drm_gem.h>
#include <drm/drm_syncobj.h>

#include <kunit/visibility.h>

#include "virtgpu_drv.h"

/* Upper bounds that keep one ioctl's allocations reasonable. */
#define VGPU_MAX_STREAM		(16u << 20)
#define VGPU_MAX_BOS		(64u << 10)
#define VGPU_MAX_SYNCOBJS	1024u

struct vgpu_post_sync {
	struct drm_syncobj *syncobj;
	struct dma_fence_chain *chain;
	u64 point;
};

/*
 * Everything one submission owns. Each step fills part of it; the single
 * cleanup at the end releases whatever is still owned, and steps hand
 * things over by clearing the field.
 */
struct vgpu_submit {
	struct vgpu_device *vgdev;
	struct drm_file *file;
	struct vgpu_file *vfile;
	struct drm_virtgpu_execbuffer *args;

	void *stream;
	struct drm_gem_object **objs;
	u32 nr_objs;
	/** @timeline: host timeline (dma-fence context) of the fence. */
	u64 timeline;
	/** @wait: referenced foreign fences the command must wait for. */
	struct dma_fence **wait;
	u32 nr_wait;
	u32 max_wait;
	/** @defer: the command goes to the file's deferred list. */
	bool defer;
	/** @job: its deferred job, allocated while failing is still allowed. */
	struct vgpu_defer_job *job;
	/** @cmd: the SUBMIT_3D, once built; it owns the stream and objects. */
	struct vgpu_cmd *cmd;
	/** @queued: the command core or the deferred list has the command. */
	bool queued;
	struct vgpu_fence *fence;
	struct sync_file *out_sync;
	int out_fd;

	struct drm_syncobj **in_reset;
	u32 nr_in;
	struct vgpu_post_sync *post;
	u32 nr_post;
};

/*
 * Takes a reference to each fence in @fence that the command must wait
 * for: unsignalled, and not ordered before it by the ring (see
 * vgpu_fence_ordered()). The walk always runs to its end, which is what
 * drops the iterator's reference to a chain.
 */
static int vgpu_submit_collect(struct vgpu_submit *s, struct dma_fence *fence)
{
	struct dma_fence_unwrap iter;
	struct dma_fence **wait;
	struct dma_fence *f;
	int ret = 0;
	u32 n;

	dma_fence_unwrap_for_each(f, &iter, fence) {
		if (ret || dma_fence_is_signaled(f) ||
		    vgpu_fence_ordered(f, s->timeline, s->vfile))
			continue;
		if (s->nr_wait == s->max_wait) {
			n = max(2 * s->max_wait, 8u);
			wait = krealloc_array(s->wait, n, sizeof(*wait),
					      GFP_KERNEL);
			if (!wait) {
				ret = -ENOMEM;
				continue;
			}
			s->wait = wait;
			s->max_wait = n;
		}
		s->wait[s->nr_wait++] = dma_fence_get(f);
	}
	return ret;
}

static int vgpu_submit_check(struct vgpu_submit *s)
{
	struct drm_virtgpu_execbuffer *args = s->args;
	u32 n_sync = args->num_in_syncobjs | args->num_out_syncobjs;

	if (!s->vgdev->has_virgl)
		return -EOPNOTSUPP;
	if (args->flags & ~VIRTGPU_EXECBUF_FLAGS)
		return -EINVAL;
	if (args->size > VGPU_MAX_STREAM || args->num_bo_handles > VGPU_MAX_BOS)
		return -EINVAL;
	if (args->num_in_syncobjs > VGPU_MAX_SYNCOBJS ||
	    args->num_out_syncobjs > VGPU_MAX_SYNCOBJS)
		return -EINVAL;
	if (n_sync &&
	    args->syncobj_stride < sizeof(struct drm_virtgpu_execbuffer_syncobj))
		return -EINVAL;
	if (args->flags & VIRTGPU_EXECBUF_RING_IDX) {
		if (args->ring_idx >= s->vfile->num_rings)
			return -EINVAL;
		s->timeline = s->vfile->ring_timelines + args->ring_idx;
	} else {
		s->timeline = s->vgdev->fences.kernel_timeline;
	}
	return 0;
}

/* Max-heap order of object pointers, for vgpu_objs_unique(). */
static void vgpu_objs_sift(struct drm_gem_object **a, u32 root, u32 n)
{
	u32 child;

	while ((child = 2 * root + 1) < n) {
		if (child + 1 < n &&
		    (uintptr_t)a[child] < (uintptr_t)a[child + 1])
			child++;
		if ((uintptr_t)a[root] >= (uintptr_t)a[child])
			return;
		swap(a[root], a[child]);
		root = child;
	}
}

/**
 * vgpu_objs_unique() - whether a submission's buffer list is a set
 * @objs: the looked-up objects, reordered by the call
 * @n: their number
 *
 * A buffer listed twice would fail the reservation locking with -EALREADY
 * (the acquire context already holds it), deep in the submission. Sorting
 * puts repeats side by side; the objects only get locked, fenced and kept
 * alive, in any order. A heapsort of our own: lib/sort.c's sort() is not
 * in Android's KMI, and the list can be 64K long.
 *
 * Context: any.
 * Return: true when no object appears twice.
 */
VISIBLE_IF_KUNIT bool vgpu_objs_unique(struct drm_gem_object **objs, u32 n)
{
	u32 i;

	for (i = n / 2; i-- > 0; )
		vgpu_objs_sift(objs, i, n);
	for (i = n; i-- > 1; ) {
		swap(objs[0], objs[i]);
		vgpu_objs_sift(objs, 0, i);
	}
	for (i = 1; i < n; i++)
		if (objs[i] == objs[i - 1])
			return false;
	return true;
}
EXPORT_SYMBOL_IF_KUNIT(vgpu_objs_unique);

static int vgpu_submit_copy_in(struct vgpu_submit *s)
{
	struct drm_virtgpu_execbuffer *args = s->args;
	int ret;

	/* The client picks the size: failing is its ENOMEM, not a warning. */
	s->stream = kvmalloc(max_t(u32, args->size, 1),
			     GFP_KERNEL | __GFP_NOWARN);
	if (!s->stream)
		return -ENOMEM;
	if (copy_from_user(s->stream, u64_to_user_ptr(args->command),
			   args->size))
		return -EFAULT;

	if (!args->num_bo_handles)
		return 0;
	ret = drm_gem_objects_lookup(s->file, u64_to_user_ptr(args->bo_handles),
				     args->num_bo_handles, &s->objs);
	/* On failure the helper leaves a partly filled array behind. */
	s->nr_objs = args->num_bo_handles;
	if (ret)
		return ret;
	return vgpu_objs_unique(s->objs, s->nr_objs) ? 0 : -EINVAL;
}

/* Reads entry @i of a user syncobj array whose entries may be larger. */
static int vgpu_syncobj_entry(struct vgpu_submit *s, u64 base, u32 i,
			      struct drm_virtgpu_execbuffer_syncobj *e)
{
	u32 stride = s->args->syncobj_stride;

	memset(e, 0, sizeof(*e));
	if (copy_struct_from_user(e, sizeof(*e),
				  u64_to_user_ptr(base + (u64)i * stride),
				  stride))
		return -EFAULT;
	return 0;
}

/* In-syncobj @i, with its flags checked. */
static int vgpu_in_syncobj_entry(struct vgpu_submit *s, u32 i,
				 struct drm_virtgpu_execbuffer_syncobj *e)
{
	int ret = vgpu_syncobj_entry(s, s->args->in_syncobjs, i, e);

	if (!ret && e->flags & ~VIRTGPU_EXECBUF_SYNCOBJ_FLAGS)
		ret = -EINVAL;
	return ret;
}

/* The fence of FENCE_FD_IN, NULL without the flag. */
static struct dma_fence *
vgpu_submit_fd_in(const struct drm_virtgpu_execbuffer *args)
{
	struct dma_fence *fence;

	if (!(args->flags & VIRTGPU_EXECBUF_FENCE_FD_IN))
		return NULL;
	fence = sync_file_get_fence(args->fence_fd);
	return fence ?: ERR_PTR(-EINVAL);
}

/* Checks that a syncobj exists, for a check that takes no fences. */
static int vgpu_syncobj_exists(struct drm_file *file, u32 handle)
{
	struct drm_syncobj *syncobj = drm_syncobj_find(file, handle);

	if (!syncobj)
		return -ENOENT;
	drm_syncobj_put(syncobj);
	return 0;
}

/* An in-syncobj's fence, and the syncobj itself if it is to be reset. */
static int vgpu_submit_take_syncobj(struct vgpu_submit *s,
				    const struct drm_virtgpu_execbuffer_syncobj *e)
{
	struct dma_fence *fence;
	int ret;

	ret = drm_syncobj_find_fence(s->file, e->handle, e->point, 0, &fence);
	if (ret)
		return ret;
	ret = vgpu_submit_collect(s, fence);
	dma_fence_put(fence);
	if (ret || !(e->flags & VIRTGPU_EXECBUF_SYNCOBJ_RESET))
		return ret;
	s->in_reset[s->nr_in] = drm_syncobj_find(s->file, e->handle);
	if (!s->in_reset[s->nr_in])
		return -ENOENT;
	s->nr_in++;
	return 0;
}

/*
 * The in-fences. With @take false, only checks what a later call with
 * @take true will read: SUBMIT validates every entry before it queues
 * the first, but an entry's in-fences are collected only once its
 * predecessors are queued, as one of them may signal a syncobj it waits
 * for. With @take true, collects the fences and the syncobjs to reset.
 */
static int vgpu_submit_in_fences(struct vgpu_submit *s, bool take)
{
	struct drm_virtgpu_execbuffer *args = s->args;
	struct drm_virtgpu_execbuffer_syncobj e;
	struct dma_fence *fence;
	u32 i;
	int ret;

	fence = vgpu_submit_fd_in(args);
	if (IS_ERR(fence))
		return PTR_ERR(fence);
	ret = fence && take ? vgpu_submit_collect(s, fence) : 0;
	dma_fence_put(fence);
	if (ret)
		return ret;

	for (i = 0; i < args->num_in_syncobjs; i++) {
		ret = vgpu_in_syncobj_entry(s, i, &e);
		if (ret)
			return ret;
		if (take)
			ret = vgpu_submit_take_syncobj(s, &e);
		else
			ret = vgpu_syncobj_exists(s->file, e.handle);
		if (ret)
			return ret;
	}
	return 0;
}

/* Room for what the syncobj arrays ask for, sized by their counts. */
static int vgpu_submit_alloc_syncobjs(struct vgpu_submit *s)
{
	u32 nr_in = s->args->num_in_syncobjs;
	u32 nr_out = s->args->num_out_syncobjs;

	if (nr_in)
		s->in_reset = kcalloc(nr_in, sizeof(*s->in_reset), GFP_KERNEL);
	if (nr_out)
		s->post = kcalloc(nr_out, sizeof(*s->post), GFP_KERNEL);
	return (nr_in && !s->in_reset) || (nr_out && !s->post) ? -ENOMEM : 0;
}

static int vgpu_submit_out_syncobjs(struct vgpu_submit *s)
{
	struct drm_virtgpu_execbuffer *args = s->args;
	struct drm_virtgpu_execbuffer_syncobj e;
	struct vgpu_post_sync *p;
	u32 i;
	int ret;

	for (i = 0; i < args->num_out_syncobjs; i++) {
		ret = vgpu_syncobj_entry(s, args->out_syncobjs, i, &e);
		if (ret)
			return ret;
		if (e.flags)
			return -EINVAL;
		p = &s->post[s->nr_post];
		p->syncobj = drm_syncobj_find(s->file, e.handle);
		if (!p->syncobj)
			return -ENOENT;
		s->nr_post++;
		p->point = e.point;
		if (e.point) {
			p->chain = dma_fence_chain_alloc();
			if (!p->chain)
				return -ENOMEM;
		}
	}
	return 0;
}

static int vgpu_submit_make_fence(struct vgpu_submit *s)
{
	struct drm_virtgpu_execbuffer *args = s->args;
	struct vgpu_file *vfile = s->vfile;
	bool ring = args->flags & VIRTGPU_EXECBUF_RING_IDX;

	s->fence = vgpu_fence_alloc(s->vgdev, s->timeline,
				    ring ? args->ring_idx : 0, ring, s->defer);
	if (!s->fence)
		return -ENOMEM;
	s->fence->owner = vfile;
	s->fence->usage = vgpu_usage_get(vfile->usage);
	s->fence->render = true;
	s->fence->host_inline = vgpu_stream_traits(vfile->capset_id) &
				VGPU_STREAM_INLINE;

	if (ring && vfile->poll_rings & BIT_ULL(args->ring_idx)) {
		struct {
			struct drm_pending_event base;
			struct drm_event event;
		} *e = kzalloc(sizeof(*e), GFP_KERNEL);
		int ret;

		if (!e)
			return -ENOMEM;
		e->event.type = VIRTGPU_EVENT_FENCE_SIGNALED;
		e->event.length = sizeof(e->event);
		ret = drm_event_reserve_init(&s->vgdev->drm, s->file, &e->base,
					     &e->event);
		if (ret) {
			kfree(e);
			return ret;
		}
		s->fence->event = &e->base;
	}

	if (args->flags & VIRTGPU_EXECBUF_FENCE_FD_OUT) {
		s->out_fd = get_unused_fd_flags(O_CLOEXEC);
		if (s->out_fd < 0)
			return s->out_fd;
		s->out_sync = sync_file_create(&s->fence->base);
		if (!s->out_sync)
			return -ENOMEM;
	}
	return 0;
}

/* Everything that can fail for lack of memory happens here, before queuing. */
static int vgpu_submit_build(struct vgpu_submit *s)
{
	int ret;

	s->cmd = vgpu_cmd_new_submit_3d(s->vgdev, s->vfile->ctx_id, s->stream,
					s->args->size);
	if (!s->cmd)
		return -ENOMEM;
	/*
	 * Unless the context type is urgent, the command waits for the
	 * batch, with a sync_file too: whoever waits on it or polls it makes
	 * it leave (vgpu_fence_enable_signaling()), and a page flip of the
	 * frame it ends takes it along with the flip's own commands.
	 */
	vgpu_cmd_stream_policy(s->cmd, s->vfile->capset_id);
	vgpu_cmd_attach_objs(s->cmd, s->objs, s->nr_objs);
	s->stream = NULL;
	s->objs = NULL;
	s->nr_objs = 0;
	if (!s->defer)
		return 0;

	/* The work that will send it must not allocate. */
	ret = vgpu_cmd_prepare(s->cmd);
	if (ret)
		return ret;
	s->job = vgpu_defer_job_alloc(s->nr_wait);
	return s->job ? 0 : -ENOMEM;
}

/* Hands the command, the fence and the foreign fences to the file. */
static void vgpu_submit_defer(struct vgpu_submit *s, struct vgpu_cmd *cmd)
{
	struct vgpu_defer_job *job = s->job;

	s->job = NULL;
	vgpu_file_defer(s->vfile, job, cmd, s->fence, s->wait);
	s->nr_wait = 0;
}

/*
 * Queues the command, or defers it, with its objects' reservations held,
 * and adds the fence to them only once it has its id or, deferred, its
 * own dma-fence context. WAIT on any of the objects then covers this
 * submission, and an unemitted fence (seqno 0) is never in a reservation
 * where a fence of the same context could replace it as "later"
 * (dma_resv_add_fence()) although it is emitted earlier.
 */
static int vgpu_submit_queue(struct vgpu_submit *s)
{
	/* The queue may complete and free the command at once: keep it. */
	struct vgpu_cmd *cmd = vgpu_cmd_get(s->cmd);
	unsigned int i, nr = cmd->nr_objs;
	struct ww_acquire_ctx ticket;
	int ret = 0;

	if (nr) {
		ret = drm_gem_lock_reservations(cmd->objs, nr, &ticket);
		if (ret)
			goto out_put;
	}
	for (i = 0; i < nr && !ret; i++)
		ret = dma_resv_reserve_fences(cmd->objs[i]->resv, 1);
	if (ret)
		goto out_unlock;

	/* The queue takes the command either way; so does the job. */
	s->cmd = NULL;
	if (s->defer)
		vgpu_submit_defer(s, cmd);
	else
		ret = vgpu_cmd_submit(s->vgdev, cmd, s->fence);
	s->queued = !ret;
	for (i = 0; i < nr && !ret; i++)
		dma_resv_add_fence(cmd->objs[i]->resv, &s->fence->base,
				   DMA_RESV_USAGE_WRITE);
out_unlock:
	if (nr)
		drm_gem_unlock_reservations(cmd->objs, nr, &ticket);
out_put:
	vgpu_cmd_put(cmd);
	return ret;
}

/* After a successful queue: nothing here can fail. */
static void vgpu_submit_publish(struct vgpu_submit *s)
{
	struct vgpu_post_sync *p;
	u32 i;

	for (i = 0; i < s->nr_in; i++)
		drm_syncobj_replace_fence(s->in_reset[i], NULL);

	for (i = 0; i < s->nr_post; i++) {
		p = &s->post[i];
		if (p->chain) {
			drm_syncobj_add_point(p->syncobj, p->chain,
					      &s->fence->base, p->point);
			p->chain = NULL;
		} else {
			drm_syncobj_replace_fence(p->syncobj, &s->fence->base);
		}
	}

	if (s->out_sync) {
		s->args->fence_fd = s->out_fd;
		fd_install(s->out_fd, s->out_sync->file);
		s->out_sync = NULL;
		s->out_fd = -1;
	}
}

static void vgpu_submit_cleanup(struct vgpu_submit *s)
{
	u32 i;

	for (i = 0; i < s->nr_post; i++) {
		dma_fence_chain_free(s->post[i].chain);
		drm_syncobj_put(s->post[i].syncobj);
	}
	kfree(s->post);
	for (i = 0; i < s->nr_in; i++)
		drm_syncobj_put(s->in_reset[i]);
	kfree(s->in_reset);

	if (s->out_sync)
		fput(s->out_sync->file);
	if (s->out_fd >= 0)
		put_unused_fd(s->out_fd);
	vgpu_cmd_put(s->cmd);
	if (s->job)
		vgpu_defer_job_free(s->job);
	for (i = 0; i < s->nr_wait; i++)
		dma_fence_put(s->wait[i]);
	kfree(s->wait);
	if (s->fence) {
		/* Once queued, the event is the fence's until it signals. */
		if (!s->queued)
			vgpu_fence_cancel_event(s->vgdev, s->fence);
		dma_fence_put(&s->fence->base);
	}
	if (s->objs) {
		for (i = 0; i < s->nr_objs; i++)
			if (s->objs[i])
				drm_gem_object_put(s->objs[i]);
		kvfree(s->objs);
	}
	kvfree(s->stream);
}

/*
 * Everything of one submission up to its in-fences: checks, the stream, the
 * objects and the out-syncobjs. Nothing is queued and nothing is visible.
 */
static int vgpu_submit_prepare(struct vgpu_submit *s)
{
	int ret;

	ret = vgpu_submit_check(s);
	if (ret)
		return ret;
	ret = vgpu_ctx_ensure(s->vgdev, s->vfile);
	if (ret)
		return ret;
	ret = vgpu_submit_copy_in(s);
	if (!ret)
		ret = vgpu_submit_alloc_syncobjs(s);
	if (ret)
		return ret;
	return vgpu_submit_out_syncobjs(s);
}

/*
 * The rest: in-fences, the fence, the command, queuing and publishing.
 * @after_deferred: an earlier command of the same call went to the file's
 * deferred list, so this one must follow it there.
 */
static int vgpu_submit_run(struct vgpu_submit *s, bool after_deferred)
{
	int ret;

	ret = vgpu_submit_in_fences(s, true);
	if (ret)
		return ret;
	/*
	 * Behind the file's deferred commands even without foreign fences.
	 * If the list empties meanwhile, the work sends this one soon; if a
	 * concurrent ioctl of the file fills it, the two were not ordered.
	 */
	s->defer = s->nr_wait || after_deferred || !vgpu_file_idle(s->vfile);
	ret = vgpu_submit_make_fence(s);
	if (ret)
		return ret;
	ret = vgpu_submit_build(s);
	if (ret)
		return ret;
	ret = vgpu_submit_queue(s);
	if (ret)
		return ret;
	vgpu_submit_publish(s);
	return 0;
}

/**
 * vgpu_execbuffer_ioctl() - DRM_IOCTL_VIRTGPU_EXECBUFFER
 * @dev: the DRM device
 * @data: struct drm_virtgpu_execbuffer
 * @file: the DRM file
 *
 * Never waits for in-fences: a command that must wait for foreign ones is
 * deferred (see "DOC: deferred submission").
 *
 * Context: process context, may sleep (allocations, reservation locks).
 * Return: 0 or a negative errno.
 */
int vgpu_execbuffer_ioctl(struct drm_device *dev, void *data,
			  struct drm_file *file)
{
	struct vgpu_submit s = {
		.vgdev = to_vgdev(dev),
		.file = file,
		.vfile = file->driver_priv,
		.args = data,
		.out_fd = -1,
	};
	int ret;

	ret = vgpu_submit_prepare(&s);
	if (!ret)
		ret = vgpu_submit_run(&s, false);
	vgpu_submit_cleanup(&s);
	return ret;
}

/**
 * DOC: batched submission
 *
 * DRM_IOCTL_VIRTGPU_NG_SUBMIT queues up to VIRTGPU_NG_SUBMIT_MAX_ENTRIES
 * EXECBUFFERs in one call and can wait for the last one, so that a driver
 * that flushes and waits (glFinish, a synchronous queue submission) makes
 * one system call instead of three.
 *
 * The call runs in two passes. The first prepares every entry as far as
 * it can go without publishing anything: argument checks, the command
 * streams, the objects, the out-syncobjs, and a probe of the in-fences'
 * handles and fds. Any failure there fails the call with nothing queued.
 * The second pass runs the entries in order, each exactly as EXECBUFFER
 * would, so an entry sees the fences that the entries before it published
 * (an in-syncobj signalled by an earlier entry waits for that entry). Once
 * one entry goes to the file's deferred list, the rest follow it there.
 *
 * The second pass can still stop: a signal while an entry takes its
 * objects' reservation locks, or no memory for its fence. The count of
 * queued entries goes back to userspace in the arguments, which the DRM
 * core copies out even when the call fails, and a restarted call skips
 * them, so a signal never submits anything twice.
 *
 * The wait is for the last entry's fence. If a signal interrupts it, the
 * restarted call has nothing left to queue and no fence of its own: it
 * waits for the file's most recent SUBMIT fence instead, which the file
 * keeps for that purpose. That is the same fence unless another thread
 * submitted on the file meanwhile. The deadline is absolute, so a
 * restart does not extend it.
 */

/* The sum of one call's streams, bounded like a single EXECBUFFER's. */
#define VGPU_MAX_BATCH_STREAM	VGPU_MAX_STREAM

static int vgpu_batch_copy_entries(const struct drm_virtgpu_ng_submit *args,
				   struct drm_virtgpu_execbuffer *entries)
{
	int ret;
	u32 i;

	for (i = args->queued; i < args->count; i++) {
		ret = copy_struct_from_user(&entries[i], sizeof(entries[i]),
					    u64_to_user_ptr(args->entries +
							    (u64)i * args->stride),
					    args->stride);
		/* Non-zero bytes this kernel does not know. */
		if (ret == -E2BIG)
			return -EINVAL;
		if (ret)
			return ret;
	}
	return 0;
}

/* Remembers @fence as the file's latest SUBMIT fence, for restarts. */
static void vgpu_batch_remember(struct vgpu_file *vfile,
				struct dma_fence *fence)
{
	mutex_lock(&vfile->lock);
	dma_fence_put(vfile->last_submit);
	vfile->last_submit = dma_fence_get(fence);
	mutex_unlock(&vfile->lock);
}

static struct dma_fence *vgpu_batch_last(struct vgpu_file *vfile)
{
	struct dma_fence *fence;

	mutex_lock(&vfile->lock);
	fence = dma_fence_get(vfile->last_submit);
	mutex_unlock(&vfile->lock);
	return fence;
}

/**
 * vgpu_wait_deadline() - wait for a fence until an absolute deadline
 * @fence: the fence, or NULL for nothing to wait for
 * @deadline_ns: CLOCK_MONOTONIC time in nanoseconds
 * @usage: the waiting client, charged with the sleep
 *
 * Context: process context; sleeps interruptibly.
 * Return: 0 once @fence has signalled, -ETIME at the deadline, or
 * -ERESTARTSYS.
 */
int vgpu_wait_deadline(struct dma_fence *fence, s64 deadline_ns,
		       struct vgpu_usage *usage)
{
	s64 left_ns;
	long ret;

	if (!fence || dma_fence_is_signaled(fence))
		return 0;
	left_ns = deadline_ns - ktime_get_ns();
	if (left_ns <= 0)
		return -ETIME;
	atomic64_inc(&usage->sync_waits);
	ret = dma_fence_wait_timeout(fence, true,
				     clamp_t(u64, nsecs_to_jiffies64(left_ns),
					     1, MAX_SCHEDULE_TIMEOUT));
	if (ret < 0)
		return ret;
	return ret ? 0 : -ETIME;
}

static int vgpu_batch_check(struct vgpu_device *vgdev,
			    const struct drm_virtgpu_ng_submit *args)
{
	if (!vgdev->has_virgl)
		return -EOPNOTSUPP;
	if (args->flags & ~VIRTGPU_NG_SUBMIT_FLAGS)
		return -EINVAL;
	if (!args->count || args->count > VIRTGPU_NG_SUBMIT_MAX_ENTRIES ||
	    args->queued > args->count)
		return -EINVAL;
	if (args->stride < sizeof(struct drm_virtgpu_execbuffer) ||
	    args->stride > VIRTGPU_NG_SUBMIT_MAX_STRIDE)
		return -EINVAL;
	if (!(args->flags & VIRTGPU_NG_SUBMIT_WAIT) && args->timeout_ns)
		return -EINVAL;
	return 0;
}

/*
 * Sets up the entries not queued yet and checks each completely, so that
 * a batch that cannot run queues nothing.
 */
static int vgpu_batch_prepare(struct drm_file *file,
			      const struct drm_virtgpu_ng_submit *args,
			      struct drm_virtgpu_execbuffer *entries,
			      struct vgpu_submit *subs)
{
	u64 bytes = 0;
	u32 i;
	int ret;

	for (i = args->queued; i < args->count; i++) {
		subs[i] = (struct vgpu_submit) {
			.vgdev = to_vgdev(file->minor->dev),
			.file = file,
			.vfile = file->driver_priv,
			.args = &entries[i],
			.out_fd = -1,
		};
		bytes += entries[i].size;
	}
	if (bytes > VGPU_MAX_BATCH_STREAM)
		return -EINVAL;

	for (i = args->queued; i < args->count; i++) {
		ret = vgpu_submit_prepare(&subs[i]);
		if (!ret)
			ret = vgpu_submit_in_fences(&subs[i], false);
		if (ret)
			return ret;
	}
	return 0;
}

/* Queues the entries in order; @args->queued counts those that are. */
static int vgpu_batch_queue(struct drm_virtgpu_ng_submit *args,
			    struct drm_virtgpu_execbuffer *entries,
			    struct vgpu_submit *subs)
{
	bool deferred = false;
	s32 __user *fd_out;
	u32 i;
	int ret;

	for (i = args->queued; i < args->count; i++) {
		ret = vgpu_submit_run(&subs[i], deferred);
		if (ret)
			return ret;
		deferred |= subs[i].defer;
		args->queued = i + 1;
		if (!(entries[i].flags & VIRTGPU_EXECBUF_FENCE_FD_OUT))
			continue;
		fd_out = u64_to_user_ptr(args->entries + (u64)i * args->stride +
					 offsetof(struct drm_virtgpu_execbuffer,
						  fence_fd));
		if (put_user(entries[i].fence_fd, fd_out))
			return -EFAULT;
	}
	return 0;
}

/**
 * vgpu_ng_submit_ioctl() - DRM_IOCTL_VIRTGPU_NG_SUBMIT
 * @dev: the DRM device
 * @data: struct drm_virtgpu_ng_submit
 * @file: the DRM file
 *
 * See "DOC: batched submission".
 *
 * Context: process context, may sleep.
 * Return: 0, -ETIME when the wait reached its deadline, or a negative
 * errno; &drm_virtgpu_ng_submit.queued counts the queued entries either
 * way.
 */
int vgpu_ng_submit_ioctl(struct drm_device *dev, void *data,
			 struct drm_file *file)
{
	struct drm_virtgpu_ng_submit *args = data;
	struct vgpu_device *vgdev = to_vgdev(dev);
	struct vgpu_file *vfile = file->driver_priv;
	struct drm_virtgpu_execbuffer *entries;
	struct dma_fence *last = NULL;
	struct vgpu_submit *subs;
	u32 i, first = args->queued;
	int ret;

	ret = vgpu_batch_check(vgdev, args);
	if (ret)
		return ret;

	entries = kcalloc(args->count, sizeof(*entries), GFP_KERNEL);
	subs = kcalloc(args->count, sizeof(*subs), GFP_KERNEL);
	ret = -ENOMEM;
	if (!entries || !subs)
		goto out_free;
	ret = vgpu_batch_copy_entries(args, entries);
	if (ret)
		goto out_free;

	ret = vgpu_batch_prepare(file, args, entries, subs);
	if (!ret)
		ret = vgpu_batch_queue(args, entries, subs);
	if (!ret && args->flags & VIRTGPU_NG_SUBMIT_WAIT) {
		last = first < args->count ?
		       dma_fence_get(&subs[args->count - 1].fence->base) :
		       vgpu_batch_last(vfile);
	}

	/* Whatever this call queued last is what a restart waits for. */
	if (args->queued > first)
		vgpu_batch_remember(vfile, &subs[args->queued - 1].fence->base);
	for (i = first; i < args->count; i++)
		vgpu_submit_cleanup(&subs[i]);
out_free:
	kfree(subs);
	kfree(entries);
	if (last) {
		ret = vgpu_wait_deadline(last, args->timeout_ns, vfile->usage);
		dma_fence_put(last);
	}
	if (!ret)
		vgpu_stat_add(vgdev, VGPU_STAT_NG_SUBMIT, 1);
	return ret;
}
