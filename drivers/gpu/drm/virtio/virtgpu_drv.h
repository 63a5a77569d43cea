/* SPDX-License-Identifier: MIT */
/*
 * Private interfaces of the virtio-gpu driver, grouped by the file that
 * implements them.
 *
 * Copyright 2026 The virtio-gpu-ng authors
 */
#ifndef VIRTGPU_DRV_H
#define VIRTGPU_DRV_H

#include <linux/dma-fence.h>
#include <linux/hrtimer.h>
#include <linux/idr.h>
#include <linux/kref.h>
#include <linux/completion.h>
#include <linux/scatterlist.h>
#include <linux/sizes.h>
#include <linux/spinlock.h>
#include <linux/uuid.h>
#include <linux/virtio.h>
#include <linux/virtio_config.h>
#include <linux/virtio_gpu.h>
#include <linux/wait.h>
#include <linux/workqueue.h>
#include <linux/xarray.h>

#include <drm/drm_crtc.h>
#include <drm/drm_device.h>
#include <drm/drm_edid.h>
#include <drm/drm_encoder.h>
#include <drm/drm_gem_shmem_helper.h>
#include <drm/drm_mm.h>
#include <drm/drm_plane.h>
#include <drm/drm_vblank.h>

#include "virtgpu_compat.h"

struct seq_file;
/*
 * Our own copy of the uAPI, not the one in the kernel headers we build
 * against: it carries our additions. In-tree this is the same file.
 */
#include "../../../../include/uapi/drm/virtgpu_drm.h"
#include "../../../../include/uapi/drm/virtgpu_ng_drm.h"

#define VGPU_DRIVER_NAME	"virtio_gpu"
#define VGPU_DRIVER_DESC	"virtio GPU"
#define VGPU_DRIVER_MAJOR	0
#define VGPU_DRIVER_MINOR	1
#define VGPU_DRIVER_PATCH	0

/* Cursor images are always 64x64 ARGB on virtio-gpu. */
#define VGPU_CURSOR_DIM		64

/* Longest we sleep on a reply the kernel itself needs (display info, caps). */
#define VGPU_SYNC_TIMEOUT	(5 * HZ)

struct vgpu_device;
struct vgpu_cmd;
struct vgpu_fence;
struct vgpu_output;

/* ------------------------------------------------------------------ */
/* virtgpu_vq.c: the command core                                      */

/*
 * Counters of the command core. They are what every performance claim of
 * this driver is measured with, so they count at the point where the event
 * happens and nowhere else. All are monotonic until reset through debugfs.
 */
enum vgpu_stat {
	VGPU_STAT_NOTIFY,		/* virtqueue notifications sent */
	VGPU_STAT_NOTIFY_SUPPRESSED,	/* kicks the host asked us to skip */
	VGPU_STAT_IRQ,			/* used-buffer callbacks */
	VGPU_STAT_COMPLETED,		/* responses processed */
	VGPU_STAT_SYNC_WAIT,		/* sleeps on a host reply */
	VGPU_STAT_SYNC_WAIT_NS,		/* total time of those sleeps */
	VGPU_STAT_BYTES,		/* bytes described to the host */
	VGPU_STAT_RING_FULL,		/* submissions that waited for space */
	VGPU_STAT_ERROR_RESP,		/* error responses from the host */
	VGPU_STAT_DEFERRED,		/* commands queued behind foreign fences */
	VGPU_STAT_DEFER_WAIT,		/* ioctls that slept until they were sent */
	VGPU_STAT_RIDERS,		/* SUBMIT_3Ds carried inside another */
	VGPU_STAT_KMS_FENCE_WAIT,	/* plane fences a commit waits for */
	VGPU_STAT_KMS_FENCE_ORDERED,	/* plane fences queued behind instead */
	VGPU_STAT_XFER_TO_HOST,		/* bytes of TRANSFER_TO_HOST boxes */
	VGPU_STAT_XFER_FROM_HOST,	/* bytes of TRANSFER_FROM_HOST boxes */
	VGPU_STAT_NG_SUBMIT,		/* successful NG_SUBMIT calls */
	VGPU_STAT_NG_BLOB_CREATE,	/* successful NG_BLOB_CREATE calls */
	VGPU_STAT_NG_TRANSFER,		/* successful NG_TRANSFER calls */
	VGPU_STAT_COUNT
};

/* Command types are counted in one flat array: 2D, 3D and cursor ranges. */
#define VGPU_CMD_2D_COUNT	(VIRTIO_GPU_CMD_SET_SCANOUT_BLOB - \
				 VIRTIO_GPU_CMD_GET_DISPLAY_INFO + 1)
#define VGPU_CMD_3D_COUNT	(VIRTIO_GPU_CMD_RESOURCE_UNMAP_BLOB - \
				 VIRTIO_GPU_CMD_CTX_CREATE + 1)
#define VGPU_CMD_CURSOR_COUNT	2
#define VGPU_CMD_TYPE_SLOTS	(VGPU_CMD_2D_COUNT + VGPU_CMD_3D_COUNT + \
				 VGPU_CMD_CURSOR_COUNT)

struct vgpu_stats {
	atomic64_t ev[VGPU_STAT_COUNT];
	atomic64_t cmd[VGPU_CMD_TYPE_SLOTS];
};

typedef void (*vgpu_cmd_done_t)(struct vgpu_device *vgdev,
				struct vgpu_cmd *cmd);

