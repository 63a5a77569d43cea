// SPDX-License-Identifier: MIT
/*
 * uapi: every validation path of the virtio-gpu ioctls, one test each.
 *
 * Each invalid-input test starts from a request that is valid on this
 * host, changes exactly one field and expects exactly one errno. Features
 * the host does not offer (probed with GETPARAM) make their tests SKIP.
 * The positive tests check that the valid base requests really work.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>
#include <xf86drm.h>

#include "virtgpu_drm.h"
#include "vgu_test.h"

#define BAD_PTR		8ull	/* never mapped: the zero page is not */
#define BAD_HANDLE	0x7fffffffu
#define NOP_CMD		0u	/* VIRGL_CMD0(VIRGL_CCMD_NOP, 0, 0) */
#define PAGE		4096u

static struct vgu_features ft;
static const char *no_3d = "host has no 3D (3D_FEATURES == 0)";

/* ---------------------------------------------------------------- GETPARAM */

static void test_getparam(int fd)
{
	struct drm_virtgpu_getparam gp;
	int v = 0;

	gp = (struct drm_virtgpu_getparam){ .param = 1000, .value = (uintptr_t)&v };
	expect("getparam-bad-param", xioctl(fd, DRM_IOCTL_VIRTGPU_GETPARAM, &gp),
	       EINVAL);

	gp = (struct drm_virtgpu_getparam){
		.param = VIRTGPU_PARAM_3D_FEATURES, .value = BAD_PTR };
	expect("getparam-bad-pointer",
	       xioctl(fd, DRM_IOCTL_VIRTGPU_GETPARAM, &gp), EFAULT);

	check("getparam-capset-query-fix", ft.query_fix == 1,
	      "CAPSET_QUERY_FIX = %d", ft.query_fix);
}

/* ----------------------------------------------------------- RESOURCE_CREATE */

static int try_create(int fd, struct drm_virtgpu_resource_create *rc)
{
	int ret = xioctl(fd, DRM_IOCTL_VIRTGPU_RESOURCE_CREATE, rc);

	if (!ret)	/* unexpected success: do not leak the object */
		close_handle(fd, rc->bo_handle);
	return ret;
}

static void test_resource_create(int fd)
{
	static const struct {
		const char *name;
		size_t off;
		uint32_t val;
	} only2d[] = {
#define F(n, f, v) { n, offsetof(struct drm_virtgpu_resource_create, f), v }
		F("resource-create-2d-target-3d", target, 3),
		F("resource-create-2d-depth-2", depth, 2),
		F("resource-create-2d-array-size-2", array_size, 2),
		F("resource-create-2d-last-level-1", last_level, 1),
		F("resource-create-2d-nr-samples-2", nr_samples, 2),
#undef F
	};
	struct drm_virtgpu_resource_create rc;
	struct drm_virtgpu_resource_info ri;
	unsigned int i;
	int ret;

	rc = rt64_args();
	rc.width = 0;
	expect("resource-create-width-0", try_create(fd, &rc), EINVAL);
	rc = rt64_args();
	rc.height = 0;
	expect("resource-create-height-0", try_create(fd, &rc), EINVAL);

	for (i = 0; i < sizeof(only2d) / sizeof(only2d[0]); i++) {
		if (ft.virgl) {
			skip(only2d[i].name, "host has 3D: 2D-only limits do not apply");
			continue;
		}
		rc = rt64_args();
		memcpy((char *)&rc + only2d[i].off, &only2d[i].val,
		       sizeof(uint32_t));
		expect(only2d[i].name, try_create(fd, &rc), EINVAL);
	}

	rc = rt64_args();
	ret = xioctl(fd, DRM_IOCTL_VIRTGPU_RESOURCE_CREATE, &rc);
	check("resource-create-valid", !ret && rc.bo_handle && rc.res_handle,
	      "%s, bo_handle %u res_handle %u", ename(ret), rc.bo_handle,
	      rc.res_handle);
	if (ret) {
		skip("resource-info-valid", "no resource");
	} else {
		ri = (struct drm_virtgpu_resource_info){ .bo_handle = rc.bo_handle };
		ret = xioctl(fd, DRM_IOCTL_VIRTGPU_RESOURCE_INFO, &ri);
		check("resource-info-valid",
		      !ret && ri.res_handle == rc.res_handle &&
		      ri.size == 64 * 64 * 4 && ri.blob_mem == 0,
		      "%s, res_handle %u (want %u) size %u (want %u) blob_mem %u",
		      ename(ret), ri.res_handle, rc.res_handle, ri.size,
		      64 * 64 * 4, ri.blob_mem);
		close_handle(fd, rc.bo_handle);
	}

	ri = (struct drm_virtgpu_resource_info){ .bo_handle = BAD_HANDLE };
	expect("resource-info-unknown-handle",
	       xioctl(fd, DRM_IOCTL_VIRTGPU_RESOURCE_INFO, &ri), ENOENT);
}

/*
 * Run last: a driver that does not bound the size (the distro's) tries to
 * back 4 GiB and runs the guest out of memory, which would cost every test
 * after it.
 */
