// SPDX-License-Identifier: MIT
/*
 * Per-client usage, shown in the DRM fdinfo format.
 *
 * Copyright 2026 The virtio-gpu-ng authors
 */

#include <linux/slab.h>

#include <drm/drm_file.h>
#include <drm/drm_print.h>

#include "virtgpu_drv.h"

/**
 * DOC: per-client usage
 *
 * Each open file has a &struct vgpu_usage, which /proc/PID/fdinfo/FD
 * shows in the format of Documentation/gpu/drm-usage-stats.rst, so that
 * gputop and other generic tools see virtio-gpu clients:
 *
 * - ``drm-driver``, ``drm-client-id`` and ``drm-pdev`` come from the DRM
 *   core; the ``drm-*-memory`` keys from drm_show_memory_stats(). An
 *   object is resident when it has guest pages, or for host memory, once
 *   the host has mapped it into the device's memory window.
 * - ``drm-engine-render`` is the time during which at least one of the
 *   client's submissions (EXECBUFFER, NG_SUBMIT) was on the host: from
 *   the emission of its fence (its command enters the ring or the
 *   backlog, in ring order) to the fence's signal. Overlapping
 *   submissions count once, so the value never runs faster than the
 *   clock. The host does not say when it started a command, so time
 *   spent queued behind other clients' work counts as busy too.
 * - ``virtio-notifications``: notifications of the host that the
 *   client's fenced commands caused, by being submitted urgently or
 *   ending a batch, or by a wait on their fence.
 * - ``virtio-sync-waits``: times the client slept for the host: WAIT,
 *   the waits of NG_SUBMIT and NG_TRANSFER, a blob's mapping, and ioctls
 *   held back behind the client's own deferred submissions.
 * - ``virtio-bytes-to-host`` and ``virtio-bytes-from-host``: the bytes
 *   the client's TRANSFER_TO_HOST and TRANSFER_FROM_HOST boxes cover
 *   (NG_TRANSFER's included), counted as the device-wide statistics
 *   count them.
 *
 * Fences keep a reference to the usage they are charged to, because they
 * may be signalled long after the file is closed; the busy fields are
 * guarded by the device's fence lock, which is held anyway where a
 * fence is emitted or signalled.
 */

/**
 * vgpu_usage_new() - the usage record of a new file
 *
 * Context: process context.
 * Return: the record with one reference, or NULL.
 */
struct vgpu_usage *vgpu_usage_new(void)
{
	struct vgpu_usage *u = kzalloc(sizeof(*u), GFP_KERNEL);

	if (u)
		kref_init(&u->ref);
	return u;
}

static void vgpu_usage_release(struct kref *ref)
{
	kfree(container_of(ref, struct vgpu_usage, ref));
}

/**
 * vgpu_usage_put() - drop a reference
 * @u: a usage record, or NULL
 *
 * Context: any.
 */
void vgpu_usage_put(struct vgpu_usage *u)
{
	if (u)
		kref_put(&u->ref, vgpu_usage_release);
}

/**
 * vgpu_usage_busy_begin() - a submission of @u's client reached the host
 * @u: the usage record
 *
 * Context: the device's fence lock is held.
 */
void vgpu_usage_busy_begin(struct vgpu_usage *u)
{
	if (!u->busy_fences++)
		u->busy_since = ktime_get();
}

/**
 * vgpu_usage_busy_end() - a submission begun with vgpu_usage_busy_begin()
 * is done
 * @u: the usage record
 *
 * Context: the device's fence lock is held.
 */
void vgpu_usage_busy_end(struct vgpu_usage *u)
{
	if (!--u->busy_fences)
		u->busy_ns += ktime_to_ns(ktime_sub(ktime_get(), u->busy_since));
}

static u64 vgpu_usage_busy_ns(struct vgpu_device *vgdev, struct vgpu_usage *u)
{
	unsigned long flags;
	u64 ns;

	spin_lock_irqsave(&vgdev->fences.lock, flags);
	ns = u->busy_ns;
	if (u->busy_fences)
		ns += ktime_to_ns(ktime_sub(ktime_get(), u->busy_since));
	spin_unlock_irqrestore(&vgdev->fences.lock, flags);
	return ns;
}

/**
 * vgpu_show_fdinfo() - the driver's part of a file's fdinfo
 * @p: printer into the fdinfo file
 * @file: the DRM file
 *
 * Context: process context.
 */
void vgpu_show_fdinfo(struct drm_printer *p, struct drm_file *file)
{
	struct vgpu_device *vgdev = to_vgdev(file->minor->dev);
	struct vgpu_file *vfile = file->driver_priv;
	struct vgpu_usage *u = vfile->usage;

	drm_show_memory_stats(p, file);
	if (vgdev->has_virgl)
		drm_printf(p, "drm-engine-render:\t%llu ns\n",
			   vgpu_usage_busy_ns(vgdev, u));
	drm_printf(p, "virtio-notifications:\t%llu\n",
		   (u64)atomic64_read(&u->notifies));
	drm_printf(p, "virtio-sync-waits:\t%llu\n",
		   (u64)atomic64_read(&u->sync_waits));
	drm_printf(p, "virtio-bytes-to-host:\t%llu\n",
		   (u64)atomic64_read(&u->bytes_to_host));
	drm_printf(p, "virtio-bytes-from-host:\t%llu\n",
		   (u64)atomic64_read(&u->bytes_from_host));
}
