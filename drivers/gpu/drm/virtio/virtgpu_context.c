// SPDX-License-Identifier: MIT
/*
 * A file's host context: its creation, the commands it holds back for
 * foreign fences, and its end.
 *
 * Copyright 2026 The virtio-gpu-ng authors
 */

/**
 * DOC: deferred submission
 *
 * The host orders commands by the ring and sees nothing else, so an
 * in-fence of EXECBUFFER (sync_file, syncobjs) whose command the ring does
 * not already order before the new one must have signalled before the
 * new command is sent. vgpu_fence_ordered() tells such "foreign" fences
 * apart: other drivers' fences, other rings' fences, and fences of other
 * files' commands that are not in the ring yet. Somebody has to wait for
 * them, but not the submitting thread: a compositor or a game must not
 * block in EXECBUFFER on another driver's rendering.
 *
 * So the ioctl takes references to the unsignalled foreign fences, builds
 * the command completely, puts it at the tail of its file's deferred list
 * with one dma-fence callback per foreign fence, publishes the out-fence
 * (reservations, syncobjs, sync_file) as always and returns. A callback
 * only counts down (it may run in interrupt context under the signalling
 * fence's lock); the one that reaches zero queues the file's work, which
 * hands the ready commands at the head of the list to the command core,
 * in order, and stops at the first that still waits. A job leaves the
 * list only once the core has it, so an empty list means that every
 * earlier command of the file is in the ring. In the common case, an
 * empty list, all this costs one uncontended lock per submission.
 *
 * Order. A file's commands never overtake each other. While its list is
 * not empty, its EXECBUFFERs (with foreign fences or not) and its context
 * attach and detach (the GEM open and close hooks) join the tail, and the
 * CTX_DESTROY of its release goes after the last of them.
 * TRANSFER_TO_HOST, TRANSFER_FROM_HOST and RESOURCE_CREATE_BLOB are not
 * deferred: they sleep until the list is empty, interruptibly. The sleep
 * is finite because the fences are: a published dma-fence must signal in
 * bounded time (drivers time out hung jobs, vgem's fences expire after
 * 10 s). It is interruptible because the signaller may be the caller's
 * own process.
 *
 * The out-fence. A deferred fence gets its id (seqno) only when its
 * command enters the ring, but it is published at once, so it has a
 * dma-fence context of its own (see vgpu_fence_alloc()) and still knows
 * its host timeline. If somebody waits for it by the time it is emitted,
 * its command is sent urgently.
 *
 * Signalling rules. The published out-fence waits for the work, and
 * memory reclaim may wait for the out-fence, so the work does not
 * allocate: the command, its scatterlist (vgpu_cmd_prepare()) and the job
 * are allocated by the ioctl, and the work only links the command into
 * the ring.
 *
 * Close. Closing a file does not wait either: that would pin an exiting
 * process, unkillably, on a fence that maybe only the same process would
 * have signalled. A file with deferred commands lives on, holding
 * references to the DRM device and to this module, until its work has
 * sent the last of them and the CTX_DESTROY; then the work frees it.
 *
 * Unplug. A deferred command sent after the device is gone is completed
 * by the core with -ENODEV like any other: its out-fence signals with that
 * error, its stream and objects are released, and the poll-ring event it
 * had reserved is given back.
 *
 * A foreign fence that signals with an error does not cancel the
 * command: the error is the fence's, and the host still needs the
 * stream to keep the context's state in step with userspace's.
 */

#include <linux/module.h>
#include <linux/sched.h>
#include <linux/slab.h>
#include <linux/uaccess.h>

#include <drm/drm_drv.h>
#include <drm/drm_file.h>
#include <drm/drm_gem.h>

#include <kunit/visibility.h>

#include "virtgpu_drv.h"

/* Rings of a host context; the poll-ring mask has a bit for each. */
#define VGPU_MAX_RINGS		64
/* CONTEXT_INIT takes each of the four known parameters at most once. */
#define VGPU_CTX_PARAMS_MAX	4