static void test_resource_create_huge(int fd)
{
	struct drm_virtgpu_resource_create rc = rt64_args();

	rc.size = 0xffffffff;
	expect("resource-create-size-4g", try_create(fd, &rc), EINVAL);
}

/* --------------------------------------------------------------------- MAP */

static void test_map(int fd)
{
	struct drm_virtgpu_map m;
	uint32_t bo = rt64_create(fd);
	volatile uint32_t *p;
	int ret, ok;

	if (!bo) {
		fail("map-setup", "cannot create a resource: %s", ename(errno));
		return;
	}
	m = (struct drm_virtgpu_map){ .handle = bo, .pad = 1 };
	expect("map-pad", xioctl(fd, DRM_IOCTL_VIRTGPU_MAP, &m), EINVAL);
	m = (struct drm_virtgpu_map){ .handle = BAD_HANDLE };
	expect("map-unknown-handle", xioctl(fd, DRM_IOCTL_VIRTGPU_MAP, &m),
	       ENOENT);

	m = (struct drm_virtgpu_map){ .handle = bo };
	ret = xioctl(fd, DRM_IOCTL_VIRTGPU_MAP, &m);
	if (ret) {
		fail("map-valid", "MAP: %s", ename(ret));
	} else {
		p = mmap(NULL, 64 * 64 * 4, PROT_READ | PROT_WRITE, MAP_SHARED,
			 fd, m.offset);
		if (p == MAP_FAILED) {
			fail("map-valid", "mmap offset 0x%llx: %s",
			     (unsigned long long)m.offset, strerror(errno));
		} else {
			p[0] = 0xdeadbeef;
			p[64 * 64 - 1] = 0xcafef00d;
			ok = p[0] == 0xdeadbeef && p[64 * 64 - 1] == 0xcafef00d;
			check("map-valid", ok, "read back %08x %08x", p[0],
			      p[64 * 64 - 1]);
			munmap((void *)p, 64 * 64 * 4);
		}
	}
	close_handle(fd, bo);
}

/* ------------------------------------------------------------- TRANSFERS */

static struct drm_virtgpu_3d_transfer_to_host xfer_base(uint32_t bo)
{
	return (struct drm_virtgpu_3d_transfer_to_host){
		.bo_handle = bo,
		.box = { .w = 64, .h = 64, .d = 1 },
	};
}

static void test_transfers(int fd)
{
	struct drm_virtgpu_3d_transfer_to_host t;
	struct drm_virtgpu_3d_wait w;
	uint32_t bo = rt64_create(fd);
	int ret;

	if (!bo) {
		fail("transfer-setup", "cannot create a resource: %s",
		     ename(errno));
		return;
	}
	/* from_host and to_host share one layout. */
	if (!ft.virgl) {
		t = xfer_base(bo);
		expect("transfer-from-host-2d",
		       xioctl(fd, DRM_IOCTL_VIRTGPU_TRANSFER_FROM_HOST, &t),
		       EOPNOTSUPP);
		skip("transfer-from-host-unknown-handle", "%s", no_3d);
		skip("transfer-from-host-box-x-overflow", "%s", no_3d);
		skip("transfer-from-host-offset-past-end", "%s", no_3d);
		skip("transfer-from-host-valid", "%s", no_3d);
	} else {
		skip("transfer-from-host-2d", "host has 3D");
		t = xfer_base(BAD_HANDLE);
		expect("transfer-from-host-unknown-handle",
		       xioctl(fd, DRM_IOCTL_VIRTGPU_TRANSFER_FROM_HOST, &t),
		       ENOENT);
		t = xfer_base(bo);
		t.box.x = 0xffffffff;
		t.box.w = 2;
		expect("transfer-from-host-box-x-overflow",
		       xioctl(fd, DRM_IOCTL_VIRTGPU_TRANSFER_FROM_HOST, &t),
		       EINVAL);
		t = xfer_base(bo);
		t.offset = 64 * 64 * 4;
		expect("transfer-from-host-offset-past-end",
		       xioctl(fd, DRM_IOCTL_VIRTGPU_TRANSFER_FROM_HOST, &t),
		       EINVAL);
		t = xfer_base(bo);
		expect("transfer-from-host-valid",
		       xioctl(fd, DRM_IOCTL_VIRTGPU_TRANSFER_FROM_HOST, &t), 0);
	}

	t = xfer_base(BAD_HANDLE);
	expect("transfer-to-host-unknown-handle",
	       xioctl(fd, DRM_IOCTL_VIRTGPU_TRANSFER_TO_HOST, &t), ENOENT);
	t = xfer_base(bo);
	t.box.y = 0xfffffff0;
	t.box.h = 0x20;
	expect("transfer-to-host-box-y-overflow",
	       xioctl(fd, DRM_IOCTL_VIRTGPU_TRANSFER_TO_HOST, &t), EINVAL);
	t = xfer_base(bo);
	t.offset = 64 * 64 * 4;
	expect("transfer-to-host-offset-past-end",
	       xioctl(fd, DRM_IOCTL_VIRTGPU_TRANSFER_TO_HOST, &t), EINVAL);
	t = xfer_base(bo);
	ret = xioctl(fd, DRM_IOCTL_VIRTGPU_TRANSFER_TO_HOST, &t);
	if (!ret) {
		/* The transfer must complete: a blocking WAIT returns 0. */
		w = (struct drm_virtgpu_3d_wait){ .handle = bo };
		ret = xioctl(fd, DRM_IOCTL_VIRTGPU_WAIT, &w);
	}
	expect("transfer-to-host-valid", ret, 0);
	close_handle(fd, bo);
}

