// SPDX-License-Identifier: MIT
/*
 * virtio-gpu: suspend and hibernation, and the host state they lose.
 *
 * Copyright 2026 The virtio-gpu-ng authors
 */

/**
 * DOC: power management
 *
 * The virtio core resets the device on every resume and on the thaw and
 * restore of a hibernation, and a reset makes the host forget everything:
 * resources, their backing, contexts, scanouts. Only the guest's memory
 * survives. So a suspend is made to look like a device that comes back
 * empty, and the resume rebuilds what the guest's objects stand for. (A
 * device whose PCI power management keeps its state in D3hot, "no soft
 * reset", gets neither hook on suspend to RAM.)
 *
 * Freeze. The display is switched off through the atomic helpers, which
 * keep its state for the resume. Images that only the host holds, the
 * single-level, single-sample 2D textures of a 3D device (render targets
 * and scanouts), are read back into their guest pages, which survive.
 * Then the queues are parked (vgpu_queues_park()): whatever is in a ring
 * is sent and answered, and any command submitted afterwards, by a
 * deferred submission whose fence signalled or by a kernel thread, waits
 * in order instead of touching a ring that is about to go. Then the device
 * is reset and its virtqueues deleted.
 *
 * Restore. The virtqueues are made again, and the task that restores is
 * the only one whose commands reach them. It recreates, from each object's
 * &struct vgpu_recipe, in this order: the host context of every open file
 * that had one; every resource, with its guest pages attached again and
 * its content copied back to the host (2D resources and the textures read
 * back at freeze, and 3D buffers, whose guest pages hold what the client
 * last uploaded); every file's resources attached to its context. Only
 * the last upload carries a fence, on a timeline of its own
 * (vgpu_pm_upload_all()), so the fence ids of every other timeline still
 * increase in ring order when the parked commands follow. Last, the
 * display's state is committed again, which sets the scanouts and uploads
 * the cursor.
 *
 * What cannot come back, and is counted in the resume's log line: blobs
 * whose memory the host made for a context (host-memory blobs, and guest
 * blobs named by a context's blob id), including their mappings in the
 * host-visible window, and the UUIDs the host gave resources; and
 * everything a context kept on the host besides its resources: a GL or
 * Vulkan client running across a resume finds its context empty and
 * its later commands fail on the host. New clients work as before.
 */

#include <linux/list.h>
#include <linux/xarray.h>

#include <drm/drm_atomic_helper.h>
#include <drm/drm_file.h>
#include <drm/drm_gem.h>
#include <drm/drm_modeset_helper.h>
#include <drm/drm_print.h>

#include "virtgpu_drv.h"

/* Gallium's targets, as the 3D host numbers them. */
#define VGPU_PIPE_BUFFER	0
#define VGPU_PIPE_TEXTURE_2D	2
#define VGPU_PIPE_TEXTURE_RECT	5

/* What a restore did, for its log line. */
struct vgpu_pm_tally {
	unsigned int contexts;
	unsigned int resources;
	unsigned int lost;
	unsigned int failed;
};

/*
 * Every object with a host resource, onto @list with a reference each. An
 * object already on its way out is left alone: its RESOURCE_UNREF waits
 * among the parked commands, and the host answers it with an error.
 */
static void vgpu_pm_collect(struct vgpu_device *vgdev, struct list_head *list)
{
	struct vgpu_bo *bo;
	unsigned long id;

	xa_lock(&vgdev->resources);
	xa_for_each(&vgdev->resources, id, bo) {
		if (kref_get_unless_zero(&bo->shmem.base.refcount))
			list_add_tail(&bo->pm_link, list);
	}
	xa_unlock(&vgdev->resources);
}

static void vgpu_pm_release(struct list_head *list)
{
	struct vgpu_bo *bo, *next;

	list_for_each_entry_safe(bo, next, list, pm_link) {
		list_del_init(&bo->pm_link);
		drm_gem_object_put(&bo->shmem.base);
	}
}

/* A 3D image whose whole content fits a level-0 transfer into its pages. */
static bool vgpu_pm_host_content(const struct vgpu_bo *bo)
{
	const struct drm_virtgpu_resource_create *r = &bo->recipe.rc;

	return bo->recipe.kind == VGPU_RECIPE_3D && bo->shmem.pages &&
	       (r->target == VGPU_PIPE_TEXTURE_2D ||
		r->target == VGPU_PIPE_TEXTURE_RECT) &&
	       !r->last_level && r->nr_samples <= 1 && r->array_size <= 1 &&
	       r->depth <= 1;
}