/* One callback per foreign fence of a deferred job. */
struct vgpu_defer_cb {
	struct dma_fence_cb base;
	/** @fence: the foreign fence; the job holds a reference. */
	struct dma_fence *fence;
	struct vgpu_defer_job *job;
};

/* A command of a file that the command core does not have yet. */
struct vgpu_defer_job {
	/** @link: on &vgpu_file.deferred. */
	struct list_head link;
	struct vgpu_file *vfile;
	/** @cmd: the command, built and prepared; NULL once sent. */
	struct vgpu_cmd *cmd;
	/** @fence: the command's fence or NULL; the job holds a reference. */
	struct vgpu_fence *fence;
	/**
	 * @pending: callbacks still to run, plus one while the job is being
	 * set up; the job may go when it is 0 (&vgpu_file.defer_lock).
	 */
	unsigned int pending;
	unsigned int nr_cbs;
	struct vgpu_defer_cb cbs[] __counted_by(nr_cbs);
};

/**
 * vgpu_defer_job_alloc() - room for a command that may have to be deferred
 * @nr_cbs: foreign fences it will wait for
 *
 * Allocated by the ioctl, before anything is published, because the work
 * that sends a deferred command must not allocate.
 *
 * Context: process context.
 * Return: the job, or NULL without memory.
 */
struct vgpu_defer_job *vgpu_defer_job_alloc(unsigned int nr_cbs)
{
	struct vgpu_defer_job *job;

	job = kvzalloc(struct_size(job, cbs, nr_cbs), GFP_KERNEL);
	if (job)
		job->nr_cbs = nr_cbs;
	return job;
}

/**
 * vgpu_defer_job_free() - drop a job and whatever it still holds
 * @job: a job that is on no list
 *
 * Context: process context.
 */
void vgpu_defer_job_free(struct vgpu_defer_job *job)
{
	unsigned int i;

	for (i = 0; i < job->nr_cbs; i++)
		dma_fence_put(job->cbs[i].fence);
	vgpu_cmd_put(job->cmd);
	if (job->fence)
		dma_fence_put(&job->fence->base);
	kvfree(job);
}

/* Drops one of the job's reasons to wait; the last one wakes the work. */
static void vgpu_defer_job_put(struct vgpu_defer_job *job)
{
	struct vgpu_file *vfile = job->vfile;
	unsigned long flags;

	/*
	 * Under the lock: the work frees the job, and for a closed file the
	 * file too, only after it has seen the count at 0 under this lock.
	 */
	spin_lock_irqsave(&vfile->defer_lock, flags);
	if (!--job->pending)
		queue_work(vgpu_wq, &vfile->defer_work);
	spin_unlock_irqrestore(&vfile->defer_lock, flags);
}

/* Maybe in interrupt context, with the foreign fence's lock held. */
static void vgpu_defer_fence_cb(struct dma_fence *f, struct dma_fence_cb *cb)
{
	vgpu_defer_job_put(container_of(cb, struct vgpu_defer_cb, base)->job);
}

/*
 * Puts @job at the tail of the file's list and arms its callbacks. The job
 * may be sent and freed as soon as this returns.
 */
static void vgpu_defer_job_queue(struct vgpu_file *vfile,
				 struct vgpu_defer_job *job)
{
	unsigned int i;

	job->vfile = vfile;
	job->pending = job->nr_cbs + 1;
	spin_lock_irq(&vfile->defer_lock);
	list_add_tail(&job->link, &vfile->deferred);
	spin_unlock_irq(&vfile->defer_lock);
	vgpu_stat_add(vfile->vgdev, VGPU_STAT_DEFERRED, 1);

	/* Not under defer_lock: adding a callback takes the fence's lock. */
	for (i = 0; i < job->nr_cbs; i++) {
		job->cbs[i].job = job;
		if (dma_fence_add_callback(job->cbs[i].fence, &job->cbs[i].base,
					   vgpu_defer_fence_cb))
			vgpu_defer_job_put(job);	/* signalled meanwhile */
	}
	vgpu_defer_job_put(job);
}

