// SPDX-License-Identifier: MIT
/*
 * KUnit tests of the driver's pure logic: what needs no device.
 *
 * Copyright 2026 The virtio-gpu-ng authors
 */

#include <linux/dma-fence.h>
#include <linux/ktime.h>
#include <linux/module.h>

#include <drm/drm_modes.h>

#include <kunit/test.h>

#include "../virtgpu_drv.h"

/* Capsets that the 6.12 headers do not name. */
#define CAPSET_GFXSTREAM_VULKAN	3
#define CAPSET_CROSS_DOMAIN	5

/* ---- which submissions travel how ---------------------------------- */

static void stream_traits_by_capset(struct kunit *test)
{
	KUNIT_EXPECT_EQ(test, vgpu_stream_traits(0), VGPU_STREAM_INLINE);
	KUNIT_EXPECT_EQ(test, vgpu_stream_traits(VIRTIO_GPU_CAPSET_VIRGL),
			VGPU_STREAM_INLINE);
	KUNIT_EXPECT_EQ(test, vgpu_stream_traits(VIRTIO_GPU_CAPSET_VIRGL2),
			VGPU_STREAM_INLINE);
	KUNIT_EXPECT_EQ(test, vgpu_stream_traits(VIRTIO_GPU_CAPSET_VENUS),
			VGPU_STREAM_URGENT);
	KUNIT_EXPECT_EQ(test, vgpu_stream_traits(CAPSET_GFXSTREAM_VULKAN), 0);
	KUNIT_EXPECT_EQ(test, vgpu_stream_traits(CAPSET_CROSS_DOMAIN), 0);
	KUNIT_EXPECT_EQ(test, vgpu_stream_traits(VIRTIO_GPU_CAPSET_DRM), 0);
	KUNIT_EXPECT_EQ(test, vgpu_stream_traits(63), 0);
}

static void stream_policy_sets_cmd(struct kunit *test)
{
	struct vgpu_cmd *cmd = kunit_kzalloc(test, sizeof(*cmd), GFP_KERNEL);

	KUNIT_ASSERT_NOT_NULL(test, cmd);
	vgpu_cmd_stream_policy(cmd, VIRTIO_GPU_CAPSET_VIRGL2);
	KUNIT_EXPECT_TRUE(test, cmd->may_carry);
	KUNIT_EXPECT_FALSE(test, cmd->urgent);

	vgpu_cmd_stream_policy(cmd, VIRTIO_GPU_CAPSET_VENUS);
	KUNIT_EXPECT_FALSE(test, cmd->may_carry);
	KUNIT_EXPECT_TRUE(test, cmd->urgent);

	/* Neither riding nor urgency for a renderer we know nothing of. */
	vgpu_cmd_stream_policy(cmd, CAPSET_GFXSTREAM_VULKAN);
	KUNIT_EXPECT_FALSE(test, cmd->may_carry);
	KUNIT_EXPECT_FALSE(test, cmd->urgent);
}

struct ride_pair {
	struct vgpu_cmd open, cmd;
	struct vgpu_fence open_fence, cmd_fence;
};

/* Two fenced SUBMIT_3Ds of context 7 on timeline 100, one stream each. */
static struct ride_pair *ride_pair_new(struct kunit *test)
{
	struct ride_pair *p = kunit_kzalloc(test, sizeof(*p), GFP_KERNEL);
	struct virtio_gpu_cmd_submit *sub;
	struct vgpu_cmd *c[] = { &p->open, &p->cmd };
	struct vgpu_fence *f[] = { &p->open_fence, &p->cmd_fence };
	unsigned int i;

	KUNIT_ASSERT_NOT_NULL(test, p);
	for (i = 0; i < ARRAY_SIZE(c); i++) {
		c[i]->req.hdr.type = cpu_to_le32(VIRTIO_GPU_CMD_SUBMIT_3D);
		c[i]->req.hdr.ctx_id = cpu_to_le32(7);
		f[i]->timeline = 100;
		c[i]->fence = f[i];
		c[i]->nr_desc = 1;
		c[i]->payload_len = 4096;
		sub = (void *)c[i]->req.bytes;
		sub->size = cpu_to_le32(4096);
	}
	return p;
}