/* -------------------------------------------------------------------- WAIT */

static void test_wait(int fd)
{
	struct drm_virtgpu_3d_wait w;
	uint32_t bo = rt64_create(fd);
	int ret;

	if (!bo) {
		fail("wait-setup", "cannot create a resource: %s", ename(errno));
		return;
	}
	w = (struct drm_virtgpu_3d_wait){ .handle = bo, .flags = 2 };
	expect("wait-bad-flags", xioctl(fd, DRM_IOCTL_VIRTGPU_WAIT, &w), EINVAL);
	w = (struct drm_virtgpu_3d_wait){ .handle = BAD_HANDLE };
	expect("wait-unknown-handle", xioctl(fd, DRM_IOCTL_VIRTGPU_WAIT, &w),
	       ENOENT);

	/* Make it idle first: a blocking WAIT, then the NOWAIT under test. */
	w = (struct drm_virtgpu_3d_wait){ .handle = bo };
	ret = xioctl(fd, DRM_IOCTL_VIRTGPU_WAIT, &w);
	if (ret) {
		fail("wait-nowait-idle", "blocking WAIT first: %s", ename(ret));
	} else {
		w = (struct drm_virtgpu_3d_wait){
			.handle = bo, .flags = VIRTGPU_WAIT_NOWAIT };
		expect("wait-nowait-idle",
		       xioctl(fd, DRM_IOCTL_VIRTGPU_WAIT, &w), 0);
	}
	close_handle(fd, bo);
}

/* ---------------------------------------------------------------- GET_CAPS */

static void test_get_caps(int fd)
{
	static uint32_t buf[4096 / 4];
	struct drm_virtgpu_get_caps gc, base;
	int ret;

	base = (struct drm_virtgpu_get_caps){
		.cap_set_id = ft.virgl_capset ? ft.virgl_capset : 1,
		.cap_set_ver = 0,
		.addr = (uintptr_t)buf,
		.size = sizeof(buf),
	};
	if (!ft.virgl) {
		gc = base;
		expect("get-caps-2d", xioctl(fd, DRM_IOCTL_VIRTGPU_GET_CAPS, &gc),
		       EOPNOTSUPP);
		skip("get-caps-pad", "%s", no_3d);
		skip("get-caps-bad-id", "%s", no_3d);
		skip("get-caps-bad-version", "%s", no_3d);
		skip("get-caps-bad-addr", "%s", no_3d);
		skip("get-caps-valid", "%s", no_3d);
		return;
	}
	skip("get-caps-2d", "host has 3D");
	if (!ft.virgl_capset) {
		skip("get-caps-pad", "no virgl capset (capsets 0x%x)", ft.capsets);
		skip("get-caps-bad-id", "no virgl capset");
		skip("get-caps-bad-version", "no virgl capset");
		skip("get-caps-bad-addr", "no virgl capset");
		skip("get-caps-valid", "no virgl capset");
		return;
	}
	gc = base;
	gc.pad = 1;
	expect("get-caps-pad", xioctl(fd, DRM_IOCTL_VIRTGPU_GET_CAPS, &gc), EINVAL);
	gc = base;
	gc.cap_set_id = 99;
	expect("get-caps-bad-id", xioctl(fd, DRM_IOCTL_VIRTGPU_GET_CAPS, &gc),
	       EINVAL);
	gc = base;
	gc.cap_set_ver = 1000;
	expect("get-caps-bad-version",
	       xioctl(fd, DRM_IOCTL_VIRTGPU_GET_CAPS, &gc), EINVAL);
	gc = base;
	gc.addr = BAD_PTR;
	expect("get-caps-bad-addr", xioctl(fd, DRM_IOCTL_VIRTGPU_GET_CAPS, &gc),
	       EFAULT);
	gc = base;
	memset(buf, 0, sizeof(buf));
	ret = xioctl(fd, DRM_IOCTL_VIRTGPU_GET_CAPS, &gc);
	check("get-caps-valid", !ret && buf[0],
	      "capset %u: %s, first dword %u", gc.cap_set_id, ename(ret), buf[0]);
}

/* ----------------------------------------------------- RESOURCE_CREATE_BLOB */

static const char *const blob_tests[] = {
	"blob-pad", "blob-bad-flags", "blob-mem-0", "blob-mem-4", "blob-size-0",
	"blob-size-unaligned", "blob-cmd-size-unaligned", "blob-cmd-size-128k",
	"blob-guest-blob-id", "blob-cross-device", "blob-cmd-bad-pointer",
	"blob-guest-valid", "blob-guest-mmap", "blob-guest-info",
	"blob-guest-transfer",
};