/**
 * vgpu_file_defer() - hold a command back until its foreign fences signal
 * @vfile: the file whose context runs the command
 * @job: from vgpu_defer_job_alloc(), for as many fences as @wait holds
 * @cmd: the command, prepared with vgpu_cmd_prepare(); taken
 * @fence: its fence, or NULL; the job takes a reference of its own
 * @wait: the foreign fences; their references are taken
 *
 * The command goes to the core behind the file's earlier deferred
 * commands, once every fence of @wait has signalled.
 *
 * Context: process context.
 */
void vgpu_file_defer(struct vgpu_file *vfile, struct vgpu_defer_job *job,
		     struct vgpu_cmd *cmd, struct vgpu_fence *fence,
		     struct dma_fence **wait)
{
	unsigned int i;

	job->cmd = cmd;
	if (fence)
		dma_fence_get(&fence->base);
	job->fence = fence;
	for (i = 0; i < job->nr_cbs; i++)
		job->cbs[i].fence = wait[i];
	vgpu_defer_job_queue(vfile, job);
}

/**
 * vgpu_file_idle() - whether a file holds no deferred command
 * @vfile: the file
 *
 * Context: process context.
 * Return: true when every command of the file has reached the core.
 */
bool vgpu_file_idle(struct vgpu_file *vfile)
{
	bool idle;

	spin_lock_irq(&vfile->defer_lock);
	idle = list_empty(&vfile->deferred);
	spin_unlock_irq(&vfile->defer_lock);
	return idle;
}

/*
 * The very end of a closed file whose CTX_DESTROY (if any) is queued: the
 * id may be reused by the next CTX_CREATE only once the destroy is in the
 * ring ahead of it.
 */
static void vgpu_file_free(struct vgpu_file *vfile)
{
	if (vfile->ctx_id)
		ida_free(&vfile->vgdev->ctx_ida, vfile->ctx_id);
	dma_fence_put(vfile->last_submit);
	vgpu_usage_put(vfile->usage);
	mutex_destroy(&vfile->lock);
	kfree(vfile);
}

/* The end of a closed file: its context, then its id and memory. */
static void vgpu_file_finish(struct vgpu_file *vfile)
{
	struct vgpu_device *vgdev = vfile->vgdev;

	if (vfile->destroy)
		vgpu_cmd_submit(vgdev, vfile->destroy, NULL);
	vgpu_file_free(vfile);
	drm_dev_put(&vgdev->drm);
	/* vgpu_wq is drained at module exit: the rest of this work is safe. */
	module_put(THIS_MODULE);
}

static void vgpu_defer_work(struct work_struct *work)
{
	struct vgpu_file *vfile = container_of(work, struct vgpu_file,
					       defer_work);
	struct vgpu_defer_job *job;
	bool idle, finish = false;

	for (;;) {
		spin_lock_irq(&vfile->defer_lock);
		job = list_first_entry_or_null(&vfile->deferred,
					       struct vgpu_defer_job, link);
		if (!job || job->pending) {
			finish = !job && vfile->closing;
			spin_unlock_irq(&vfile->defer_lock);
			break;
		}
		spin_unlock_irq(&vfile->defer_lock);

		/* Sent while still listed, so that nothing can pass it. */
		if (vgpu_cmd_submit(vfile->vgdev, job->cmd, job->fence))
			vgpu_fence_cancel_event(vfile->vgdev, job->fence);
		job->cmd = NULL;

		spin_lock_irq(&vfile->defer_lock);
		list_del(&job->link);
		idle = list_empty(&vfile->deferred);
		spin_unlock_irq(&vfile->defer_lock);
		if (idle)
			wake_up_all(&vfile->defer_idle);
		vgpu_defer_job_free(job);
	}
	if (finish)
		vgpu_file_finish(vfile);
}

