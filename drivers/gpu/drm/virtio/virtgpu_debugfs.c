// SPDX-License-Identifier: MIT
/*
 * debugfs: features and the command core's counters.
 *
 * Copyright 2026 The virtio-gpu-ng authors
 */

#include <linux/debugfs.h>
#include <linux/seq_file.h>
#include <linux/uaccess.h>

#include <drm/drm_debugfs.h>
#include <drm/drm_file.h>

#include <kunit/visibility.h>

#include "virtgpu_drv.h"

/*
 * Files under /sys/kernel/debug/dri/N/:
 *   virtio-gpu-features  what the host offers and what we use
 *   virtio-gpu-stats     counters, one "name value" per line; writing
 *                        anything resets them
 *   virtio-gpu-uuids     objects named for other virtio devices:
 *                        "res_id state [uuid]" per line
 */

static const char *const vgpu_stat_names[VGPU_STAT_COUNT] = {
	[VGPU_STAT_NOTIFY] = "notify",
	[VGPU_STAT_NOTIFY_SUPPRESSED] = "notify_suppressed",
	[VGPU_STAT_IRQ] = "irq",
	[VGPU_STAT_COMPLETED] = "completed",
	[VGPU_STAT_SYNC_WAIT] = "sync_wait",
	[VGPU_STAT_SYNC_WAIT_NS] = "sync_wait_ns",
	[VGPU_STAT_BYTES] = "bytes",
	[VGPU_STAT_RING_FULL] = "ring_full",
	[VGPU_STAT_ERROR_RESP] = "error_resp",
	[VGPU_STAT_DEFERRED] = "deferred",
	[VGPU_STAT_DEFER_WAIT] = "deferred_wait",
	[VGPU_STAT_RIDERS] = "riders",
	[VGPU_STAT_KMS_FENCE_WAIT] = "kms_fence_wait",
	[VGPU_STAT_KMS_FENCE_ORDERED] = "kms_fence_ordered",
	[VGPU_STAT_XFER_TO_HOST] = "xfer_to_host_bytes",
	[VGPU_STAT_XFER_FROM_HOST] = "xfer_from_host_bytes",
	[VGPU_STAT_NG_SUBMIT] = "ng_submit",
	[VGPU_STAT_NG_BLOB_CREATE] = "ng_blob_create",
	[VGPU_STAT_NG_TRANSFER] = "ng_transfer",
};

static const char *const vgpu_cmd_names[] = {
	"get_display_info", "resource_create_2d", "resource_unref",
	"set_scanout", "resource_flush", "transfer_to_host_2d",
	"resource_attach_backing", "resource_detach_backing",
	"get_capset_info", "get_capset", "get_edid", "resource_assign_uuid",
	"resource_create_blob", "set_scanout_blob",
	"ctx_create", "ctx_destroy", "ctx_attach_resource",
	"ctx_detach_resource", "resource_create_3d", "transfer_to_host_3d",
	"transfer_from_host_3d", "submit_3d", "resource_map_blob",
	"resource_unmap_blob",
	"update_cursor", "move_cursor",
};

/* One name per slot of vgpu_cmd_slot(), in its order. */
static_assert(ARRAY_SIZE(vgpu_cmd_names) == VGPU_CMD_TYPE_SLOTS);

/* The debugfs name of a slot of &vgpu_stats.cmd. */
VISIBLE_IF_KUNIT const char *vgpu_cmd_slot_name(unsigned int slot)
{
	return slot < ARRAY_SIZE(vgpu_cmd_names) ? vgpu_cmd_names[slot] : NULL;
}
EXPORT_SYMBOL_IF_KUNIT(vgpu_cmd_slot_name);