static const struct drm_virtgpu_resource_create_blob blob_base = GUEST_BLOB_PAGE;

static void test_blob(int fd)
{
	static const uint32_t nop = NOP_CMD;
	int cross = 0, cross_want = !getparam(fd, VIRTGPU_PARAM_CROSS_DEVICE,
					      &cross) && cross ? 0 : EOPNOTSUPP;
#define B(n, f, v, e) FIELD_TEST(n, struct drm_virtgpu_resource_create_blob, f, v, e)
	const struct field_test bad[] = {
		B("blob-pad", pad, 1, EINVAL),
		B("blob-bad-flags", blob_flags, 0x8, EINVAL),
		B("blob-mem-0", blob_mem, 0, EINVAL),
		B("blob-mem-4", blob_mem, 4, EINVAL),
		B("blob-size-0", size, 0, EINVAL),
		B("blob-size-unaligned", size, PAGE + 1, EINVAL),
		B("blob-cmd-size-unaligned", cmd_size, 3, EINVAL),
		B("blob-cmd-size-128k", cmd_size, 128 << 10, EINVAL),
		B("blob-guest-blob-id", blob_id, 1, EINVAL),
		/* Valid where the host names resources for other devices. */
		B("blob-cross-device", blob_flags, VIRTGPU_BLOB_FLAG_USE_MAPPABLE |
		  VIRTGPU_BLOB_FLAG_USE_CROSS_DEVICE, cross_want),
	};
#undef B
	struct drm_virtgpu_resource_create_blob b;
	struct drm_virtgpu_resource_info ri;
	struct drm_virtgpu_3d_transfer_to_host t;
	struct drm_virtgpu_map m;
	volatile uint32_t *p;
	unsigned int i;
	int ret;

	if (!ft.blob) {
		b = blob_base;
		expect("blob-unsupported", try_blob(fd, &b), EOPNOTSUPP);
		SKIP_ALL(blob_tests, "host has no blob resources");
		return;
	}
	skip("blob-unsupported", "host offers blob resources");

	expect_fields(fd, &blob_base, sizeof(blob_base), try_blob, bad,
		      sizeof(bad) / sizeof(bad[0]));

	/*
	 * Base with a context command (one NOP, which the host context runs
	 * before the blob is made): valid, then with a bad command pointer.
	 */
	b = blob_base;
	b.cmd = (uintptr_t)&nop;
	b.cmd_size = 4;
	ret = try_blob(fd, &b);
	if (ret) {
		skip("blob-cmd-bad-pointer",
		     "the base request with a NOP command fails: %s", ename(ret));
	} else {
		b.cmd = BAD_PTR;
		expect("blob-cmd-bad-pointer", try_blob(fd, &b), EFAULT);
	}

	b = blob_base;
	ret = xioctl(fd, DRM_IOCTL_VIRTGPU_RESOURCE_CREATE_BLOB, &b);
	check("blob-guest-valid", !ret && b.bo_handle,
	      "%s, bo_handle %u", ename(ret), b.bo_handle);
	if (ret) {
		skip("blob-guest-mmap", "no blob");
		skip("blob-guest-info", "no blob");
		skip("blob-guest-transfer", "no blob");
		return;
	}

	m = (struct drm_virtgpu_map){ .handle = b.bo_handle };
	ret = xioctl(fd, DRM_IOCTL_VIRTGPU_MAP, &m);
	if (ret) {
		fail("blob-guest-mmap", "MAP: %s", ename(ret));
	} else {
		p = mmap(NULL, PAGE, PROT_READ | PROT_WRITE, MAP_SHARED, fd,
			 m.offset);
		if (p == MAP_FAILED) {
			fail("blob-guest-mmap", "mmap: %s", strerror(errno));
		} else {
			for (i = 0; i < PAGE / 4; i++)
				p[i] = i * 0x01010101u;
			for (i = 0; i < PAGE / 4; i++)
				if (p[i] != i * 0x01010101u)
					break;
			check("blob-guest-mmap", i == PAGE / 4,
			      "word %u reads %08x", i, i < PAGE / 4 ? p[i] : 0);
			munmap((void *)p, PAGE);
		}
	}

	ri = (struct drm_virtgpu_resource_info){ .bo_handle = b.bo_handle };
	ret = xioctl(fd, DRM_IOCTL_VIRTGPU_RESOURCE_INFO, &ri);
	check("blob-guest-info",
	      !ret && ri.blob_mem == VIRTGPU_BLOB_MEM_GUEST &&
	      ri.res_handle == b.res_handle && ri.size == PAGE,
	      "%s, blob_mem %u res_handle %u (want %u) size %u", ename(ret),
	      ri.blob_mem, ri.res_handle, b.res_handle, ri.size);

	t = (struct drm_virtgpu_3d_transfer_to_host){
		.bo_handle = b.bo_handle,
		.box = { .w = 16, .h = 16, .d = 1 },
	};
	expect("blob-guest-transfer",
	       xioctl(fd, DRM_IOCTL_VIRTGPU_TRANSFER_TO_HOST, &t), EINVAL);
	close_handle(fd, b.bo_handle);
}