static void vgpu_file_defer_init(struct vgpu_device *vgdev, struct vgpu_file *vfile)
{
	vfile->vgdev = vgdev;
	spin_lock_init(&vfile->defer_lock);
	INIT_LIST_HEAD(&vfile->deferred);
	INIT_WORK(&vfile->defer_work, vgpu_defer_work);
	init_waitqueue_head(&vfile->defer_idle);
}

/**
 * vgpu_file_submit() - send a command of a file's context in file order
 * @vfile: the file
 * @cmd: a command without fence or completion callback; taken in any case
 * @obj: the object @cmd names, or NULL
 *
 * Sent at once when nothing of the file is deferred, else queued behind
 * the deferred commands. A queued command holds @obj until the host has
 * answered it, so that the object's RESOURCE_UNREF cannot pass it.
 *
 * Context: process context.
 * Return: 0, or a negative errno (the command was dropped).
 */
int vgpu_file_submit(struct vgpu_file *vfile, struct vgpu_cmd *cmd,
		     struct drm_gem_object *obj)
{
	struct drm_gem_object **objs;
	struct vgpu_defer_job *job;
	int ret = -ENOMEM;

	if (vgpu_file_idle(vfile))
		return vgpu_cmd_submit(vfile->vgdev, cmd, NULL);

	job = vgpu_defer_job_alloc(0);
	if (!job)
		goto err_put;
	if (obj) {
		objs = kvmalloc_array(1, sizeof(*objs), GFP_KERNEL);
		if (!objs)
			goto err_free;
		drm_gem_object_get(obj);
		objs[0] = obj;
		vgpu_cmd_attach_objs(cmd, objs, 1);
	}
	ret = vgpu_cmd_prepare(cmd);
	if (ret)
		goto err_free;
	job->cmd = cmd;
	vgpu_defer_job_queue(vfile, job);
	return 0;

err_free:
	kvfree(job);
err_put:
	vgpu_cmd_put(cmd);
	return ret;
}

/**
 * vgpu_file_wait_idle() - sleep until the file's deferred commands are sent
 * @vfile: the file
 *
 * For ioctls that must not overtake them and are not deferred themselves.
 * See "DOC: deferred submission" for why the sleep ends.
 *
 * Context: process context, may sleep.
 * Return: 0, or -ERESTARTSYS when interrupted by a signal.
 */
int vgpu_file_wait_idle(struct vgpu_file *vfile)
{
	if (vgpu_file_idle(vfile))
		return 0;
	vgpu_stat_add(vfile->vgdev, VGPU_STAT_DEFER_WAIT, 1);
	atomic64_inc(&vfile->usage->sync_waits);
	return wait_event_interruptible(vfile->defer_idle,
					vgpu_file_idle(vfile));
}

/*
 * Ends a closed file now, or after its deferred commands. @destroy, the
 * context's CTX_DESTROY or NULL, goes after the last of them.
 *
 * With nothing deferred, @destroy is sent and the file freed at once.
 * Otherwise the file's work does both after sending the last deferred
 * command; until then the file holds references to the DRM device, which
 * the work uses, and to this module, whose code the callbacks and the
 * work are.
 */
static void vgpu_file_close(struct vgpu_file *vfile, struct vgpu_cmd *destroy)
{
	bool busy;

	/* First: the work may free the file as soon as it sees @closing. */
	drm_dev_get(&vfile->vgdev->drm);
	__module_get(THIS_MODULE);

	spin_lock_irq(&vfile->defer_lock);
	vfile->destroy = destroy;
	busy = !list_empty(&vfile->deferred);
	vfile->closing = busy;
	spin_unlock_irq(&vfile->defer_lock);
	if (busy)
		return;
	/* It may still be running after it emptied the list. */
	cancel_work_sync(&vfile->defer_work);
	vgpu_file_finish(vfile);
}

