// SPDX-License-Identifier: MIT
/*
 * The virtio-gpu render uAPI, except EXECBUFFER and NG_SUBMIT
 * (virtgpu_submit.c) and CONTEXT_INIT (virtgpu_context.c).
 *
 * Copyright 2026 The virtio-gpu-ng authors
 */

#include <linux/dma-resv.h>
#include <linux/overflow.h>
#include <linux/slab.h>
#include <linux/uaccess.h>

#include <drm/drm_drv.h>
#include <drm/drm_file.h>
#include <drm/drm_gem.h>
#include <drm/drm_ioctl.h>
#include <drm/drm_vma_manager.h>

#include "virtgpu_drv.h"

/* Gallium's PIPE_TEXTURE_2D: the one target a 2D-only host has. */
#define VGPU_PIPE_TEXTURE_2D	2

/* How long WAIT sleeps before telling userspace to try again. */
#define VGPU_WAIT_TIMEOUT	(15 * HZ)

/* Userspace gets the object's size as __u32 and names it by __u32 too. */
#define VGPU_MAX_BO_SIZE	((u64)U32_MAX & PAGE_MASK)

static int vgpu_map_ioctl(struct drm_device *dev, void *data,
			  struct drm_file *file)
{
	struct drm_virtgpu_map *args = data;
	struct drm_gem_object *obj;
	int ret;

	if (args->pad)
		return -EINVAL;
	obj = drm_gem_object_lookup(file, args->handle);
	if (!obj)
		return -ENOENT;
	ret = drm_gem_create_mmap_offset(obj);
	/* A deferred mapping starts here, so that mmap() waits less. */
	if (!ret && vgpu_bo_wants_map(to_vgpu_bo(obj)))
		ret = vgpu_vram_map(to_vgdev(dev), to_vgpu_bo(obj));
	if (!ret)
		args->offset = drm_vma_node_offset_addr(&obj->vma_node);
	drm_gem_object_put(obj);
	return ret;
}

static int vgpu_getparam_ioctl(struct drm_device *dev, void *data,
			       struct drm_file *file)
{
	struct vgpu_device *vgdev = to_vgdev(dev);
	struct drm_virtgpu_getparam *args = data;
	int value;

	switch (args->param) {
	case VIRTGPU_PARAM_3D_FEATURES:
		value = vgdev->has_virgl;
		break;
	case VIRTGPU_PARAM_CAPSET_QUERY_FIX:
		value = 1;
		break;
	case VIRTGPU_PARAM_RESOURCE_BLOB:
		value = vgdev->has_blob;
		break;
	case VIRTGPU_PARAM_HOST_VISIBLE:
		value = vgdev->has_host_visible;
		break;
	case VIRTGPU_PARAM_CROSS_DEVICE:
		value = vgdev->has_uuid;
		break;
	case VIRTGPU_PARAM_CONTEXT_INIT:
	case VIRTGPU_PARAM_EXPLICIT_DEBUG_NAME:
		value = vgdev->has_ctx_init;
		break;
	case VIRTGPU_PARAM_SUPPORTED_CAPSET_IDs:
		value = vgdev->capset_mask;
		break;
	case VIRTGPU_PARAM_BLOB_ALIGNMENT:
		/* VIRTIO_GPU_F_BLOB_ALIGNMENT is not negotiated. */
		return -ENOENT;
	case VIRTGPU_NG_PARAM_SUBMIT:
		value = vgdev->has_virgl ? VIRTGPU_NG_SUBMIT_MAX_ENTRIES : 0;
		break;
	case VIRTGPU_NG_PARAM_BLOB_CREATE:
		value = vgdev->has_blob;
		break;
	case VIRTGPU_NG_PARAM_TRANSFER:
		value = 1;
		break;
	default:
		return -EINVAL;
	}
	if (copy_to_user(u64_to_user_ptr(args->value), &value, sizeof(value)))
		return -EFAULT;
	return 0;
}