static void ride_same_context_and_timeline(struct kunit *test)
{
	struct ride_pair *p = ride_pair_new(test);

	KUNIT_EXPECT_TRUE(test, vgpu_cmd_can_ride(&p->open, &p->cmd, 256));
	KUNIT_EXPECT_FALSE(test, vgpu_cmd_can_ride(NULL, &p->cmd, 256));

	p->cmd.req.hdr.ctx_id = cpu_to_le32(8);
	KUNIT_EXPECT_FALSE(test, vgpu_cmd_can_ride(&p->open, &p->cmd, 256));
	p->cmd.req.hdr.ctx_id = cpu_to_le32(7);

	p->cmd_fence.timeline = 101;
	KUNIT_EXPECT_FALSE(test, vgpu_cmd_can_ride(&p->open, &p->cmd, 256));
	p->cmd_fence.timeline = 100;

	p->cmd.fence = NULL;
	KUNIT_EXPECT_FALSE(test, vgpu_cmd_can_ride(&p->open, &p->cmd, 256));
	p->cmd.fence = &p->cmd_fence;

	p->cmd.req.hdr.type = cpu_to_le32(VIRTIO_GPU_CMD_TRANSFER_TO_HOST_3D);
	KUNIT_EXPECT_FALSE(test, vgpu_cmd_can_ride(&p->open, &p->cmd, 256));
}

static void ride_seals_at_bounds(struct kunit *test)
{
	struct ride_pair *p = ride_pair_new(test);
	struct virtio_gpu_cmd_submit *sub = (void *)p->open.req.bytes;

	/* Header and response besides the streams: 1 + 1 + 2. */
	KUNIT_EXPECT_TRUE(test, vgpu_cmd_can_ride(&p->open, &p->cmd, 16));
	p->open.nr_desc = 2;
	KUNIT_EXPECT_FALSE(test, vgpu_cmd_can_ride(&p->open, &p->cmd, 16));

	p->open.nr_desc = VGPU_RIDE_DESC_MAX - 3;
	KUNIT_EXPECT_TRUE(test, vgpu_cmd_can_ride(&p->open, &p->cmd, 1024));
	p->open.nr_desc = VGPU_RIDE_DESC_MAX - 2;
	KUNIT_EXPECT_FALSE(test, vgpu_cmd_can_ride(&p->open, &p->cmd, 1024));
	p->open.nr_desc = 1;

	sub->size = cpu_to_le32(VGPU_RIDE_BYTES_MAX - p->cmd.payload_len);
	KUNIT_EXPECT_TRUE(test, vgpu_cmd_can_ride(&p->open, &p->cmd, 256));
	sub->size = cpu_to_le32(VGPU_RIDE_BYTES_MAX - p->cmd.payload_len + 1);
	KUNIT_EXPECT_FALSE(test, vgpu_cmd_can_ride(&p->open, &p->cmd, 256));
}

static struct kunit_case vgpu_stream_cases[] = {
	KUNIT_CASE(stream_traits_by_capset),
	KUNIT_CASE(stream_policy_sets_cmd),
	KUNIT_CASE(ride_same_context_and_timeline),
	KUNIT_CASE(ride_seals_at_bounds),
	{}
};

static struct kunit_suite vgpu_stream_suite = {
	.name = "virtio_gpu_stream",
	.test_cases = vgpu_stream_cases,
};

/* ---- the fence ordering rule ---------------------------------------- */

static struct vgpu_device *fake_device(struct kunit *test)
{
	struct vgpu_device *vgdev = kunit_kzalloc(test, sizeof(*vgdev),
						  GFP_KERNEL);

	KUNIT_ASSERT_NOT_NULL(test, vgdev);
	spin_lock_init(&vgdev->fences.lock);
	return vgdev;
}

static void fence_put_action(void *f)
{
	dma_fence_put(f);
}

