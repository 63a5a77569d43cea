// SPDX-License-Identifier: MIT
/*
 * Blobs in host memory, mapped into the guest through the device's
 * host-visible shared-memory window.
 *
 * Copyright 2026 The virtio-gpu-ng authors
 */

#include <linux/dma-buf.h>
#include <linux/dma-mapping.h>
#include <linux/mm.h>
#include <linux/slab.h>
#include <linux/virtio_dma_buf.h>

#include <drm/drm_gem.h>
#include <drm/drm_prime.h>
#include <drm/drm_print.h>
#include <drm/drm_vma_manager.h>

#include "virtgpu_drv.h"

/*
 * A mappable host blob gets a range of the window when it is created, and
 * MAP_BLOB goes out at once, so the host's answer (and the caching mode it
 * wants) is normally in long before userspace calls mmap(). mmap() only
 * waits if it is not, bounded by VGPU_SYNC_TIMEOUT. A blob created with
 * DRM_VIRTGPU_BLOB_FLAG_HINT_DEFER_MAPPING takes no window space until
 * the MAP ioctl or mmap() asks for it: userspace that never maps it does
 * not hold host memory mapped for nothing.
 *
 * On free, UNMAP_BLOB and UNREF leave in that order, and the window range
 * returns to the allocator only when the host has answered the UNREF: by
 * then nothing of the host's is mapped there.
 */

static void vgpu_vram_release(struct vgpu_device *vgdev, struct vgpu_bo *bo)
{
	if (drm_mm_node_allocated(&bo->node)) {
		spin_lock(&vgdev->host_visible_lock);
		drm_mm_remove_node(&bo->node);
		spin_unlock(&vgdev->host_visible_lock);
	}
	vgpu_bo_forget_uuid(vgdev, bo);
	vgpu_res_id_put(vgdev, bo->res_id);
	drm_gem_object_release(&bo->shmem.base);
	kfree(bo);
}

static void vgpu_vram_unref_done(struct vgpu_device *vgdev,
				 struct vgpu_cmd *cmd)
{
	vgpu_vram_release(vgdev, cmd->priv);
}

static void vgpu_vram_free(struct drm_gem_object *obj)
{
	struct vgpu_device *vgdev = to_vgdev(obj->dev);
	struct vgpu_bo *bo = to_vgpu_bo(obj);

	if (!bo->res_id) {
		vgpu_vram_release(vgdev, bo);
		return;
	}
	if (READ_ONCE(bo->map_state) == VGPU_MAP_DONE)
		vgpu_cmd_unmap_blob(vgdev, bo);
	vgpu_cmd_unref(vgdev, bo, vgpu_vram_unref_done);
}

/**
 * vgpu_vram_wait_mapped() - wait until the host has mapped a vram object
 * @vgdev: the device
 * @bo: a mappable vram object
 *
 * Flushes the queue first, so that the MAP_BLOB is not waiting for a batch.
 *
 * Context: process context; sleeps at most VGPU_SYNC_TIMEOUT.
 * Return: 0 when mapped, -EINVAL when the host refused, -ETIMEDOUT, or
 * -ERESTARTSYS.
 */
int vgpu_vram_wait_mapped(struct vgpu_device *vgdev, struct vgpu_bo *bo)
{
	int ret = vgpu_wait_answer(vgdev, &bo->map_state, VGPU_MAP_PENDING);

	if (ret)
		return ret;
	/* Pairs with the release in vgpu_vram_map_done(). */
	return smp_load_acquire(&bo->map_state) == VGPU_MAP_DONE ? 0 : -EINVAL;
}

static int vgpu_vram_mmap(struct drm_gem_object *obj,
			  struct vm_area_struct *vma)
{
	struct vgpu_device *vgdev = to_vgdev(obj->dev);
	struct vgpu_bo *bo = to_vgpu_bo(obj);
	unsigned long size = vma->vm_end - vma->vm_start;
	int ret;

