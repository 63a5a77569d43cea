// SPDX-License-Identifier: MIT
/*
 * ng: the ioctls of virtgpu_ng_drm.h (SUBMIT, BLOB_CREATE, TRANSFER) and
 * the blob uAPI of upstream 7.x (blob_hints, BLOB_ALIGNMENT).
 *
 * As in uapi.c, each invalid-input test starts from a request that is
 * valid on this host, changes one field and expects one errno; the
 * positive tests check that the calls do what they promise: a batch is
 * queued whole or not at all, a restarted call resumes after what it
 * queued, a wait returns with the work done, a readback needs no WAIT.
 * A driver without these ioctls (GETPARAM 0x100 answers EINVAL) skips all.
 */
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "virtgpu_drm.h"
#include "virtgpu_ng_drm.h"
#include "vgu_test.h"

#define BAD_PTR		8ull
#define BAD_HANDLE	0x7fffffffu
#define PAGE		4096u
#define SEC		1000000000ll

static struct vgu_features ft;
static const char *no_3d = "host has no 3D (3D_FEATURES == 0)";
static const uint32_t nop = 0;	/* VIRGL_CMD0(VIRGL_CCMD_NOP, 0, 0) */

/* --------------------------------------------------------------- GETPARAM */

static const char *const getparam_tests[] = {
	"getparam-submit", "getparam-blob-create", "getparam-transfer",
	"getparam-blob-alignment", "getparam-ng-unknown",
};

static void test_getparam(int fd)
{
	int v, ret;

	ret = getparam(fd, VIRTGPU_NG_PARAM_SUBMIT, &v);
	check("getparam-submit",
	      !ret && v == (ft.virgl ? VIRTGPU_NG_SUBMIT_MAX_ENTRIES : 0),
	      "%s, value %d", ename(ret), v);
	ret = getparam(fd, VIRTGPU_NG_PARAM_BLOB_CREATE, &v);
	check("getparam-blob-create", !ret && v == ft.blob, "%s, value %d",
	      ename(ret), v);
	ret = getparam(fd, VIRTGPU_NG_PARAM_TRANSFER, &v);
	check("getparam-transfer", !ret && v == 1, "%s, value %d", ename(ret),
	      v);
	/* QEMU offers no VIRTIO_GPU_F_BLOB_ALIGNMENT: no alignment to state. */
	expect("getparam-blob-alignment",
	       getparam(fd, VIRTGPU_PARAM_BLOB_ALIGNMENT, &v), ENOENT);
	expect("getparam-ng-unknown", getparam(fd, 0x1ff, &v), EINVAL);
}

/* ----------------------------------------------------------------- SUBMIT */

static const char *const submit_tests[] = {
	"submit-bad-flags", "submit-count-0", "submit-count-over-max",
	"submit-queued-past-count", "submit-stride-short", "submit-stride-huge",
	"submit-stride-nonzero-tail", "submit-timeout-without-wait",
	"submit-entries-bad-pointer", "submit-entry-bad-flags",
	"submit-entry-bad-ring", "submit-entry-bad-command",
	"submit-entry-unknown-bo", "submit-entry-bad-fence-in",
	"submit-entry-unknown-syncobj", "submit-entry-syncobj-bad-flags",
	"submit-streams-too-large", "submit-bad-entry-nothing-queued",
	"submit-one", "submit-batch-wait", "submit-deadline-past",
	"submit-restart-skips-queued", "submit-restart-waits",
	"submit-syncobj-from-earlier-entry",
};

static struct drm_virtgpu_execbuffer nop_entry(void)
{
	return (struct drm_virtgpu_execbuffer){
		.command = (uintptr_t)&nop,
		.size = sizeof(nop),
		.fence_fd = -1,
	};
}

static struct drm_virtgpu_ng_submit submit_args(void *entries, uint32_t count)
{
	return (struct drm_virtgpu_ng_submit){
		.count = count,
		.stride = sizeof(struct drm_virtgpu_execbuffer),
		.entries = (uintptr_t)entries,
	};
}

