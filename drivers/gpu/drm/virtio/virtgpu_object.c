// SPDX-License-Identifier: MIT
/*
 * Buffer objects: shmem GEM objects backed by a host resource.
 *
 * Copyright 2026 The virtio-gpu-ng authors
 */

#include <linux/dma-mapping.h>
#include <linux/overflow.h>
#include <linux/shmem_fs.h>
#include <linux/sizes.h>
#include <linux/slab.h>

#include <drm/drm_drv.h>
#include <drm/drm_file.h>
#include <drm/drm_gem.h>
#include <drm/drm_prime.h>
#include <drm/drm_print.h>

#include "virtgpu_drv.h"

/**
 * DOC: object lifetime
 *
 * A host resource reads and writes the object's pages until the
 * host has processed RESOURCE_UNREF. So the last GEM reference does not free
 * the pages: it sends the UNREF, and the pages and the resource id are
 * released from that command's completion. Commands are never reordered,
 * so everything queued before the UNREF still finds its pages. A command
 * a file holds back for foreign fences is not queued yet, so it holds
 * references to the objects it names: the UNREF cannot overtake it.
 *
 * Freeing is therefore asynchronous, and one worker does it for every
 * client. Clients that make and drop large objects from several threads
 * can produce garbage faster than that, and the guest then runs out of
 * memory for objects nobody holds. The bytes between the UNREF and the
 * free are counted (&vgpu_device.release_backlog), and a creation that
 * finds more than release_backlog_mib of them waits, interruptibly, for
 * the backlog to shrink; the released pages are given back at once rather
 * than behind the deferred fput() of a kernel thread.
 */

static unsigned int release_backlog_mib = 256;
module_param(release_backlog_mib, uint, 0644);
MODULE_PARM_DESC(release_backlog_mib,
		 "Largest size of freed objects still waiting for the host before new objects wait (MiB, default 256; 0: no limit)");

static bool vgpu_release_backlog_ok(struct vgpu_device *vgdev)
{
	u64 limit = (u64)READ_ONCE(release_backlog_mib) << 20;

	return !limit || atomic64_read(&vgdev->release_backlog) <= limit;
}

/**
 * vgpu_res_id_get() - allocate a host resource id for @bo
 * @vgdev: the device
 * @bo: the object, whose &vgpu_bo.recipe is already set; gets the id
 *	(never 0) in &vgpu_bo.res_id
 *
 * The id names @bo in &vgpu_device.resources until it is put.
 *
 * Context: process context.
 * Return: 0 or a negative errno.
 */
int vgpu_res_id_get(struct vgpu_device *vgdev, struct vgpu_bo *bo)
{
	int ret = xa_alloc(&vgdev->resources, &bo->res_id, bo,
			   XA_LIMIT(1, INT_MAX), GFP_KERNEL);

	return ret == -EBUSY ? -ENOSPC : ret;
}

/**
 * vgpu_res_id_put() - release a host resource id
 * @vgdev: the device
 * @id: the id, or 0
 *
 * Context: process context.
 */
void vgpu_res_id_put(struct vgpu_device *vgdev, u32 id)
{
	if (id)
		xa_erase(&vgdev->resources, id);
}

static void vgpu_bo_release(struct vgpu_device *vgdev, struct vgpu_bo *bo)
{
	struct file *filp = bo->shmem.base.filp;

	if (filp)
		get_file(filp);
	vgpu_bo_forget_uuid(vgdev, bo);
	vgpu_res_id_put(vgdev, bo->res_id);
	drm_gem_shmem_free(&bo->shmem);
	if (!filp)
		return;
	/*
	 * This mostly runs in the completion worker, a kernel thread, where
	 * the last fput() of the shmem file is deferred to a shared work
	 * item; its pages would be freed there, after every other file
	 * released meanwhile. A client that
	 * churns large objects can outrun that and fill the guest with
	 * pages nobody owns. Nothing else holds the file now (mappings and
	 * dma-bufs hold the object), so its pages go here, synchronously.
	 */
	shmem_truncate_range(file_inode(filp), 0, (loff_t)-1);
	fput(filp);
}

