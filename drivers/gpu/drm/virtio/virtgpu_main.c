// SPDX-License-Identifier: MIT
/*
 * virtio-gpu: module, virtio driver and DRM device.
 *
 * Copyright 2026 The virtio-gpu-ng authors
 */

/**
 * DOC: overview
 *
 * A DRM driver for the virtio-gpu device: KMS on the host's scanouts, GEM
 * objects backed by host resources, and the virtio-gpu render uAPI that
 * Mesa's virgl and venus drivers use. It is a drop-in replacement for the
 * in-tree driver: same module name, same DRM driver name, same uAPI.
 *
 * The files split by concern: virtgpu_vq.c owns the virtqueues (see its
 * "command core" section), virtgpu_cmd.c encodes commands, virtgpu_fence.c
 * turns host answers into dma-fences, virtgpu_object.c, virtgpu_vram.c and
 * virtgpu_prime.c manage buffer objects and their dma-bufs,
 * virtgpu_display.c and virtgpu_plane.c do KMS, virtgpu_context.c holds a
 * file's host context and the commands it defers ("deferred submission"),
 * virtgpu_submit.c is EXECBUFFER, virtgpu_ioctl.c the rest of the uAPI,
 * and virtgpu_debugfs.c the counters. This file binds them to the virtio
 * device and the DRM core.
 */

#include <linux/aperture.h>
#include <linux/module.h>
#include <linux/pci.h>
#include <linux/slab.h>
#include <linux/virtio_ids.h>
#include <linux/virtio_ring.h>
#include <linux/workqueue.h>

#include <drm/drm_atomic_helper.h>
#include <drm/drm_drv.h>
#include <drm/drm_file.h>
#include <drm/drm_gem_shmem_helper.h>
#include <drm/drm_ioctl.h>
#include <drm/drm_print.h>

#include "virtgpu_drv.h"

static bool modeset = true;
module_param(modeset, bool, 0444);
MODULE_PARM_DESC(modeset, "Drive the host's scanouts (default: true; false for render-only)");

static void vgpu_config_work(struct work_struct *work)
{
	struct vgpu_device *vgdev = container_of(work, struct vgpu_device,
						 config_work);
	u32 events;

	virtio_cread_le(vgdev->vdev, struct virtio_gpu_config, events_read,
			&events);
	if (events & VIRTIO_GPU_EVENT_DISPLAY && vgdev->num_scanouts)
		vgpu_display_changed(vgdev);
	virtio_cwrite_le(vgdev->vdev, struct virtio_gpu_config, events_clear,
			 &events);
}

static void vgpu_config_changed(struct virtio_device *vdev)
{
	struct vgpu_device *vgdev = vdev->priv;

	schedule_work(&vgdev->config_work);
}

static const struct file_operations vgpu_fops = {
	.owner = THIS_MODULE,
	DRM_GEM_FOPS,
	.show_fdinfo = drm_show_fdinfo,
};

static const struct drm_driver vgpu_driver = {
	.driver_features = DRIVER_MODESET | DRIVER_GEM | DRIVER_RENDER |
			   DRIVER_ATOMIC | DRIVER_SYNCOBJ |
			   DRIVER_SYNCOBJ_TIMELINE | DRIVER_CURSOR_HOTSPOT,
	.open = vgpu_driver_open,
	.postclose = vgpu_driver_postclose,
	.show_fdinfo = vgpu_show_fdinfo,
	.dumb_create = vgpu_dumb_create,
	.gem_create_object = vgpu_gem_create_object,
	.gem_prime_import = vgpu_gem_prime_import,
	.gem_prime_import_sg_table = drm_gem_shmem_prime_import_sg_table,
#if defined(CONFIG_DEBUG_FS)
	.debugfs_init = vgpu_debugfs_init,
#endif
	.ioctls = vgpu_ioctls,
	.num_ioctls = VGPU_NUM_IOCTLS,
	.fops = &vgpu_fops,
	.name = VGPU_DRIVER_NAME,
	.desc = VGPU_DRIVER_DESC,
	.major = VGPU_DRIVER_MAJOR,
	.minor = VGPU_DRIVER_MINOR,
	.patchlevel = VGPU_DRIVER_PATCH,
	VGPU_DRIVER_DATE_INIT
	VGPU_FBDEV_DRIVER_OPS
};