static struct vgpu_fence *fake_fence(struct kunit *test,
				     struct vgpu_device *vgdev, u64 timeline,
				     bool deferred, const void *owner)
{
	struct vgpu_fence *f = vgpu_fence_alloc(vgdev, timeline, 0, false,
						deferred);

	KUNIT_ASSERT_NOT_NULL(test, f);
	f->owner = owner;
	KUNIT_ASSERT_EQ(test, 0,
			kunit_add_action_or_reset(test, fence_put_action,
						  &f->base));
	return f;
}

static void fence_ordered_own_timeline(struct kunit *test)
{
	struct vgpu_device *vgdev = fake_device(test);
	int a, b;
	struct vgpu_fence *f = fake_fence(test, vgdev, 100, false, &a);

	/* Not emitted: ordered only behind its own file's commands. */
	KUNIT_EXPECT_TRUE(test, vgpu_fence_ordered(&f->base, 100, &a));
	KUNIT_EXPECT_FALSE(test, vgpu_fence_ordered(&f->base, 100, &b));
	KUNIT_EXPECT_FALSE(test, vgpu_fence_ordered(&f->base, 100, NULL));
	/* Emitted: in the ring ahead of anything submitted later. */
	f->base.seqno = 5;
	KUNIT_EXPECT_TRUE(test, vgpu_fence_ordered(&f->base, 100, &b));
	KUNIT_EXPECT_TRUE(test, vgpu_fence_ordered(&f->base, 100, NULL));
	/* Another host timeline is never ordered. */
	KUNIT_EXPECT_FALSE(test, vgpu_fence_ordered(&f->base, 101, &a));
}

static void fence_ordered_deferred(struct kunit *test)
{
	struct vgpu_device *vgdev = fake_device(test);
	int a, b;
	struct vgpu_fence *f = fake_fence(test, vgdev, 100, true, &a);

	/* Its own dma-fence context, but still its host timeline's rules. */
	KUNIT_EXPECT_NE(test, f->base.context, 100);
	KUNIT_EXPECT_TRUE(test, vgpu_fence_ordered(&f->base, 100, &a));
	KUNIT_EXPECT_FALSE(test, vgpu_fence_ordered(&f->base, 100, &b));
}

static void fence_ordered_foreign(struct kunit *test)
{
	struct dma_fence *stub = dma_fence_allocate_private_stub(ktime_get());

	KUNIT_ASSERT_NOT_NULL(test, stub);
	/* Whatever its context, another driver's fence is foreign. */
	KUNIT_EXPECT_FALSE(test, vgpu_fence_ordered(stub, stub->context, NULL));
	dma_fence_put(stub);
}

static struct kunit_case vgpu_fence_cases[] = {
	KUNIT_CASE(fence_ordered_own_timeline),
	KUNIT_CASE(fence_ordered_deferred),
	KUNIT_CASE(fence_ordered_foreign),
	{}
};

static struct kunit_suite vgpu_fence_suite = {
	.name = "virtio_gpu_fence_order",
	.test_cases = vgpu_fence_cases,
};

/* ---- the emulated vblank grid --------------------------------------- */

/* CEA 1920x1080@60: 148.5 MHz, 2200 x 1125. */
static void mode_1080p(struct drm_display_mode *m)
{
	*m = (struct drm_display_mode) {
		.clock = 148500,
		.hdisplay = 1920, .htotal = 2200,
		.vdisplay = 1080, .vtotal = 1125,
	};
}

static void frame_ns_from_modeline(struct kunit *test)
{
	struct drm_display_mode m;

	mode_1080p(&m);
	KUNIT_EXPECT_EQ(test, vgpu_mode_frame_ns(&m), 16666666);
	m.flags = DRM_MODE_FLAG_INTERLACE;
	KUNIT_EXPECT_EQ(test, vgpu_mode_frame_ns(&m), 8333333);
	m.flags = DRM_MODE_FLAG_DBLSCAN;
	KUNIT_EXPECT_EQ(test, vgpu_mode_frame_ns(&m), 33333333);
	m.flags = 0;
	m.vscan = 3;
	KUNIT_EXPECT_EQ(test, vgpu_mode_frame_ns(&m), 50000000);
}