/*
 * The end of every create ioctl: on success the file gets a handle and
 * userspace the ids; either way the creation reference goes.
 */
static int vgpu_bo_publish(struct drm_file *file, struct vgpu_bo *bo, int ret,
			   u32 *bo_handle, u32 *res_handle)
{
	if (!ret)
		ret = drm_gem_handle_create(file, &bo->shmem.base, bo_handle);
	if (!ret)
		*res_handle = bo->res_id;
	drm_gem_object_put(&bo->shmem.base);
	return ret;
}

static int vgpu_resource_create_ioctl(struct drm_device *dev, void *data,
				      struct drm_file *file)
{
	struct vgpu_device *vgdev = to_vgdev(dev);
	struct drm_virtgpu_resource_create *rc = data;
	struct vgpu_file *vfile = file->driver_priv;
	u64 size = rc->size ? rc->size : PAGE_SIZE;
	struct vgpu_bo *bo;
	int ret;

	if (!rc->width || !rc->height)
		return -EINVAL;
	if (!vgdev->has_virgl) {
		/* A 2D host only has single-level, single-sample 2D images. */
		if (rc->target != VGPU_PIPE_TEXTURE_2D || rc->depth > 1 ||
		    rc->array_size > 1 ||
		    rc->last_level || rc->nr_samples > 1)
			return -EINVAL;
	}
	if (PAGE_ALIGN(size) > VGPU_MAX_BO_SIZE)
		return -EINVAL;

	if (vgdev->has_virgl) {
		ret = vgpu_ctx_ensure(vgdev, vfile);
		if (ret)
			return ret;
	}

	bo = vgpu_bo_create(vgdev, size);
	if (IS_ERR(bo))
		return PTR_ERR(bo);

	/* Kept for a host that forgets it ("DOC: power management"). */
	bo->recipe.kind = vgdev->has_virgl ? VGPU_RECIPE_3D : VGPU_RECIPE_2D;
	bo->recipe.ctx_id = vfile->ctx_id;
	bo->recipe.rc = *rc;
	ret = vgpu_res_id_get(vgdev, bo);
	if (ret)
		goto out_put;
	/*
	 * No waiting for the file's deferred commands: they cannot name
	 * this new resource id (the objects they name are held, so no id of
	 * theirs is reused), and the context attach of the handle
	 * (vgpu_bo_open()) queues behind them.
	 */
	if (vgdev->has_virgl) {
		ret = vgpu_cmd_create_3d(vgdev, bo, rc, vfile->ctx_id, NULL);
	} else {
		ret = vgpu_cmd_create_2d(vgdev, bo, rc->format, rc->width,
					 rc->height);
	}
	if (ret)
		goto out_put;
	ret = vgpu_bo_attach_backing(vgdev, bo, NULL);
out_put:
	return vgpu_bo_publish(file, bo, ret, &rc->bo_handle, &rc->res_handle);
}

static int vgpu_resource_info_ioctl(struct drm_device *dev, void *data,
				    struct drm_file *file)
{
	struct drm_virtgpu_resource_info *ri = data;
	struct drm_gem_object *obj;
	struct vgpu_bo *bo;

	obj = drm_gem_object_lookup(file, ri->bo_handle);
	if (!obj)
		return -ENOENT;
	bo = to_vgpu_bo(obj);
	ri->res_handle = bo->res_id;
	ri->size = obj->size;
	ri->blob_mem = bo->blob_mem;
	drm_gem_object_put(obj);
	return 0;
}

/* Fences the object for WAIT: writes exclude everyone, reads writers. */
static int vgpu_bo_add_fence(struct drm_gem_object *obj,
			     struct vgpu_fence *fence, bool write)
{
	int ret;

	ret = dma_resv_lock_interruptible(obj->resv, NULL);
	if (ret)
		return ret;
	ret = dma_resv_reserve_fences(obj->resv, 1);
	if (!ret)
		dma_resv_add_fence(obj->resv, &fence->base,
				   write ? DMA_RESV_USAGE_WRITE :
					   DMA_RESV_USAGE_READ);
	dma_resv_unlock(obj->resv);
	return ret;
}

