// SPDX-License-Identifier: MIT
/*
 * Encoders for each virtio-gpu command: they fill in the wire format and
 * hand the command to the command core (virtgpu_vq.c).
 *
 * Copyright 2026 The virtio-gpu-ng authors
 */

#include <linux/slab.h>
#include <linux/string.h>

#include <drm/drm_fourcc.h>
#include <drm/drm_framebuffer.h>
#include <drm/drm_gem.h>
#include <drm/drm_managed.h>
#include <drm/drm_print.h>

#include "virtgpu_drv.h"

/* Allocates a command of @type and points @req at its request body. */
#define vgpu_new_req(vgdev, type, req) ({				\
	typeof(req) *__reqp = &(req);					\
	vgpu_cmd_new_req(vgdev, type, sizeof(**__reqp), (void **)__reqp); \
})

static struct vgpu_cmd *vgpu_cmd_new_req(struct vgpu_device *vgdev, u32 type,
					 size_t len, void **req)
{
	struct vgpu_cmd *cmd = vgpu_cmd_new(vgdev, type, len);

	*req = cmd ? cmd->req.bytes : NULL;
	return cmd;
}

/*
 * Submits a command of a KMS update (upload, scanout, flush). When the
 * frame it shows was rendered by a submission still on its way through
 * the host (@after_render, "DOC: present ordering" in virtgpu_plane.c), it
 * carries a fence of the kernel timeline although nobody waits for it: the
 * host then holds its answer back until the GL work before it is done, and
 * answers it together with the frame's own fenced submission, which costs
 * one interrupt a frame instead of two. Without such a frame the fence
 * would only cost the host a GL fence of its own. Where the fence cannot
 * be had, the command goes without.
 */
static int vgpu_cmd_submit_display(struct vgpu_device *vgdev,
				   struct vgpu_cmd *cmd, bool after_render)
{
	struct vgpu_fence *fence = NULL;
	int ret;

	if (after_render && vgdev->has_virgl) {
		fence = vgpu_fence_alloc(vgdev, vgdev->fences.kernel_timeline, 0,
					 false, false);
		if (fence)
			fence->host_inline = true;
	}
	ret = vgpu_cmd_submit(vgdev, cmd, fence);
	if (fence)
		dma_fence_put(&fence->base);
	return ret;
}

/**
 * vgpu_cmd_create_2d() - RESOURCE_CREATE_2D for @bo
 * @vgdev: the device
 * @bo: object whose res_id names the resource
 * @format: VIRTIO_GPU_FORMAT_*
 * @width: width in pixels
 * @height: height in pixels
 *
 * Context: process context.
 * Return: 0 or a negative errno.
 */
int vgpu_cmd_create_2d(struct vgpu_device *vgdev, struct vgpu_bo *bo,
		       u32 format, u32 width, u32 height)
{
	struct virtio_gpu_resource_create_2d *req;
	struct vgpu_cmd *cmd;

	cmd = vgpu_new_req(vgdev, VIRTIO_GPU_CMD_RESOURCE_CREATE_2D, req);
	if (!cmd)
		return -ENOMEM;
	req->resource_id = cpu_to_le32(bo->res_id);
	req->format = cpu_to_le32(format);
	req->width = cpu_to_le32(width);
	req->height = cpu_to_le32(height);
	return vgpu_cmd_submit(vgdev, cmd, NULL);
}

/**
 * vgpu_cmd_create_3d() - RESOURCE_CREATE_3D for @bo
 * @vgdev: the device
 * @bo: object whose res_id names the resource
 * @rc: the parameters userspace asked for
 * @ctx_id: context to charge, or 0
 * @fence: fence to signal when created, or NULL
 *
 * Context: process context.
 * Return: 0 or a negative errno.
 */
int vgpu_cmd_create_3d(struct vgpu_device *vgdev, struct vgpu_bo *bo,
		       const struct drm_virtgpu_resource_create *rc,
		       u32 ctx_id, struct vgpu_fence *fence)
{
	struct virtio_gpu_resource_create_3d *req;
	struct vgpu_cmd *cmd;

	cmd = vgpu_new_req(vgdev, VIRTIO_GPU_CMD_RESOURCE_CREATE_3D, req);
	if (!cmd)
		return -ENOMEM;
	req->hdr.ctx_id = cpu_to_le32(ctx_id);
	req->resource_id = cpu_to_le32(bo->res_id);
	req->target = cpu_to_le32(rc->target);
	req->format = cpu_to_le32(rc->format);
	req->bind = cpu_to_le32(rc->bind);
	req->width = cpu_to_le32(rc->width);
	req->height = cpu_to_le32(rc->height);
	req->depth = cpu_to_le32(rc->depth);
	req->array_size = cpu_to_le32(rc->array_size);
	req->last_level = cpu_to_le32(rc->last_level);
	req->nr_samples = cpu_to_le32(rc->nr_samples);
	req->flags = cpu_to_le32(rc->flags);
	return vgpu_cmd_submit(vgdev, cmd, fence);
}