static void frame_ns_refuses_bogus(struct kunit *test)
{
	struct drm_display_mode m;

	mode_1080p(&m);
	m.clock = 0;
	KUNIT_EXPECT_EQ(test, vgpu_mode_frame_ns(&m), 0);
	mode_1080p(&m);
	m.htotal = 0;
	KUNIT_EXPECT_EQ(test, vgpu_mode_frame_ns(&m), 0);
	mode_1080p(&m);
	m.vtotal = -1;
	KUNIT_EXPECT_EQ(test, vgpu_mode_frame_ns(&m), 0);
	/* IGT's int-max-clock: far above VGPU_MAX_REFRESH_HZ. */
	mode_1080p(&m);
	m.clock = INT_MAX;
	KUNIT_EXPECT_EQ(test, vgpu_mode_frame_ns(&m), 0);
	/* A frame of seconds, below VGPU_MIN_REFRESH_HZ. */
	mode_1080p(&m);
	m.clock = 1000;
	KUNIT_EXPECT_EQ(test, vgpu_mode_frame_ns(&m), 0);
	/* No overflow of htotal * vtotal * vscan * 10^6. */
	mode_1080p(&m);
	m.htotal = INT_MAX;
	m.vtotal = INT_MAX;
	m.vscan = 255;
	KUNIT_EXPECT_EQ(test, vgpu_mode_frame_ns(&m), 0);
}

static void grid_floor(struct kunit *test)
{
	ktime_t e = ns_to_ktime(1000);

	KUNIT_EXPECT_EQ(test, vgpu_grid_floor(e, 100, ns_to_ktime(1000)), 1000);
	KUNIT_EXPECT_EQ(test, vgpu_grid_floor(e, 100, ns_to_ktime(1099)), 1000);
	KUNIT_EXPECT_EQ(test, vgpu_grid_floor(e, 100, ns_to_ktime(1100)), 1100);
	KUNIT_EXPECT_EQ(test, vgpu_grid_floor(e, 100, ns_to_ktime(1234)), 1200);
	/* Before the epoch, the epoch itself. */
	KUNIT_EXPECT_EQ(test, vgpu_grid_floor(e, 100, ns_to_ktime(999)), 1000);
	KUNIT_EXPECT_EQ(test, vgpu_grid_floor(e, 100, ns_to_ktime(-5)), 1000);
	/* A day of 60 Hz frames later, still on the grid. */
	KUNIT_EXPECT_EQ(test,
			vgpu_grid_floor(e, 16666666,
					ns_to_ktime(1000 + 86400LL * NSEC_PER_SEC + 7)),
			1000 + 5184000LL * 16666666);
}

static struct kunit_case vgpu_vblank_cases[] = {
	KUNIT_CASE(frame_ns_from_modeline),
	KUNIT_CASE(frame_ns_refuses_bogus),
	KUNIT_CASE(grid_floor),
	{}
};

static struct kunit_suite vgpu_vblank_suite = {
	.name = "virtio_gpu_vblank",
	.test_cases = vgpu_vblank_cases,
};

/* ---- CONTEXT_INIT parameters ---------------------------------------- */

static int ctx_param(struct vgpu_device *vgdev, u64 param, u64 value,
		     struct vgpu_ctx_params *out)
{
	struct drm_virtgpu_context_set_param p = {
		.param = param, .value = value,
	};

	return vgpu_ctx_param(vgdev, &p, out);
}