/*
 * Bounds of one carrier: a quarter of QEMU's ring even without indirect
 * descriptors, and a stream no larger than Mesa's biggest command buffer.
 */
#define VGPU_RIDE_DESC_MAX	64
#define VGPU_RIDE_BYTES_MAX	SZ_256K

/* Requests are small; the largest fixed one is SET_SCANOUT_BLOB. */
#define VGPU_CMD_REQ_MAX	128

/**
 * struct vgpu_cmd - one command on its way to the host and back
 *
 * A command is built by the caller, handed to the command core, and
 * completed by the core when the host's response is in. Two references
 * exist while a synchronous caller waits for it: one for the caller, one for
 * the queue; otherwise the queue owns it alone.
 */
struct vgpu_cmd {
	struct kref ref;
	/**
	 * @link: on the queue's backlog, then among the answers that wait
	 * for the drain worker.
	 */
	struct list_head link;
	/** @done: called once the response is in, from the drain worker. */
	vgpu_cmd_done_t done;
	/** @priv: for @done. */
	void *priv;
	/** @fence: signalled by the response; the command holds a reference. */
	struct vgpu_fence *fence;
	/** @objs: GEM objects the host uses until the response is in. */
	struct drm_gem_object **objs;
	unsigned int nr_objs;
	/** @payload: data that follows the request (entries, streams). */
	void *payload;
	u32 payload_len;
	bool payload_owned;
	/** @resp: where the host writes its answer; @resp_inline by default. */
	void *resp;
	u32 resp_len;
	u32 req_len;
	/** @status: 0 or the errno that the response type maps to. */
	int status;
	/** @urgent: notify the host now rather than with the next batch. */
	bool urgent;
	/** @completion: completed with the command, for synchronous callers. */
	struct completion completion;
	/** @sg: scatterlist of a vmalloc'ed payload, one entry per page. */
	struct scatterlist *sg;
	/** @nr_desc: descriptors of the payload, riders' included. */
	unsigned int nr_desc;
	/**
	 * @riders: SUBMIT_3Ds whose streams follow this one's in the same
	 * request, linked by their @link ("DOC: riders").
	 * Changed under the queue lock until the command enters the ring.
	 */
	struct list_head riders;
	/** @may_carry: later SUBMIT_3Ds of its context may ride in it. */
	bool may_carry;
	/** @ride_sgs: table for adding a carrier, allocated when it opens. */
	struct scatterlist **ride_sgs;
	/** @payload_sg: describes a linear payload while it is added. */
	struct scatterlist payload_sg;
	struct virtio_gpu_ctrl_hdr resp_inline;
	union {
		struct virtio_gpu_ctrl_hdr hdr;
		u8 bytes[VGPU_CMD_REQ_MAX];
	} req __aligned(8);
};

/**
 * struct vgpu_queue - one virtqueue and what guards it
 */
struct vgpu_queue {
	struct vgpu_device *vgdev;
	struct virtqueue *vq;
	/**
	 * @lock: protects @vq (adding, kicking and taking used buffers) and
	 * the order of fence ids, which must be the order of the ring. The
	 * virtqueue callback takes it, so it is held with interrupts off.
	 */
	spinlock_t lock;
	/**
	 * @answered: commands the host answered, fences already signalled,
	 * in ring order, waiting for @drain (@lock).
	 */
	struct list_head answered;
	/** @drain: finishes answered commands in process context. */
	struct work_struct drain;
	/**
	 * @backlog: commands accepted but not yet in the ring, in order,
	 * because the ring was full (protected by @lock).
	 */
	struct list_head backlog;
	/** @unkicked: buffers added since the last notification (@lock). */
	unsigned int unkicked;
	/**
	 * @eager: commands added since the last notification that are not
	 * fenced work nobody waits for (@lock); while it is 0 the batch may
	 * wait for fence_delay_us rather than notify_delay_us.
	 */
	unsigned int eager;
	/** @timer_lazy: @kick_timer was armed with the longer delay (@lock). */
	bool timer_lazy;
	/** @queued: commands that ever entered the ring or @open (@lock). */
	unsigned long queued;
	/**
	 * @soon_mark: @queued as vgpu_queue_kick_soon() last saw it before
	 * notifying; written locklessly, read under @lock. While it equals
	 * @queued, whatever @unkicked counts has already been notified.
	 */
	unsigned long soon_mark;
	/**
	 * @open: a SUBMIT_3D kept out of the ring so that the next ones of
	 * its context can ride in it (@lock; peeked at locklessly by
	 * vgpu_queue_kick_soon()).
	 */
	struct vgpu_cmd *open;
	/**
	 * @kicked_fence: highest fence id the host has been notified of
	 * (written under @lock, read locklessly).
	 */
	u64 kicked_fence;
	/** @kick_timer: sends a pending batch after the notify delay. */
	struct hrtimer kick_timer;
	/** @inflight: commands accepted but not yet completed. */
	atomic_t inflight;
	/**
	 * @idle: woken when @inflight drops to zero, and, while @parked,
	 * when the ring has emptied.
	 */
	wait_queue_head_t idle;
	/**
	 * @parked: the device is suspended or being restored ("DOC: power
	 * management"): commands of anyone but @restorer wait on
	 * @parked_cmds, in order, and @vq is not touched for them (@lock).
	 */
	bool parked;
	/** @restorer: the task that rebuilds the host's state (@lock). */
	struct task_struct *restorer;
	/** @parked_cmds: commands submitted while @parked (@lock). */
	struct list_head parked_cmds;
};