/**
 * vgpu_cmd_unref() - RESOURCE_UNREF, then @done once the host let go
 * @vgdev: the device
 * @bo: the object; @done receives it in cmd->priv
 * @done: completion callback that frees what the host no longer uses
 *
 * Context: process context.
 * Return: 0 or a negative errno; @done runs in either case.
 */
int vgpu_cmd_unref(struct vgpu_device *vgdev, struct vgpu_bo *bo,
		   vgpu_cmd_done_t done)
{
	struct virtio_gpu_resource_unref *req;
	struct vgpu_cmd *cmd;

	cmd = vgpu_new_req(vgdev, VIRTIO_GPU_CMD_RESOURCE_UNREF, req);
	if (!cmd)
		return -ENOMEM;
	req->resource_id = cpu_to_le32(bo->res_id);
	cmd->done = done;
	cmd->priv = bo;
	return vgpu_cmd_submit(vgdev, cmd, NULL);
}

/**
 * vgpu_cmd_attach_backing() - RESOURCE_ATTACH_BACKING with guest pages
 * @vgdev: the device
 * @bo: the object
 * @ents: kvmalloc'ed memory entries; the command takes ownership
 * @nents: number of entries
 * @fence: fence to signal when attached, or NULL
 *
 * Context: process context.
 * Return: 0 or a negative errno.
 */
int vgpu_cmd_attach_backing(struct vgpu_device *vgdev, struct vgpu_bo *bo,
			    struct virtio_gpu_mem_entry *ents, u32 nents,
			    struct vgpu_fence *fence)
{
	struct virtio_gpu_resource_attach_backing *req;
	struct vgpu_cmd *cmd;

	cmd = vgpu_new_req(vgdev, VIRTIO_GPU_CMD_RESOURCE_ATTACH_BACKING, req);
	if (!cmd) {
		kvfree(ents);
		return -ENOMEM;
	}
	req->resource_id = cpu_to_le32(bo->res_id);
	req->nr_entries = cpu_to_le32(nents);
	cmd->payload = ents;
	cmd->payload_len = nents * sizeof(*ents);
	cmd->payload_owned = true;
	return vgpu_cmd_submit(vgdev, cmd, fence);
}

static void vgpu_rect_set(struct virtio_gpu_rect *r, u32 x, u32 y,
			  u32 w, u32 h)
{
	r->x = cpu_to_le32(x);
	r->y = cpu_to_le32(y);
	r->width = cpu_to_le32(w);
	r->height = cpu_to_le32(h);
}

/**
 * vgpu_cmd_set_scanout() - show resource @res_id on scanout @scanout
 * @vgdev: the device
 * @scanout: scanout index
 * @res_id: resource, 0 to disable the scanout
 * @x: source x in the resource
 * @y: source y in the resource
 * @w: width
 * @h: height
 * @after_render: the resource's latest rendering is still in flight
 *
 * Context: process context.
 * Return: 0 or a negative errno.
 */
int vgpu_cmd_set_scanout(struct vgpu_device *vgdev, u32 scanout, u32 res_id,
			 u32 x, u32 y, u32 w, u32 h, bool after_render)
{
	struct virtio_gpu_set_scanout *req;
	struct vgpu_cmd *cmd;

	cmd = vgpu_new_req(vgdev, VIRTIO_GPU_CMD_SET_SCANOUT, req);
	if (!cmd)
		return -ENOMEM;
	req->scanout_id = cpu_to_le32(scanout);
	req->resource_id = cpu_to_le32(res_id);
	vgpu_rect_set(&req->r, x, y, w, h);
	return vgpu_cmd_submit_display(vgdev, cmd, after_render);
}