static void ctx_param_capset(struct kunit *test)
{
	struct vgpu_device *vgdev = fake_device(test);
	struct vgpu_ctx_params p = {};

	vgdev->capset_mask = BIT_ULL(VIRTIO_GPU_CAPSET_VIRGL2) |
			     BIT_ULL(VIRTIO_GPU_CAPSET_VENUS);
	KUNIT_EXPECT_EQ(test, ctx_param(vgdev, VIRTGPU_CONTEXT_PARAM_CAPSET_ID,
					VIRTIO_GPU_CAPSET_VENUS, &p), 0);
	KUNIT_EXPECT_EQ(test, p.capset_id, VIRTIO_GPU_CAPSET_VENUS);
	/* Each parameter once. */
	KUNIT_EXPECT_EQ(test, ctx_param(vgdev, VIRTGPU_CONTEXT_PARAM_CAPSET_ID,
					VIRTIO_GPU_CAPSET_VIRGL2, &p), -EINVAL);

	/* Only capsets the host offers, and no shift past the mask. */
	memset(&p, 0, sizeof(p));
	KUNIT_EXPECT_EQ(test, ctx_param(vgdev, VIRTGPU_CONTEXT_PARAM_CAPSET_ID,
					VIRTIO_GPU_CAPSET_VIRGL, &p), -EINVAL);
	memset(&p, 0, sizeof(p));
	KUNIT_EXPECT_EQ(test, ctx_param(vgdev, VIRTGPU_CONTEXT_PARAM_CAPSET_ID,
					64, &p), -EINVAL);
	memset(&p, 0, sizeof(p));
	KUNIT_EXPECT_EQ(test, ctx_param(vgdev, VIRTGPU_CONTEXT_PARAM_CAPSET_ID,
					BIT_ULL(40) | VIRTIO_GPU_CAPSET_VENUS,
					&p), -EINVAL);
}

static void ctx_param_rings(struct kunit *test)
{
	struct vgpu_device *vgdev = fake_device(test);
	struct vgpu_ctx_params p = {};

	KUNIT_EXPECT_EQ(test, ctx_param(vgdev, VIRTGPU_CONTEXT_PARAM_NUM_RINGS,
					0, &p), -EINVAL);
	memset(&p, 0, sizeof(p));
	KUNIT_EXPECT_EQ(test, ctx_param(vgdev, VIRTGPU_CONTEXT_PARAM_NUM_RINGS,
					65, &p), -EINVAL);
	memset(&p, 0, sizeof(p));
	KUNIT_EXPECT_EQ(test, ctx_param(vgdev, VIRTGPU_CONTEXT_PARAM_NUM_RINGS,
					64, &p), 0);
	KUNIT_EXPECT_EQ(test, p.num_rings, 64);
	KUNIT_EXPECT_EQ(test,
			ctx_param(vgdev, VIRTGPU_CONTEXT_PARAM_POLL_RINGS_MASK,
				  U64_MAX, &p), 0);
	KUNIT_EXPECT_EQ(test, p.poll_rings, U64_MAX);
}

static void ctx_param_unknown_and_name(struct kunit *test)
{
	struct vgpu_device *vgdev = fake_device(test);
	struct vgpu_ctx_params p = {};
	static const char name[] = "kunit";

	KUNIT_EXPECT_EQ(test, ctx_param(vgdev, 0, 0, &p), -EINVAL);
	KUNIT_EXPECT_EQ(test, ctx_param(vgdev, 5, 0, &p), -EINVAL);
	KUNIT_EXPECT_EQ(test, ctx_param(vgdev, 32, 0, &p), -EINVAL);
	KUNIT_EXPECT_EQ(test, ctx_param(vgdev, U64_MAX, 0, &p), -EINVAL);
	KUNIT_EXPECT_EQ(test, p.seen, 0);
	/* The name is read from userspace: a kernel address is refused. */
	KUNIT_EXPECT_EQ(test, ctx_param(vgdev, VIRTGPU_CONTEXT_PARAM_DEBUG_NAME,
					(uintptr_t)name, &p), -EFAULT);
}

static struct kunit_case vgpu_ctx_cases[] = {
	KUNIT_CASE(ctx_param_capset),
	KUNIT_CASE(ctx_param_rings),
	KUNIT_CASE(ctx_param_unknown_and_name),
	{}
};