	if (!(bo->blob_flags & VIRTGPU_BLOB_FLAG_USE_MAPPABLE))
		return -EINVAL;
	ret = vgpu_vram_map(vgdev, bo);
	if (ret)
		return ret;
	ret = vgpu_vram_wait_mapped(vgdev, bo);
	if (ret)
		return ret;
	/* Only whole-object mappings from the start: the fake offset. */
	if (vma->vm_pgoff != drm_vma_node_start(&obj->vma_node) ||
	    size > obj->size)
		return -EINVAL;

	vm_flags_set(vma, VM_PFNMAP | VM_IO | VM_DONTEXPAND | VM_DONTDUMP);
	vma->vm_page_prot = vm_get_page_prot(vma->vm_flags);
	switch (bo->map_info & VIRTIO_GPU_MAP_CACHE_MASK) {
	case VIRTIO_GPU_MAP_CACHE_CACHED:
		break;
	case VIRTIO_GPU_MAP_CACHE_WC:
		vma->vm_page_prot = pgprot_writecombine(vma->vm_page_prot);
		break;
	default:
		vma->vm_page_prot = pgprot_noncached(vma->vm_page_prot);
		break;
	}
	vma->vm_page_prot = pgprot_decrypted(vma->vm_page_prot);

	return io_remap_pfn_range(vma, vma->vm_start,
				  PHYS_PFN(bo->node.start), size,
				  vma->vm_page_prot);
}

/*
 * A host blob has no guest pages, so the generic GEM attachment (built on
 * get_sg_table) does not fit. A mappable one lives in the host-visible
 * window, and an importer gets its range there as a single DMA address
 * with no struct page behind it. Any host blob with a UUID can go to
 * another virtio device, which needs no address at all: it gets an empty
 * table. Other blobs can still pass between processes of this device.
 */
static struct sg_table *vgpu_vram_map_dma_buf(struct dma_buf_attachment *at,
					      enum dma_data_direction dir)
{
	struct drm_gem_object *obj = at->dmabuf->priv;
	struct vgpu_device *vgdev = to_vgdev(obj->dev);
	struct vgpu_bo *bo = to_vgpu_bo(obj);
	struct sg_table *sgt;
	dma_addr_t addr;
	int ret;

	if (!drm_mm_node_allocated(&bo->node)) {
		if (!is_virtio_device(at->dev) ||
		    READ_ONCE(bo->uuid_state) == VGPU_UUID_NONE)
			return ERR_PTR(-EINVAL);
		sgt = kzalloc(sizeof(*sgt), GFP_KERNEL);
		return sgt ?: ERR_PTR(-ENOMEM);
	}
	/* Until the host has mapped it, the window range holds nothing. */
	ret = vgpu_vram_wait_mapped(vgdev, bo);
	if (ret)
		return ERR_PTR(ret);

	sgt = kzalloc(sizeof(*sgt), GFP_KERNEL);
	if (!sgt)
		return ERR_PTR(-ENOMEM);
	ret = sg_alloc_table(sgt, 1, GFP_KERNEL);
	if (ret)
		goto err_free;
	addr = dma_map_resource(at->dev, bo->node.start, obj->size, dir,
				DMA_ATTR_SKIP_CPU_SYNC);
	ret = dma_mapping_error(at->dev, addr);
	if (ret)
		goto err_table;
	sg_set_page(sgt->sgl, NULL, obj->size, 0);
	sg_dma_address(sgt->sgl) = addr;
	sg_dma_len(sgt->sgl) = obj->size;
	return sgt;

err_table:
	sg_free_table(sgt);
err_free:
	kfree(sgt);
	return ERR_PTR(ret);
}

static void vgpu_vram_unmap_dma_buf(struct dma_buf_attachment *at,
				    struct sg_table *sgt,
				    enum dma_data_direction dir)
{
	/* The empty table of a UUID-only attachment maps nothing. */
	if (sgt->sgl) {
		dma_unmap_resource(at->dev, sg_dma_address(sgt->sgl),
				   sg_dma_len(sgt->sgl), dir,
				   DMA_ATTR_SKIP_CPU_SYNC);
		sg_free_table(sgt);
	}
	kfree(sgt);
}

static const struct virtio_dma_buf_ops vgpu_vram_dmabuf_ops =
	VGPU_DMABUF_OPS(vgpu_vram_map_dma_buf, vgpu_vram_unmap_dma_buf);