/* Rejects boxes whose far corner wraps around. */
static bool vgpu_box_valid(const struct drm_virtgpu_3d_box *box)
{
	u32 end;

	return !check_add_overflow(box->x, box->w, &end) &&
	       !check_add_overflow(box->y, box->h, &end) &&
	       !check_add_overflow(box->z, box->d, &end);
}

/*
 * Queues one transfer; with @done, also returns a reference to the fence
 * that signals when the host has copied the data, or NULL when there was
 * nothing to copy.
 */
static int vgpu_transfer(struct drm_device *dev, struct drm_file *file,
			 bool to_host, u32 handle,
			 const struct drm_virtgpu_3d_box *ubox, u32 level,
			 u64 offset, u32 stride, u32 layer_stride,
			 struct dma_fence **done)
{
	struct vgpu_device *vgdev = to_vgdev(dev);
	struct vgpu_file *vfile = file->driver_priv;
	struct vgpu_fence *fence = NULL;
	struct drm_gem_object *obj;
	struct vgpu_bo *bo;
	struct vgpu_box box;
	u64 bytes;
	int ret;

	if (!vgdev->has_virgl && !to_host)
		return -EOPNOTSUPP;
	if (!vgpu_box_valid(ubox))
		return -EINVAL;

	obj = drm_gem_object_lookup(file, handle);
	if (!obj)
		return -ENOENT;
	bo = to_vgpu_bo(obj);
	ret = -EINVAL;
	if (!bo->res_id || bo->vram || offset >= obj->size)
		goto out_put;
	/*
	 * A dumb buffer the host reads in place ("DOC: zero-copy scanout")
	 * was a 2D resource to the client: its uploads have nothing to copy,
	 * and leave no fence to wait for.
	 */
	if (bo->dumb && bo->blob_mem == VIRTGPU_BLOB_MEM_GUEST && to_host) {
		ret = 0;
		goto out_put;
	}
	/* Transfers need both a host resource and guest pages. */
	if (bo->blob_mem == VIRTGPU_BLOB_MEM_GUEST)
		goto out_put;

	if (vgdev->has_virgl) {
		ret = vgpu_ctx_ensure(vgdev, vfile);
		if (ret)
			goto out_put;
		/* Not before the file's deferred EXECBUFFERs. */
		ret = vgpu_file_wait_idle(vfile);
		if (ret)
			goto out_put;
	}

	ret = -ENOMEM;
	fence = vgpu_fence_alloc(vgdev, vgdev->fences.kernel_timeline, 0, false,
				 false);
	if (!fence)
		goto out_put;
	/* Both QEMU devices copy the data while they process the command. */
	fence->host_inline = true;
	fence->usage = vgpu_usage_get(vfile->usage);

	/*
	 * Fence the object before the command goes out, so that a WAIT
	 * issued right after this ioctl sees it.
	 */
	ret = vgpu_bo_add_fence(obj, fence, !to_host);
	if (ret)
		goto out_put;

	if (vgdev->has_virgl) {
		box = (struct vgpu_box) {
			ubox->x, ubox->y, ubox->z, ubox->w, ubox->h, ubox->d,
		};
		ret = vgpu_cmd_transfer_3d(vgdev, bo, to_host, vfile->ctx_id,
					   &box, level, offset, stride,
					   layer_stride, fence);
		bytes = vgpu_box_bytes_3d(&box, stride);
	} else {
		ret = vgpu_cmd_transfer_2d(vgdev, bo, offset, ubox->x, ubox->y,
					   ubox->w, ubox->h, fence);
		bytes = vgpu_box_bytes_2d(ubox->w, ubox->h);
	}
	if (!ret)
		atomic64_add(bytes, to_host ? &vfile->usage->bytes_to_host :
				    &vfile->usage->bytes_from_host);
	if (!ret && done)
		*done = dma_fence_get(&fence->base);
out_put:
	if (fence)
		dma_fence_put(&fence->base);
	drm_gem_object_put(obj);
	return ret;
}