/* Whether the host can be told to make the resource again. */
static bool vgpu_pm_remakeable(const struct vgpu_bo *bo)
{
	switch (bo->recipe.kind) {
	case VGPU_RECIPE_2D:
	case VGPU_RECIPE_3D:
		return true;
	case VGPU_RECIPE_BLOB:
		return bo->blob_mem == VIRTGPU_BLOB_MEM_GUEST &&
		       !bo->recipe.blob_id;
	default:
		return false;
	}
}

static int vgpu_pm_transfer_3d(struct vgpu_device *vgdev, struct vgpu_bo *bo,
			       bool to_host, struct vgpu_fence *fence)
{
	const struct drm_virtgpu_resource_create *r = &bo->recipe.rc;
	struct vgpu_box box = {
		.w = r->width,
		.h = r->target == VGPU_PIPE_BUFFER ? 1 : r->height,
		.d = 1,
	};

	return vgpu_cmd_transfer_3d(vgdev, bo, to_host, 0, &box, 0, 0, 0, 0,
				    fence);
}

static int vgpu_pm_remake_3d(struct vgpu_device *vgdev, struct vgpu_bo *bo)
{
	int ret;

	ret = vgpu_cmd_create_3d(vgdev, bo, &bo->recipe.rc, bo->recipe.ctx_id,
				 NULL);
	if (ret || !bo->shmem.pages)
		return ret;
	return vgpu_bo_attach_backing(vgdev, bo, NULL);
}

/* Whether the guest pages hold what the resource should contain. */
static bool vgpu_pm_has_content(const struct vgpu_bo *bo)
{
	return bo->recipe.kind == VGPU_RECIPE_2D || vgpu_pm_host_content(bo) ||
	       (bo->recipe.kind == VGPU_RECIPE_3D && bo->shmem.pages &&
		bo->recipe.rc.target == VGPU_PIPE_BUFFER);
}

static int vgpu_pm_upload(struct vgpu_device *vgdev, struct vgpu_bo *bo,
			  struct vgpu_fence *fence)
{
	if (bo->recipe.kind == VGPU_RECIPE_2D)
		return vgpu_cmd_transfer_2d(vgdev, bo, 0, 0, 0,
					    bo->recipe.rc.width,
					    bo->recipe.rc.height, fence);
	return vgpu_pm_transfer_3d(vgdev, bo, true, fence);
}

static int vgpu_pm_remake(struct vgpu_device *vgdev, struct vgpu_bo *bo)
{
	const struct vgpu_recipe *r = &bo->recipe;
	struct virtio_gpu_mem_entry *ents;
	u32 nents;
	int ret;

	switch (r->kind) {
	case VGPU_RECIPE_2D:
		ret = vgpu_cmd_create_2d(vgdev, bo, r->rc.format, r->rc.width,
					 r->rc.height);
		if (!ret)
			ret = vgpu_bo_attach_backing(vgdev, bo, NULL);
		return ret;
	case VGPU_RECIPE_3D:
		return vgpu_pm_remake_3d(vgdev, bo);
	default:
		ret = vgpu_bo_mem_entries(vgdev, bo, &ents, &nents);
		if (ret)
			return ret;
		return vgpu_cmd_create_blob(vgdev, bo, r->ctx_id, r->blob_id,
					    ents, nents);
	}
}

/*
 * The content of the resources on @list goes back to the host. A 3D host
 * copies it with its own GL context, and what that context wrote becomes
 * visible to the display's only once it has flushed, which a fence makes
 * it do: so the last upload is fenced, and waited for before the display
 * comes back. The fence is a timeline of its own: its id is higher than
 * those of the parked commands, which the host runs after it.
 */
static void vgpu_pm_upload_all(struct vgpu_device *vgdev,
			       struct list_head *list)
{
	struct vgpu_fence *fence = NULL;
	struct vgpu_bo *bo;

	if (list_empty(list))
		return;
	if (vgdev->has_virgl)
		fence = vgpu_fence_alloc(vgdev, dma_fence_context_alloc(1), 0,
					 false, false);
	list_for_each_entry(bo, list, pm_link)
		vgpu_pm_upload(vgdev, bo, list_is_last(&bo->pm_link, list) ?
			       fence : NULL);
	if (!fence)
		return;
	vgpu_queues_kick(vgdev);
	if (dma_fence_wait_timeout(&fence->base, false, VGPU_SYNC_TIMEOUT) <= 0)
		drm_warn(&vgdev->drm, "resume: the host did not finish the uploads\n");
	dma_fence_put(&fence->base);
}

/* Attaches every resource @file has a handle to, to its new context. */
static void vgpu_pm_attach_file(struct vgpu_device *vgdev,
				struct drm_file *file, u32 ctx_id)
{
	struct drm_gem_object *obj;
	struct vgpu_cmd *cmd;
	struct vgpu_bo *bo;
	int id;