struct vgpu_cmd *vgpu_cmd_new(struct vgpu_device *vgdev, u32 type,
			      size_t req_len);
struct vgpu_cmd *vgpu_cmd_get(struct vgpu_cmd *cmd);
void vgpu_cmd_put(struct vgpu_cmd *cmd);
int vgpu_cmd_want_resp(struct vgpu_cmd *cmd, size_t len);
int vgpu_cmd_prepare(struct vgpu_cmd *cmd);

/* How the host runs a context type's streams: vgpu_stream_traits(). */
#define VGPU_STREAM_INLINE	BIT(0)
#define VGPU_STREAM_URGENT	BIT(1)
unsigned int vgpu_stream_traits(u32 capset_id);
void vgpu_cmd_stream_policy(struct vgpu_cmd *cmd, u32 capset_id);
void vgpu_cmd_attach_objs(struct vgpu_cmd *cmd, struct drm_gem_object **objs,
			  unsigned int nr);
int vgpu_cmd_submit(struct vgpu_device *vgdev, struct vgpu_cmd *cmd,
		    struct vgpu_fence *fence);
int vgpu_cmd_submit_cursor(struct vgpu_device *vgdev, struct vgpu_cmd *cmd);
unsigned int vgpu_cmd_submit_panic(struct vgpu_device *vgdev,
				   struct vgpu_cmd **cmds, unsigned int n);
int vgpu_cmd_submit_wait(struct vgpu_device *vgdev, struct vgpu_cmd *cmd);
void vgpu_ctrl_vq_done(struct virtqueue *vq);
void vgpu_cursor_vq_done(struct virtqueue *vq);
void vgpu_queue_init(struct vgpu_device *vgdev, struct vgpu_queue *q);
void vgpu_queues_wait_idle(struct vgpu_device *vgdev);
void vgpu_queues_kick(struct vgpu_device *vgdev);
int vgpu_wait_answer(struct vgpu_device *vgdev, const int *state,
		     int pending);
void vgpu_queue_kick_soon(struct vgpu_queue *q);
void vgpu_queues_quiesce(struct vgpu_device *vgdev);
void vgpu_queues_park(struct vgpu_device *vgdev);
void vgpu_queues_detach(struct vgpu_device *vgdev);
void vgpu_queues_restoring(struct vgpu_device *vgdev);
void vgpu_queues_unpark(struct vgpu_device *vgdev);
void vgpu_stat_add(struct vgpu_device *vgdev, enum vgpu_stat stat, u64 n);

/* ------------------------------------------------------------------ */
/* virtgpu_usage.c: per-client usage ("DOC: per-client usage")          */

struct drm_file;
struct drm_printer;

/**
 * struct vgpu_usage - what one client (open file) used of the device
 */
struct vgpu_usage {
	/** @ref: the file's, and one per fence charged to it. */
	struct kref ref;
	/*
	 * @busy_fences, @busy_since and @busy_ns are protected by the
	 * device's &vgpu_fence_ctx.lock.
	 */
	/** @busy_fences: emitted render fences not signalled yet. */
	unsigned int busy_fences;
	/** @busy_since: when @busy_fences last left 0. */
	ktime_t busy_since;
	/** @busy_ns: busy time of the periods that have ended. */
	u64 busy_ns;
	atomic64_t notifies;
	atomic64_t sync_waits;
	atomic64_t bytes_to_host;
	atomic64_t bytes_from_host;
};

struct vgpu_usage *vgpu_usage_new(void);
void vgpu_usage_put(struct vgpu_usage *u);
void vgpu_usage_busy_begin(struct vgpu_usage *u);
void vgpu_usage_busy_end(struct vgpu_usage *u);
void vgpu_show_fdinfo(struct drm_printer *p, struct drm_file *file);

static inline struct vgpu_usage *vgpu_usage_get(struct vgpu_usage *u)
{
	kref_get(&u->ref);
	return u;
}

/* Counts one event of @u's client; @u may be NULL (the kernel's own). */
static inline void vgpu_usage_count(struct vgpu_usage *u, atomic64_t *c,
				    u64 n)
{
	if (u)
		atomic64_add(n, c);
}

/* ------------------------------------------------------------------ */
/* virtgpu_fence.c                                                     */

/**
 * struct vgpu_fence - a host fence, signalled by the fenced command's reply
 */
struct vgpu_fence {
	struct dma_fence base;
	/** @vgdev: the device whose fence lock guards this fence. */
	struct vgpu_device *vgdev;
	/** @link: entry on &vgpu_fence_ctx.pending while unsignalled. */
	struct list_head link;
	/** @ring_idx: ring of the host context, valid when @use_ring. */
	u32 ring_idx;
	bool use_ring;
	/**
	 * @timeline: dma-fence context of the host timeline the command
	 * runs on (the kernel's, or one ring of one file). It is the fence's
	 * own context too, except for a fence whose command waits for
	 * foreign fences: that one has a context of its own (see "DOC:
	 * deferred submission" in virtgpu_context.c).
	 */
	u64 timeline;
	/**
	 * @owner: the file whose EXECBUFFER made the fence, or NULL. Only
	 * compared, never dereferenced: the fence may outlive the file.
	 */
	const void *owner;
	/** @event: DRM event to post when signalled, or NULL. */
	struct drm_pending_event *event;
	/**
	 * @host_inline: the host does the fenced work while it processes
	 * the command, before it reads the next one of the control queue
	 * (see "DOC: present ordering" in virtgpu_plane.c).
	 */
	bool host_inline;
	/**
	 * @usage: the client charged with the fence's notifications and,
	 * for a render fence, its busy time; a reference, or NULL.
	 */
	struct vgpu_usage *usage;
	/** @render: the fence of a submission: counts as busy time. */
	bool render;
	/**
	 * @busy: counted in @usage's busy fences, from emission to signal;
	 * under the fence lock.
	 */
	bool busy;
};