/* ------------------------------------------------------------ CONTEXT_INIT */

static const char *const ctx_tests[] = {
	"context-init-pad", "context-init-num-params-0",
	"context-init-num-params-5", "context-init-bad-params-pointer",
	"context-init-unknown-param", "context-init-duplicate-param",
	"context-init-unsupported-capset", "context-init-num-rings-0",
	"context-init-num-rings-65", "context-init-poll-mask-past-rings",
	"context-init-valid", "context-init-twice", "context-init-64-rings",
};

/* params[]: CAPSET_ID virgl, NUM_RINGS 2, POLL_RINGS_MASK 1, zeroes. */
static void ctx_base(struct drm_virtgpu_context_set_param params[8],
		     struct drm_virtgpu_context_init *ci)
{
	memset(params, 0, 8 * sizeof(*params));
	params[0].param = VIRTGPU_CONTEXT_PARAM_CAPSET_ID;
	params[0].value = ft.virgl_capset;
	params[1].param = VIRTGPU_CONTEXT_PARAM_NUM_RINGS;
	params[1].value = 2;
	params[2].param = VIRTGPU_CONTEXT_PARAM_POLL_RINGS_MASK;
	params[2].value = 1;
	*ci = (struct drm_virtgpu_context_init){
		.num_params = 3,
		.ctx_set_params = (uintptr_t)params,
	};
}

/* CONTEXT_INIT on a fresh file: a context is made once per open file. */
static int ctx_init_fresh(struct drm_virtgpu_context_init *ci)
{
	int fd = open_render(), ret;

	if (fd < 0)
		return ENODEV;
	ret = xioctl(fd, DRM_IOCTL_VIRTGPU_CONTEXT_INIT, ci);
	close(fd);
	return ret;
}

static void test_context_init(void)
{
	struct drm_virtgpu_context_set_param p[8];
	struct drm_virtgpu_context_init ci;
	unsigned int i;
	int fd, ret;

	if (!ft.ctx_init) {
		ctx_base(p, &ci);
		expect("context-init-unsupported", ctx_init_fresh(&ci),
		       EOPNOTSUPP);
		for (i = 0; i < sizeof(ctx_tests) / sizeof(ctx_tests[0]); i++)
			skip(ctx_tests[i], "host has no CONTEXT_INIT");
		return;
	}
	skip("context-init-unsupported", "host offers CONTEXT_INIT");
	if (!ft.virgl_capset) {
		for (i = 0; i < sizeof(ctx_tests) / sizeof(ctx_tests[0]); i++)
			skip(ctx_tests[i], "no virgl capset (capsets 0x%x)",
			     ft.capsets);
		return;
	}

	ctx_base(p, &ci);
	ci.pad = 1;
	expect("context-init-pad", ctx_init_fresh(&ci), EINVAL);
	ctx_base(p, &ci);
	ci.num_params = 0;
	expect("context-init-num-params-0", ctx_init_fresh(&ci), EINVAL);
	ctx_base(p, &ci);
	ci.num_params = 5;
	expect("context-init-num-params-5", ctx_init_fresh(&ci), EINVAL);
	ctx_base(p, &ci);
	ci.ctx_set_params = BAD_PTR;
	expect("context-init-bad-params-pointer", ctx_init_fresh(&ci), EFAULT);
	ctx_base(p, &ci);
	p[2].param = 99;
	expect("context-init-unknown-param", ctx_init_fresh(&ci), EINVAL);
	ctx_base(p, &ci);
	p[2].param = VIRTGPU_CONTEXT_PARAM_NUM_RINGS;
	expect("context-init-duplicate-param", ctx_init_fresh(&ci), EINVAL);
	/* GETPARAM reports the mask as an int: 63 can never be in it. */
	ctx_base(p, &ci);
	p[0].value = 63;
	expect("context-init-unsupported-capset", ctx_init_fresh(&ci), EINVAL);
	ctx_base(p, &ci);
	p[1].value = 0;
	expect("context-init-num-rings-0", ctx_init_fresh(&ci), EINVAL);
	ctx_base(p, &ci);
	p[1].value = 65;
	expect("context-init-num-rings-65", ctx_init_fresh(&ci), EINVAL);
	ctx_base(p, &ci);
	p[2].value = 1u << 2;
	expect("context-init-poll-mask-past-rings", ctx_init_fresh(&ci), EINVAL);

	fd = open_render();
	ctx_base(p, &ci);
	ret = xioctl(fd, DRM_IOCTL_VIRTGPU_CONTEXT_INIT, &ci);
	expect("context-init-valid", ret, 0);
	if (ret) {
		skip("context-init-twice", "the first CONTEXT_INIT failed");
	} else {
		ctx_base(p, &ci);
		expect("context-init-twice",
		       xioctl(fd, DRM_IOCTL_VIRTGPU_CONTEXT_INIT, &ci), EEXIST);
	}
	close(fd);

	/* The largest ring count with the highest ring polled is valid. */
	ctx_base(p, &ci);
	p[1].value = 64;
	p[2].value = 1ull << 63;
	ret = ctx_init_fresh(&ci);
	expect("context-init-64-rings", ret, 0);
	if (ret) {
		/* Diagnosis for the report: which part is refused. */
		p[2].value = 1;
		printf("# NUM_RINGS 64, POLL_RINGS_MASK 1: %s\n",
		       ename(ctx_init_fresh(&ci)));
		p[1].value = 63;
		p[2].value = 1ull << 62;
		printf("# NUM_RINGS 63, POLL_RINGS_MASK 1 << 62: %s\n",
		       ename(ctx_init_fresh(&ci)));
		ci.num_params = 2;
		p[1].value = 64;
		printf("# NUM_RINGS 64 without POLL_RINGS_MASK: %s\n",
		       ename(ctx_init_fresh(&ci)));
	}
}