static struct kunit_suite vgpu_ctx_suite = {
	.name = "virtio_gpu_context_init",
	.test_cases = vgpu_ctx_cases,
};

/* ---- the command-name table ----------------------------------------- */

static const struct {
	u32 type;
	const char *name;
} vgpu_test_cmds[] = {
	{ VIRTIO_GPU_CMD_GET_DISPLAY_INFO, "get_display_info" },
	{ VIRTIO_GPU_CMD_RESOURCE_CREATE_2D, "resource_create_2d" },
	{ VIRTIO_GPU_CMD_RESOURCE_UNREF, "resource_unref" },
	{ VIRTIO_GPU_CMD_SET_SCANOUT, "set_scanout" },
	{ VIRTIO_GPU_CMD_RESOURCE_FLUSH, "resource_flush" },
	{ VIRTIO_GPU_CMD_TRANSFER_TO_HOST_2D, "transfer_to_host_2d" },
	{ VIRTIO_GPU_CMD_RESOURCE_ATTACH_BACKING, "resource_attach_backing" },
	{ VIRTIO_GPU_CMD_RESOURCE_DETACH_BACKING, "resource_detach_backing" },
	{ VIRTIO_GPU_CMD_GET_CAPSET_INFO, "get_capset_info" },
	{ VIRTIO_GPU_CMD_GET_CAPSET, "get_capset" },
	{ VIRTIO_GPU_CMD_GET_EDID, "get_edid" },
	{ VIRTIO_GPU_CMD_RESOURCE_ASSIGN_UUID, "resource_assign_uuid" },
	{ VIRTIO_GPU_CMD_RESOURCE_CREATE_BLOB, "resource_create_blob" },
	{ VIRTIO_GPU_CMD_SET_SCANOUT_BLOB, "set_scanout_blob" },
	{ VIRTIO_GPU_CMD_CTX_CREATE, "ctx_create" },
	{ VIRTIO_GPU_CMD_CTX_DESTROY, "ctx_destroy" },
	{ VIRTIO_GPU_CMD_CTX_ATTACH_RESOURCE, "ctx_attach_resource" },
	{ VIRTIO_GPU_CMD_CTX_DETACH_RESOURCE, "ctx_detach_resource" },
	{ VIRTIO_GPU_CMD_RESOURCE_CREATE_3D, "resource_create_3d" },
	{ VIRTIO_GPU_CMD_TRANSFER_TO_HOST_3D, "transfer_to_host_3d" },
	{ VIRTIO_GPU_CMD_TRANSFER_FROM_HOST_3D, "transfer_from_host_3d" },
	{ VIRTIO_GPU_CMD_SUBMIT_3D, "submit_3d" },
	{ VIRTIO_GPU_CMD_RESOURCE_MAP_BLOB, "resource_map_blob" },
	{ VIRTIO_GPU_CMD_RESOURCE_UNMAP_BLOB, "resource_unmap_blob" },
	{ VIRTIO_GPU_CMD_UPDATE_CURSOR, "update_cursor" },
	{ VIRTIO_GPU_CMD_MOVE_CURSOR, "move_cursor" },
};

static void cmd_names_match_slots(struct kunit *test)
{
	DECLARE_BITMAP(seen, VGPU_CMD_TYPE_SLOTS) = {};
	unsigned int i;
	int slot;

	KUNIT_EXPECT_EQ(test, ARRAY_SIZE(vgpu_test_cmds), VGPU_CMD_TYPE_SLOTS);
	for (i = 0; i < ARRAY_SIZE(vgpu_test_cmds); i++) {
		slot = vgpu_cmd_slot(vgpu_test_cmds[i].type);
		KUNIT_ASSERT_GE(test, slot, 0);
		KUNIT_ASSERT_LT(test, slot, VGPU_CMD_TYPE_SLOTS);
		KUNIT_EXPECT_FALSE(test, test_and_set_bit(slot, seen));
		KUNIT_EXPECT_STREQ(test, vgpu_cmd_slot_name(slot),
				   vgpu_test_cmds[i].name);
	}
	KUNIT_EXPECT_NULL(test, vgpu_cmd_slot_name(VGPU_CMD_TYPE_SLOTS));
}