/**
 * struct vgpu_fence_ctx - fence bookkeeping of one device
 */
struct vgpu_fence_ctx {
	/**
	 * @lock: protects @pending and @last_id, and is the lock of every
	 * vgpu_fence. Taken inside &vgpu_queue.lock when a fence is emitted.
	 */
	spinlock_t lock;
	struct list_head pending;
	u64 last_id;
	/**
	 * @kernel_timeline: the host timeline (dma-fence context) of fences
	 * not tied to a ring of a host context.
	 */
	u64 kernel_timeline;
};

struct vgpu_fence *vgpu_fence_alloc(struct vgpu_device *vgdev, u64 timeline,
				    u32 ring_idx, bool use_ring, bool deferred);
bool vgpu_fence_ordered(struct dma_fence *f, u64 timeline, const void *owner);
bool vgpu_fence_precedes_ctrl(struct vgpu_device *vgdev, struct dma_fence *f);
void vgpu_fence_emit(struct vgpu_device *vgdev, struct virtio_gpu_ctrl_hdr *hdr,
		     struct vgpu_fence *fence);
void vgpu_fence_complete(struct vgpu_device *vgdev, struct vgpu_fence *fence,
			 int err);
void vgpu_fence_abort(struct vgpu_device *vgdev, struct vgpu_fence *fence,
		      int err);
void vgpu_fence_fail_all(struct vgpu_device *vgdev);
void vgpu_fence_cancel_event(struct vgpu_device *vgdev,
			     struct vgpu_fence *fence);

/* ------------------------------------------------------------------ */
/* virtgpu_cmd.c: command encoders                                     */

struct vgpu_bo;

struct vgpu_box {
	u32 x, y, z, w, h, d;
};

/*
 * Bytes a transfer box covers. The guest knows no 3D format's size, so a
 * 3D box counts its rows at the stride the client gave, or, without one,
 * as rows of box->w bytes (buffers, whose x and w are in bytes); every 2D
 * format is 32 bits a pixel.
 */
static inline u64 vgpu_box_bytes_3d(const struct vgpu_box *box, u32 stride)
{
	return (u64)(stride ? stride : box->w) * max(box->h, 1u) *
	       max(box->d, 1u);
}

static inline u64 vgpu_box_bytes_2d(u32 w, u32 h)
{
	return (u64)w * h * 4;
}

int vgpu_cmd_create_2d(struct vgpu_device *vgdev, struct vgpu_bo *bo,
		       u32 format, u32 width, u32 height);
int vgpu_cmd_create_3d(struct vgpu_device *vgdev, struct vgpu_bo *bo,
		       const struct drm_virtgpu_resource_create *rc,
		       u32 ctx_id, struct vgpu_fence *fence);
int vgpu_cmd_unref(struct vgpu_device *vgdev, struct vgpu_bo *bo,
		   vgpu_cmd_done_t done);
int vgpu_cmd_attach_backing(struct vgpu_device *vgdev, struct vgpu_bo *bo,
			    struct virtio_gpu_mem_entry *ents, u32 nents,
			    struct vgpu_fence *fence);
int vgpu_cmd_set_scanout(struct vgpu_device *vgdev, u32 scanout, u32 res_id,
			 u32 x, u32 y, u32 w, u32 h, bool after_render);
int vgpu_cmd_resource_flush(struct vgpu_device *vgdev, struct vgpu_bo *bo,
			    u32 x, u32 y, u32 w, u32 h, bool after_render);
int vgpu_cmd_transfer_2d(struct vgpu_device *vgdev, struct vgpu_bo *bo,
			 u64 offset, u32 x, u32 y, u32 w, u32 h,
			 struct vgpu_fence *fence);
struct vgpu_cmd *vgpu_cmd_new_transfer_2d(struct vgpu_device *vgdev);
void vgpu_cmd_fill_transfer_2d(struct vgpu_cmd *cmd, u32 res_id, u64 offset,
			       u32 x, u32 y, u32 w, u32 h);
struct vgpu_cmd *vgpu_cmd_new_resource_flush(struct vgpu_device *vgdev);
void vgpu_cmd_fill_resource_flush(struct vgpu_cmd *cmd, u32 res_id,
				  u32 x, u32 y, u32 w, u32 h);
int vgpu_cmd_transfer_3d(struct vgpu_device *vgdev, struct vgpu_bo *bo,
			 bool to_host, u32 ctx_id, const struct vgpu_box *box,
			 u32 level, u64 offset, u32 stride, u32 layer_stride,
			 struct vgpu_fence *fence);
int vgpu_cmd_get_display_info(struct vgpu_device *vgdev);
int vgpu_cmd_get_edid(struct vgpu_device *vgdev, u32 scanout);
int vgpu_cmd_get_capset_info(struct vgpu_device *vgdev, u32 index);
int vgpu_cmd_get_capset(struct vgpu_device *vgdev, u32 id, u32 version,
			void **data, u32 *size);
int vgpu_cmd_ctx_create(struct vgpu_device *vgdev, u32 ctx_id,
			u32 context_init, const char *name, u32 nlen);