static int vgpu_transfer_from_host_ioctl(struct drm_device *dev, void *data,
					 struct drm_file *file)
{
	struct drm_virtgpu_3d_transfer_from_host *args = data;

	return vgpu_transfer(dev, file, false, args->bo_handle, &args->box,
			     args->level, args->offset, args->stride,
			     args->layer_stride, NULL);
}

static int vgpu_transfer_to_host_ioctl(struct drm_device *dev, void *data,
				       struct drm_file *file)
{
	struct drm_virtgpu_3d_transfer_to_host *args = data;

	return vgpu_transfer(dev, file, true, args->bo_handle, &args->box,
			     args->level, args->offset, args->stride,
			     args->layer_stride, NULL);
}

/* The bound of NG_TRANSFER's waits when userspace sets none. */
#define VGPU_NG_TRANSFER_BOUND_NS	(15 * NSEC_PER_SEC)

/*
 * Waits for the fences on @obj that a transfer must not overtake and
 * that the host does not order before it ("DOC: present ordering" in
 * virtgpu_plane.c says which it does): a copy to the host waits for
 * readers and writers, a copy from it for writers.
 */
static int vgpu_bo_wait_unordered(struct vgpu_device *vgdev,
				  struct drm_gem_object *obj, bool to_host,
				  s64 deadline_ns, struct vgpu_usage *usage)
{
	struct dma_resv_iter cursor;
	struct dma_fence *f;
	int ret = 0;

	dma_resv_iter_begin(&cursor, obj->resv, to_host ?
			    DMA_RESV_USAGE_READ : DMA_RESV_USAGE_WRITE);
	dma_resv_for_each_fence_unlocked(&cursor, f) {
		if (vgpu_fence_precedes_ctrl(vgdev, f))
			continue;
		ret = vgpu_wait_deadline(f, deadline_ns, usage);
		if (ret)
			break;
	}
	dma_resv_iter_end(&cursor);
	return ret;
}

/*
 * NG_TRANSFER: TRANSFER_TO_HOST or TRANSFER_FROM_HOST without the WAITs
 * userspace issues around them. See struct drm_virtgpu_ng_transfer.
 */
static int vgpu_ng_transfer_ioctl(struct drm_device *dev, void *data,
				  struct drm_file *file)
{
	struct drm_virtgpu_ng_transfer *args = data;
	struct vgpu_file *vfile = file->driver_priv;
	u32 dir = args->flags & (VIRTGPU_NG_TRANSFER_TO_HOST |
				 VIRTGPU_NG_TRANSFER_FROM_HOST);
	bool wait = args->flags & VIRTGPU_NG_TRANSFER_WAIT;
	struct dma_fence *done = NULL;
	struct drm_gem_object *obj;
	s64 deadline_ns;
	int ret;

	if (args->flags & ~VIRTGPU_NG_TRANSFER_FLAGS || args->pad ||
	    (dir != VIRTGPU_NG_TRANSFER_TO_HOST &&
	     dir != VIRTGPU_NG_TRANSFER_FROM_HOST))
		return -EINVAL;
	if (!wait && args->timeout_ns)
		return -EINVAL;
	deadline_ns = wait ? args->timeout_ns :
			     ktime_get_ns() + VGPU_NG_TRANSFER_BOUND_NS;

	obj = drm_gem_object_lookup(file, args->bo_handle);
	if (!obj)
		return -ENOENT;
	ret = vgpu_bo_wait_unordered(to_vgdev(dev), obj,
				     dir == VIRTGPU_NG_TRANSFER_TO_HOST,
				     deadline_ns, vfile->usage);
	drm_gem_object_put(obj);
	if (ret)
		return ret;

