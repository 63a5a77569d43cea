// SPDX-License-Identifier: MIT
/*
 * PRIME: dma-bufs of our objects, and names for them that other virtio
 * devices understand.
 *
 * Copyright 2026 The virtio-gpu-ng authors
 */

#include <linux/dma-buf.h>
#include <linux/dma-mapping.h>
#include <linux/seq_file.h>
#include <linux/slab.h>
#include <linux/virtio_dma_buf.h>

#include <drm/drm_gem.h>
#include <drm/drm_prime.h>

#include "virtgpu_drv.h"

/**
 * DOC: sharing across devices
 *
 * Every dma-buf we export is a virtio dma-buf: another virtio driver in
 * the guest (a video decoder, a second GPU) can ask it for a UUID and hand
 * that to its own device, which finds the resource on the host side by it
 * without any guest memory in between. The UUID comes from the host
 * (RESOURCE_ASSIGN_UUID), and only where it offers VIRTIO_GPU_F_RESOURCE_UUID:
 *
 * - a classic resource or a dumb buffer asks for one when it is first
 *   exported;
 * - a blob asks only when it was created with VIRTGPU_BLOB_FLAG_USE_CROSS_DEVICE,
 *   and does so at creation, so that the host can set the sharing up
 *   before the blob is used; without the feature that flag is refused.
 *
 * Neither waits: the command leaves with the next batch, and whoever asks
 * for the UUID (virtio_dma_buf_get_uuid()) flushes the queue and waits for
 * the answer, bounded by VGPU_SYNC_TIMEOUT. Other importers see ordinary
 * dma-bufs: guest pages for shmem objects, the blob's range of the
 * host-visible window for mappable host blobs.
 */

static int vgpu_uuid_state(struct vgpu_bo *bo)
{
	/* Pairs with the release in vgpu_uuid_done(): DONE means @uuid is in. */
	return smp_load_acquire(&bo->uuid_state);
}

static void vgpu_uuid_done(struct vgpu_device *vgdev, struct vgpu_cmd *cmd)
{
	struct virtio_gpu_resp_resource_uuid *resp = cmd->resp;
	struct vgpu_bo *bo = cmd->priv;

	if (cmd->status || le32_to_cpu(resp->hdr.type) !=
			   VIRTIO_GPU_RESP_OK_RESOURCE_UUID) {
		WRITE_ONCE(bo->uuid_state, VGPU_UUID_FAILED);
	} else {
		import_uuid(&bo->uuid, resp->uuid);
		/* The UUID before the state that says it is there. */
		smp_store_release(&bo->uuid_state, VGPU_UUID_DONE);
	}
	wake_up_all(&vgdev->answer_wq);
	drm_gem_object_put(&bo->shmem.base);
}

/**
 * vgpu_bo_assign_uuid() - have the host name an object for other devices
 * @vgdev: the device, which offers VIRTIO_GPU_F_RESOURCE_UUID
 * @bo: an object with a host resource
 *
 * Queues RESOURCE_ASSIGN_UUID once per object; later calls do nothing.
 * Does not wait for the host.
 *
 * Context: process context; callers of one object are serialised (object
 * creation, or the PRIME export lock).
 * Return: 0 or a negative errno.
 */
int vgpu_bo_assign_uuid(struct vgpu_device *vgdev, struct vgpu_bo *bo)
{
	int ret;

	if (READ_ONCE(bo->uuid_state) != VGPU_UUID_NONE)
		return 0;

	WRITE_ONCE(bo->uuid_state, VGPU_UUID_PENDING);
	ret = xa_insert(&vgdev->uuids, bo->res_id, bo, GFP_KERNEL);
	if (ret) {
		WRITE_ONCE(bo->uuid_state, VGPU_UUID_NONE);
		return ret;
	}
	/* The answer may come after the last handle is gone. */
	drm_gem_object_get(&bo->shmem.base);
	ret = vgpu_cmd_assign_uuid(vgdev, bo, vgpu_uuid_done);
	if (ret == -ENOMEM) {
		/* Never built: nobody else finishes it. */
		WRITE_ONCE(bo->uuid_state, VGPU_UUID_FAILED);
		drm_gem_object_put(&bo->shmem.base);
	}
	return ret;
}

/**
 * vgpu_bo_forget_uuid() - drop an object from the debugfs list
 * @vgdev: the device
 * @bo: the object, about to release its resource id
 *
 * Context: any, but not under the xarray's lock.
 */
void vgpu_bo_forget_uuid(struct vgpu_device *vgdev, struct vgpu_bo *bo)
{
	if (READ_ONCE(bo->uuid_state) != VGPU_UUID_NONE)
		xa_erase(&vgdev->uuids, bo->res_id);
}