struct vgpu_cmd *vgpu_cmd_new_ctx_destroy(struct vgpu_device *vgdev,
					  u32 ctx_id);
struct vgpu_cmd *vgpu_cmd_new_ctx_resource(struct vgpu_device *vgdev,
					   u32 ctx_id, struct vgpu_bo *bo,
					   bool attach);
struct vgpu_cmd *vgpu_cmd_new_submit_3d(struct vgpu_device *vgdev, u32 ctx_id,
					void *stream, u32 size);
int vgpu_cmd_submit_3d(struct vgpu_device *vgdev, u32 ctx_id, void *stream,
		       u32 size);
int vgpu_cmd_create_blob(struct vgpu_device *vgdev, struct vgpu_bo *bo,
			 u32 ctx_id, u64 blob_id,
			 struct virtio_gpu_mem_entry *ents, u32 nents);
int vgpu_cmd_map_blob(struct vgpu_device *vgdev, struct vgpu_bo *bo,
		      u64 offset, vgpu_cmd_done_t done);
int vgpu_cmd_unmap_blob(struct vgpu_device *vgdev, struct vgpu_bo *bo);
int vgpu_cmd_assign_uuid(struct vgpu_device *vgdev, struct vgpu_bo *bo,
			 vgpu_cmd_done_t done);
int vgpu_cmd_set_scanout_blob(struct vgpu_device *vgdev, u32 scanout,
			      struct vgpu_bo *bo,
			      const struct drm_framebuffer *fb,
			      u32 x, u32 y, u32 w, u32 h);
int vgpu_cmd_cursor(struct vgpu_device *vgdev, bool update, u32 scanout,
		    u32 x, u32 y, u32 res_id, u32 hot_x, u32 hot_y);

/* ------------------------------------------------------------------ */
/* virtgpu_object.c                                                    */

/* How a host resource was made: enum vgpu_recipe_kind. */
enum vgpu_recipe_kind {
	VGPU_RECIPE_NONE,
	VGPU_RECIPE_2D,
	VGPU_RECIPE_3D,
	VGPU_RECIPE_BLOB,
};

/**
 * struct vgpu_recipe - what the host was told when a resource was made
 *
 * Kept so that the resource can be made again after the host forgot it
 * ("DOC: power management"). @rc holds what RESOURCE_CREATE asked for; a
 * 2D resource uses its format, width and height only. Blobs keep
 * @blob_id and @ctx_id besides &vgpu_bo.blob_mem and blob_flags.
 */
struct vgpu_recipe {
	u32 kind;
	u32 ctx_id;
	struct drm_virtgpu_resource_create rc;
	u64 blob_id;
};

/**
 * struct vgpu_bo - a GEM object with a host resource behind it
 */
struct vgpu_bo {
	struct drm_gem_shmem_object shmem;
	/** @res_id: host resource id, 0 while the host knows none. */
	u32 res_id;
	/** @recipe: how the resource was made; set before @res_id. */
	struct vgpu_recipe recipe;
	/**
	 * @pm_link: on a suspend's or resume's list of resources, which
	 * holds a reference meanwhile (only that task uses it).
	 */
	struct list_head pm_link;
	/**
	 * @dumb: a dumb buffer, scanned out through 2D transfers, or in
	 * place as a guest blob ("DOC: zero-copy scanout").
	 */
	bool dumb;
	/**
	 * @unmappable: a guest blob the host cannot map for display, which
	 * no plane may show (vgpu_blob_mappable()).
	 */
	bool unmappable;
	/** @blob_mem: VIRTGPU_BLOB_MEM_* for blobs, 0 otherwise. */
	u32 blob_mem;
	u32 blob_flags;
	/**
	 * @vram: a host-memory blob with no guest pages; only the GEM part
	 * of @shmem is initialised, and mappings go to @node.
	 */
	bool vram;
	/** @node: range of the host-visible window (vram objects). */
	struct drm_mm_node node;
	/** @map_state: enum vgpu_map_state, read with READ_ONCE(). */
	int map_state;
	/** @map_info: VIRTIO_GPU_MAP_CACHE_* from the host's answer. */
	u32 map_info;
	/**
	 * @uuid_state: enum vgpu_uuid_state; moves forward only, read with
	 * smp_load_acquire() once past VGPU_UUID_PENDING.
	 */
	int uuid_state;
	/** @uuid: the host's name for the resource, valid in VGPU_UUID_DONE. */
	uuid_t uuid;
};

enum vgpu_uuid_state {
	VGPU_UUID_NONE,
	VGPU_UUID_PENDING,
	VGPU_UUID_DONE,
	VGPU_UUID_FAILED,
};

enum vgpu_map_state {
	VGPU_MAP_NONE,
	VGPU_MAP_PENDING,
	VGPU_MAP_DONE,
	VGPU_MAP_FAILED,
};

static inline struct vgpu_bo *to_vgpu_bo(struct drm_gem_object *obj)
{
	return container_of(obj, struct vgpu_bo, shmem.base);
}

/* A mappable host blob whose mapping was deferred and not started yet. */
static inline bool vgpu_bo_wants_map(const struct vgpu_bo *bo)
{
	return bo->vram && bo->blob_flags & VIRTGPU_BLOB_FLAG_USE_MAPPABLE &&
	       READ_ONCE(bo->map_state) == VGPU_MAP_NONE;
}

struct drm_gem_object *vgpu_gem_create_object(struct drm_device *dev,
					      size_t size);