static void vgpu_bo_unref_done(struct vgpu_device *vgdev, struct vgpu_cmd *cmd)
{
	struct vgpu_bo *bo = cmd->priv;
	size_t size = bo->shmem.base.size;

	vgpu_bo_release(vgdev, bo);
	atomic64_sub(size, &vgdev->release_backlog);
	if (wq_has_sleeper(&vgdev->release_wq) &&
	    vgpu_release_backlog_ok(vgdev))
		wake_up_all(&vgdev->release_wq);
}

static void vgpu_bo_free(struct drm_gem_object *obj)
{
	struct vgpu_device *vgdev = to_vgdev(obj->dev);
	struct vgpu_bo *bo = to_vgpu_bo(obj);

	if (bo->res_id) {
		atomic64_add(obj->size, &vgdev->release_backlog);
		vgpu_cmd_unref(vgdev, bo, vgpu_bo_unref_done);
	} else {
		vgpu_bo_release(vgdev, bo);
	}
}

/*
 * On a 3D device the host context of a file must know every resource the
 * file can name, whether created, imported or opened by flink name.
 */
/**
 * vgpu_bo_open() - GEM open hook: attach the resource to the file's context
 * @obj: the object
 * @file: the file that got a handle
 *
 * Context: process context.
 * Return: 0 or a negative errno.
 */
int vgpu_bo_open(struct drm_gem_object *obj, struct drm_file *file)
{
	struct vgpu_device *vgdev = to_vgdev(obj->dev);
	struct vgpu_file *vfile = file->driver_priv;
	struct vgpu_bo *bo = to_vgpu_bo(obj);
	struct vgpu_cmd *cmd;
	int ret;

	if (!vgdev->has_virgl || !vfile || !bo->res_id)
		return 0;
	ret = vgpu_ctx_ensure(vgdev, vfile);
	if (ret)
		return ret;
	cmd = vgpu_cmd_new_ctx_resource(vgdev, vfile->ctx_id, bo, true);
	if (!cmd)
		return -ENOMEM;
	/* Not before the file's deferred commands: a detach may be among them. */
	return vgpu_file_submit(vfile, cmd, obj);
}

/**
 * vgpu_bo_close() - GEM close hook: detach from the file's context
 * @obj: the object
 * @file: the file that dropped its handle
 *
 * Context: process context.
 */
void vgpu_bo_close(struct drm_gem_object *obj, struct drm_file *file)
{
	struct vgpu_device *vgdev = to_vgdev(obj->dev);
	struct vgpu_file *vfile = file->driver_priv;
	struct vgpu_bo *bo = to_vgpu_bo(obj);
	struct vgpu_cmd *cmd;

	if (!vgdev->has_virgl || !vfile || !vfile->ctx_created || !bo->res_id)
		return;
	/*
	 * Deferred commands of the file may still use the resource in its
	 * context: the detach goes behind them, and this hook (which
	 * cannot fail, and runs at file close too) does not wait for them.
	 * Without memory the resource stays attached until the context goes.
	 */
	cmd = vgpu_cmd_new_ctx_resource(vgdev, vfile->ctx_id, bo, false);
	if (cmd)
		vgpu_file_submit(vfile, cmd, obj);
}

/*
 * fdinfo's residency, under the file's table lock, so without the
 * object's: guest pages are there or not, read once.
 */
static enum drm_gem_object_status vgpu_bo_status(struct drm_gem_object *obj)
{
	return READ_ONCE(to_vgpu_bo(obj)->shmem.pages) ?
	       DRM_GEM_OBJECT_RESIDENT : 0;
}

static const struct drm_gem_object_funcs vgpu_bo_funcs = {
	/* Ours: host resource lifetime and context membership. */
	.open = vgpu_bo_open,
	.close = vgpu_bo_close,
	.free = vgpu_bo_free,
	/* The pages are plain shmem. */
	.mmap = drm_gem_shmem_object_mmap,
	.vm_ops = &drm_gem_shmem_vm_ops,
	.vmap = drm_gem_shmem_object_vmap,
	.vunmap = drm_gem_shmem_object_vunmap,
	.pin = drm_gem_shmem_object_pin,
	.unpin = drm_gem_shmem_object_unpin,
	.get_sg_table = drm_gem_shmem_object_get_sg_table,
	.export = vgpu_prime_export,
	.print_info = drm_gem_shmem_object_print_info,
	.status = vgpu_bo_status,
};