/**
 * vgpu_cmd_resource_flush() - RESOURCE_FLUSH of a rectangle of @bo
 * @vgdev: the device
 * @bo: the object being scanned out
 * @x: left
 * @y: top
 * @w: width
 * @h: height
 * @after_render: the latest rendering into @bo is still in flight
 *
 * Context: process context.
 * Return: 0 or a negative errno.
 */
int vgpu_cmd_resource_flush(struct vgpu_device *vgdev, struct vgpu_bo *bo,
			    u32 x, u32 y, u32 w, u32 h, bool after_render)
{
	struct vgpu_cmd *cmd = vgpu_cmd_new_resource_flush(vgdev);

	if (!cmd)
		return -ENOMEM;
	vgpu_cmd_fill_resource_flush(cmd, bo->res_id, x, y, w, h);
	return vgpu_cmd_submit_display(vgdev, cmd, after_render);
}

/**
 * vgpu_cmd_new_resource_flush() - a RESOURCE_FLUSH to fill and send later
 * @vgdev: the device
 *
 * Context: process context.
 * Return: the command, or NULL without memory.
 */
struct vgpu_cmd *vgpu_cmd_new_resource_flush(struct vgpu_device *vgdev)
{
	struct virtio_gpu_resource_flush *req;

	return vgpu_new_req(vgdev, VIRTIO_GPU_CMD_RESOURCE_FLUSH, req);
}

/**
 * vgpu_cmd_fill_resource_flush() - (re)write what a RESOURCE_FLUSH shows
 * @cmd: from vgpu_cmd_new_resource_flush(), not in the ring
 * @res_id: the resource
 * @x: left
 * @y: top
 * @w: width
 * @h: height
 *
 * Context: any, panic included: only the request is written.
 */
void vgpu_cmd_fill_resource_flush(struct vgpu_cmd *cmd, u32 res_id,
				  u32 x, u32 y, u32 w, u32 h)
{
	struct virtio_gpu_resource_flush *req = (void *)cmd->req.bytes;

	req->resource_id = cpu_to_le32(res_id);
	vgpu_rect_set(&req->r, x, y, w, h);
}

/**
 * vgpu_cmd_transfer_2d() - TRANSFER_TO_HOST_2D of a rectangle of @bo
 * @vgdev: the device
 * @bo: the object
 * @offset: byte offset of the rectangle in the backing
 * @x: left
 * @y: top
 * @w: width
 * @h: height
 * @fence: fence to signal when copied, or NULL
 *
 * Context: process context.
 * Return: 0 or a negative errno.
 */
int vgpu_cmd_transfer_2d(struct vgpu_device *vgdev, struct vgpu_bo *bo,
			 u64 offset, u32 x, u32 y, u32 w, u32 h,
			 struct vgpu_fence *fence)
{
	struct vgpu_cmd *cmd = vgpu_cmd_new_transfer_2d(vgdev);

	if (!cmd)
		return -ENOMEM;
	vgpu_cmd_fill_transfer_2d(cmd, bo->res_id, offset, x, y, w, h);
	vgpu_stat_add(vgdev, VGPU_STAT_XFER_TO_HOST, vgpu_box_bytes_2d(w, h));
	return vgpu_cmd_submit(vgdev, cmd, fence);
}

/**
 * vgpu_cmd_new_transfer_2d() - a TRANSFER_TO_HOST_2D to fill and send later
 * @vgdev: the device
 *
 * Context: process context.
 * Return: the command, or NULL without memory.
 */
struct vgpu_cmd *vgpu_cmd_new_transfer_2d(struct vgpu_device *vgdev)
{
	struct virtio_gpu_transfer_to_host_2d *req;

	return vgpu_new_req(vgdev, VIRTIO_GPU_CMD_TRANSFER_TO_HOST_2D, req);
}

/**
 * vgpu_cmd_fill_transfer_2d() - (re)write what a TRANSFER_TO_HOST_2D copies
 * @cmd: from vgpu_cmd_new_transfer_2d(), not in the ring
 * @res_id: the resource
 * @offset: byte offset of the rectangle in the backing
 * @x: left
 * @y: top
 * @w: width
 * @h: height
 *
 * Context: any, panic included: only the request is written.
 */
void vgpu_cmd_fill_transfer_2d(struct vgpu_cmd *cmd, u32 res_id, u64 offset,
			       u32 x, u32 y, u32 w, u32 h)
{
	struct virtio_gpu_transfer_to_host_2d *req = (void *)cmd->req.bytes;

	req->resource_id = cpu_to_le32(res_id);
	req->offset = cpu_to_le64(offset);
	vgpu_rect_set(&req->r, x, y, w, h);
}