	for (id = 0;; id++) {
		spin_lock(&file->table_lock);
		obj = idr_get_next(&file->object_idr, &id);
		if (obj)
			drm_gem_object_get(obj);
		spin_unlock(&file->table_lock);
		if (!obj)
			return;
		bo = to_vgpu_bo(obj);
		if (bo->res_id && vgpu_pm_remakeable(bo)) {
			cmd = vgpu_cmd_new_ctx_resource(vgdev, ctx_id, bo, true);
			if (cmd)
				vgpu_cmd_submit(vgdev, cmd, NULL);
		}
		drm_gem_object_put(obj);
	}
}

/*
 * The host contexts of the open files, made again, or, with @attach,
 * given their resources. A file closed meanwhile is off the list; its
 * parked commands fail on the host.
 */
static void vgpu_pm_contexts(struct vgpu_device *vgdev, bool attach,
			     struct vgpu_pm_tally *t)
{
	struct drm_file *file;

	if (!vgdev->has_virgl)
		return;
	mutex_lock(&vgdev->drm.filelist_mutex);
	list_for_each_entry(file, &vgdev->drm.filelist, lhead) {
		struct vgpu_file *vfile = file->driver_priv;

		/* Set once, under the file's lock, before the context exists. */
		if (!vfile || !READ_ONCE(vfile->ctx_created))
			continue;
		if (attach) {
			vgpu_pm_attach_file(vgdev, file, vfile->ctx_id);
		} else if (vgpu_cmd_ctx_create(vgdev, vfile->ctx_id,
					       vfile->capset_id,
					       vfile->debug_name,
					       strlen(vfile->debug_name))) {
			t->failed++;
		} else {
			t->contexts++;
		}
	}
	mutex_unlock(&vgdev->drm.filelist_mutex);
}

/**
 * vgpu_pm_freeze() - make the device ready to be reset for a suspend
 * @vgdev: the device
 *
 * Switches the display off, saves the images only the host holds into
 * their guest pages and parks the queues. The caller resets the device.
 *
 * Context: process context, from the virtio core's freeze.
 * Return: 0, or the display's errno (the device is then left running).
 */
int vgpu_pm_freeze(struct vgpu_device *vgdev)
{
	struct vgpu_bo *bo;
	LIST_HEAD(list);
	int ret;

	if (vgdev->num_scanouts) {
		ret = drm_mode_config_helper_suspend(&vgdev->drm);
		if (ret)
			return ret;
	}
	cancel_work_sync(&vgdev->config_work);

	vgpu_pm_collect(vgdev, &list);
	list_for_each_entry(bo, &list, pm_link)
		if (vgpu_pm_host_content(bo))
			vgpu_pm_transfer_3d(vgdev, bo, false, NULL);
	vgpu_pm_release(&list);

	/* The read-backs are answered before the host forgets. */
	vgpu_queues_park(vgdev);
	return 0;
}

/**
 * vgpu_pm_restore() - rebuild the host's state after a reset
 * @vgdev: the device, with its virtqueues found again and ready
 *
 * Context: process context, from the virtio core's restore.
 * Return: 0 or the display's errno.
 */
int vgpu_pm_restore(struct vgpu_device *vgdev)
{
	struct vgpu_pm_tally t = {};
	struct vgpu_bo *bo, *next;
	LIST_HEAD(list);

	vgpu_queues_restoring(vgdev);
	vgpu_pm_contexts(vgdev, false, &t);

	vgpu_pm_collect(vgdev, &list);
	list_for_each_entry_safe(bo, next, &list, pm_link) {
		if (!vgpu_pm_remakeable(bo))
			t.lost++;
		else if (vgpu_pm_remake(vgdev, bo))
			t.failed++;
		else if (t.resources++, vgpu_pm_has_content(bo))
			continue;
		list_del_init(&bo->pm_link);
		drm_gem_object_put(&bo->shmem.base);
	}
	vgpu_pm_upload_all(vgdev, &list);
	vgpu_pm_release(&list);

	vgpu_pm_contexts(vgdev, true, &t);
	vgpu_queues_unpark(vgdev);

	/* Loud only when something did not come back. */
	if (t.failed)
		drm_warn(&vgdev->drm,
			 "resume: %u resources or contexts could not be made again on the host\n",
			 t.failed);
	if (t.lost)
		drm_info(&vgdev->drm,
			 "resume: %u host-memory blobs lost with the host's state\n",
			 t.lost);
	drm_dbg_driver(&vgdev->drm,
		       "resumed: %u resources and %u contexts made again on the host\n",
		       t.resources, t.contexts);

	if (!vgdev->num_scanouts)
		return 0;
	return drm_mode_config_helper_resume(&vgdev->drm);
}
