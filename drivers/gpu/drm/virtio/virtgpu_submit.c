// SPDX-License-Identifier: MIT
/*
 * EXECBUFFER: command stream submission.
 *
 * Copyright 2026 The virtio-gpu-ng authors
 */

#include <linux/dma-fence-chain.h>
#include <linux/dma-fence-unwrap.h>
#include <linux/file.h>
#include <linux/slab.h>
#include <linux/sync_file.h>
#include <linux/uaccess.h>

#include <drm/drm_file.h>
#include <drm/drm_gem.h>
#include <drm/drm_syncobj.h>

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
	/** @dma_ctx: timeline of this submission's fence. */
	u64 dma_ctx;
	/** @cmd: the SUBMIT_3D, once built; it owns the stream and objects. */
	struct vgpu_cmd *cmd;
	struct vgpu_fence *fence;
	struct sync_file *out_sync;
	int out_fd;

	struct drm_syncobj **in_reset;
	u32 nr_in;
	struct vgpu_post_sync *post;
	u32 nr_post;
};

/*
 * The host runs one timeline's commands in order, so an earlier fence of
 * the timeline this submission goes to needs no waiting here. Anything
 * else must be signalled before the commands leave: the host cannot see
 * other timelines' or other drivers' fences.
 */
static int vgpu_submit_await(struct vgpu_submit *s, struct dma_fence *fence)
{
	struct dma_fence_unwrap iter;
	struct dma_fence *f;
	long ret;

	dma_fence_unwrap_for_each(f, &iter, fence) {
		if (f->context == s->dma_ctx)
			continue;
		ret = dma_fence_wait(f, true);
		if (ret)
			return ret;
	}
	return 0;
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
		s->dma_ctx = s->vfile->dma_ctx + args->ring_idx;
	} else {
		s->dma_ctx = s->vgdev->fences.kernel_ctx;
	}
	return 0;
}

static int vgpu_submit_copy_in(struct vgpu_submit *s)
{
	struct drm_virtgpu_execbuffer *args = s->args;
	int ret;

	s->stream = kvmalloc(max_t(u32, args->size, 1), GFP_KERNEL);
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
	return ret;
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

static int vgpu_submit_in_fences(struct vgpu_submit *s)
{
	struct drm_virtgpu_execbuffer *args = s->args;
	struct drm_virtgpu_execbuffer_syncobj e;
	struct dma_fence *fence;
	u32 i;
	int ret;

	if (args->flags & VIRTGPU_EXECBUF_FENCE_FD_IN) {
		fence = sync_file_get_fence(args->fence_fd);
		if (!fence)
			return -EINVAL;
		ret = vgpu_submit_await(s, fence);
		dma_fence_put(fence);
		if (ret)
			return ret;
	}

	if (!args->num_in_syncobjs)
		return 0;
	s->in_reset = kcalloc(args->num_in_syncobjs, sizeof(*s->in_reset),
			      GFP_KERNEL);
	if (!s->in_reset)
		return -ENOMEM;

	for (i = 0; i < args->num_in_syncobjs; i++) {
		ret = vgpu_syncobj_entry(s, args->in_syncobjs, i, &e);
		if (ret)
			return ret;
		if (e.flags & ~VIRTGPU_EXECBUF_SYNCOBJ_FLAGS)
			return -EINVAL;
		ret = drm_syncobj_find_fence(s->file, e.handle, e.point, 0,
					     &fence);
		if (ret)
			return ret;
		ret = vgpu_submit_await(s, fence);
		dma_fence_put(fence);
		if (ret)
			return ret;
		if (e.flags & VIRTGPU_EXECBUF_SYNCOBJ_RESET) {
			s->in_reset[s->nr_in] = drm_syncobj_find(s->file,
								 e.handle);
			if (!s->in_reset[s->nr_in])
				return -ENOENT;
			s->nr_in++;
		}
	}
	return 0;
}

static int vgpu_submit_out_syncobjs(struct vgpu_submit *s)
{
	struct drm_virtgpu_execbuffer *args = s->args;
	struct drm_virtgpu_execbuffer_syncobj e;
	struct vgpu_post_sync *p;
	u32 i;
	int ret;

	if (!args->num_out_syncobjs)
		return 0;
	s->post = kcalloc(args->num_out_syncobjs, sizeof(*s->post),
			  GFP_KERNEL);
	if (!s->post)
		return -ENOMEM;

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

	s->fence = vgpu_fence_alloc(s->vgdev, s->dma_ctx,
				    ring ? args->ring_idx : 0, ring);
	if (!s->fence)
		return -ENOMEM;

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
	bool urgent;

	/*
	 * Two kinds of submission leave at once instead of with the batch.
	 * Venus rings live in shared memory: its userspace polls what the
	 * host writes there instead of waiting on our fences, so its
	 * doorbells must not wait. And a caller that asks for a sync_file
	 * is about to wait on it or hand it to a compositor (end of frame):
	 * the notification would follow within microseconds anyway.
	 */
	urgent = s->vfile->capset_id == VIRTIO_GPU_CAPSET_VENUS ||
		 s->args->flags & VIRTGPU_EXECBUF_FENCE_FD_OUT;
	s->cmd = vgpu_cmd_new_submit_3d(s->vgdev, s->vfile->ctx_id, s->stream,
					s->args->size, urgent);
	if (!s->cmd)
		return -ENOMEM;
	vgpu_cmd_attach_objs(s->cmd, s->objs, s->nr_objs);
	s->stream = NULL;
	s->objs = NULL;
	s->nr_objs = 0;
	return 0;
}

/*
 * Queues the command with its objects' reservations held, and adds the
 * fence to them only once it has its id. WAIT on any of the objects then
 * covers this submission, and an unemitted fence (seqno 0) is never in a
 * reservation where a fence of the same timeline could replace it as
 * "later" (dma_resv_add_fence()) although it is emitted earlier.
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

	/* The queue takes the command either way. */
	s->cmd = NULL;
	ret = vgpu_cmd_submit(s->vgdev, cmd, s->fence);
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
	if (s->fence) {
		/* An event that was never posted must be given back. */
		if (s->fence->event && !s->fence->base.seqno) {
			drm_event_cancel_free(&s->vgdev->drm, s->fence->event);
			s->fence->event = NULL;
		}
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

/**
 * vgpu_execbuffer_ioctl() - DRM_IOCTL_VIRTGPU_EXECBUFFER
 * @dev: the DRM device
 * @data: struct drm_virtgpu_execbuffer
 * @file: the DRM file
 *
 * Context: process context, may sleep (foreign in-fences).
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

	ret = vgpu_submit_check(&s);
	if (ret)
		return ret;

	ret = vgpu_ctx_ensure(s.vgdev, s.vfile);
	if (ret)
		goto out;
	ret = vgpu_submit_copy_in(&s);
	if (ret)
		goto out;
	ret = vgpu_submit_out_syncobjs(&s);
	if (ret)
		goto out;
	ret = vgpu_submit_in_fences(&s);
	if (ret)
		goto out;
	ret = vgpu_submit_make_fence(&s);
	if (ret)
		goto out;
	ret = vgpu_submit_build(&s);
	if (ret)
		goto out;
	ret = vgpu_submit_queue(&s);
	if (ret)
		goto out;
	vgpu_submit_publish(&s);
out:
	vgpu_submit_cleanup(&s);
	return ret;
}