struct vgpu_bo *vgpu_bo_create(struct vgpu_device *vgdev, size_t size);
int vgpu_bo_attach_backing(struct vgpu_device *vgdev, struct vgpu_bo *bo,
			   struct vgpu_fence *fence);
int vgpu_bo_create_2d(struct vgpu_device *vgdev, struct vgpu_bo *bo,
		      u32 format, u32 width, u32 height);
int vgpu_bo_mem_entries(struct vgpu_device *vgdev, struct vgpu_bo *bo,
			struct virtio_gpu_mem_entry **ents, u32 *nents);
bool vgpu_dumb_blobs(struct vgpu_device *vgdev);
bool vgpu_blob_mappable(u64 size, u32 nents);
int vgpu_dumb_create(struct drm_file *file, struct drm_device *dev,
		     struct drm_mode_create_dumb *args);
int vgpu_bo_open(struct drm_gem_object *obj, struct drm_file *file);
void vgpu_bo_close(struct drm_gem_object *obj, struct drm_file *file);
int vgpu_res_id_get(struct vgpu_device *vgdev, struct vgpu_bo *bo);
void vgpu_res_id_put(struct vgpu_device *vgdev, u32 id);

/* ------------------------------------------------------------------ */
/* virtgpu_vram.c: blobs in host memory, mapped through the window     */

struct vgpu_bo *vgpu_vram_create(struct vgpu_device *vgdev, size_t size);
int vgpu_vram_map(struct vgpu_device *vgdev, struct vgpu_bo *bo);
int vgpu_vram_wait_mapped(struct vgpu_device *vgdev, struct vgpu_bo *bo);

/* ------------------------------------------------------------------ */
/* virtgpu_prime.c: dma-bufs, and UUIDs for other virtio devices       */

/*
 * The dma-buf hooks of every kind of object: a virtio dma-buf (its attach
 * hook is what marks one) that names the resource by our UUID, with the
 * GEM PRIME helpers for the rest. Only where an importer finds the memory
 * differs, @map and @unmap. Expands to an initializer of
 * &struct virtio_dma_buf_ops; needs <linux/virtio_dma_buf.h> and
 * <drm/drm_prime.h>.
 */
#define VGPU_DMABUF_OPS(map, unmap) {					\
	.ops.attach = virtio_dma_buf_attach,				\
	.device_attach = drm_gem_map_attach,				\
	.get_uuid = vgpu_prime_get_uuid,				\
	.ops.map_dma_buf = (map),					\
	.ops.unmap_dma_buf = (unmap),					\
	.ops.detach = drm_gem_map_detach,				\
	.ops.release = drm_gem_dmabuf_release,				\
	.ops.mmap = drm_gem_dmabuf_mmap,				\
	.ops.vmap = drm_gem_dmabuf_vmap,				\
	.ops.vunmap = drm_gem_dmabuf_vunmap,				\
}

struct virtio_dma_buf_ops;

int vgpu_prime_get_uuid(struct dma_buf *buf, uuid_t *uuid);
struct dma_buf *vgpu_prime_export_ops(struct drm_gem_object *obj, int flags,
				      const struct virtio_dma_buf_ops *ops);
struct dma_buf *vgpu_prime_export(struct drm_gem_object *obj, int flags);
struct drm_gem_object *vgpu_gem_prime_import(struct drm_device *dev,
					     struct dma_buf *buf);
int vgpu_bo_assign_uuid(struct vgpu_device *vgdev, struct vgpu_bo *bo);
void vgpu_bo_forget_uuid(struct vgpu_device *vgdev, struct vgpu_bo *bo);
void vgpu_uuids_show(struct seq_file *m, struct vgpu_device *vgdev);

/* ------------------------------------------------------------------ */
/* virtgpu_display.c and virtgpu_plane.c                               */

/**
 * struct vgpu_output - one scanout: CRTC, encoder, connector and its state
 */
struct vgpu_output {
	struct drm_crtc crtc;
	struct drm_encoder encoder;
	struct drm_connector connector;
	struct drm_plane *primary;
	struct drm_plane *cursor;
	unsigned int index;
	/** @info: the host's view of the scanout (under display_lock). */
	struct virtio_gpu_display_one info;
	/** @edid: last EDID read from the host (under display_lock). */
	const struct drm_edid *edid;
	/** @vblank_timer: emulated vertical blank. */
	struct hrtimer vblank_timer;
	/**
	 * @vblank_wanted: DRM has vblank enabled; set and cleared under
	 * DRM's vblank lock, read by the tick without it.
	 */
	bool vblank_wanted;
	/** @frame_ns: frame period of the current mode. */
	u64 frame_ns;
	/**
	 * @vblank_epoch: first vblank of the current mode; vblanks fall
	 * every @frame_ns from it, whether the timer runs or not.
	 */
	ktime_t vblank_epoch;
	/**
	 * @flip_armed: a vsync'd flip done inside the ioctl has its event
	 * armed for vblank @flip_seq. Both under the DRM device's event_lock.
	 */
	bool flip_armed;
	u64 flip_seq;
	/** @cursor_x: current cursor position (under cursor_lock). */
	int cursor_x, cursor_y;
	/**
	 * @cursor_gen: bumped by every new cursor image or hide (under
	 * cursor_lock), so that an image whose upload finishes late is
	 * dropped if something newer was asked for meanwhile.
	 */
	u32 cursor_gen;
};