static int vgpu_prime_get_uuid(struct dma_buf *buf, uuid_t *uuid)
{
	struct drm_gem_object *obj = buf->priv;
	struct vgpu_device *vgdev = to_vgdev(obj->dev);
	struct vgpu_bo *bo = to_vgpu_bo(obj);
	int ret = vgpu_wait_answer(vgdev, &bo->uuid_state, VGPU_UUID_PENDING);

	if (ret)
		return ret;
	/* No UUID asked for (no feature, or a blob without the flag). */
	if (vgpu_uuid_state(bo) != VGPU_UUID_DONE)
		return -ENODEV;
	uuid_copy(uuid, &bo->uuid);
	return 0;
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

static struct sg_table *vgpu_prime_map(struct dma_buf_attachment *at,
				       enum dma_data_direction dir)
{
	struct drm_gem_object *obj = at->dmabuf->priv;

	if (to_vgpu_bo(obj)->vram)
		return vgpu_vram_map_dma_buf(at, dir);
	return drm_gem_map_dma_buf(at, dir);
}

static void vgpu_prime_unmap(struct dma_buf_attachment *at,
			     struct sg_table *sgt, enum dma_data_direction dir)
{
	struct drm_gem_object *obj = at->dmabuf->priv;

	if (to_vgpu_bo(obj)->vram)
		vgpu_vram_unmap_dma_buf(at, sgt, dir);
	else
		drm_gem_unmap_dma_buf(at, sgt, dir);
}

/* One table for both kinds of object: only the mapping differs. */
static const struct virtio_dma_buf_ops vgpu_dmabuf_ops = {
	/*
	 * virtio_dma_buf_attach() as the attach hook is what marks a virtio
	 * dma-buf (is_virtio_dma_buf()); the GEM attach runs behind it.
	 */
	.ops.attach = virtio_dma_buf_attach,
	.device_attach = drm_gem_map_attach,
	.get_uuid = vgpu_prime_get_uuid,
	/* Where the importing device finds the memory. */
	.ops.map_dma_buf = vgpu_prime_map,
	.ops.unmap_dma_buf = vgpu_prime_unmap,
	/* The GEM PRIME helpers do the rest. */
	.ops.detach = drm_gem_map_detach,
	.ops.release = drm_gem_dmabuf_release,
	.ops.mmap = drm_gem_dmabuf_mmap,
	.ops.vmap = drm_gem_dmabuf_vmap,
	.ops.vunmap = drm_gem_dmabuf_vunmap,
};

/**
 * vgpu_prime_export() - GEM export hook of every object kind
 * @obj: the object
 * @flags: file flags of the dma-buf
 *
 * drm_gem_dmabuf_export() rather than virtio_dma_buf_export(): the latter
 * only checks the ops and calls dma_buf_export(), while the DRM one also
 * takes the device and object references that drm_gem_dmabuf_release()
 * drops, and points the file at the device's mapping for mmap.
 *
 * Context: process context, under the PRIME export lock of the device.
 * Return: the dma-buf or an ERR_PTR.
 */
struct dma_buf *vgpu_prime_export(struct drm_gem_object *obj, int flags)
{
	struct vgpu_device *vgdev = to_vgdev(obj->dev);
	struct vgpu_bo *bo = to_vgpu_bo(obj);
	struct dma_buf_export_info info = {
		.exp_name = KBUILD_MODNAME,
		.owner = THIS_MODULE,
		.ops = &vgpu_dmabuf_ops.ops,
		.size = obj->size,
		.flags = flags,
		.priv = obj,
		.resv = obj->resv,
	};
	int ret;

	/* Blobs ask at creation, if their flags say so. */
	if (vgdev->has_uuid && !bo->blob_mem && bo->res_id) {
		ret = vgpu_bo_assign_uuid(vgdev, bo);
		if (ret)
			return ERR_PTR(ret);
	}
	return drm_gem_dmabuf_export(obj->dev, &info);
}

/**
 * vgpu_gem_prime_import() - import a dma-buf, recognising our own
 * @dev: the importing device
 * @buf: the dma-buf
 *
 * A dma-buf exported by this device comes back as the same GEM object,
 * as the generic helper does for the ops it knows; it does not know ours.
 *
 * Context: process context.
 * Return: the GEM object with a new reference, or an ERR_PTR.
 */
struct drm_gem_object *vgpu_gem_prime_import(struct drm_device *dev,
					     struct dma_buf *buf)
{
	struct drm_gem_object *obj = buf->priv;

	if (buf->ops == &vgpu_dmabuf_ops.ops && obj->dev == dev) {
		drm_gem_object_get(obj);
		return obj;
	}
	return drm_gem_prime_import(dev, buf);
}

/**
 * vgpu_uuids_show() - debugfs: the objects that asked for a UUID
 * @m: the seq_file
 * @vgdev: the device
 *
 * One line per object: resource id, state, and the UUID once known.
 *
 * Context: process context.
 */
void vgpu_uuids_show(struct seq_file *m, struct vgpu_device *vgdev)
{
	static const char *const names[] = {
		[VGPU_UUID_NONE] = "none", [VGPU_UUID_PENDING] = "pending",
		[VGPU_UUID_DONE] = "ok", [VGPU_UUID_FAILED] = "failed",
	};
	struct vgpu_bo *bo;
	unsigned long id;
	int state;

	/* The lock keeps each object from being released while printed. */
	xa_lock(&vgdev->uuids);
	xa_for_each(&vgdev->uuids, id, bo) {
		state = vgpu_uuid_state(bo);
		if (state == VGPU_UUID_DONE)
			seq_printf(m, "%lu %s %pUb\n", id, names[state],
				   &bo->uuid);
		else
			seq_printf(m, "%lu %s\n", id, names[state]);
	}
	xa_unlock(&vgdev->uuids);
}
