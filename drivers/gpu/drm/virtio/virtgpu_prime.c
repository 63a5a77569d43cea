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

/**
 * vgpu_prime_get_uuid() - virtio dma-buf hook: the host's name of an object
 * @buf: a dma-buf of ours
 * @uuid: out, the UUID
 *
 * Waits for the host's answer if it is not in yet.
 *
 * Context: process context; sleeps at most VGPU_SYNC_TIMEOUT.
 * Return: 0, -ENODEV when the object has no UUID, or a negative errno of
 * the wait.
 */
int vgpu_prime_get_uuid(struct dma_buf *buf, uuid_t *uuid)
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

/* Guest pages, described by the shmem helpers' table. */
static const struct virtio_dma_buf_ops vgpu_shmem_dmabuf_ops =
	VGPU_DMABUF_OPS(drm_gem_map_dma_buf, drm_gem_unmap_dma_buf);

static bool vgpu_prime_is_ours(struct dma_buf *buf)
{
	const struct virtio_dma_buf_ops *ops;

	if (!is_virtio_dma_buf(buf))
		return false;
	ops = container_of(buf->ops, const struct virtio_dma_buf_ops, ops);
	return ops->get_uuid == vgpu_prime_get_uuid;
}

/**
 * vgpu_prime_export_ops() - export an object as a virtio dma-buf
 * @obj: the object
 * @flags: file flags of the dma-buf
 * @ops: the dma-buf hooks of the object's kind (VGPU_DMABUF_OPS())
 *
 * drm_gem_dmabuf_export() rather than virtio_dma_buf_export(): the latter
 * only checks the ops and calls dma_buf_export(), while the DRM one also
 * takes the device and object references that drm_gem_dmabuf_release()
 * drops, and points the file at the device's mapping for mmap.
 *
 * Context: process context, under the PRIME export lock of the device.
 * Return: the dma-buf or an ERR_PTR.
 */
struct dma_buf *vgpu_prime_export_ops(struct drm_gem_object *obj, int flags,
				      const struct virtio_dma_buf_ops *ops)
{
	struct dma_buf_export_info info = {
		.exp_name = KBUILD_MODNAME,
		.owner = THIS_MODULE,
		.ops = &ops->ops,
		.size = obj->size,
		.flags = flags,
		.priv = obj,
		.resv = obj->resv,
	};

	return drm_gem_dmabuf_export(obj->dev, &info);
}

/**
 * vgpu_prime_export() - GEM export hook of objects with guest pages
 * @obj: the object
 * @flags: file flags of the dma-buf
 *
 * Context: process context, under the PRIME export lock of the device.
 * Return: the dma-buf or an ERR_PTR.
 */
struct dma_buf *vgpu_prime_export(struct drm_gem_object *obj, int flags)
{
	struct vgpu_device *vgdev = to_vgdev(obj->dev);
	struct vgpu_bo *bo = to_vgpu_bo(obj);
	int ret;

	/* Blobs ask at creation, if their flags say so. */
	if (vgdev->has_uuid && !bo->blob_mem && bo->res_id) {
		ret = vgpu_bo_assign_uuid(vgdev, bo);
		if (ret)
			return ERR_PTR(ret);
	}
	return vgpu_prime_export_ops(obj, flags, &vgpu_shmem_dmabuf_ops);
}

/**
 * vgpu_gem_prime_import() - import a dma-buf, recognising our own
 * @dev: the importing device
 * @buf: the dma-buf
 *
 * A dma-buf exported by this device comes back as the same GEM object,
 * as the generic helper does for the ops it knows; it does not know ours.
 * Ours are the virtio dma-bufs that answer UUID requests with our hook,
 * whatever the kind of object behind them.
 *
 * Context: process context.
 * Return: the GEM object with a new reference, or an ERR_PTR.
 */
struct drm_gem_object *vgpu_gem_prime_import(struct drm_device *dev,
					     struct dma_buf *buf)
{
	struct drm_gem_object *obj = buf->priv;

	if (vgpu_prime_is_ours(buf) && obj->dev == dev) {
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