static struct dma_buf *vgpu_vram_export(struct drm_gem_object *obj, int flags)
{
	return vgpu_prime_export_ops(obj, flags, &vgpu_vram_dmabuf_ops);
}

static const struct vm_operations_struct vgpu_vram_vm_ops = {
	.open = drm_gem_vm_open,
	.close = drm_gem_vm_close,
};

/* fdinfo's residency: host memory counts once it is in the guest's BAR. */
static enum drm_gem_object_status vgpu_vram_status(struct drm_gem_object *obj)
{
	return READ_ONCE(to_vgpu_bo(obj)->map_state) == VGPU_MAP_DONE ?
	       DRM_GEM_OBJECT_RESIDENT : 0;
}

static const struct drm_gem_object_funcs vgpu_vram_funcs = {
	.open = vgpu_bo_open,
	.close = vgpu_bo_close,
	.free = vgpu_vram_free,
	.export = vgpu_vram_export,
	.mmap = vgpu_vram_mmap,
	.vm_ops = &vgpu_vram_vm_ops,
	.status = vgpu_vram_status,
};

/**
 * vgpu_vram_create() - a GEM object for a blob that lives in host memory
 * @vgdev: the device
 * @size: size in bytes, page aligned
 *
 * Context: process context.
 * Return: the object with one reference, or an ERR_PTR.
 */
struct vgpu_bo *vgpu_vram_create(struct vgpu_device *vgdev, size_t size)
{
	struct vgpu_bo *bo = kzalloc(sizeof(*bo), GFP_KERNEL);

	if (!bo)
		return ERR_PTR(-ENOMEM);
	bo->vram = true;
	bo->shmem.base.funcs = &vgpu_vram_funcs;
	drm_gem_private_object_init(&vgdev->drm, &bo->shmem.base, size);
	return bo;
}

static void vgpu_vram_map_done(struct vgpu_device *vgdev, struct vgpu_cmd *cmd)
{
	struct virtio_gpu_resp_map_info *resp = cmd->resp;
	struct vgpu_bo *bo = cmd->priv;

	if (cmd->status) {
		WRITE_ONCE(bo->map_state, VGPU_MAP_FAILED);
	} else {
		/* The protocol defines map_info as a plain u32. */
		bo->map_info = resp->map_info;
		/* Publish map_info before the state mmap() checks. */
		smp_store_release(&bo->map_state, VGPU_MAP_DONE);
	}
	wake_up_all(&vgdev->answer_wq);
	drm_gem_object_put(&bo->shmem.base);
}

/**
 * vgpu_vram_map() - place a mappable host blob in the host-visible window
 * @vgdev: the device
 * @bo: a vram object with a res_id, created on the host
 *
 * Does not wait for the host; mmap() does if it has to. Only the first
 * call does anything: later ones, concurrent or not, find the mapping
 * started.
 *
 * Context: process context.
 * Return: 0, -ENOSPC when the window is full, or another negative errno.
 */
int vgpu_vram_map(struct vgpu_device *vgdev, struct vgpu_bo *bo)
{
	bool started;
	int ret = 0;

	spin_lock(&vgdev->host_visible_lock);
	started = bo->map_state != VGPU_MAP_NONE;
	if (!started) {
		ret = drm_mm_insert_node(&vgdev->host_visible_mm, &bo->node,
					 bo->shmem.base.size);
		if (!ret)
			WRITE_ONCE(bo->map_state, VGPU_MAP_PENDING);
	}
	spin_unlock(&vgdev->host_visible_lock);
	if (started || ret)
		return ret;

	/* The answer may outlive every handle: it holds a reference. */
	drm_gem_object_get(&bo->shmem.base);
	ret = vgpu_cmd_map_blob(vgdev, bo,
				bo->node.start - vgdev->host_visible.addr,
				vgpu_vram_map_done);
	if (ret == -ENOMEM) {
		/* The command was never built: nobody else drops these. */
		WRITE_ONCE(bo->map_state, VGPU_MAP_FAILED);
		wake_up_all(&vgdev->answer_wq);
		drm_gem_object_put(&bo->shmem.base);
	}
	return ret;
}