	ret = vgpu_transfer(dev, file, dir == VIRTGPU_NG_TRANSFER_TO_HOST,
			    args->bo_handle, &args->box, args->level,
			    args->offset, args->stride, args->layer_stride,
			    wait ? &done : NULL);
	if (!ret && done)
		ret = vgpu_wait_deadline(done, deadline_ns, vfile->usage);
	if (done)
		dma_fence_put(done);
	if (!ret)
		vgpu_stat_add(to_vgdev(dev), VGPU_STAT_NG_TRANSFER, 1);
	return ret;
}

static int vgpu_wait_ioctl(struct drm_device *dev, void *data,
			   struct drm_file *file)
{
	struct drm_virtgpu_3d_wait *args = data;
	struct vgpu_file *vfile = file->driver_priv;
	struct drm_gem_object *obj;
	long left;
	int ret = 0;

	if (args->flags & ~VIRTGPU_WAIT_NOWAIT)
		return -EINVAL;
	obj = drm_gem_object_lookup(file, args->handle);
	if (!obj)
		return -ENOENT;

	if (args->flags & VIRTGPU_WAIT_NOWAIT) {
		/* A poller wants progress: do not let its work sit in a batch. */
		if (!dma_resv_test_signaled(obj->resv, DMA_RESV_USAGE_READ)) {
			vgpu_queues_kick(to_vgdev(dev));
			ret = -EBUSY;
		}
	} else {
		if (!dma_resv_test_signaled(obj->resv, DMA_RESV_USAGE_READ))
			atomic64_inc(&vfile->usage->sync_waits);
		left = dma_resv_wait_timeout(obj->resv, DMA_RESV_USAGE_READ,
					     true, VGPU_WAIT_TIMEOUT);
		if (left < 0)
			ret = left;
		else if (!left)
			ret = -EBUSY;
	}
	drm_gem_object_put(obj);
	return ret;
}

static const struct vgpu_capset *vgpu_capset_find(struct vgpu_device *vgdev,
						  u32 id)
{
	unsigned int i;

	for (i = 0; i < vgdev->num_capsets; i++)
		if (vgdev->capsets && vgdev->capsets[i].id == id)
			return &vgdev->capsets[i];
	return NULL;
}

/*
 * Capsets do not change while the device lives: each (id, version) is read
 * from the host once and served from memory afterwards.
 */
static struct vgpu_capset_cache *
vgpu_capset_get(struct vgpu_device *vgdev, const struct vgpu_capset *cs,
		u32 version)
{
	struct vgpu_capset_cache *c;
	u32 size = cs->max_size;
	void *data;
	int ret;

	mutex_lock(&vgdev->caps_lock);
	list_for_each_entry(c, &vgdev->caps_cache, link)
		if (c->id == cs->id && c->version == version)
			goto out_unlock;

	ret = vgpu_cmd_get_capset(vgdev, cs->id, version, &data, &size);
	if (ret) {
		c = ERR_PTR(ret);
		goto out_unlock;
	}
	c = kmalloc(struct_size(c, data, size), GFP_KERNEL);
	if (!c) {
		kfree(data);
		c = ERR_PTR(-ENOMEM);
		goto out_unlock;
	}
	c->id = cs->id;
	c->version = version;
	c->size = size;
	memcpy(c->data, data, size);
	kfree(data);
	list_add_tail(&c->link, &vgdev->caps_cache);
out_unlock:
	mutex_unlock(&vgdev->caps_lock);
	return c;
}

static int vgpu_get_caps_ioctl(struct drm_device *dev, void *data,
			       struct drm_file *file)
{
	struct vgpu_device *vgdev = to_vgdev(dev);
	struct drm_virtgpu_get_caps *args = data;
	const struct vgpu_capset *cs;
	struct vgpu_capset_cache *c;

	if (!vgdev->has_virgl || !vgdev->num_capsets)
		return -EOPNOTSUPP;
	if (args->pad)
		return -EINVAL;
	cs = vgpu_capset_find(vgdev, args->cap_set_id);
	if (!cs || args->cap_set_ver > cs->max_version)
		return -EINVAL;