/**
 * vgpu_bo_create() - a new object with no host resource yet
 * @vgdev: the device
 * @size: size in bytes, rounded up to pages
 *
 * Waits first while the release backlog is over its limit ("DOC: object
 * lifetime").
 *
 * Context: process context; may sleep, interruptibly.
 * Return: the object with one reference, or an ERR_PTR (-ERESTARTSYS when
 * a signal ended that wait).
 */
struct vgpu_bo *vgpu_bo_create(struct vgpu_device *vgdev, size_t size)
{
	struct drm_gem_shmem_object *shmem;

	if (!vgpu_release_backlog_ok(vgdev)) {
		/* The UNREFs the backlog waits for may not have left yet. */
		vgpu_queue_kick_soon(&vgdev->ctrlq);
		if (wait_event_interruptible(vgdev->release_wq,
					     vgpu_release_backlog_ok(vgdev)))
			return ERR_PTR(-ERESTARTSYS);
	}
	shmem = drm_gem_shmem_create(&vgdev->drm, PAGE_ALIGN(size));
	if (IS_ERR(shmem))
		return ERR_CAST(shmem);
	return container_of(shmem, struct vgpu_bo, shmem);
}

/**
 * vgpu_gem_create_object() - allocate our object for the shmem helpers
 * @dev: the DRM device
 * @size: object size
 *
 * Context: process context.
 * Return: the embedded GEM object, or an ERR_PTR.
 */
struct drm_gem_object *vgpu_gem_create_object(struct drm_device *dev,
					      size_t size)
{
	struct vgpu_bo *bo = kzalloc(sizeof(*bo), GFP_KERNEL);

	if (!bo)
		return ERR_PTR(-ENOMEM);
	/*
	 * The host reads guest pages through the CPU cache (it is the same
	 * machine), so cached mappings are coherent.
	 */
	bo->shmem.map_wc = false;
	bo->shmem.base.funcs = &vgpu_bo_funcs;
	return &bo->shmem.base;
}

/**
 * vgpu_bo_attach_backing() - give the host resource the object's pages
 * @vgdev: the device
 * @bo: an object with a res_id
 * @fence: fence to signal when attached, or NULL
 *
 * Context: process context.
 * Return: 0 or a negative errno.
 */
int vgpu_bo_attach_backing(struct vgpu_device *vgdev, struct vgpu_bo *bo,
			   struct vgpu_fence *fence)
{
	struct virtio_gpu_mem_entry *ents;
	u32 nents;
	int ret;

	ret = vgpu_bo_mem_entries(vgdev, bo, &ents, &nents);
	if (ret)
		return ret;
	return vgpu_cmd_attach_backing(vgdev, bo, ents, nents, fence);
}

/**
 * vgpu_bo_mem_entries() - describe the object's pages for the host
 * @vgdev: the device
 * @bo: a shmem object
 * @ents: out, kvmalloc'ed entries
 * @nents: out, their number
 *
 * The pages stay allocated and mapped until the object is freed.
 *
 * Context: process context.
 * Return: 0 or a negative errno.
 */
int vgpu_bo_mem_entries(struct vgpu_device *vgdev, struct vgpu_bo *bo,
			struct virtio_gpu_mem_entry **ents, u32 *nents)
{
	struct scatterlist *sg;
	struct sg_table *sgt;
	unsigned int n, i;

	sgt = drm_gem_shmem_get_pages_sgt(&bo->shmem);
	if (IS_ERR(sgt))
		return PTR_ERR(sgt);

	/*
	 * Without the DMA API (no IOMMU, the usual case) the host takes guest
	 * physical addresses, and the unmerged list is what describes them.
	 */
	n = vgdev->use_dma_api ? sgt->nents : sgt->orig_nents;
	/* Sized by the client's object: a failure is its ENOMEM. */
	*ents = kvmalloc_array(n, sizeof(**ents), GFP_KERNEL | __GFP_NOWARN);
	if (!*ents)
		return -ENOMEM;