/**
 * vgpu_ctx_ensure() - create the file's host context if it has none yet
 * @vgdev: the device
 * @vfile: the file
 *
 * A file that never called CONTEXT_INIT gets a plain virgl context the
 * first time it needs one.
 *
 * Context: process context, takes &vgpu_file.lock.
 * Return: 0 or a negative errno.
 */
int vgpu_ctx_ensure(struct vgpu_device *vgdev, struct vgpu_file *vfile)
{
	int ret = 0;

	mutex_lock(&vfile->lock);
	if (!vfile->ctx_created) {
		ret = vgpu_cmd_ctx_create(vgdev, vfile->ctx_id,
					  vfile->capset_id,
					  vfile->debug_name,
					  strlen(vfile->debug_name));
		if (!ret)
			vfile->ctx_created = true;
	}
	mutex_unlock(&vfile->lock);
	return ret;
}

/**
 * vgpu_driver_open() - DRM open hook: the file's state and context id
 * @dev: the DRM device
 * @file: the new file
 *
 * The host context itself is created on first use (vgpu_ctx_ensure()).
 *
 * Context: process context.
 * Return: 0 or a negative errno.
 */
int vgpu_driver_open(struct drm_device *dev, struct drm_file *file)
{
	struct vgpu_device *vgdev = to_vgdev(dev);
	struct vgpu_file *vfile;
	int id;

	vfile = kzalloc(sizeof(*vfile), GFP_KERNEL);
	if (!vfile)
		return -ENOMEM;
	vfile->usage = vgpu_usage_new();
	if (!vfile->usage) {
		kfree(vfile);
		return -ENOMEM;
	}
	mutex_init(&vfile->lock);
	vgpu_file_defer_init(vgdev, vfile);
	/* The host shows this name in its logs; userspace may replace it. */
	strscpy(vfile->debug_name, current->comm);

	if (vgdev->has_virgl) {
		id = ida_alloc_min(&vgdev->ctx_ida, 1, GFP_KERNEL);
		if (id < 0) {
			vgpu_usage_put(vfile->usage);
			kfree(vfile);
			return id;
		}
		vfile->ctx_id = id;
	}
	file->driver_priv = vfile;
	return 0;
}

/**
 * vgpu_driver_postclose() - DRM postclose hook: end the file's context
 * @dev: the DRM device
 * @file: the closed file
 *
 * Context: process context.
 */
void vgpu_driver_postclose(struct drm_device *dev, struct drm_file *file)
{
	struct vgpu_device *vgdev = to_vgdev(dev);
	struct vgpu_file *vfile = file->driver_priv;
	struct vgpu_cmd *destroy = NULL;

	/*
	 * Without memory for the command the host context leaks until the
	 * device goes; there is no later moment to try again.
	 */
	if (vfile->ctx_created)
		destroy = vgpu_cmd_new_ctx_destroy(vgdev, vfile->ctx_id);
	/* Now, or after the file's deferred commands: see vgpu_file_close(). */
	vgpu_file_close(vfile, destroy);
}

#define VGPU_CTX_PARAMS_ALL	(BIT(VIRTGPU_CONTEXT_PARAM_CAPSET_ID) | \
				 BIT(VIRTGPU_CONTEXT_PARAM_NUM_RINGS) | \
				 BIT(VIRTGPU_CONTEXT_PARAM_POLL_RINGS_MASK) | \
				 BIT(VIRTGPU_CONTEXT_PARAM_DEBUG_NAME))

/**
 * vgpu_ctx_param() - check one CONTEXT_INIT parameter and note its value
 * @vgdev: the device, for the capsets it offers
 * @p: the parameter as userspace gave it
 * @out: what the parameters so far asked for
 *
 * Nothing is applied here: CONTEXT_INIT applies all parameters or none.
 *
 * Context: process context (the debug name is read from userspace).
 * Return: 0, -EINVAL for an unknown, repeated or invalid parameter, or
 * -EFAULT for an unreadable name.
 */