static inline struct vgpu_output *crtc_to_output(struct drm_crtc *crtc)
{
	return container_of(crtc, struct vgpu_output, crtc);
}

static inline struct vgpu_output *connector_to_output(struct drm_connector *c)
{
	return container_of(c, struct vgpu_output, connector);
}

/**
 * vgpu_crtc_flip_pending() - does a vsync'd flip wait for its vblank?
 * @crtc: the CRTC
 *
 * Only flips done inside the ioctl count (see vgpu_atomic_commit() in
 * virtgpu_display.c); a full commit has its own tracking in the atomic
 * helpers. Here because both the CRTC and the planes ask.
 *
 * Context: process context, with @crtc's modeset lock held.
 * Return: true while the flip's event has not been sent.
 */
static inline bool vgpu_crtc_flip_pending(struct drm_crtc *crtc)
{
	struct vgpu_output *out = crtc_to_output(crtc);
	bool pending;

	spin_lock_irq(&crtc->dev->event_lock);
	/* The event holds a vblank reference: the count moves until sent. */
	pending = out->flip_armed &&
		  (s64)(drm_crtc_vblank_count(crtc) - out->flip_seq) < 0;
	out->flip_armed = pending;
	spin_unlock_irq(&crtc->dev->event_lock);
	return pending;
}

int vgpu_modeset_init(struct vgpu_device *vgdev);
void vgpu_display_changed(struct vgpu_device *vgdev);
struct drm_plane *vgpu_plane_init(struct vgpu_device *vgdev,
				  enum drm_plane_type type,
				  unsigned int index);
int vgpu_panic_init(struct vgpu_device *vgdev);

/* ------------------------------------------------------------------ */
/* virtgpu_context.c: a file's host context                            */

/**
 * struct vgpu_file - per open file state
 *
 * A file whose EXECBUFFER waits for foreign fences keeps its commands on
 * @deferred until they can go; see "DOC: deferred submission" in
 * virtgpu_context.c. Such a file outlives its close until @deferred is
 * empty.
 */
struct vgpu_file {
	/**
	 * @lock: protects the host context's set-up: @ctx_created,
	 * @capset_id, @num_rings, @poll_rings, @ring_timelines and @debug_name,
	 * which change only until the context is created and are read
	 * without it after that; and @last_submit.
	 */
	struct mutex lock;
	/**
	 * @last_submit: fence of the file's latest SUBMIT entry, which a
	 * SUBMIT restarted during its wait waits for ("DOC: batched
	 * submission").
	 */
	struct dma_fence *last_submit;
	bool ctx_created;
	u32 ctx_id;
	u32 capset_id;
	u32 num_rings;
	u64 poll_rings;
	/**
	 * @ring_timelines: timeline (dma-fence context) of the context's
	 * ring 0; ring i has @ring_timelines + i.
	 */
	u64 ring_timelines;
	char debug_name[64];

	struct vgpu_device *vgdev;
	/**
	 * @defer_lock: protects @deferred, the pending count of every job on
	 * it, @closing and @destroy. Taken by dma-fence callbacks, which may
	 * run in interrupt context with the signalling fence's lock held: so
	 * it is always taken with interrupts off, and no fence lock is taken
	 * while it is held.
	 */
	spinlock_t defer_lock;
	/**
	 * @deferred: commands of this file's context that the command core
	 * has not been given yet, in the order the file issued them. A job
	 * leaves the list only once the core has it.
	 */
	struct list_head deferred;
	/** @defer_work: hands the ready head of @deferred to the core. */
	struct work_struct defer_work;
	/** @defer_idle: woken when @deferred becomes empty. */
	wait_queue_head_t defer_idle;
	/**
	 * @closing: the file is closed; @defer_work sends @destroy and frees
	 * the file once @deferred is empty.
	 */
	bool closing;
	/** @destroy: CTX_DESTROY, sent after the last deferred command. */
	struct vgpu_cmd *destroy;
	/** @usage: what the file used ("DOC: per-client usage"). */
	struct vgpu_usage *usage;
};

/* Parameters of CONTEXT_INIT, validated before anything is applied. */
struct vgpu_ctx_params {
	u32 seen;
	u32 capset_id;
	u32 num_rings;
	u64 poll_rings;
	char name[64];
};

struct vgpu_defer_job;

/* Runs the deferred submissions of every file (virtgpu_main.c). */
extern struct workqueue_struct *vgpu_wq;

int vgpu_driver_open(struct drm_device *dev, struct drm_file *file);
void vgpu_driver_postclose(struct drm_device *dev, struct drm_file *file);
int vgpu_ctx_ensure(struct vgpu_device *vgdev, struct vgpu_file *vfile);
int vgpu_context_init_ioctl(struct drm_device *dev, void *data,
			    struct drm_file *file);
struct vgpu_defer_job *vgpu_defer_job_alloc(unsigned int nr_cbs);
void vgpu_defer_job_free(struct vgpu_defer_job *job);
void vgpu_file_defer(struct vgpu_file *vfile, struct vgpu_defer_job *job,
		     struct vgpu_cmd *cmd, struct vgpu_fence *fence,
		     struct dma_fence **wait);
bool vgpu_file_idle(struct vgpu_file *vfile);
int vgpu_file_submit(struct vgpu_file *vfile, struct vgpu_cmd *cmd,
		     struct drm_gem_object *obj);
int vgpu_file_wait_idle(struct vgpu_file *vfile);

/* ------------------------------------------------------------------ */
/* virtgpu_submit.c: EXECBUFFER and NG_SUBMIT                          */