static int vgpu_features_show(struct seq_file *m, void *unused)
{
	struct drm_debugfs_entry *entry = m->private;
	struct vgpu_device *vgdev = to_vgdev(entry->dev);
	unsigned int i;

	seq_printf(m, "virgl %d\nedid %d\nresource_uuid %d\nresource_blob %d\n",
		   vgdev->has_virgl, vgdev->has_edid, vgdev->has_uuid,
		   vgdev->has_blob);
	seq_printf(m, "context_init %d\nhost_visible %d\nindirect %d\n",
		   vgdev->has_ctx_init, vgdev->has_host_visible,
		   vgdev->has_indirect);
	seq_printf(m, "event_idx %d\ndma_api %d\nscanouts %u\ncapsets %u\n",
		   vgdev->has_event_idx, vgdev->use_dma_api,
		   vgdev->num_scanouts, vgdev->num_capsets);
	for (i = 0; vgdev->capsets && i < vgdev->num_capsets; i++)
		seq_printf(m, "capset %u version %u size %u\n",
			   vgdev->capsets[i].id, vgdev->capsets[i].max_version,
			   vgdev->capsets[i].max_size);
	seq_printf(m, "dumb_blob %d\n", vgpu_dumb_blobs(vgdev));
	if (vgdev->has_host_visible)
		seq_printf(m, "host_visible_size %llu\n",
			   (unsigned long long)vgdev->host_visible.len);
	return 0;
}

static int vgpu_uuids_file_show(struct seq_file *m, void *unused)
{
	struct drm_debugfs_entry *entry = m->private;

	vgpu_uuids_show(m, to_vgdev(entry->dev));
	return 0;
}

/*
 * Host resources alive and the sizes of their objects, including those
 * whose RESOURCE_UNREF is still on its way and those only a mapping, a
 * dma-buf or a framebuffer keeps: what no file's fdinfo counts.
 */
static void vgpu_resources_show(struct seq_file *m, struct vgpu_device *vgdev)
{
	unsigned long id, n = 0;
	struct vgpu_bo *bo;
	u64 bytes = 0;

	xa_lock(&vgdev->resources);
	xa_for_each(&vgdev->resources, id, bo) {
		n++;
		bytes += bo->shmem.base.size;
	}
	xa_unlock(&vgdev->resources);
	seq_printf(m, "resources %lu\nresource_bytes %llu\n", n, bytes);
}

static int vgpu_stats_show(struct seq_file *m, void *unused)
{
	struct vgpu_device *vgdev = m->private;
	unsigned int i;

	for (i = 0; i < VGPU_STAT_COUNT; i++)
		seq_printf(m, "%s %lld\n", vgpu_stat_names[i],
			   atomic64_read(&vgdev->stats.ev[i]));
	for (i = 0; i < VGPU_CMD_TYPE_SLOTS; i++)
		seq_printf(m, "cmd_%s %lld\n", vgpu_cmd_slot_name(i),
			   atomic64_read(&vgdev->stats.cmd[i]));
	seq_printf(m, "inflight_ctrl %d\ninflight_cursor %d\n",
		   atomic_read(&vgdev->ctrlq.inflight),
		   atomic_read(&vgdev->cursorq.inflight));
	vgpu_resources_show(m, vgdev);
	return 0;
}

static int vgpu_stats_open(struct inode *inode, struct file *file)
{
	return single_open(file, vgpu_stats_show, inode->i_private);
}

static ssize_t vgpu_stats_write(struct file *file, const char __user *buf,
				size_t len, loff_t *ppos)
{
	struct vgpu_device *vgdev = file_inode(file)->i_private;
	unsigned int i;

	for (i = 0; i < VGPU_STAT_COUNT; i++)
		atomic64_set(&vgdev->stats.ev[i], 0);
	for (i = 0; i < VGPU_CMD_TYPE_SLOTS; i++)
		atomic64_set(&vgdev->stats.cmd[i], 0);
	return len;
}

static const struct file_operations vgpu_stats_fops = {
	.owner = THIS_MODULE,
	.open = vgpu_stats_open,
	.read = seq_read,
	.llseek = seq_lseek,
	.release = single_release,
	.write = vgpu_stats_write,
};

static const struct drm_debugfs_info vgpu_debugfs_list[] = {
	{ "virtio-gpu-features", vgpu_features_show },
	{ "virtio-gpu-uuids", vgpu_uuids_file_show },
};

/**
 * vgpu_debugfs_init() - create our debugfs files on a DRM minor
 * @minor: the minor
 *
 * Context: process context.
 */
void vgpu_debugfs_init(struct drm_minor *minor)
{
	struct vgpu_device *vgdev = to_vgdev(minor->dev);

	drm_debugfs_add_files(minor->dev, vgpu_debugfs_list,
			      ARRAY_SIZE(vgpu_debugfs_list));
	debugfs_create_file("virtio-gpu-stats", 0644, minor->debugfs_root,
			    vgdev, &vgpu_stats_fops);
}