VISIBLE_IF_KUNIT int vgpu_ctx_param(struct vgpu_device *vgdev,
				    const struct drm_virtgpu_context_set_param *p,
				    struct vgpu_ctx_params *out)
{
	long len;

	if (p->param == 0 || p->param >= BITS_PER_TYPE(out->seen) ||
	    !(VGPU_CTX_PARAMS_ALL & BIT(p->param)))
		return -EINVAL;
	if (out->seen & BIT(p->param))
		return -EINVAL;
	out->seen |= BIT(p->param);

	switch (p->param) {
	case VIRTGPU_CONTEXT_PARAM_CAPSET_ID:
		if (p->value >= BITS_PER_TYPE(vgdev->capset_mask) ||
		    !(vgdev->capset_mask & BIT_ULL(p->value)))
			return -EINVAL;
		out->capset_id = p->value;
		return 0;
	case VIRTGPU_CONTEXT_PARAM_NUM_RINGS:
		if (!p->value || p->value > VGPU_MAX_RINGS)
			return -EINVAL;
		out->num_rings = p->value;
		return 0;
	case VIRTGPU_CONTEXT_PARAM_POLL_RINGS_MASK:
		out->poll_rings = p->value;
		return 0;
	case VIRTGPU_CONTEXT_PARAM_DEBUG_NAME:
		len = strncpy_from_user(out->name, u64_to_user_ptr(p->value),
					sizeof(out->name) - 1);
		if (len < 0)
			return len;
		out->name[len] = '\0';
		return 0;
	}
	return -EINVAL;
}
EXPORT_SYMBOL_IF_KUNIT(vgpu_ctx_param);

/**
 * vgpu_context_init_ioctl() - CONTEXT_INIT: the kind of host context
 * @dev: the DRM device
 * @data: &struct drm_virtgpu_context_init
 * @file: the calling file, whose context is not created yet
 *
 * Context: process context.
 * Return: 0, -EOPNOTSUPP without context-init, -EEXIST once the context
 * exists, or another negative errno.
 */
int vgpu_context_init_ioctl(struct drm_device *dev, void *data,
			    struct drm_file *file)
{
	struct vgpu_device *vgdev = to_vgdev(dev);
	struct drm_virtgpu_context_init *args = data;
	struct vgpu_file *vfile = file->driver_priv;
	struct drm_virtgpu_context_set_param *params;
	struct vgpu_ctx_params p = { };
	unsigned int i;
	int ret;

	if (!vgdev->has_virgl || !vgdev->has_ctx_init)
		return -EOPNOTSUPP;
	if (args->pad || !args->num_params ||
	    args->num_params > VGPU_CTX_PARAMS_MAX)
		return -EINVAL;

	params = memdup_array_user(u64_to_user_ptr(args->ctx_set_params),
				   args->num_params, sizeof(*params));
	if (IS_ERR(params))
		return PTR_ERR(params);
	for (i = 0; i < args->num_params; i++) {
		ret = vgpu_ctx_param(vgdev, &params[i], &p);
		if (ret)
			goto out_free;
	}
	/* Poll bits only for rings that exist (a shift by 64 is undefined). */
	ret = -EINVAL;
	if (p.num_rings < 64 && p.poll_rings >> p.num_rings)
		goto out_free;

	mutex_lock(&vfile->lock);
	if (vfile->ctx_created) {
		ret = -EEXIST;
	} else {
		vfile->capset_id = p.capset_id;
		vfile->num_rings = p.num_rings;
		vfile->poll_rings = p.poll_rings;
		if (p.num_rings)
			vfile->ring_timelines = dma_fence_context_alloc(p.num_rings);
		if (p.seen & BIT(VIRTGPU_CONTEXT_PARAM_DEBUG_NAME))
			strscpy(vfile->debug_name, p.name);
		ret = 0;
	}
	mutex_unlock(&vfile->lock);
	if (!ret)
		ret = vgpu_ctx_ensure(vgdev, vfile);
out_free:
	kfree(params);
	return ret;
}