static void vgpu_read_features(struct vgpu_device *vgdev)
{
	struct virtio_device *vdev = vgdev->vdev;

	/* virgl streams are little-endian; a big-endian guest cannot use them. */
	vgdev->has_virgl = !IS_ENABLED(CONFIG_CPU_BIG_ENDIAN) &&
			   virtio_has_feature(vdev, VIRTIO_GPU_F_VIRGL);
	vgdev->has_edid = virtio_has_feature(vdev, VIRTIO_GPU_F_EDID);
	vgdev->has_uuid = virtio_has_feature(vdev, VIRTIO_GPU_F_RESOURCE_UUID);
	vgdev->has_blob = virtio_has_feature(vdev, VIRTIO_GPU_F_RESOURCE_BLOB);
	vgdev->has_ctx_init = virtio_has_feature(vdev,
						 VIRTIO_GPU_F_CONTEXT_INIT);
	vgdev->has_indirect = virtio_has_feature(vdev,
						 VIRTIO_RING_F_INDIRECT_DESC);
	vgdev->has_event_idx = virtio_has_feature(vdev,
						  VIRTIO_RING_F_EVENT_IDX);
	vgdev->use_dma_api = !virtio_has_dma_quirk(vdev);

	virtio_cread_le(vdev, struct virtio_gpu_config, num_scanouts,
			&vgdev->num_scanouts);
	vgdev->num_scanouts = min_t(u32, vgdev->num_scanouts,
				    VIRTIO_GPU_MAX_SCANOUTS);
	if (!modeset)
		vgdev->num_scanouts = 0;
	virtio_cread_le(vdev, struct virtio_gpu_config, num_capsets,
			&vgdev->num_capsets);
}

static int vgpu_init_host_visible(struct vgpu_device *vgdev)
{
	struct virtio_shm_region *r = &vgdev->host_visible;

	if (!vgdev->has_blob ||
	    !virtio_get_shm_region(vgdev->vdev, r,
				   VIRTIO_GPU_SHM_ID_HOST_VISIBLE))
		return 0;

	if (!devm_request_mem_region(&vgdev->vdev->dev, r->addr, r->len,
				     dev_name(&vgdev->vdev->dev))) {
		drm_warn(&vgdev->drm, "host-visible region is busy; not used\n");
		return 0;
	}
	drm_mm_init(&vgdev->host_visible_mm, r->addr, r->len);
	vgdev->has_host_visible = true;
	return 0;
}

static int vgpu_init_capsets(struct vgpu_device *vgdev)
{
	unsigned int i;
	int ret;

	if (!vgdev->has_virgl || !vgdev->num_capsets)
		return 0;

	vgdev->capsets = kcalloc(vgdev->num_capsets, sizeof(*vgdev->capsets),
				 GFP_KERNEL);
	if (!vgdev->capsets)
		return -ENOMEM;

	for (i = 0; i < vgdev->num_capsets; i++) {
		ret = vgpu_cmd_get_capset_info(vgdev, i);
		if (ret) {
			drm_err(&vgdev->drm, "capset %u unreadable: %d\n", i,
				ret);
			return ret;
		}
		if (vgdev->capsets[i].id < 64)
			vgdev->capset_mask |= BIT_ULL(vgdev->capsets[i].id);
	}
	return 0;
}

/* Also from a resume: the virtqueues are made anew. */
static int vgpu_find_vqs(struct vgpu_device *vgdev)
{
	struct virtqueue_info info[] = {
		{ "control", vgpu_ctrl_vq_done },
		{ "cursor", vgpu_cursor_vq_done },
	};
	struct virtqueue *vqs[2];
	int ret;

	ret = virtio_find_vqs(vgdev->vdev, 2, vqs, info, NULL);
	if (ret)
		return ret;
	vgdev->ctrlq.vq = vqs[0];
	vgdev->cursorq.vq = vqs[1];
	return 0;
}

static void vgpu_log_features(struct vgpu_device *vgdev)
{
	drm_info(&vgdev->drm,
		 "virtio-gpu-ng: %u scanout(s), %u capset(s) 0x%llx; features:%s%s%s%s%s%s%s%s%s\n",
		 vgdev->num_scanouts, vgdev->num_capsets, vgdev->capset_mask,
		 vgdev->has_virgl ? " virgl" : "",
		 vgdev->has_edid ? " edid" : "",
		 vgdev->has_uuid ? " uuid" : "",
		 vgdev->has_blob ? " blob" : "",
		 vgdev->has_host_visible ? " host-visible" : "",
		 vgdev->has_ctx_init ? " context-init" : "",
		 vgdev->has_indirect ? " indirect" : "",
		 vgdev->has_event_idx ? " event-idx" : "",
		 vgpu_dumb_blobs(vgdev) ? "; dumb buffers scanned out in place" : "");
}