/**
 * vgpu_cmd_transfer_3d() - TRANSFER_TO_HOST_3D or TRANSFER_FROM_HOST_3D
 * @vgdev: the device
 * @bo: the object
 * @to_host: direction
 * @ctx_id: context on whose behalf
 * @box: region
 * @level: mip level
 * @offset: byte offset in the backing
 * @stride: row stride, 0 for packed
 * @layer_stride: layer stride, 0 for packed
 * @fence: fence to signal when copied, or NULL
 *
 * Context: process context.
 * Return: 0 or a negative errno.
 */
int vgpu_cmd_transfer_3d(struct vgpu_device *vgdev, struct vgpu_bo *bo,
			 bool to_host, u32 ctx_id, const struct vgpu_box *box,
			 u32 level, u64 offset, u32 stride, u32 layer_stride,
			 struct vgpu_fence *fence)
{
	struct virtio_gpu_transfer_host_3d *req;
	struct vgpu_cmd *cmd;

	cmd = vgpu_new_req(vgdev, to_host ? VIRTIO_GPU_CMD_TRANSFER_TO_HOST_3D :
			   VIRTIO_GPU_CMD_TRANSFER_FROM_HOST_3D, req);
	if (!cmd)
		return -ENOMEM;
	req->hdr.ctx_id = cpu_to_le32(ctx_id);
	req->resource_id = cpu_to_le32(bo->res_id);
	req->box.x = cpu_to_le32(box->x);
	req->box.y = cpu_to_le32(box->y);
	req->box.z = cpu_to_le32(box->z);
	req->box.w = cpu_to_le32(box->w);
	req->box.h = cpu_to_le32(box->h);
	req->box.d = cpu_to_le32(box->d);
	req->level = cpu_to_le32(level);
	req->offset = cpu_to_le64(offset);
	req->stride = cpu_to_le32(stride);
	req->layer_stride = cpu_to_le32(layer_stride);
	vgpu_stat_add(vgdev, to_host ? VGPU_STAT_XFER_TO_HOST :
		      VGPU_STAT_XFER_FROM_HOST, vgpu_box_bytes_3d(box, stride));
	return vgpu_cmd_submit(vgdev, cmd, fence);
}

/*
 * Sends a query and sleeps until its answer (@resp_len bytes) is in
 * cmd->resp. The caller still holds @cmd and puts it.
 */
static int vgpu_cmd_query(struct vgpu_device *vgdev, struct vgpu_cmd *cmd,
			  size_t resp_len)
{
	int ret = vgpu_cmd_want_resp(cmd, resp_len);

	return ret ? ret : vgpu_cmd_submit_wait(vgdev, cmd);
}

/**
 * vgpu_cmd_get_display_info() - read the host's scanout layout
 * @vgdev: the device
 *
 * Updates outputs[].info. Sleeps for the answer: KMS needs it to build
 * modes.
 *
 * Context: process context, may sleep.
 * Return: 0 or a negative errno.
 */
int vgpu_cmd_get_display_info(struct vgpu_device *vgdev)
{
	struct virtio_gpu_resp_display_info *resp;
	struct virtio_gpu_ctrl_hdr *req;
	struct vgpu_cmd *cmd;
	unsigned int i;
	int ret;

	cmd = vgpu_new_req(vgdev, VIRTIO_GPU_CMD_GET_DISPLAY_INFO, req);
	if (!cmd)
		return -ENOMEM;
	ret = vgpu_cmd_query(vgdev, cmd, sizeof(*resp));
	if (!ret) {
		resp = cmd->resp;
		mutex_lock(&vgdev->display_lock);
		for (i = 0; i < vgdev->num_scanouts; i++)
			vgdev->outputs[i].info = resp->pmodes[i];
		mutex_unlock(&vgdev->display_lock);
	}
	vgpu_cmd_put(cmd);
	return ret;
}

/**
 * vgpu_cmd_get_edid() - read the EDID of one scanout
 * @vgdev: the device
 * @scanout: scanout index
 *
 * Context: process context, may sleep.
 * Return: 0 or a negative errno.
 */