	c = vgpu_capset_get(vgdev, cs, args->cap_set_ver);
	if (IS_ERR(c))
		return PTR_ERR(c);
	if (copy_to_user(u64_to_user_ptr(args->addr), c->data,
			 min(args->size, c->size)))
		return -EFAULT;
	return 0;
}

#define VGPU_BLOB_FLAGS_ALL	(VIRTGPU_BLOB_FLAG_USE_MAPPABLE | \
				 VIRTGPU_BLOB_FLAG_USE_SHAREABLE | \
				 VIRTGPU_BLOB_FLAG_USE_CROSS_DEVICE)
#define VGPU_BLOB_HINTS_ALL	DRM_VIRTGPU_BLOB_FLAG_HINT_DEFER_MAPPING

/* Largest context command that may precede a blob's creation. */
#define VGPU_MAX_BLOB_CMD	(64u << 10)

/* What RESOURCE_CREATE_BLOB and NG_BLOB_CREATE both ask for. */
struct vgpu_blob_args {
	u32 blob_mem;
	u32 blob_flags;
	u32 blob_hints;
	u32 cmd_size;
	u64 size;
	u64 blob_id;
	u64 cmd;
};

static int vgpu_blob_check(struct vgpu_device *vgdev,
			   const struct vgpu_blob_args *rc)
{
	bool host = rc->blob_mem != VIRTGPU_BLOB_MEM_GUEST;

	if (!vgdev->has_blob)
		return -EOPNOTSUPP;
	if (rc->blob_flags & ~VGPU_BLOB_FLAGS_ALL ||
	    rc->blob_hints & ~VGPU_BLOB_HINTS_ALL)
		return -EINVAL;
	if (rc->blob_mem != VIRTGPU_BLOB_MEM_GUEST &&
	    rc->blob_mem != VIRTGPU_BLOB_MEM_HOST3D &&
	    rc->blob_mem != VIRTGPU_BLOB_MEM_HOST3D_GUEST)
		return -EINVAL;
	if (!rc->size || !PAGE_ALIGNED(rc->size) ||
	    rc->size > VGPU_MAX_BO_SIZE)
		return -EINVAL;
	if (rc->cmd_size % 4 || rc->cmd_size > VGPU_MAX_BLOB_CMD)
		return -EINVAL;
	/* Host memory and context commands need a host context. */
	if ((host || rc->cmd_size) && !vgdev->has_virgl)
		return -EINVAL;
	/* A guest blob is just pages: nothing on the host to name. */
	if (!host && rc->blob_id)
		return -EINVAL;
	if (rc->blob_mem == VIRTGPU_BLOB_MEM_HOST3D &&
	    rc->blob_flags & VIRTGPU_BLOB_FLAG_USE_MAPPABLE &&
	    !vgdev->has_host_visible)
		return -EINVAL;
	/* Sharing by UUID needs the host's names; GETPARAM says if it has. */
	if (rc->blob_flags & VIRTGPU_BLOB_FLAG_USE_CROSS_DEVICE &&
	    !vgdev->has_uuid)
		return -EOPNOTSUPP;
	return 0;
}