	if (vgdev->use_dma_api) {
		for_each_sgtable_dma_sg(sgt, sg, i) {
			(*ents)[i].addr = cpu_to_le64(sg_dma_address(sg));
			(*ents)[i].length = cpu_to_le32(sg_dma_len(sg));
			(*ents)[i].padding = 0;
		}
	} else {
		for_each_sgtable_sg(sgt, sg, i) {
			(*ents)[i].addr = cpu_to_le64(sg_phys(sg));
			(*ents)[i].length = cpu_to_le32(sg->length);
			(*ents)[i].padding = 0;
		}
	}
	*nents = n;
	return 0;
}

/**
 * vgpu_bo_create_2d() - create a 2D host resource for @bo and back it
 * @vgdev: the device
 * @bo: an object without a resource
 * @format: VIRTIO_GPU_FORMAT_*
 * @width: width in pixels
 * @height: height in pixels
 *
 * Context: process context.
 * Return: 0 or a negative errno.
 */
int vgpu_bo_create_2d(struct vgpu_device *vgdev, struct vgpu_bo *bo,
		      u32 format, u32 width, u32 height)
{
	int ret;

	bo->recipe.kind = VGPU_RECIPE_2D;
	bo->recipe.rc.format = format;
	bo->recipe.rc.width = width;
	bo->recipe.rc.height = height;
	ret = vgpu_res_id_get(vgdev, bo);
	if (ret)
		return ret;
	ret = vgpu_cmd_create_2d(vgdev, bo, format, width, height);
	if (ret)
		return ret;
	return vgpu_bo_attach_backing(vgdev, bo, NULL);
}

/**
 * DOC: zero-copy scanout
 *
 * On a device without virgl a dumb buffer is normally a 2D resource: the
 * host keeps its own copy of the pixels, and every update of the screen
 * is a TRANSFER_TO_HOST_2D of the damage into that copy before the flush.
 * When the host offers blob resources there, it can instead read the
 * guest's pages in place: QEMU turns a guest blob's pages into a udmabuf
 * and makes the display surface point into it. Dumb buffers then become
 * guest blobs (RESOURCE_CREATE_BLOB with the pages attached), planes show
 * them with SET_SCANOUT_BLOB, and an update is the flush alone: no upload
 * and no host copy. The fbdev console, being a dumb buffer too, gets the
 * same. A guest blob's host side is recreated from its pages on restore
 * like any other.
 *
 * The host reads pages the client may be writing, as on real hardware
 * scanning out a CPU-written buffer; clients that want tear-free updates
 * flip between buffers, as they must there.
 *
 * The host can only do this for a buffer it can map: QEMU makes one
 * udmabuf of the blob's entries, and Linux's udmabuf refuses more than
 * 1024 entries or 64 MiB by default (its list_limit and size_limit_mb).
 * QEMU then has no pixels to show, and 10.0 does not refuse the
 * SET_SCANOUT_BLOB but reads through a NULL image. So only a buffer
 * within those limits becomes a blob; a larger or more scattered one
 * stays a 2D resource with uploads. A 1280x800 buffer (1000 pages) always
 * fits; a larger mode fits when its pages are contiguous enough. Guest
 * blobs that clients make are checked the same way when a plane is to
 * show them: one the host cannot map is refused there (EINVAL).
 *
 * Cursor images are also dumb buffers. Their upload still goes out on the
 * control queue, where it keeps UPDATE_CURSOR behind the blob's creation;
 * the host has nothing to copy and reads the blob when UPDATE_CURSOR
 * arrives.
 *
 * With dumb_blob=0, or on a host without blobs, nothing changes.
 */
static bool dumb_blob = true;
module_param(dumb_blob, bool, 0644);
MODULE_PARM_DESC(dumb_blob,
		 "Make dumb buffers guest blobs the host scans out in place, where it offers blobs without virgl (default Y)");