int vgpu_cmd_get_edid(struct vgpu_device *vgdev, u32 scanout)
{
	const struct drm_edid *edid = NULL, *old;
	struct virtio_gpu_cmd_get_edid *req;
	struct virtio_gpu_resp_edid *resp;
	struct vgpu_cmd *cmd;
	int ret;

	cmd = vgpu_new_req(vgdev, VIRTIO_GPU_CMD_GET_EDID, req);
	if (!cmd)
		return -ENOMEM;
	req->scanout = cpu_to_le32(scanout);
	ret = vgpu_cmd_query(vgdev, cmd, sizeof(*resp));
	if (!ret) {
		u32 size;

		resp = cmd->resp;
		size = min_t(u32, le32_to_cpu(resp->size), sizeof(resp->edid));
		if (size)
			edid = drm_edid_alloc(resp->edid, size);
		mutex_lock(&vgdev->display_lock);
		old = vgdev->outputs[scanout].edid;
		vgdev->outputs[scanout].edid = edid;
		mutex_unlock(&vgdev->display_lock);
		drm_edid_free(old);
	}
	vgpu_cmd_put(cmd);
	return ret;
}

/**
 * vgpu_cmd_get_capset_info() - read what capset slot @index holds
 * @vgdev: the device
 * @index: 0 to num_capsets - 1
 *
 * Context: process context, may sleep.
 * Return: 0 or a negative errno.
 */
int vgpu_cmd_get_capset_info(struct vgpu_device *vgdev, u32 index)
{
	struct virtio_gpu_resp_capset_info *resp;
	struct virtio_gpu_get_capset_info *req;
	struct vgpu_cmd *cmd;
	int ret;

	cmd = vgpu_new_req(vgdev, VIRTIO_GPU_CMD_GET_CAPSET_INFO, req);
	if (!cmd)
		return -ENOMEM;
	req->capset_index = cpu_to_le32(index);
	ret = vgpu_cmd_query(vgdev, cmd, sizeof(*resp));
	if (!ret) {
		resp = cmd->resp;
		vgdev->capsets[index].id = le32_to_cpu(resp->capset_id);
		vgdev->capsets[index].max_version =
			le32_to_cpu(resp->capset_max_version);
		vgdev->capsets[index].max_size =
			le32_to_cpu(resp->capset_max_size);
	}
	vgpu_cmd_put(cmd);
	return ret;
}

/**
 * vgpu_cmd_get_capset() - read a capset's data
 * @vgdev: the device
 * @id: capset id
 * @version: capset version
 * @data: out, kmalloc'ed copy of the data; the caller frees it
 * @size: in, expected size; out, size of @data
 *
 * Context: process context, may sleep.
 * Return: 0 or a negative errno.
 */
int vgpu_cmd_get_capset(struct vgpu_device *vgdev, u32 id, u32 version,
			void **data, u32 *size)
{
	struct virtio_gpu_resp_capset *resp;
	struct virtio_gpu_get_capset *req;
	struct vgpu_cmd *cmd;
	int ret;

	cmd = vgpu_new_req(vgdev, VIRTIO_GPU_CMD_GET_CAPSET, req);
	if (!cmd)
		return -ENOMEM;
	req->capset_id = cpu_to_le32(id);
	req->capset_version = cpu_to_le32(version);
	ret = vgpu_cmd_query(vgdev, cmd, sizeof(*resp) + *size);
	if (!ret) {
		resp = cmd->resp;
		*data = kmemdup(resp->capset_data, *size, GFP_KERNEL);
		if (!*data)
			ret = -ENOMEM;
	}
	vgpu_cmd_put(cmd);
	return ret;
}

/**
 * vgpu_cmd_ctx_create() - CTX_CREATE
 * @vgdev: the device
 * @ctx_id: new context id
 * @context_init: capset id and flags (VIRTIO_GPU_F_CONTEXT_INIT), or 0
 * @name: debug name
 * @nlen: length of @name, at most 64
 *
 * Context: process context.
 * Return: 0 or a negative errno.
 */
int vgpu_cmd_ctx_create(struct vgpu_device *vgdev, u32 ctx_id,
			u32 context_init, const char *name, u32 nlen)
{
	struct virtio_gpu_ctx_create *req;
	struct vgpu_cmd *cmd;

	cmd = vgpu_new_req(vgdev, VIRTIO_GPU_CMD_CTX_CREATE, req);
	if (!cmd)
		return -ENOMEM;
	nlen = min_t(u32, nlen, sizeof(req->debug_name));
	req->hdr.ctx_id = cpu_to_le32(ctx_id);
	req->nlen = cpu_to_le32(nlen);
	req->context_init = cpu_to_le32(context_init);
	memcpy(req->debug_name, name, nlen);
	return vgpu_cmd_submit(vgdev, cmd, NULL);
}