static void cmd_slot_unknown(struct kunit *test)
{
	KUNIT_EXPECT_EQ(test, vgpu_cmd_slot(0), -1);
	KUNIT_EXPECT_EQ(test, vgpu_cmd_slot(VIRTIO_GPU_CMD_SET_SCANOUT_BLOB + 1),
			-1);
	KUNIT_EXPECT_EQ(test,
			vgpu_cmd_slot(VIRTIO_GPU_CMD_RESOURCE_UNMAP_BLOB + 1),
			-1);
	KUNIT_EXPECT_EQ(test, vgpu_cmd_slot(VIRTIO_GPU_CMD_MOVE_CURSOR + 1), -1);
	KUNIT_EXPECT_EQ(test, vgpu_cmd_slot(VIRTIO_GPU_RESP_OK_NODATA), -1);
	KUNIT_EXPECT_EQ(test, vgpu_cmd_slot(U32_MAX), -1);
}

static struct kunit_case vgpu_names_cases[] = {
	KUNIT_CASE(cmd_names_match_slots),
	KUNIT_CASE(cmd_slot_unknown),
	{}
};

static struct kunit_suite vgpu_names_suite = {
	.name = "virtio_gpu_cmd_names",
	.test_cases = vgpu_names_cases,
};

/* ---- a submission's buffer list is a set --------------------------- */

/* Fake object pointers: only their values are compared. */
static struct drm_gem_object *fake_obj(uintptr_t v)
{
	return (struct drm_gem_object *)(v * 64);
}

static void objs_unique_sets(struct kunit *test)
{
	struct drm_gem_object *a[64];
	u32 i;

	KUNIT_EXPECT_TRUE(test, vgpu_objs_unique(a, 0));
	a[0] = fake_obj(1);
	KUNIT_EXPECT_TRUE(test, vgpu_objs_unique(a, 1));
	/* A set of 64, descending (it comes back ascending), then scattered. */
	for (i = 0; i < 64; i++)
		a[i] = fake_obj(64 - i);
	KUNIT_EXPECT_TRUE(test, vgpu_objs_unique(a, 64));
	for (i = 1; i < 64; i++)
		KUNIT_EXPECT_LT(test, (uintptr_t)a[i - 1], (uintptr_t)a[i]);
	for (i = 0; i < 64; i++)
		a[i] = fake_obj((i * 37) % 64 + 1);
	KUNIT_EXPECT_TRUE(test, vgpu_objs_unique(a, 64));
}

static void objs_unique_repeats(struct kunit *test)
{
	struct drm_gem_object *a[64];
	u32 i, j;

	a[0] = fake_obj(5);
	a[1] = fake_obj(5);
	KUNIT_EXPECT_FALSE(test, vgpu_objs_unique(a, 2));
	/* One repeat anywhere in a scattered list of 64. */
	for (j = 1; j < 64; j += 7) {
		for (i = 0; i < 64; i++)
			a[i] = fake_obj((i * 37) % 64 + 1);
		a[j] = a[j / 2];
		KUNIT_EXPECT_FALSE(test, vgpu_objs_unique(a, 64));
	}
}

static struct kunit_case vgpu_objs_cases[] = {
	KUNIT_CASE(objs_unique_sets),
	KUNIT_CASE(objs_unique_repeats),
	{}
};

static struct kunit_suite vgpu_objs_suite = {
	.name = "virtio_gpu_submit_objs",
	.test_cases = vgpu_objs_cases,
};

kunit_test_suites(&vgpu_stream_suite, &vgpu_fence_suite, &vgpu_vblank_suite,
		  &vgpu_ctx_suite, &vgpu_names_suite, &vgpu_objs_suite);

VGPU_IMPORT_KUNIT_NS();
MODULE_DESCRIPTION("KUnit tests of the virtio GPU driver");
MODULE_LICENSE("Dual MIT/GPL");