/* -------------------------------------------------------------- EXECBUFFER */

static const char *const exec_tests[] = {
	"execbuf-bad-flags", "execbuf-size-32m", "execbuf-num-bos-100000",
	"execbuf-num-in-syncobjs-2000", "execbuf-syncobj-stride-8",
	"execbuf-ring-idx-without-rings", "execbuf-bad-command-pointer",
	"execbuf-unknown-bo", "execbuf-duplicate-bo", "execbuf-fence-fd-in-minus-1",
	"execbuf-in-syncobj-bad-flags", "execbuf-in-syncobj-unknown",
	"execbuf-out-syncobj-bad-flags", "execbuf-out-syncobj-unknown",
	"execbuf-nop", "execbuf-with-bo", "execbuf-in-syncobj",
	"execbuf-fence-fd-out", "execbuf-out-syncobj",
	"execbuf-out-syncobj-timeline", "execbuf-ring-event",
	"execbuf-ring-idx-past-rings",
};

static const uint32_t nop_stream[1] = { NOP_CMD };

static struct drm_virtgpu_execbuffer exec_base(void)
{
	return (struct drm_virtgpu_execbuffer){
		.size = sizeof(nop_stream),
		.command = (uintptr_t)nop_stream,
		.fence_fd = -1,
		.syncobj_stride = sizeof(struct drm_virtgpu_execbuffer_syncobj),
	};
}

static int execbuf(int fd, struct drm_virtgpu_execbuffer *eb)
{
	int ret = xioctl(fd, DRM_IOCTL_VIRTGPU_EXECBUFFER, eb);

	if (!ret && eb->flags & VIRTGPU_EXECBUF_FENCE_FD_OUT && eb->fence_fd >= 0)
		close(eb->fence_fd);
	return ret;
}

/* Waits for a sync_file fd to signal; 0, or an errno / ETIME. */
static int wait_fd(int fd, int ms)
{
	struct pollfd pfd = { .fd = fd, .events = POLLIN };
	int n;

	do {
		n = poll(&pfd, 1, ms);
	} while (n < 0 && errno == EINTR);
	if (n < 0)
		return errno;
	return n ? 0 : ETIME;
}

static int64_t abs_timeout_ns(int ms)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000ll + ts.tv_nsec +
	       (int64_t)ms * 1000000ll;
}

static void test_exec_rings(void)
{
	struct drm_virtgpu_context_set_param p[8];
	struct drm_virtgpu_context_init ci;
	struct drm_virtgpu_execbuffer eb;
	struct drm_event ev;
	char buf[256];
	ssize_t n;
	int fd, ret;

	if (!ft.ctx_init || !ft.virgl_capset) {
		skip("execbuf-ring-event", "host has no CONTEXT_INIT");
		skip("execbuf-ring-idx-past-rings", "host has no CONTEXT_INIT");
		return;
	}
	fd = open_render();
	ctx_base(p, &ci);
	ret = xioctl(fd, DRM_IOCTL_VIRTGPU_CONTEXT_INIT, &ci);
	if (ret) {
		fail("execbuf-ring-event", "CONTEXT_INIT: %s", ename(ret));
		skip("execbuf-ring-idx-past-rings", "CONTEXT_INIT failed");
		close(fd);
		return;
	}
	eb = exec_base();
	eb.flags = VIRTGPU_EXECBUF_RING_IDX;
	eb.ring_idx = 0;
	ret = execbuf(fd, &eb);
	if (ret) {
		fail("execbuf-ring-event", "EXECBUFFER on ring 0: %s", ename(ret));
	} else if ((ret = wait_fd(fd, 10000))) {
		fail("execbuf-ring-event", "no event within 10 s: %s", ename(ret));
	} else {
		n = read(fd, buf, sizeof(buf));
		if (n < (ssize_t)sizeof(ev)) {
			fail("execbuf-ring-event", "read: %zd (%s)", n,
			     n < 0 ? strerror(errno) : "short");
		} else {
			memcpy(&ev, buf, sizeof(ev));
			check("execbuf-ring-event",
			      ev.type == VIRTGPU_EVENT_FENCE_SIGNALED &&
			      ev.length == sizeof(ev),
			      "event type 0x%x length %u", ev.type, ev.length);
		}
	}
	eb = exec_base();
	eb.flags = VIRTGPU_EXECBUF_RING_IDX;
	eb.ring_idx = 2;
	expect("execbuf-ring-idx-past-rings", execbuf(fd, &eb), EINVAL);
	close(fd);
}