/* Creates the blob; returns it with one reference, or an ERR_PTR. */
static struct vgpu_bo *vgpu_blob_create(struct vgpu_device *vgdev,
					struct vgpu_file *vfile,
					const struct vgpu_blob_args *rc)
{
	struct virtio_gpu_mem_entry *ents = NULL;
	u32 nents = 0, ctx_id = 0;
	struct vgpu_bo *bo;
	void *stream;
	int ret;

	ret = vgpu_blob_check(vgdev, rc);
	if (ret)
		return ERR_PTR(ret);

	if (vgdev->has_virgl) {
		ret = vgpu_ctx_ensure(vgdev, vfile);
		if (ret)
			return ERR_PTR(ret);
		ctx_id = vfile->ctx_id;
		/*
		 * The blob's command, and the host allocation @blob_id names,
		 * may depend on the file's deferred EXECBUFFERs.
		 */
		ret = vgpu_file_wait_idle(vfile);
		if (ret)
			return ERR_PTR(ret);
	}

	/* The command that makes the host allocation @blob_id names. */
	if (rc->cmd_size) {
		stream = memdup_user(u64_to_user_ptr(rc->cmd), rc->cmd_size);
		if (IS_ERR(stream))
			return stream;
		ret = vgpu_cmd_submit_3d(vgdev, ctx_id, stream, rc->cmd_size);
		if (ret)
			return ERR_PTR(ret);
	}

	if (rc->blob_mem == VIRTGPU_BLOB_MEM_HOST3D)
		bo = vgpu_vram_create(vgdev, rc->size);
	else
		bo = vgpu_bo_create(vgdev, rc->size);
	if (IS_ERR(bo))
		return bo;
	bo->blob_mem = rc->blob_mem;
	bo->blob_flags = rc->blob_flags;

	bo->recipe.kind = VGPU_RECIPE_BLOB;
	bo->recipe.ctx_id = ctx_id;
	bo->recipe.blob_id = rc->blob_id;
	ret = vgpu_res_id_get(vgdev, bo);
	if (ret)
		goto err_put;
	if (!bo->vram) {
		ret = vgpu_bo_mem_entries(vgdev, bo, &ents, &nents);
		if (ret)
			goto err_put;
		bo->unmappable = !vgpu_blob_mappable(rc->size, nents);
	}
	ret = vgpu_cmd_create_blob(vgdev, bo, ctx_id, rc->blob_id, ents, nents);
	if (ret)
		goto err_put;
	if (vgpu_bo_wants_map(bo) &&
	    !(rc->blob_hints & DRM_VIRTGPU_BLOB_FLAG_HINT_DEFER_MAPPING)) {
		ret = vgpu_vram_map(vgdev, bo);
		if (ret)
			goto err_put;
	}
	if (bo->blob_flags & VIRTGPU_BLOB_FLAG_USE_CROSS_DEVICE) {
		ret = vgpu_bo_assign_uuid(vgdev, bo);
		if (ret)
			goto err_put;
	}
	return bo;

err_put:
	drm_gem_object_put(&bo->shmem.base);
	return ERR_PTR(ret);
}

static int vgpu_resource_create_blob_ioctl(struct drm_device *dev, void *data,
					   struct drm_file *file)
{
	struct drm_virtgpu_resource_create_blob *rc = data;
	struct vgpu_blob_args b = {
		.blob_mem = rc->blob_mem,
		.blob_flags = rc->blob_flags,
		.blob_hints = rc->blob_hints,
		.cmd_size = rc->cmd_size,
		.size = rc->size,
		.blob_id = rc->blob_id,
		.cmd = rc->cmd,
	};
	struct vgpu_bo *bo;

	if (rc->pad || rc->pad2)
		return -EINVAL;
	bo = vgpu_blob_create(to_vgdev(dev), file->driver_priv, &b);
	if (IS_ERR(bo))
		return PTR_ERR(bo);
	return vgpu_bo_publish(file, bo, 0, &rc->bo_handle, &rc->res_handle);
}

/* The caching an mmap() of @bo gets (VIRTGPU_NG_MAP_*). */
static u32 vgpu_blob_map_info(const struct vgpu_bo *bo)
{
	if (!(bo->blob_flags & VIRTGPU_BLOB_FLAG_USE_MAPPABLE))
		return VIRTGPU_NG_MAP_NONE;
	if (!bo->vram)
		return VIRTGPU_NG_MAP_CACHED;
	if (READ_ONCE(bo->map_state) != VGPU_MAP_DONE)
		return VIRTGPU_NG_MAP_NONE;
	switch (bo->map_info & VIRTIO_GPU_MAP_CACHE_MASK) {
	case VIRTIO_GPU_MAP_CACHE_CACHED:
		return VIRTGPU_NG_MAP_CACHED;
	case VIRTIO_GPU_MAP_CACHE_WC:
		return VIRTGPU_NG_MAP_WC;
	default:
		return VIRTGPU_NG_MAP_UNCACHED;
	}
}