/**
 * vgpu_cmd_new_ctx_destroy() - build a CTX_DESTROY
 * @vgdev: the device
 * @ctx_id: the context
 *
 * Built by the file's release, sent after the file's deferred commands.
 *
 * Context: process context.
 * Return: the command, or NULL when out of memory.
 */
struct vgpu_cmd *vgpu_cmd_new_ctx_destroy(struct vgpu_device *vgdev,
					  u32 ctx_id)
{
	struct virtio_gpu_ctx_destroy *req;
	struct vgpu_cmd *cmd;

	cmd = vgpu_new_req(vgdev, VIRTIO_GPU_CMD_CTX_DESTROY, req);
	if (cmd)
		req->hdr.ctx_id = cpu_to_le32(ctx_id);
	return cmd;
}

/**
 * vgpu_cmd_new_ctx_resource() - build a CTX_ATTACH or CTX_DETACH_RESOURCE
 * @vgdev: the device
 * @ctx_id: the context
 * @bo: the object
 * @attach: direction
 *
 * Submitted with vgpu_file_submit(), behind the file's deferred commands.
 *
 * Context: process context.
 * Return: the command, or NULL when out of memory.
 */
struct vgpu_cmd *vgpu_cmd_new_ctx_resource(struct vgpu_device *vgdev,
					   u32 ctx_id, struct vgpu_bo *bo,
					   bool attach)
{
	struct virtio_gpu_ctx_resource *req;
	struct vgpu_cmd *cmd;

	cmd = vgpu_new_req(vgdev, attach ? VIRTIO_GPU_CMD_CTX_ATTACH_RESOURCE :
			   VIRTIO_GPU_CMD_CTX_DETACH_RESOURCE, req);
	if (!cmd)
		return NULL;
	req->hdr.ctx_id = cpu_to_le32(ctx_id);
	req->resource_id = cpu_to_le32(bo->res_id);
	return cmd;
}

/**
 * vgpu_cmd_new_submit_3d() - build a SUBMIT_3D of a command stream
 * @vgdev: the device
 * @ctx_id: the context
 * @stream: kvmalloc'ed stream; the command takes ownership on success
 * @size: its size in bytes
 *
 * The caller adds objects (vgpu_cmd_attach_objs()), sets how it travels
 * (vgpu_cmd_stream_policy()) for a stream of userspace, and submits it.
 *
 * Context: process context.
 * Return: the command, or NULL when out of memory (@stream is not taken).
 */
struct vgpu_cmd *vgpu_cmd_new_submit_3d(struct vgpu_device *vgdev, u32 ctx_id,
					void *stream, u32 size)
{
	struct virtio_gpu_cmd_submit *req;
	struct vgpu_cmd *cmd;

	cmd = vgpu_new_req(vgdev, VIRTIO_GPU_CMD_SUBMIT_3D, req);
	if (!cmd)
		return NULL;
	req->hdr.ctx_id = cpu_to_le32(ctx_id);
	req->size = cpu_to_le32(size);
	cmd->payload = stream;
	cmd->payload_len = size;
	cmd->payload_owned = true;
	return cmd;
}

/**
 * vgpu_cmd_submit_3d() - SUBMIT_3D of a stream that needs no fence
 * @vgdev: the device
 * @ctx_id: the context
 * @stream: kvmalloc'ed stream; taken in every case
 * @size: its size in bytes
 *
 * Context: process context.
 * Return: 0 or a negative errno.
 */
int vgpu_cmd_submit_3d(struct vgpu_device *vgdev, u32 ctx_id, void *stream,
		       u32 size)
{
	struct vgpu_cmd *cmd;

	cmd = vgpu_cmd_new_submit_3d(vgdev, ctx_id, stream, size);
	if (!cmd) {
		kvfree(stream);
		return -ENOMEM;
	}
	return vgpu_cmd_submit(vgdev, cmd, NULL);
}