/**
 * vgpu_dumb_blobs() - whether new dumb buffers are guest blobs
 * @vgdev: the device
 *
 * Context: any.
 * Return: true where "DOC: zero-copy scanout" applies.
 */
bool vgpu_dumb_blobs(struct vgpu_device *vgdev)
{
	return vgdev->has_blob && !vgdev->has_virgl && READ_ONCE(dumb_blob);
}

/* Linux udmabuf's default limits: see "DOC: zero-copy scanout". */
#define VGPU_BLOB_MAP_MAX_ENTS	1024
#define VGPU_BLOB_MAP_MAX_SIZE	SZ_64M

/**
 * vgpu_blob_mappable() - whether the host can map a guest blob to show it
 * @size: the blob's size in bytes
 * @nents: its number of memory entries
 *
 * Context: any.
 * Return: true when the blob is within udmabuf's default limits.
 */
bool vgpu_blob_mappable(u64 size, u32 nents)
{
	return size <= VGPU_BLOB_MAP_MAX_SIZE && nents <= VGPU_BLOB_MAP_MAX_ENTS;
}

/*
 * A guest blob for a dumb buffer, with its pages given to the host; -E2BIG
 * when the host could not map it, before anything was sent.
 */
static int vgpu_bo_create_dumb_blob(struct vgpu_device *vgdev,
				    struct vgpu_bo *bo)
{
	struct virtio_gpu_mem_entry *ents;
	u32 nents;
	int ret;

	if (!vgpu_blob_mappable(bo->shmem.base.size, 0))
		return -E2BIG;
	ret = vgpu_bo_mem_entries(vgdev, bo, &ents, &nents);
	if (ret)
		return ret;
	if (!vgpu_blob_mappable(bo->shmem.base.size, nents)) {
		kvfree(ents);
		return -E2BIG;
	}
	bo->blob_mem = VIRTGPU_BLOB_MEM_GUEST;
	bo->blob_flags = VIRTGPU_BLOB_FLAG_USE_SHAREABLE;
	bo->recipe.kind = VGPU_RECIPE_BLOB;
	ret = vgpu_res_id_get(vgdev, bo);
	if (ret) {
		kvfree(ents);
		return ret;
	}
	return vgpu_cmd_create_blob(vgdev, bo, 0, 0, ents, nents);
}

/**
 * vgpu_dumb_create() - DRM_IOCTL_MODE_CREATE_DUMB
 * @file: the DRM file
 * @dev: the DRM device
 * @args: the request
 *
 * Only 32 bpp: that is what the host scans out. The size is not bounded
 * by the largest scanout: a dumb buffer may be larger than any mode (a
 * client's staging buffer, or IGT's probe for the largest allocation), and
 * ADDFB and the atomic check hold the scanout limits. The DRM core has
 * already refused a size that overflows 32 bits.
 *
 * Context: process context.
 * Return: 0 or a negative errno.
 */
int vgpu_dumb_create(struct drm_file *file, struct drm_device *dev,
		     struct drm_mode_create_dumb *args)
{
	struct vgpu_device *vgdev = to_vgdev(dev);
	struct vgpu_bo *bo;
	u32 pitch;
	u64 size;
	int ret;

	if (args->bpp != 32 || !args->width || !args->height)
		return -EINVAL;

	pitch = args->width * 4;
	size = PAGE_ALIGN((u64)pitch * args->height);

	bo = vgpu_bo_create(vgdev, size);
	if (IS_ERR(bo))
		return PTR_ERR(bo);
	bo->dumb = true;

	ret = vgpu_dumb_blobs(vgdev) ? vgpu_bo_create_dumb_blob(vgdev, bo) :
				       -E2BIG;
	if (ret == -E2BIG)
		ret = vgpu_bo_create_2d(vgdev, bo,
					VIRTIO_GPU_FORMAT_B8G8R8X8_UNORM,
					args->width, args->height);
	if (!ret)
		ret = drm_gem_handle_create(file, &bo->shmem.base, &args->handle);
	drm_gem_object_put(&bo->shmem.base);
	if (ret)
		return ret;

	args->pitch = pitch;
	args->size = size;
	return 0;
}
