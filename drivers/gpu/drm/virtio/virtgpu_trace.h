/* SPDX-License-Identifier: MIT */
/*
 * Tracepoints of the driver (perf record -e 'virtio_gpu:*'): the life of
 * a command from the queue to the host's answer, the notifications that
 * carry it, fences, KMS commits and the emulated vblank. Disabled, each
 * costs a patched-out branch (static keys). tools/trace/vgpu-trace
 * records and summarises them.
 *
 * Copyright 2026 The virtio-gpu-ng authors
 */
#undef TRACE_SYSTEM
#define TRACE_SYSTEM virtio_gpu

#if !defined(VIRTGPU_TRACE_H) || defined(TRACE_HEADER_MULTI_READ)
#define VIRTGPU_TRACE_H

#include <linux/tracepoint.h>

/*
 * A command entered the queue (@qidx 0: control, 1: cursor): its type,
 * host context and fence id (0 without a fence), and the bytes it
 * describes to the host, request and payload.
 */
TRACE_EVENT(vgpu_cmd_queue,
	    TP_PROTO(unsigned int qidx, u32 type, u32 ctx_id, u64 fence_id,
		     u32 bytes),
	    TP_ARGS(qidx, type, ctx_id, fence_id, bytes),
	    TP_STRUCT__entry(__field(unsigned int, qidx)
			     __field(u32, type)
			     __field(u32, ctx_id)
			     __field(u64, fence_id)
			     __field(u32, bytes)),
	    TP_fast_assign(__entry->qidx = qidx;
			   __entry->type = type;
			   __entry->ctx_id = ctx_id;
			   __entry->fence_id = fence_id;
			   __entry->bytes = bytes;),
	    TP_printk("q=%u type=0x%04x ctx=%u fence=%llu bytes=%u",
		      __entry->qidx, __entry->type, __entry->ctx_id,
		      __entry->fence_id, __entry->bytes)
);

/*
 * A batch was handed to the host: @sent says whether the host was
 * notified (a VM exit) or asked us not to (event-idx suppression).
 */
TRACE_EVENT(vgpu_notify,
	    TP_PROTO(unsigned int qidx, bool sent),
	    TP_ARGS(qidx, sent),
	    TP_STRUCT__entry(__field(unsigned int, qidx)
			     __field(bool, sent)),
	    TP_fast_assign(__entry->qidx = qidx;
			   __entry->sent = sent;),
	    TP_printk("q=%u sent=%d", __entry->qidx, __entry->sent)
);

/* The host answered a command: the request's type, the answer's, the errno. */
TRACE_EVENT(vgpu_cmd_response,
	    TP_PROTO(u32 type, u32 resp_type, u64 fence_id, int status),
	    TP_ARGS(type, resp_type, fence_id, status),
	    TP_STRUCT__entry(__field(u32, type)
			     __field(u32, resp_type)
			     __field(u64, fence_id)
			     __field(int, status)),
	    TP_fast_assign(__entry->type = type;
			   __entry->resp_type = resp_type;
			   __entry->fence_id = fence_id;
			   __entry->status = status;),
	    TP_printk("type=0x%04x resp=0x%04x fence=%llu status=%d",
		      __entry->type, __entry->resp_type, __entry->fence_id,
		      __entry->status)
);

DECLARE_EVENT_CLASS(vgpu_fence_class,
		    TP_PROTO(u64 fence_id, u64 timeline, int error),
		    TP_ARGS(fence_id, timeline, error),
		    TP_STRUCT__entry(__field(u64, fence_id)
				     __field(u64, timeline)
				     __field(int, error)),
		    TP_fast_assign(__entry->fence_id = fence_id;
				   __entry->timeline = timeline;
				   __entry->error = error;),
		    TP_printk("fence=%llu timeline=%llu error=%d",
			      __entry->fence_id, __entry->timeline,
			      __entry->error)
);

/* A fence got its id: its command is in the ring or the backlog. */
DEFINE_EVENT(vgpu_fence_class, vgpu_fence_emit,
	     TP_PROTO(u64 fence_id, u64 timeline, int error),
	     TP_ARGS(fence_id, timeline, error)
);

/* A fence was signalled, by its answer or an earlier one of its timeline. */
DEFINE_EVENT(vgpu_fence_class, vgpu_fence_signal,
	     TP_PROTO(u64 fence_id, u64 timeline, int error),
	     TP_ARGS(fence_id, timeline, error)
);

/*
 * A KMS commit's hardware part, in the commit tail or, for a flip of the
 * primary plane alone, in the ioctl (@async: an async update).
 */
DECLARE_EVENT_CLASS(vgpu_commit_class,
		    TP_PROTO(u32 crtc_mask, bool async),
		    TP_ARGS(crtc_mask, async),
		    TP_STRUCT__entry(__field(u32, crtc_mask)
				     __field(bool, async)),
		    TP_fast_assign(__entry->crtc_mask = crtc_mask;
				   __entry->async = async;),
		    TP_printk("crtcs=0x%x async=%d", __entry->crtc_mask,
			      __entry->async)
);

DEFINE_EVENT(vgpu_commit_class, vgpu_commit_begin,
	     TP_PROTO(u32 crtc_mask, bool async),
	     TP_ARGS(crtc_mask, async)
);

DEFINE_EVENT(vgpu_commit_class, vgpu_commit_end,
	     TP_PROTO(u32 crtc_mask, bool async),
	     TP_ARGS(crtc_mask, async)
);

/* A tick of the emulated vblank of CRTC @pipe. */
TRACE_EVENT(vgpu_vblank,
	    TP_PROTO(unsigned int pipe),
	    TP_ARGS(pipe),
	    TP_STRUCT__entry(__field(unsigned int, pipe)),
	    TP_fast_assign(__entry->pipe = pipe;),
	    TP_printk("crtc=%u", __entry->pipe)
);

#endif /* VIRTGPU_TRACE_H */

/* This part must be outside the include guard. */
#undef TRACE_INCLUDE_PATH
#define TRACE_INCLUDE_PATH .
#undef TRACE_INCLUDE_FILE
#define TRACE_INCLUDE_FILE virtgpu_trace
#include <trace/define_trace.h>