int vgpu_execbuffer_ioctl(struct drm_device *dev, void *data,
			  struct drm_file *file);
int vgpu_ng_submit_ioctl(struct drm_device *dev, void *data,
			 struct drm_file *file);
int vgpu_wait_deadline(struct dma_fence *fence, s64 deadline_ns,
		       struct vgpu_usage *usage);

/* ------------------------------------------------------------------ */
/* virtgpu_ioctl.c: the rest of the uAPI                               */

/*
 * Indexed by ioctl number, up to the last one; slot 0 and the numbers
 * between upstream's and ours are unused.
 */
#define VGPU_NUM_IOCTLS	(DRM_VIRTGPU_NG_TRANSFER + 1)
extern const struct drm_ioctl_desc vgpu_ioctls[VGPU_NUM_IOCTLS];

/* ------------------------------------------------------------------ */
/* virtgpu_debugfs.c                                                   */

void vgpu_debugfs_init(struct drm_minor *minor);

/* ------------------------------------------------------------------ */
/* virtgpu_pm.c: suspend and hibernation ("DOC: power management")     */

int vgpu_pm_freeze(struct vgpu_device *vgdev);
int vgpu_pm_restore(struct vgpu_device *vgdev);

/* ------------------------------------------------------------------ */
/* The device                                                          */

struct vgpu_capset {
	u32 id;
	u32 max_version;
	u32 max_size;
};

/* A capset read from the host, cached for the life of the device. */
struct vgpu_capset_cache {
	struct list_head link;
	u32 id;
	u32 version;
	u32 size;
	u8 data[];
};

/**
 * struct vgpu_device - one virtio-gpu device
 */
struct vgpu_device {
	struct drm_device drm;
	struct virtio_device *vdev;
	/** @devres_group: managed resources of ours on the parent device. */
	void *devres_group;

	struct vgpu_queue ctrlq;
	struct vgpu_queue cursorq;
	struct vgpu_fence_ctx fences;
	struct vgpu_stats stats;

	/**
	 * @panic_cmds: TRANSFER_TO_HOST_2D and RESOURCE_FLUSH for drm_panic,
	 * allocated with the display because a panic may not allocate; NULL
	 * without drm_panic.
	 */
	struct vgpu_cmd *panic_cmds[2];
	/** @panic_busy: set while @panic_cmds are in the ring. */
	atomic_t panic_busy;

	bool has_virgl;
	bool has_edid;
	bool has_uuid;
	bool has_blob;
	bool has_ctx_init;
	bool has_indirect;
	bool has_event_idx;
	bool has_host_visible;
	bool use_dma_api;

	u32 num_scanouts;
	u32 num_capsets;
	u64 capset_mask;
	struct vgpu_capset *capsets;

	/** @caps_lock: protects @caps_cache. */
	struct mutex caps_lock;
	struct list_head caps_cache;

	/** @display_lock: protects outputs[].info and outputs[].edid. */
	struct mutex display_lock;
	struct vgpu_output outputs[VIRTIO_GPU_MAX_SCANOUTS];
	struct work_struct config_work;

	/** @cursor_lock: protects cursor positions of all outputs. */
	spinlock_t cursor_lock;

	/**
	 * @resources: every object that holds a host resource id, by id,
	 * until the host has let go of it; the xarray's lock protects it.
	 */
	struct xarray resources;
	/**
	 * @release_backlog: bytes of objects freed by GEM whose
	 * RESOURCE_UNREF the host has not answered yet, so whose pages are
	 * still allocated ("DOC: object lifetime"); atomic.
	 */
	atomic64_t release_backlog;
	/** @release_wq: creators waiting for @release_backlog to shrink. */
	wait_queue_head_t release_wq;
	struct ida ctx_ida;

	struct virtio_shm_region host_visible;
	/**
	 * @answer_wq: woken when the host answers a command whose result an
	 * object waits for: MAP_BLOB of a vram object, ASSIGN_UUID.
	 */
	wait_queue_head_t answer_wq;
	/**
	 * @uuids: objects that asked the host for a UUID, by resource id,
	 * for debugfs. An object leaves before its id is released. The
	 * xarray's own lock protects it.
	 */
	struct xarray uuids;
	/**
	 * @host_visible_lock: protects @host_visible_mm, and each blob's
	 * move out of VGPU_MAP_NONE, which happens once.
	 */
	spinlock_t host_visible_lock;
	struct drm_mm host_visible_mm;
};

static inline struct vgpu_device *to_vgdev(struct drm_device *dev)
{
	return container_of(dev, struct vgpu_device, drm);
}

/*
 * Internals that the KUnit tests (tests/) reach; static without KUnit.
 */
#if IS_ENABLED(CONFIG_KUNIT)
int vgpu_cmd_slot(u32 type);
const char *vgpu_cmd_slot_name(unsigned int slot);
bool vgpu_cmd_can_ride(const struct vgpu_cmd *open, const struct vgpu_cmd *cmd,
		       unsigned int ring_size);
u64 vgpu_mode_frame_ns(const struct drm_display_mode *mode);
ktime_t vgpu_grid_floor(ktime_t epoch, u64 period, ktime_t t);
int vgpu_ctx_param(struct vgpu_device *vgdev,
		   const struct drm_virtgpu_context_set_param *p,
		   struct vgpu_ctx_params *out);
bool vgpu_objs_unique(struct drm_gem_object **objs, u32 n);
#endif

#endif /* VIRTGPU_DRV_H */