/*
 * NG_BLOB_CREATE: RESOURCE_CREATE_BLOB, MAP and the host's answer to the
 * mapping in one call. The answer is the one synchronous trip to the host
 * that a first mmap() would have made anyway; a deferred mapping skips it.
 */
static int vgpu_ng_blob_create_ioctl(struct drm_device *dev, void *data,
				     struct drm_file *file)
{
	struct vgpu_device *vgdev = to_vgdev(dev);
	struct drm_virtgpu_ng_blob_create *args = data;
	struct vgpu_file *vfile = file->driver_priv;
	struct vgpu_blob_args b = {
		.blob_mem = args->blob_mem,
		.blob_flags = args->blob_flags,
		.blob_hints = args->blob_hints,
		.cmd_size = args->cmd_size,
		.size = args->size,
		.blob_id = args->blob_id,
		.cmd = args->cmd,
	};
	struct vgpu_bo *bo;
	int ret = 0;

	if (args->pad)
		return -EINVAL;
	bo = vgpu_blob_create(vgdev, vfile, &b);
	if (IS_ERR(bo))
		return PTR_ERR(bo);

	args->offset = 0;
	if (bo->blob_flags & VIRTGPU_BLOB_FLAG_USE_MAPPABLE) {
		ret = drm_gem_create_mmap_offset(&bo->shmem.base);
		if (!ret && bo->vram && !vgpu_bo_wants_map(bo)) {
			if (READ_ONCE(bo->map_state) == VGPU_MAP_PENDING)
				atomic64_inc(&vfile->usage->sync_waits);
			ret = vgpu_vram_wait_mapped(vgdev, bo);
		}
		if (!ret)
			args->offset =
				drm_vma_node_offset_addr(&bo->shmem.base.vma_node);
	}
	args->map_info = ret ? VIRTGPU_NG_MAP_NONE : vgpu_blob_map_info(bo);
	ret = vgpu_bo_publish(file, bo, ret, &args->bo_handle,
			      &args->res_handle);
	if (!ret)
		vgpu_stat_add(vgdev, VGPU_STAT_NG_BLOB_CREATE, 1);
	return ret;
}

#define VGPU_IOCTL(name, func) \
	DRM_IOCTL_DEF_DRV(VIRTGPU_##name, func, DRM_RENDER_ALLOW)

const struct drm_ioctl_desc vgpu_ioctls[VGPU_NUM_IOCTLS] = {
	VGPU_IOCTL(MAP, vgpu_map_ioctl),
	VGPU_IOCTL(EXECBUFFER, vgpu_execbuffer_ioctl),
	VGPU_IOCTL(GETPARAM, vgpu_getparam_ioctl),
	VGPU_IOCTL(RESOURCE_CREATE, vgpu_resource_create_ioctl),
	VGPU_IOCTL(RESOURCE_INFO, vgpu_resource_info_ioctl),
	VGPU_IOCTL(TRANSFER_FROM_HOST, vgpu_transfer_from_host_ioctl),
	VGPU_IOCTL(TRANSFER_TO_HOST, vgpu_transfer_to_host_ioctl),
	VGPU_IOCTL(WAIT, vgpu_wait_ioctl),
	VGPU_IOCTL(GET_CAPS, vgpu_get_caps_ioctl),
	VGPU_IOCTL(RESOURCE_CREATE_BLOB, vgpu_resource_create_blob_ioctl),
	VGPU_IOCTL(CONTEXT_INIT, vgpu_context_init_ioctl),
	VGPU_IOCTL(NG_SUBMIT, vgpu_ng_submit_ioctl),
	VGPU_IOCTL(NG_BLOB_CREATE, vgpu_ng_blob_create_ioctl),
	VGPU_IOCTL(NG_TRANSFER, vgpu_ng_transfer_ioctl),
};