static void test_execbuffer(int fd)
{
	struct drm_virtgpu_execbuffer_syncobj in, out;
	struct drm_virtgpu_execbuffer eb;
	uint32_t bo, bos[2], sync_in = 0, sync_out = 0, sync_tl = 0;
	unsigned int i;
	uint64_t point;
	int ret;

	if (!ft.virgl) {
		eb = exec_base();
		expect("execbuf-2d", execbuf(fd, &eb), EOPNOTSUPP);
		for (i = 0; i < sizeof(exec_tests) / sizeof(exec_tests[0]); i++)
			skip(exec_tests[i], "%s", no_3d);
		return;
	}
	skip("execbuf-2d", "host has 3D");

	eb = exec_base();
	expect("execbuf-nop", execbuf(fd, &eb), 0);

	eb = exec_base();
	eb.flags = 0x100;
	expect("execbuf-bad-flags", execbuf(fd, &eb), EINVAL);
	eb = exec_base();
	eb.size = 32u << 20;
	expect("execbuf-size-32m", execbuf(fd, &eb), EINVAL);
	eb = exec_base();
	eb.num_bo_handles = 100000;
	expect("execbuf-num-bos-100000", execbuf(fd, &eb), EINVAL);
	eb = exec_base();
	eb.num_in_syncobjs = 2000;
	expect("execbuf-num-in-syncobjs-2000", execbuf(fd, &eb), EINVAL);
	eb = exec_base();
	eb.flags = VIRTGPU_EXECBUF_RING_IDX;
	expect("execbuf-ring-idx-without-rings", execbuf(fd, &eb), EINVAL);
	eb = exec_base();
	eb.command = BAD_PTR;
	expect("execbuf-bad-command-pointer", execbuf(fd, &eb), EFAULT);
	eb = exec_base();
	eb.flags = VIRTGPU_EXECBUF_FENCE_FD_IN;
	expect("execbuf-fence-fd-in-minus-1", execbuf(fd, &eb), EINVAL);

	/* With one buffer object. */
	bo = rt64_create(fd);
	if (!bo) {
		fail("execbuf-with-bo", "cannot create a resource: %s",
		     ename(errno));
		skip("execbuf-unknown-bo", "no resource");
		skip("execbuf-duplicate-bo", "no resource");
	} else {
		bos[0] = bo;
		eb = exec_base();
		eb.bo_handles = (uintptr_t)bos;
		eb.num_bo_handles = 1;
		expect("execbuf-with-bo", execbuf(fd, &eb), 0);
		/* The list is a set: the same buffer twice is bad input. */
		bos[1] = bo;
		eb.num_bo_handles = 2;
		expect("execbuf-duplicate-bo", execbuf(fd, &eb), EINVAL);
		bos[0] = BAD_HANDLE;
		eb.num_bo_handles = 1;
		expect("execbuf-unknown-bo", execbuf(fd, &eb), ENOENT);
		close_handle(fd, bo);
	}

	/* With one (signalled) in-syncobj. */
	if (drmSyncobjCreate(fd, DRM_SYNCOBJ_CREATE_SIGNALED, &sync_in)) {
		fail("execbuf-in-syncobj", "drmSyncobjCreate: %s", strerror(errno));
		skip("execbuf-syncobj-stride-8", "no syncobj");
		skip("execbuf-in-syncobj-bad-flags", "no syncobj");
		skip("execbuf-in-syncobj-unknown", "no syncobj");
	} else {
		in = (struct drm_virtgpu_execbuffer_syncobj){ .handle = sync_in };
		eb = exec_base();
		eb.num_in_syncobjs = 1;
		eb.in_syncobjs = (uintptr_t)&in;
		expect("execbuf-in-syncobj", execbuf(fd, &eb), 0);
		eb.syncobj_stride = 8;
		expect("execbuf-syncobj-stride-8", execbuf(fd, &eb), EINVAL);
		eb.syncobj_stride = sizeof(in);
		in.flags = 2;
		expect("execbuf-in-syncobj-bad-flags", execbuf(fd, &eb), EINVAL);
		in.flags = 0;
		in.handle = BAD_HANDLE;
		expect("execbuf-in-syncobj-unknown", execbuf(fd, &eb), ENOENT);
	}

	/* Out-fence as a sync_file. */
	eb = exec_base();
	eb.flags = VIRTGPU_EXECBUF_FENCE_FD_OUT;
	ret = xioctl(fd, DRM_IOCTL_VIRTGPU_EXECBUFFER, &eb);
	if (ret) {
		fail("execbuf-fence-fd-out", "EXECBUFFER: %s", ename(ret));
	} else if (eb.fence_fd < 0) {
		fail("execbuf-fence-fd-out", "fence_fd %d", eb.fence_fd);
	} else {
		ret = wait_fd(eb.fence_fd, 10000);
		check("execbuf-fence-fd-out", !ret, "poll: %s",
		      ret == ETIME ? "not signalled within 10 s" : ename(ret));
		close(eb.fence_fd);
	}

	/* Out-syncobjs: binary, then a timeline point. */
	if (drmSyncobjCreate(fd, 0, &sync_out)) {
		fail("execbuf-out-syncobj", "drmSyncobjCreate: %s", strerror(errno));
		skip("execbuf-out-syncobj-bad-flags", "no syncobj");
		skip("execbuf-out-syncobj-unknown", "no syncobj");
	} else {
		out = (struct drm_virtgpu_execbuffer_syncobj){ .handle = sync_out };
		eb = exec_base();
		eb.num_out_syncobjs = 1;
		eb.out_syncobjs = (uintptr_t)&out;
		out.flags = 1;
		expect("execbuf-out-syncobj-bad-flags", execbuf(fd, &eb), EINVAL);
		out.flags = 0;
		out.handle = BAD_HANDLE;
		expect("execbuf-out-syncobj-unknown", execbuf(fd, &eb), ENOENT);
		out.handle = sync_out;
		ret = execbuf(fd, &eb);
		if (ret) {
			fail("execbuf-out-syncobj", "EXECBUFFER: %s", ename(ret));
		} else {
			ret = drmSyncobjWait(fd, &sync_out, 1,
					     abs_timeout_ns(10000), 0, NULL);
			check("execbuf-out-syncobj", !ret,
			      "drmSyncobjWait: %s", strerror(errno));
		}
	}

	if (drmSyncobjCreate(fd, 0, &sync_tl)) {
		fail("execbuf-out-syncobj-timeline", "drmSyncobjCreate: %s",
		     strerror(errno));
	} else {
		out = (struct drm_virtgpu_execbuffer_syncobj){
			.handle = sync_tl, .point = 5 };
		eb = exec_base();
		eb.num_out_syncobjs = 1;
		eb.out_syncobjs = (uintptr_t)&out;
		ret = execbuf(fd, &eb);
		if (ret) {
			fail("execbuf-out-syncobj-timeline", "EXECBUFFER: %s",
			     ename(ret));
		} else {
			point = 5;
			ret = drmSyncobjTimelineWait(fd, &sync_tl, &point, 1,
						     abs_timeout_ns(10000),
						     DRM_SYNCOBJ_WAIT_FLAGS_WAIT_FOR_SUBMIT,
						     NULL);
			ret = ret ? errno : 0;
			if (!ret)
				ret = drmSyncobjQuery(fd, &sync_tl, &point, 1) ?
				      errno : 0;
			check("execbuf-out-syncobj-timeline", !ret && point >= 5,
			      "wait/query: %s, point %llu", ename(ret),
			      (unsigned long long)point);
		}
	}
	if (sync_in)
		drmSyncobjDestroy(fd, sync_in);
	if (sync_out)
		drmSyncobjDestroy(fd, sync_out);
	if (sync_tl)
		drmSyncobjDestroy(fd, sync_tl);

	test_exec_rings();
}