/**
 * vgpu_cmd_create_blob() - RESOURCE_CREATE_BLOB for @bo
 * @vgdev: the device
 * @bo: object with res_id, blob_mem and blob_flags set
 * @ctx_id: context that owns @blob_id, or 0
 * @blob_id: context-defined id of the host allocation
 * @ents: kvmalloc'ed guest pages for guest-backed blobs, or NULL; taken
 * @nents: number of entries
 *
 * Context: process context.
 * Return: 0 or a negative errno.
 */
int vgpu_cmd_create_blob(struct vgpu_device *vgdev, struct vgpu_bo *bo,
			 u32 ctx_id, u64 blob_id,
			 struct virtio_gpu_mem_entry *ents, u32 nents)
{
	struct virtio_gpu_resource_create_blob *req;
	struct vgpu_cmd *cmd;

	cmd = vgpu_new_req(vgdev, VIRTIO_GPU_CMD_RESOURCE_CREATE_BLOB, req);
	if (!cmd) {
		kvfree(ents);
		return -ENOMEM;
	}
	req->hdr.ctx_id = cpu_to_le32(ctx_id);
	req->resource_id = cpu_to_le32(bo->res_id);
	req->blob_mem = cpu_to_le32(bo->blob_mem);
	req->blob_flags = cpu_to_le32(bo->blob_flags);
	req->blob_id = cpu_to_le64(blob_id);
	req->size = cpu_to_le64(bo->shmem.base.size);
	req->nr_entries = cpu_to_le32(nents);
	if (nents) {
		cmd->payload = ents;
		cmd->payload_len = nents * sizeof(*ents);
		cmd->payload_owned = true;
	}
	return vgpu_cmd_submit(vgdev, cmd, NULL);
}

/*
 * Sends @cmd, whose answer (@resp_len bytes) about @bo goes to @done.
 * The command is dropped, and @done never runs, if the answer buffer
 * cannot be allocated.
 */
static int vgpu_cmd_submit_for_bo(struct vgpu_device *vgdev,
				  struct vgpu_cmd *cmd, struct vgpu_bo *bo,
				  size_t resp_len, vgpu_cmd_done_t done)
{
	int ret = vgpu_cmd_want_resp(cmd, resp_len);

	if (ret) {
		vgpu_cmd_put(cmd);
		return ret;
	}
	cmd->done = done;
	cmd->priv = bo;
	return vgpu_cmd_submit(vgdev, cmd, NULL);
}

/**
 * vgpu_cmd_map_blob() - RESOURCE_MAP_BLOB into the host-visible window
 * @vgdev: the device
 * @bo: a vram object; @done receives it in cmd->priv
 * @offset: offset in the window
 * @done: gets the answer (struct virtio_gpu_resp_map_info in cmd->resp)
 *
 * Context: process context.
 * Return: 0 or a negative errno; @done runs unless the allocation failed.
 */
int vgpu_cmd_map_blob(struct vgpu_device *vgdev, struct vgpu_bo *bo,
		      u64 offset, vgpu_cmd_done_t done)
{
	struct virtio_gpu_resource_map_blob *req;
	struct vgpu_cmd *cmd;

	cmd = vgpu_new_req(vgdev, VIRTIO_GPU_CMD_RESOURCE_MAP_BLOB, req);
	if (!cmd)
		return -ENOMEM;
	req->resource_id = cpu_to_le32(bo->res_id);
	req->offset = cpu_to_le64(offset);
	return vgpu_cmd_submit_for_bo(vgdev, cmd, bo,
				      sizeof(struct virtio_gpu_resp_map_info),
				      done);
}

/**
 * vgpu_cmd_assign_uuid() - RESOURCE_ASSIGN_UUID
 * @vgdev: the device
 * @bo: the object; @done receives it in cmd->priv
 * @done: gets the answer (struct virtio_gpu_resp_resource_uuid in cmd->resp)
 *
 * Context: process context.
 * Return: 0 or a negative errno; @done runs unless it is -ENOMEM.
 */
int vgpu_cmd_assign_uuid(struct vgpu_device *vgdev, struct vgpu_bo *bo,
			 vgpu_cmd_done_t done)
{
	struct virtio_gpu_resource_assign_uuid *req;
	struct vgpu_cmd *cmd;

	cmd = vgpu_new_req(vgdev, VIRTIO_GPU_CMD_RESOURCE_ASSIGN_UUID, req);
	if (!cmd)
		return -ENOMEM;
	req->resource_id = cpu_to_le32(bo->res_id);
	return vgpu_cmd_submit_for_bo(vgdev, cmd, bo,
				      sizeof(struct virtio_gpu_resp_resource_uuid),
				      done);
}