static void vgpu_free_caches(struct vgpu_device *vgdev)
{
	struct vgpu_capset_cache *c, *next;
	unsigned int i;

	list_for_each_entry_safe(c, next, &vgdev->caps_cache, link) {
		list_del(&c->link);
		kfree(c);
	}
	kfree(vgdev->capsets);
	vgdev->capsets = NULL;
	for (i = 0; i < VIRTIO_GPU_MAX_SCANOUTS; i++) {
		drm_edid_free(vgdev->outputs[i].edid);
		vgdev->outputs[i].edid = NULL;
	}
}

/*
 * The DRM device hangs off the transport's device (the PCI function), as
 * with the in-tree driver: userspace finds the GPU's PCI ids there, and DMA
 * mappings need a device with DMA ops. That device outlives our binding,
 * so its managed resources are grouped and released by our remove rather
 * than by its own unbind.
 */
static struct vgpu_device *vgpu_device_alloc(struct virtio_device *vdev)
{
	struct device *parent = vdev->dev.parent;
	struct vgpu_device *vgdev;
	void *group;

	group = devres_open_group(parent, NULL, GFP_KERNEL);
	if (!group)
		return ERR_PTR(-ENOMEM);
	vgdev = devm_drm_dev_alloc(parent, &vgpu_driver, struct vgpu_device,
				   drm);
	devres_close_group(parent, group);
	if (IS_ERR(vgdev)) {
		devres_release_group(parent, group);
		return vgdev;
	}
	vgdev->vdev = vdev;
	vgdev->devres_group = group;
	vdev->priv = vgdev;
	return vgdev;
}

/* Locks, lists and ids of a new device, before it talks to the host. */
static void vgpu_init_state(struct vgpu_device *vgdev)
{
	vgpu_queue_init(vgdev, &vgdev->ctrlq);
	vgpu_queue_init(vgdev, &vgdev->cursorq);
	spin_lock_init(&vgdev->fences.lock);
	INIT_LIST_HEAD(&vgdev->fences.pending);
	vgdev->fences.kernel_timeline = dma_fence_context_alloc(1);
	mutex_init(&vgdev->caps_lock);
	INIT_LIST_HEAD(&vgdev->caps_cache);
	mutex_init(&vgdev->display_lock);
	spin_lock_init(&vgdev->cursor_lock);
	spin_lock_init(&vgdev->host_visible_lock);
	init_waitqueue_head(&vgdev->answer_wq);
	xa_init_flags(&vgdev->resources, XA_FLAGS_ALLOC1);
	init_waitqueue_head(&vgdev->release_wq);
	xa_init(&vgdev->uuids);
	ida_init(&vgdev->ctx_ida);
	INIT_WORK(&vgdev->config_work, vgpu_config_work);
}

static int vgpu_probe(struct virtio_device *vdev)
{
	struct device *parent = vdev->dev.parent;
	struct vgpu_device *vgdev;
	struct drm_device *dev;
	void *group;
	int ret;

	/* Take over from a firmware framebuffer on the same PCI function. */
	if (dev_is_pci(parent)) {
		struct pci_dev *pdev = to_pci_dev(parent);

		ret = aperture_remove_conflicting_pci_devices(pdev,
							      VGPU_DRIVER_NAME);
		if (ret)
			return ret;
	}

	vgdev = vgpu_device_alloc(vdev);
	if (IS_ERR(vgdev))
		return PTR_ERR(vgdev);
	dev = &vgdev->drm;
	group = vgdev->devres_group;
	vgpu_init_state(vgdev);
	vgpu_read_features(vgdev);

	ret = vgpu_find_vqs(vgdev);
	if (ret) {
		drm_err(dev, "virtqueues unavailable: %d\n", ret);
		return ret;
	}

	ret = vgpu_init_host_visible(vgdev);
	if (ret)
		goto err_del_vqs;

	virtio_device_ready(vdev);

	ret = vgpu_init_capsets(vgdev);
	if (ret)
		goto err_reset;

	if (vgdev->num_scanouts) {
		ret = vgpu_modeset_init(vgdev);
		if (ret)
			goto err_reset;
	}

	ret = drm_dev_register(dev, 0);
	if (ret)
		goto err_reset;

	vgpu_log_features(vgdev);
	if (vgdev->num_scanouts)
		vgpu_fbdev_setup(dev);
	return 0;

err_reset:
	virtio_reset_device(vdev);
	vgpu_queues_quiesce(vgdev);
	vgpu_fence_fail_all(vgdev);
	if (vgdev->has_host_visible)
		drm_mm_takedown(&vgdev->host_visible_mm);
err_del_vqs:
	vdev->config->del_vqs(vdev);
	vgpu_free_caches(vgdev);
	devres_release_group(parent, group);
	return ret;
}