/* -------------------------------------------------------------------- DUMB */

static struct drm_mode_create_dumb dumb_base(void)
{
	return (struct drm_mode_create_dumb){
		.width = 64, .height = 64, .bpp = 32 };
}

static int try_dumb(int fd, struct drm_mode_create_dumb *d)
{
	int ret = xioctl(fd, DRM_IOCTL_MODE_CREATE_DUMB, d);

	if (!ret) {
		struct drm_mode_destroy_dumb dd = { .handle = d->handle };

		drmIoctl(fd, DRM_IOCTL_MODE_DESTROY_DUMB, &dd);
	}
	return ret;
}

static void test_dumb(void)
{
	struct drm_mode_create_dumb d;
	int fd = open_card_of(VGU_DRIVER), ret;

	if (fd < 0) {
		fail("dumb-open", "no virtio_gpu card node");
		return;
	}
	d = dumb_base();
	ret = try_dumb(fd, &d);
	check("dumb-valid", !ret && d.pitch >= 64 * 4 && d.size >= d.pitch * 64,
	      "%s, pitch %u size %llu", ename(ret), d.pitch,
	      (unsigned long long)d.size);
	d = dumb_base();
	d.bpp = 16;
	expect("dumb-bpp-16", try_dumb(fd, &d), EINVAL);
	d = dumb_base();
	d.width = 0;
	expect("dumb-width-0", try_dumb(fd, &d), EINVAL);
	/* Wider than any scanout is still a valid buffer (only ADDFB says no). */
	d = dumb_base();
	d.width = 9000;
	expect("dumb-width-9000", try_dumb(fd, &d), 0);
	close(fd);
}

int main(void)
{
	int fd = open_render();

	if (fd < 0) {
		fail("open", "no virtio_gpu render node");
		return test_exit();
	}
	probe_features(fd, &ft);
	test_getparam(fd);
	test_resource_create(fd);
	test_map(fd);
	test_transfers(fd);
	test_wait(fd);
	test_get_caps(fd);
	test_blob(fd);
	test_context_init();
	test_execbuffer(fd);
	test_dumb();
	test_resource_create_huge(fd);
	close(fd);
	return test_exit();
}