/**
 * vgpu_cmd_unmap_blob() - RESOURCE_UNMAP_BLOB
 * @vgdev: the device
 * @bo: a mapped vram object
 *
 * Context: process context.
 * Return: 0 or a negative errno.
 */
int vgpu_cmd_unmap_blob(struct vgpu_device *vgdev, struct vgpu_bo *bo)
{
	struct virtio_gpu_resource_unmap_blob *req;
	struct vgpu_cmd *cmd;

	cmd = vgpu_new_req(vgdev, VIRTIO_GPU_CMD_RESOURCE_UNMAP_BLOB, req);
	if (!cmd)
		return -ENOMEM;
	req->resource_id = cpu_to_le32(bo->res_id);
	return vgpu_cmd_submit(vgdev, cmd, NULL);
}

static u32 vgpu_fourcc_to_format(u32 fourcc)
{
	switch (fourcc) {
	case DRM_FORMAT_XRGB8888:
		return VIRTIO_GPU_FORMAT_B8G8R8X8_UNORM;
	case DRM_FORMAT_ARGB8888:
		return VIRTIO_GPU_FORMAT_B8G8R8A8_UNORM;
	default:
		return 0;
	}
}

/**
 * vgpu_cmd_set_scanout_blob() - show a guest blob with its layout
 * @vgdev: the device
 * @scanout: scanout index
 * @bo: a blob object
 * @fb: the framebuffer that gives format, pitches and offsets
 * @x: source x
 * @y: source y
 * @w: width
 * @h: height
 *
 * Context: process context.
 * Return: 0 or a negative errno.
 */
int vgpu_cmd_set_scanout_blob(struct vgpu_device *vgdev, u32 scanout,
			      struct vgpu_bo *bo,
			      const struct drm_framebuffer *fb,
			      u32 x, u32 y, u32 w, u32 h)
{
	struct virtio_gpu_set_scanout_blob *req;
	struct vgpu_cmd *cmd;
	unsigned int i;

	cmd = vgpu_new_req(vgdev, VIRTIO_GPU_CMD_SET_SCANOUT_BLOB, req);
	if (!cmd)
		return -ENOMEM;
	req->scanout_id = cpu_to_le32(scanout);
	req->resource_id = cpu_to_le32(bo->res_id);
	req->format = cpu_to_le32(vgpu_fourcc_to_format(fb->format->format));
	req->width = cpu_to_le32(fb->width);
	req->height = cpu_to_le32(fb->height);
	for (i = 0; i < ARRAY_SIZE(req->strides); i++) {
		req->strides[i] = cpu_to_le32(fb->pitches[i]);
		req->offsets[i] = cpu_to_le32(fb->offsets[i]);
	}
	vgpu_rect_set(&req->r, x, y, w, h);
	return vgpu_cmd_submit(vgdev, cmd, NULL);
}

/**
 * vgpu_cmd_cursor() - UPDATE_CURSOR or MOVE_CURSOR on the cursor queue
 * @vgdev: the device
 * @update: new image (UPDATE) rather than a move
 * @scanout: scanout index
 * @x: position
 * @y: position
 * @res_id: cursor resource for an update, 0 hides the cursor
 * @hot_x: hotspot for an update
 * @hot_y: hotspot for an update
 *
 * Context: process context.
 * Return: 0 or a negative errno.
 */
int vgpu_cmd_cursor(struct vgpu_device *vgdev, bool update, u32 scanout,
		    u32 x, u32 y, u32 res_id, u32 hot_x, u32 hot_y)
{
	struct virtio_gpu_update_cursor *req;
	struct vgpu_cmd *cmd;

	cmd = vgpu_new_req(vgdev, update ? VIRTIO_GPU_CMD_UPDATE_CURSOR :
			   VIRTIO_GPU_CMD_MOVE_CURSOR, req);
	if (!cmd)
		return -ENOMEM;
	req->pos.scanout_id = cpu_to_le32(scanout);
	req->pos.x = cpu_to_le32(x);
	req->pos.y = cpu_to_le32(y);
	if (update) {
		req->resource_id = cpu_to_le32(res_id);
		req->hot_x = cpu_to_le32(hot_x);
		req->hot_y = cpu_to_le32(hot_y);
	}
	return vgpu_cmd_submit_cursor(vgdev, cmd);
}