static void vgpu_remove(struct virtio_device *vdev)
{
	struct vgpu_device *vgdev = vdev->priv;
	struct drm_device *dev = &vgdev->drm;
	unsigned int i;

	drm_dev_unplug(dev);
	if (vgdev->num_scanouts)
		drm_atomic_helper_shutdown(dev);
	cancel_work_sync(&vgdev->config_work);

	/* Let the host finish what it has, then stop it. */
	vgpu_queues_wait_idle(vgdev);
	virtio_reset_device(vdev);
	vgpu_queues_quiesce(vgdev);
	vgpu_fence_fail_all(vgdev);
	vdev->config->del_vqs(vdev);

	for (i = 0; i < vgdev->num_scanouts; i++)
		hrtimer_cancel(&vgdev->outputs[i].vblank_timer);
	if (vgdev->has_host_visible)
		drm_mm_takedown(&vgdev->host_visible_mm);
	vgpu_free_caches(vgdev);
	/* Drops our DRM device reference: @vgdev may be gone after this. */
	devres_release_group(vdev->dev.parent, vgdev->devres_group);
}

static int vgpu_freeze(struct virtio_device *vdev)
{
	struct vgpu_device *vgdev = vdev->priv;
	int ret;

	ret = vgpu_pm_freeze(vgdev);
	if (ret)
		return ret;
	/* The host forgets everything here; vgpu_restore() rebuilds it. */
	virtio_reset_device(vdev);
	vgpu_queues_detach(vgdev);
	vdev->config->del_vqs(vdev);
	return 0;
}

static int vgpu_restore(struct virtio_device *vdev)
{
	struct vgpu_device *vgdev = vdev->priv;
	int ret;

	ret = vgpu_find_vqs(vgdev);
	if (ret) {
		drm_err(&vgdev->drm, "virtqueues unavailable on resume: %d\n",
			ret);
		return ret;
	}
	virtio_device_ready(vdev);
	return vgpu_pm_restore(vgdev);
}

static const struct virtio_device_id vgpu_id_table[] = {
	{ VIRTIO_ID_GPU, VIRTIO_DEV_ANY_ID },
	{ 0 },
};
MODULE_DEVICE_TABLE(virtio, vgpu_id_table);

static const unsigned int vgpu_features[] = {
	VIRTIO_GPU_F_VIRGL,
	VIRTIO_GPU_F_EDID,
	VIRTIO_GPU_F_RESOURCE_UUID,
	VIRTIO_GPU_F_RESOURCE_BLOB,
	VIRTIO_GPU_F_CONTEXT_INIT,
	VIRTIO_RING_F_INDIRECT_DESC,
	VIRTIO_RING_F_EVENT_IDX,
};

static struct virtio_driver vgpu_virtio_driver = {
	.feature_table = vgpu_features,
	.feature_table_size = ARRAY_SIZE(vgpu_features),
	.driver.name = KBUILD_MODNAME,
	.id_table = vgpu_id_table,
	.probe = vgpu_probe,
	.remove = vgpu_remove,
	.config_changed = vgpu_config_changed,
	.freeze = pm_sleep_ptr(vgpu_freeze),
	.restore = pm_sleep_ptr(vgpu_restore),
};

struct workqueue_struct *vgpu_wq;

static int __init vgpu_module_init(void)
{
	int ret;

	/*
	 * Deferred submissions run here; module exit drains it, so that no
	 * work of ours runs past it. No WQ_MEM_RECLAIM: a closed file's work
	 * may drop the last reference to an unplugged DRM device, whose
	 * release flushes system workqueue items, which a reclaim worker
	 * must not wait for. Fences of commands in the ring do not depend on
	 * any workqueue (the virtqueue callback signals them); a deferred
	 * command's fence depends on this one.
	 * Unbound: nothing ties the work to the CPU where a fence signalled
	 * (and newer kernels want that choice spelt out).
	 */
	vgpu_wq = alloc_workqueue("virtio-gpu-defer", WQ_UNBOUND, 0);
	if (!vgpu_wq)
		return -ENOMEM;
	ret = register_virtio_driver(&vgpu_virtio_driver);
	if (ret)
		destroy_workqueue(vgpu_wq);
	return ret;
}

static void __exit vgpu_module_exit(void)
{
	unregister_virtio_driver(&vgpu_virtio_driver);
	destroy_workqueue(vgpu_wq);
}

module_init(vgpu_module_init);
module_exit(vgpu_module_exit);

MODULE_DESCRIPTION("virtio GPU driver (virtio-gpu-ng)");
MODULE_AUTHOR("The virtio-gpu-ng authors");
MODULE_LICENSE("Dual MIT/GPL");