static int submit(int fd, struct drm_virtgpu_ng_submit *s)
{
	return xioctl(fd, DRM_IOCTL_VIRTGPU_NG_SUBMIT, s);
}

/* One SUBMIT of a single entry @e; closes an out-fence it may return. */
static int submit_one(int fd, struct drm_virtgpu_execbuffer e)
{
	struct drm_virtgpu_ng_submit s = submit_args(&e, 1);
	int ret = submit(fd, &s);

	if (e.fence_fd >= 0 && e.flags & VIRTGPU_EXECBUF_FENCE_FD_OUT)
		close(e.fence_fd);
	return ret;
}

static uint32_t syncobj_new(int fd)
{
	struct drm_syncobj_create c = { 0 };

	return xioctl(fd, DRM_IOCTL_SYNCOBJ_CREATE, &c) ? 0 : c.handle;
}

static void syncobj_free(int fd, uint32_t h)
{
	struct drm_syncobj_destroy d = { .handle = h };

	if (h)
		xioctl(fd, DRM_IOCTL_SYNCOBJ_DESTROY, &d);
}

static void test_submit_invalid(int fd)
{
	struct drm_virtgpu_execbuffer e[2], big[2];
	struct drm_virtgpu_execbuffer_syncobj so;
	struct drm_virtgpu_ng_submit s;
	unsigned char wide[sizeof(e[0]) + 8];
	size_t bigsz = (8u << 20) + PAGE;
	uint32_t bo = BAD_HANDLE;
	void *stream;

	e[0] = nop_entry();
	s = submit_args(e, 1);
	s.flags = 0x2;
	expect("submit-bad-flags", submit(fd, &s), EINVAL);
	s = submit_args(e, 0);
	expect("submit-count-0", submit(fd, &s), EINVAL);
	s = submit_args(e, VIRTGPU_NG_SUBMIT_MAX_ENTRIES + 1);
	expect("submit-count-over-max", submit(fd, &s), EINVAL);
	s = submit_args(e, 1);
	s.queued = 2;
	expect("submit-queued-past-count", submit(fd, &s), EINVAL);
	s = submit_args(e, 1);
	s.stride = 8;
	expect("submit-stride-short", submit(fd, &s), EINVAL);
	s = submit_args(e, 1);
	s.stride = VIRTGPU_NG_SUBMIT_MAX_STRIDE + 8;
	expect("submit-stride-huge", submit(fd, &s), EINVAL);
	memset(wide, 0, sizeof(wide));
	memcpy(wide, &e[0], sizeof(e[0]));
	wide[sizeof(e[0]) + 3] = 1;
	s = submit_args(wide, 1);
	s.stride = sizeof(wide);
	expect("submit-stride-nonzero-tail", submit(fd, &s), EINVAL);
	s = submit_args(e, 1);
	s.timeout_ns = vgu_now_ns() + SEC;
	expect("submit-timeout-without-wait", submit(fd, &s), EINVAL);
	s = submit_args((void *)(uintptr_t)BAD_PTR, 1);
	expect("submit-entries-bad-pointer", submit(fd, &s), EFAULT);

	e[0] = nop_entry();
	e[0].flags = 0x80;
	expect("submit-entry-bad-flags", submit_one(fd, e[0]), EINVAL);
	e[0] = nop_entry();
	e[0].flags = VIRTGPU_EXECBUF_RING_IDX;
	e[0].ring_idx = 64;
	expect("submit-entry-bad-ring", submit_one(fd, e[0]), EINVAL);
	e[0] = nop_entry();
	e[0].command = BAD_PTR;
	expect("submit-entry-bad-command", submit_one(fd, e[0]), EFAULT);
	e[0] = nop_entry();
	e[0].bo_handles = (uintptr_t)&bo;
	e[0].num_bo_handles = 1;
	expect("submit-entry-unknown-bo", submit_one(fd, e[0]), ENOENT);
	e[0] = nop_entry();
	e[0].flags = VIRTGPU_EXECBUF_FENCE_FD_IN;
	e[0].fence_fd = -1;
	expect("submit-entry-bad-fence-in", submit_one(fd, e[0]), EINVAL);
	so = (struct drm_virtgpu_execbuffer_syncobj){ .handle = BAD_HANDLE };
	e[0] = nop_entry();
	e[0].num_in_syncobjs = 1;
	e[0].syncobj_stride = sizeof(so);
	e[0].in_syncobjs = (uintptr_t)&so;
	expect("submit-entry-unknown-syncobj", submit_one(fd, e[0]), ENOENT);
	so.handle = syncobj_new(fd);
	so.flags = 0x10;
	expect("submit-entry-syncobj-bad-flags", submit_one(fd, e[0]), EINVAL);
	syncobj_free(fd, so.handle);

	/* Two streams each within EXECBUFFER's bound, together beyond it. */
	stream = mmap(NULL, bigsz, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (stream == MAP_FAILED) {
		fail("submit-streams-too-large", "mmap: %s", ename(errno));
	} else {
		big[0] = nop_entry();
		big[0].command = (uintptr_t)stream;
		big[0].size = bigsz;
		big[1] = big[0];
		s = submit_args(big, 2);
		expect("submit-streams-too-large", submit(fd, &s), EINVAL);
		munmap(stream, bigsz);
	}

	/* A bad second entry: the good first one is not queued either. */
	e[0] = nop_entry();
	e[0].flags = VIRTGPU_EXECBUF_FENCE_FD_OUT;
	e[1] = nop_entry();
	e[1].flags = 0x80;
	s = submit_args(e, 2);
	check("submit-bad-entry-nothing-queued",
	      submit(fd, &s) == EINVAL && s.queued == 0 && e[0].fence_fd == -1,
	      "queued %u, first entry's fence_fd %d", s.queued, e[0].fence_fd);
}

static void test_submit_valid(int fd)
{
	struct drm_virtgpu_execbuffer e[8];
	struct drm_virtgpu_execbuffer_syncobj out, in;
	struct drm_virtgpu_ng_submit s;
	unsigned int i;
	int ret;

	e[0] = nop_entry();
	e[0].flags = VIRTGPU_EXECBUF_FENCE_FD_OUT;
	s = submit_args(e, 1);
	ret = submit(fd, &s);
	check("submit-one", !ret && s.queued == 1 && e[0].fence_fd >= 0 &&
	      fence_wait(e[0].fence_fd, 10000) == 1,
	      "%s, queued %u, fence_fd %d", ename(ret), s.queued, e[0].fence_fd);
	if (e[0].fence_fd >= 0)
		close(e[0].fence_fd);

	for (i = 0; i < 8; i++)
		e[i] = nop_entry();
	e[7].flags = VIRTGPU_EXECBUF_FENCE_FD_OUT;
	s = submit_args(e, 8);
	s.flags = VIRTGPU_NG_SUBMIT_WAIT;
	s.timeout_ns = vgu_now_ns() + 30 * SEC;
	ret = submit(fd, &s);
	/* Returned from the wait: the last fence must have signalled. */
	check("submit-batch-wait", !ret && s.queued == 8 && e[7].fence_fd >= 0 &&
	      fence_wait(e[7].fence_fd, 0) == 1,
	      "%s, queued %u", ename(ret), s.queued);
	if (e[7].fence_fd >= 0)
		close(e[7].fence_fd);

	e[0] = nop_entry();
	s = submit_args(e, 1);
	s.flags = VIRTGPU_NG_SUBMIT_WAIT;
	s.timeout_ns = 1;
	ret = submit(fd, &s);
	check("submit-deadline-past", (ret == ETIME || !ret) && s.queued == 1,
	      "%s, queued %u", ename(ret), s.queued);

	/*
	 * A restarted call: @queued says the bad first entry went already,
	 * so it is neither checked nor sent again.
	 */
	e[0] = nop_entry();
	e[0].flags = 0x80;
	e[1] = nop_entry();
	s = submit_args(e, 2);
	s.queued = 1;
	ret = submit(fd, &s);
	check("submit-restart-skips-queued", !ret && s.queued == 2,
	      "%s, queued %u", ename(ret), s.queued);
	/* Nothing left to queue: it waits for the file's last SUBMIT. */
	s.flags = VIRTGPU_NG_SUBMIT_WAIT;
	s.timeout_ns = vgu_now_ns() + 30 * SEC;
	ret = submit(fd, &s);
	check("submit-restart-waits", !ret && s.queued == 2, "%s, queued %u",
	      ename(ret), s.queued);

	/*
	 * The second entry waits for a fresh syncobj that the first one
	 * signals: checked up front but collected only after the first is
	 * queued (a syncobj without a fence would be EINVAL).
	 */
	out = (struct drm_virtgpu_execbuffer_syncobj){ .handle = syncobj_new(fd) };
	in = out;
	e[0] = nop_entry();
	e[0].num_out_syncobjs = 1;
	e[0].syncobj_stride = sizeof(out);
	e[0].out_syncobjs = (uintptr_t)&out;
	e[1] = nop_entry();
	e[1].num_in_syncobjs = 1;
	e[1].syncobj_stride = sizeof(in);
	e[1].in_syncobjs = (uintptr_t)&in;
	s = submit_args(e, 2);
	s.flags = VIRTGPU_NG_SUBMIT_WAIT;
	s.timeout_ns = vgu_now_ns() + 30 * SEC;
	ret = submit(fd, &s);
	check("submit-syncobj-from-earlier-entry", !ret && s.queued == 2,
	      "%s, queued %u", ename(ret), s.queued);
	syncobj_free(fd, out.handle);
}

static void test_submit(int fd)
{
	struct drm_virtgpu_execbuffer e = nop_entry();
	struct drm_virtgpu_ng_submit s = submit_args(&e, 1);

	if (!ft.virgl) {
		expect("submit-2d", submit(fd, &s), EOPNOTSUPP);
		SKIP_ALL(submit_tests, no_3d);
		return;
	}
	skip("submit-2d", "host has 3D");
	test_submit_invalid(fd);
	test_submit_valid(fd);
}

/* ------------------------------------------------------------ BLOB_CREATE */

static const char *const blob_tests[] = {
	"blob-create-pad", "blob-create-bad-flags", "blob-create-bad-hints",
	"blob-create-mem-0", "blob-create-size-0", "blob-create-size-unaligned",
	"blob-create-guest-blob-id", "blob-create-cmd-bad-pointer",
	"blob-create-guest", "blob-create-not-mappable",
	"blob-hints-bad", "blob-hints-pad2", "blob-hints-defer-guest",
};

static const struct drm_virtgpu_ng_blob_create ngblob_base = GUEST_BLOB_PAGE;

static int try_ngblob(int fd, void *req)
{
	struct drm_virtgpu_ng_blob_create *b = req;
	int ret = xioctl(fd, DRM_IOCTL_VIRTGPU_NG_BLOB_CREATE, b);

	if (!ret)
		close_handle(fd, b->bo_handle);
	return ret;
}

static void test_blob_create(int fd)
{
#define B(n, f, v) FIELD_TEST(n, struct drm_virtgpu_ng_blob_create, f, v, EINVAL)
	static const struct field_test bad[] = {
		B("blob-create-pad", pad, 1),
		B("blob-create-bad-flags", blob_flags, 0x8),
		B("blob-create-bad-hints", blob_hints, 0x2),
		B("blob-create-mem-0", blob_mem, 0),
		B("blob-create-size-0", size, 0),
		B("blob-create-size-unaligned", size, PAGE + 1),
		B("blob-create-guest-blob-id", blob_id, 1),
	};
#undef B
	struct drm_virtgpu_resource_create_blob ob;
	struct drm_virtgpu_ng_blob_create b;
	volatile uint32_t *p;
	int ret;

	if (!ft.blob) {
		b = ngblob_base;
		expect("blob-create-unsupported", try_ngblob(fd, &b), EOPNOTSUPP);
		SKIP_ALL(blob_tests, "host has no blob resources");
		return;
	}
	skip("blob-create-unsupported", "host offers blob resources");

	expect_fields(fd, &ngblob_base, sizeof(ngblob_base), try_ngblob, bad,
		      sizeof(bad) / sizeof(bad[0]));
	if (ft.virgl) {
		b = ngblob_base;
		b.cmd_size = 4;
		b.cmd = BAD_PTR;
		expect("blob-create-cmd-bad-pointer", try_ngblob(fd, &b), EFAULT);
	} else {
		skip("blob-create-cmd-bad-pointer", "%s", no_3d);
	}

	/* One call: handle, offset and caching, and the mapping works. */
	b = ngblob_base;
	ret = xioctl(fd, DRM_IOCTL_VIRTGPU_NG_BLOB_CREATE, &b);
	if (ret || !b.offset || b.map_info != VIRTGPU_NG_MAP_CACHED) {
		fail("blob-create-guest", "%s, offset 0x%llx, map_info %u",
		     ename(ret), (unsigned long long)b.offset, b.map_info);
	} else {
		p = mmap(NULL, PAGE, PROT_READ | PROT_WRITE, MAP_SHARED, fd,
			 b.offset);
		if (p == MAP_FAILED) {
			fail("blob-create-guest", "mmap: %s", ename(errno));
		} else {
			p[0] = 0x600dcafe;
			check("blob-create-guest", p[0] == 0x600dcafe,
			      "read back %08x", p[0]);
			munmap((void *)p, PAGE);
		}
	}
	if (!ret)
		close_handle(fd, b.bo_handle);

	b = ngblob_base;
	b.blob_flags = 0;
	ret = xioctl(fd, DRM_IOCTL_VIRTGPU_NG_BLOB_CREATE, &b);
	check("blob-create-not-mappable",
	      !ret && !b.offset && b.map_info == VIRTGPU_NG_MAP_NONE,
	      "%s, offset 0x%llx, map_info %u", ename(ret),
	      (unsigned long long)b.offset, b.map_info);
	if (!ret)
		close_handle(fd, b.bo_handle);

	/* Upstream 7.x's blob_hints in RESOURCE_CREATE_BLOB. */
	ob = (struct drm_virtgpu_resource_create_blob)GUEST_BLOB_PAGE;
	ob.blob_hints = 0x2;
	expect("blob-hints-bad", try_blob(fd, &ob), EINVAL);
	ob.blob_hints = 0;
	ob.pad2 = 1;
	expect("blob-hints-pad2", try_blob(fd, &ob), EINVAL);
	ob.pad2 = 0;
	ob.blob_hints = DRM_VIRTGPU_BLOB_FLAG_HINT_DEFER_MAPPING;
	expect("blob-hints-defer-guest", try_blob(fd, &ob), 0);
}

/* ------------------------------------------- host memory, deferred or not */

#define VIRGL_CMD0(cmd, obj, len)	((cmd) | ((obj) << 8) | ((len) << 16))
#define VIRGL_CCMD_PIPE_RESOURCE_CREATE	48
#define VIRGL_PIPE_RES_CREATE_SIZE	11
#define VIRGL_RES_FLAG_MAP_PERSISTENT	(1u << 1)
#define VIRGL_RES_FLAG_MAP_COHERENT	(1u << 2)
#define HOST_SIZE			(64u << 10)

static const char *const host_tests[] = {
	"blob-create-host", "blob-create-host-deferred",
	"blob-hints-defer-host",
};

/* The context command that makes a mappable virgl buffer named @id. */
static void host_buffer_cmd(uint32_t cmd[1 + VIRGL_PIPE_RES_CREATE_SIZE],
			    uint32_t id)
{
	uint32_t c[1 + VIRGL_PIPE_RES_CREATE_SIZE] = {
		VIRGL_CMD0(VIRGL_CCMD_PIPE_RESOURCE_CREATE, 0,
			   VIRGL_PIPE_RES_CREATE_SIZE),
		0 /* PIPE_BUFFER */, 64 /* R8_UNORM */, 1u << 4 /* VERTEX */,
		HOST_SIZE, 1, 1, 1, 0, 0,
		VIRGL_RES_FLAG_MAP_PERSISTENT | VIRGL_RES_FLAG_MAP_COHERENT,
		id,
	};

	memcpy(cmd, c, sizeof(c));
}

/* Maps @b's offset and checks that a write reads back. */
static int host_map_works(int fd, uint64_t offset)
{
	volatile uint32_t *p;
	int ok;

	p = mmap(NULL, HOST_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED, fd,
		 offset);
	if (p == MAP_FAILED)
		return 0;
	p[5] = 0xfeedf00d;
	ok = p[5] == 0xfeedf00d;
	munmap((void *)p, HOST_SIZE);
	return ok;
}

static void test_host_blobs(int fd)
{
	uint32_t cmd[1 + VIRGL_PIPE_RES_CREATE_SIZE];
	struct drm_virtgpu_resource_create_blob ob;
	struct drm_virtgpu_ng_blob_create b;
	struct drm_virtgpu_map m;
	long long maps;
	int ret;

	if (!ft.host_visible) {
		SKIP_ALL(host_tests, "host offers no host-visible memory");
		return;
	}

	host_buffer_cmd(cmd, 11);
	b = (struct drm_virtgpu_ng_blob_create){
		.blob_mem = VIRTGPU_BLOB_MEM_HOST3D,
		.blob_flags = VIRTGPU_BLOB_FLAG_USE_MAPPABLE,
		.size = HOST_SIZE, .blob_id = 11,
		.cmd = (uintptr_t)cmd, .cmd_size = sizeof(cmd),
	};
	ret = xioctl(fd, DRM_IOCTL_VIRTGPU_NG_BLOB_CREATE, &b);
	check("blob-create-host",
	      !ret && b.offset && b.map_info != VIRTGPU_NG_MAP_NONE &&
	      host_map_works(fd, b.offset),
	      "%s, offset 0x%llx, map_info %u", ename(ret),
	      (unsigned long long)b.offset, b.map_info);
	if (!ret)
		close_handle(fd, b.bo_handle);

	/* Deferred: no caching known yet, and mmap() does the mapping. */
	host_buffer_cmd(cmd, 12);
	b.blob_id = 12;
	b.blob_hints = DRM_VIRTGPU_BLOB_FLAG_HINT_DEFER_MAPPING;
	maps = vgu_stat("cmd_resource_map_blob");
	ret = xioctl(fd, DRM_IOCTL_VIRTGPU_NG_BLOB_CREATE, &b);
	check("blob-create-host-deferred",
	      !ret && b.offset && b.map_info == VIRTGPU_NG_MAP_NONE &&
	      vgu_stat("cmd_resource_map_blob") == maps &&
	      host_map_works(fd, b.offset) &&
	      vgu_stat("cmd_resource_map_blob") == maps + 1,
	      "%s, offset 0x%llx, map_info %u, MAP_BLOBs %lld", ename(ret),
	      (unsigned long long)b.offset, b.map_info,
	      vgu_stat("cmd_resource_map_blob") - maps);
	if (!ret)
		close_handle(fd, b.bo_handle);

	/* The same hint through upstream's ioctl, mapped by MAP. */
	host_buffer_cmd(cmd, 13);
	ob = (struct drm_virtgpu_resource_create_blob){
		.blob_mem = VIRTGPU_BLOB_MEM_HOST3D,
		.blob_flags = VIRTGPU_BLOB_FLAG_USE_MAPPABLE,
		.size = HOST_SIZE, .blob_id = 13,
		.cmd = (uintptr_t)cmd, .cmd_size = sizeof(cmd),
		.blob_hints = DRM_VIRTGPU_BLOB_FLAG_HINT_DEFER_MAPPING,
	};
	maps = vgu_stat("cmd_resource_map_blob");
	ret = xioctl(fd, DRM_IOCTL_VIRTGPU_RESOURCE_CREATE_BLOB, &ob);
	m = (struct drm_virtgpu_map){ .handle = ob.bo_handle };
	if (!ret)
		ret = xioctl(fd, DRM_IOCTL_VIRTGPU_MAP, &m);
	check("blob-hints-defer-host",
	      !ret && host_map_works(fd, m.offset) &&
	      vgu_stat("cmd_resource_map_blob") == maps + 1,
	      "%s, MAP_BLOBs %lld", ename(ret),
	      vgu_stat("cmd_resource_map_blob") - maps);
	if (ob.bo_handle)
		close_handle(fd, ob.bo_handle);
}

/* --------------------------------------------------------------- TRANSFER */

static const char *const xfer_tests[] = {
	"transfer-bad-flags", "transfer-both-directions", "transfer-no-direction",
	"transfer-pad", "transfer-timeout-without-wait", "transfer-unknown-handle",
	"transfer-box-overflow", "transfer-offset-past-end",
	"transfer-to-host-wait", "transfer-readback", "transfer-deadline-past",
};

static struct drm_virtgpu_ng_transfer xfer_base(uint32_t bo, uint32_t size)
{
	return (struct drm_virtgpu_ng_transfer){
		.flags = VIRTGPU_NG_TRANSFER_TO_HOST,
		.bo_handle = bo,
		.box = { .w = size, .h = 1, .d = 1 },
	};
}

static int xfer(int fd, struct drm_virtgpu_ng_transfer *t)
{
	return xioctl(fd, DRM_IOCTL_VIRTGPU_NG_TRANSFER, t);
}

/*
 * TO_HOST, clear the backing, FROM_HOST with WAIT: the pattern is back as
 * soon as the call returns, with no WAIT ioctl before or after.
 */
static void readback(int fd, uint32_t bo, uint32_t size)
{
	struct drm_virtgpu_ng_transfer t;
	volatile uint32_t *p;
	uint32_t i, bad = 0;
	int ret, err;

	p = map_bo(fd, bo, size, &err);
	if (!p) {
		fail("transfer-readback", "map: %s", ename(err));
		return;
	}
	for (i = 0; i < size / 4; i++)
		p[i] = i * 2654435761u;
	/* The host reads the backing when it gets to the copy: wait for it. */
	t = xfer_base(bo, size);
	t.flags |= VIRTGPU_NG_TRANSFER_WAIT;
	t.timeout_ns = vgu_now_ns() + 30 * SEC;
	ret = xfer(fd, &t);
	if (!ret) {
		memset((void *)p, 0, size);
		t = xfer_base(bo, size);
		t.flags = VIRTGPU_NG_TRANSFER_FROM_HOST | VIRTGPU_NG_TRANSFER_WAIT;
		t.timeout_ns = vgu_now_ns() + 30 * SEC;
		ret = xfer(fd, &t);
	}
	for (i = 0; !ret && i < size / 4; i++)
		bad += p[i] != i * 2654435761u;
	check("transfer-readback", !ret && !bad, "%s, %u words differ",
	      ename(ret), bad);
	munmap((void *)p, size);
}

static void test_transfer(int fd)
{
	struct drm_virtgpu_resource_create rc = virgl_buffer_args(PAGE);
	struct drm_virtgpu_ng_transfer t;
	uint32_t bo;
	int ret;

	if (!ft.virgl) {
		rc = rt64_args();
		rc.width = PAGE / 4;
		rc.height = 1;
		rc.size = PAGE;
	}
	if (xioctl(fd, DRM_IOCTL_VIRTGPU_RESOURCE_CREATE, &rc)) {
		fail("transfer-setup", "RESOURCE_CREATE: %s", ename(errno));
		return;
	}
	bo = rc.bo_handle;
	/* A 2D resource is PAGE / 4 pixels wide, a virgl buffer PAGE bytes. */
	{
		uint32_t w = ft.virgl ? PAGE : PAGE / 4;

		t = xfer_base(bo, w);
		t.flags |= 0x8;
		expect("transfer-bad-flags", xfer(fd, &t), EINVAL);
		t = xfer_base(bo, w);
		t.flags |= VIRTGPU_NG_TRANSFER_FROM_HOST;
		expect("transfer-both-directions", xfer(fd, &t), EINVAL);
		t = xfer_base(bo, w);
		t.flags = VIRTGPU_NG_TRANSFER_WAIT;
		expect("transfer-no-direction", xfer(fd, &t), EINVAL);
		t = xfer_base(bo, w);
		t.pad = 1;
		expect("transfer-pad", xfer(fd, &t), EINVAL);
		t = xfer_base(bo, w);
		t.timeout_ns = vgu_now_ns() + SEC;
		expect("transfer-timeout-without-wait", xfer(fd, &t), EINVAL);
		t = xfer_base(BAD_HANDLE, w);
		expect("transfer-unknown-handle", xfer(fd, &t), ENOENT);
		t = xfer_base(bo, w);
		t.box.x = 0xffffffff;
		t.box.w = 2;
		expect("transfer-box-overflow", xfer(fd, &t), EINVAL);
		t = xfer_base(bo, w);
		t.offset = PAGE;
		expect("transfer-offset-past-end", xfer(fd, &t), EINVAL);

		t = xfer_base(bo, w);
		t.flags |= VIRTGPU_NG_TRANSFER_WAIT;
		t.timeout_ns = vgu_now_ns() + 30 * SEC;
		expect("transfer-to-host-wait", xfer(fd, &t), 0);
		t = xfer_base(bo, w);
		t.flags |= VIRTGPU_NG_TRANSFER_WAIT;
		t.timeout_ns = 1;
		ret = xfer(fd, &t);
		check("transfer-deadline-past", ret == ETIME || !ret, "got %s",
		      ename(ret));
	}
	if (ft.virgl) {
		readback(fd, bo, PAGE);
	} else {
		t = xfer_base(bo, PAGE / 4);
		t.flags = VIRTGPU_NG_TRANSFER_FROM_HOST;
		expect("transfer-readback", xfer(fd, &t), EOPNOTSUPP);
	}
	close_handle(fd, bo);
}

int main(void)
{
	int fd, v;

	fd = open_render();
	if (fd < 0) {
		fail("open", "no virtio_gpu render node");
		return test_exit();
	}
	if (getparam(fd, VIRTGPU_NG_PARAM_TRANSFER, &v)) {
		const char *why = "driver has no virtio-gpu-ng uAPI (GETPARAM 0x102 fails)";

		SKIP_ALL(getparam_tests, why);
		SKIP_ALL(submit_tests, why);
		SKIP_ALL(blob_tests, why);
		SKIP_ALL(host_tests, why);
		SKIP_ALL(xfer_tests, why);
		close(fd);
		return test_exit();
	}
	probe_features(fd, &ft);
	test_getparam(fd);
	test_submit(fd);
	test_blob_create(fd);
	test_host_blobs(fd);
	test_transfer(fd);
	close(fd);
	return test_exit();
}
