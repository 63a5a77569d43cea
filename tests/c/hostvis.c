// SPDX-License-Identifier: MIT
/*
 * hostvis: a host-visible HOST3D blob carries data both ways between the
 * guest's mapping and the host renderer.
 *
 * The blob is made the way Mesa's virgl winsys makes one: the context
 * command of RESOURCE_CREATE_BLOB describes a persistent, coherent buffer
 * (virgl PIPE_RESOURCE_CREATE carrying a blob id) and the blob wraps it in
 * the host-visible window. The guest writes a pattern through its mapping;
 * the host copies the blob (virgl RESOURCE_COPY_REGION) into a classic
 * buffer with guest backing, which TRANSFER_FROM_HOST brings back, and the
 * pattern must arrive. The other way round, the host copies another
 * pattern into the blob and the guest reads it through the mapping once
 * WAIT says the copy is done.
 *
 * Results (the runner prefixes "hostvis/"):
 *   blob-create  blob-map  guest-write-host-read  host-write-guest-read
 */
#include <errno.h>
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "virtgpu_drm.h"
#include "vgu_test.h"

#define SIZE		(64u << 10)	/* both buffers, in bytes */
#define WORDS		(SIZE / 4)
#define BLOB_ID		1u		/* ours to choose, per context */

/* virgl protocol values (Mesa: virgl_protocol.h, virgl_hw.h). */
#define VIRGL_CMD0(cmd, obj, len)	((cmd) | ((obj) << 8) | ((len) << 16))
#define VIRGL_CCMD_RESOURCE_COPY_REGION	17
#define VIRGL_CCMD_PIPE_RESOURCE_CREATE	48
#define VIRGL_COPY_REGION_SIZE		13
#define VIRGL_PIPE_RES_CREATE_SIZE	11
#define PIPE_BUFFER			0
#define VIRGL_FORMAT_R8_UNORM		64
#define VIRGL_BIND_VERTEX_BUFFER	(1u << 4)
#define VIRGL_RES_FLAG_MAP_PERSISTENT	(1u << 1)
#define VIRGL_RES_FLAG_MAP_COHERENT	(1u << 2)
/* capability_bits of struct virgl_caps_v2, as a dword index. */
#define VIRGL_CAPS_V2_CAPABILITY_BITS	98
#define VIRGL_CAP_ARB_BUFFER_STORAGE	(1u << 31)

static const char *const results[] = {
	"blob-create", "blob-map", "guest-write-host-read",
	"host-write-guest-read", "prime-export", "prime-self-import",
	"prime-mmap", "prime-attach-vgem",
};

static const char *const prime_results[] = {
	"prime-export", "prime-self-import", "prime-mmap", "prime-attach-vgem",
};

static void skip_prime(const char *why)
{
	unsigned int i;

	for (i = 0; i < sizeof(prime_results) / sizeof(prime_results[0]); i++)
		skip(prime_results[i], "%s", why);
}

static struct vgu_features ft;

static void skip_all(const char *why)
{
	unsigned int i;

	for (i = 0; i < sizeof(results) / sizeof(results[0]); i++)
		skip(results[i], "%s", why);
}

static uint32_t pattern(uint32_t i, uint32_t seed)
{
	return i * 0x9e3779b1u ^ seed;
}

static void fill(volatile uint32_t *p, uint32_t seed)
{
	uint32_t i;

	for (i = 0; i < WORDS; i++)
		p[i] = pattern(i, seed);
}

static void fill_const(volatile uint32_t *p, uint32_t v)
{
	uint32_t i;

	for (i = 0; i < WORDS; i++)
		p[i] = v;
}

/* Checks p against pattern(seed): PASS, or FAIL naming the first bad word. */
static void compare(const char *name, const volatile uint32_t *p,
		    uint32_t seed)
{
	uint32_t i, bad = 0, first = WORDS;

	for (i = 0; i < WORDS; i++) {
		if (p[i] != pattern(i, seed)) {
			if (first == WORDS)
				first = i;
			bad++;
		}
	}
	if (!bad) {
		pass(name);
		return;
	}
	fail(name, "%u of %u words differ; word %u is %08x, want %08x", bad,
	     WORDS, first, p[first], pattern(first, seed));
}

/* Does the host renderer back persistent buffer mappings? */
static int host_has_buffer_storage(int fd)
{
	static uint32_t caps[1024];
	struct drm_virtgpu_get_caps gc = {
		.cap_set_id = 2,	/* VIRGL2: the one with capability_bits */
		.addr = (uintptr_t)caps,
		.size = sizeof(caps),
	};
	int ret = xioctl(fd, DRM_IOCTL_VIRTGPU_GET_CAPS, &gc);

	if (ret)
		return -ret;
	return !!(caps[VIRGL_CAPS_V2_CAPABILITY_BITS] &
		  VIRGL_CAP_ARB_BUFFER_STORAGE);
}

/* The context speaks virgl explicitly where the host lets us say so. */
static int init_context(int fd)
{
	struct drm_virtgpu_context_set_param p = {
		.param = VIRTGPU_CONTEXT_PARAM_CAPSET_ID,
		.value = 2,
	};
	struct drm_virtgpu_context_init ci = {
		.num_params = 1,
		.ctx_set_params = (uintptr_t)&p,
	};

	if (!ft.ctx_init)
		return 0;	/* the first 3D ioctl makes a virgl context */
	return xioctl(fd, DRM_IOCTL_VIRTGPU_CONTEXT_INIT, &ci);
}

/*
 * The host copies all of resource @src_res into @dst_res. Both objects go
 * into the submission so that the fence guards both.
 */
static int host_copy(int fd, uint32_t dst_res, uint32_t src_res,
		     uint32_t bo_a, uint32_t bo_b)
{
	uint32_t cmd[1 + VIRGL_COPY_REGION_SIZE] = {
		VIRGL_CMD0(VIRGL_CCMD_RESOURCE_COPY_REGION, 0,
			   VIRGL_COPY_REGION_SIZE),
		dst_res, 0, 0, 0, 0,		/* level, x, y, z */
		src_res, 0, 0, 0, 0,		/* level, x, y, z */
		SIZE, 1, 1,			/* w, h, d */
	};
	uint32_t bos[2] = { bo_a, bo_b };
	struct drm_virtgpu_execbuffer eb = {
		.command = (uintptr_t)cmd,
		.size = sizeof(cmd),
		.bo_handles = (uintptr_t)bos,
		.num_bo_handles = 2,
		.fence_fd = -1,
	};

	return xioctl(fd, DRM_IOCTL_VIRTGPU_EXECBUFFER, &eb);
}

/*
 * PRIME of a host blob, which has no guest pages: another process of this
 * device gets the same object back, a CPU mapping of the dma-buf shows the
 * blob's memory, and another device can attach it (vgem imports it, which
 * maps the attachment: the blob's range of the host-visible window).
 * @blob holds the pattern of @seed when this runs.
 */
static void prime(int fd, uint32_t handle, volatile uint32_t *blob,
		  uint32_t seed)
{
	struct drm_prime_handle ex = {
		.handle = handle, .flags = DRM_CLOEXEC | DRM_RDWR, .fd = -1,
	};
	struct drm_prime_handle im = { .fd = -1 };
	volatile uint32_t *map;
	int ret, vgem, loaded;
	const char *why;

	ret = xioctl(fd, DRM_IOCTL_PRIME_HANDLE_TO_FD, &ex);
	check("prime-export", !ret && ex.fd >= 0, "PRIME_HANDLE_TO_FD: %s",
	      ename(ret));
	if (ret) {
		skip("prime-self-import", "not exported");
		skip("prime-mmap", "not exported");
		skip("prime-attach-vgem", "not exported");
		return;
	}

	im.fd = ex.fd;
	ret = xioctl(fd, DRM_IOCTL_PRIME_FD_TO_HANDLE, &im);
	check("prime-self-import", !ret && im.handle == handle,
	      "PRIME_FD_TO_HANDLE: %s, handle %u for %u", ename(ret),
	      im.handle, handle);

	map = mmap(NULL, SIZE, PROT_READ | PROT_WRITE, MAP_SHARED, ex.fd, 0);
	if (map == MAP_FAILED) {
		fail("prime-mmap", "mmap of the dma-buf: %s", ename(errno));
	} else {
		/* What the GEM mapping shows, then a write seen both ways. */
		compare("prime-mmap", map, seed);
		map[7] = 0xc0ffee07;
		__sync_synchronize();
		if (blob[7] != 0xc0ffee07)
			printf("INFO prime-mmap: write through the dma-buf not seen through the GEM mapping (%08x)\n",
			       blob[7]);
		munmap((void *)map, SIZE);
	}

	vgem = vgem_open(&loaded, &why);
	if (vgem < 0) {
		skip("prime-attach-vgem", "%s", why);
	} else {
		struct drm_prime_handle vi = { .fd = ex.fd };

		ret = xioctl(vgem, DRM_IOCTL_PRIME_FD_TO_HANDLE, &vi);
		check("prime-attach-vgem", !ret && vi.handle,
		      "vgem PRIME_FD_TO_HANDLE: %s", ename(ret));
		close_handle(vgem, vi.handle);
	}
	vgem_close(vgem, loaded);
	close(ex.fd);
}

static void run(int fd)
{
	/*
	 * virglrenderer maps only GL buffers with immutable storage, which it
	 * gives a buffer whose bind is exactly one of a few single uses
	 * (vertex buffer here) and whose flags ask for a persistent map.
	 */
	uint32_t create[1 + VIRGL_PIPE_RES_CREATE_SIZE] = {
		VIRGL_CMD0(VIRGL_CCMD_PIPE_RESOURCE_CREATE, 0,
			   VIRGL_PIPE_RES_CREATE_SIZE),
		PIPE_BUFFER, VIRGL_FORMAT_R8_UNORM, VIRGL_BIND_VERTEX_BUFFER,
		SIZE, 1, 1, 1,			/* width, height, depth, layers */
		0, 0,				/* last_level, nr_samples */
		VIRGL_RES_FLAG_MAP_PERSISTENT | VIRGL_RES_FLAG_MAP_COHERENT,
		BLOB_ID,
	};
	struct drm_virtgpu_resource_create_blob b = {
		.blob_mem = VIRTGPU_BLOB_MEM_HOST3D,
		.blob_flags = VIRTGPU_BLOB_FLAG_USE_MAPPABLE,
		.size = SIZE,
		.cmd = (uintptr_t)create,
		.cmd_size = sizeof(create),
		.blob_id = BLOB_ID,
	};
	struct drm_virtgpu_resource_create rc = virgl_buffer_args(SIZE);
	volatile uint32_t *blob = NULL, *back = NULL;
	int ret;

	ret = init_context(fd);
	if (ret) {
		fail("blob-create", "CONTEXT_INIT with the virgl2 capset: %s",
		     ename(ret));
		skip("blob-map", "no context");
		skip("guest-write-host-read", "no context");
		skip("host-write-guest-read", "no context");
		skip_prime("no context");
		return;
	}
	ret = xioctl(fd, DRM_IOCTL_VIRTGPU_RESOURCE_CREATE_BLOB, &b);
	check("blob-create", !ret && b.bo_handle && b.res_handle,
	      "HOST3D MAPPABLE blob of %u bytes: %s", SIZE, ename(ret));
	if (ret) {
		skip("blob-map", "no blob");
		skip("guest-write-host-read", "no blob");
		skip("host-write-guest-read", "no blob");
		skip_prime("no blob");
		return;
	}
	blob = map_bo(fd, b.bo_handle, SIZE, &ret);
	check("blob-map", blob, "MAP + mmap: %s", ename(ret));
	if (!blob) {
		skip("guest-write-host-read", "blob not mapped");
		skip("host-write-guest-read", "blob not mapped");
		skip_prime("blob not mapped");
		goto out;
	}

	ret = xioctl(fd, DRM_IOCTL_VIRTGPU_RESOURCE_CREATE, &rc);
	if (!ret)
		back = map_bo(fd, rc.bo_handle, SIZE, &ret);
	if (ret) {
		fail("guest-write-host-read", "classic buffer with guest backing: %s",
		     ename(ret));
		skip("host-write-guest-read", "no classic buffer");
		skip_prime("no classic buffer");
		goto out;
	}

	/*
	 * Guest -> host: the pattern goes in through the mapping only. The
	 * backing is filled with something else first, so that a readback
	 * that never happened cannot pass.
	 */
	fill(blob, 0x5eed0001);
	fill_const(back, 0xa5a5a5a5);
	__sync_synchronize();
	ret = host_copy(fd, rc.res_handle, b.res_handle, b.bo_handle,
			rc.bo_handle);
	if (!ret)
		ret = transfer_buffer(fd, DRM_IOCTL_VIRTGPU_TRANSFER_FROM_HOST,
				      rc.bo_handle, SIZE);
	if (!ret)
		ret = wait_idle(fd, rc.bo_handle);
	if (ret)
		fail("guest-write-host-read",
		     "copy, TRANSFER_FROM_HOST, WAIT: %s", ename(ret));
	else
		compare("guest-write-host-read", back, 0x5eed0001);

	/*
	 * Host -> guest: the pattern reaches the host through the classic
	 * buffer, the host copies it into the blob, and the guest reads the
	 * mapping it had poisoned before.
	 */
	fill(back, 0x5eed0002);
	fill_const(blob, 0x5a5a5a5a);
	__sync_synchronize();
	ret = transfer_buffer(fd, DRM_IOCTL_VIRTGPU_TRANSFER_TO_HOST,
			      rc.bo_handle, SIZE);
	if (!ret)
		ret = host_copy(fd, b.res_handle, rc.res_handle, b.bo_handle,
				rc.bo_handle);
	if (!ret)
		ret = wait_idle(fd, b.bo_handle);
	if (ret)
		fail("host-write-guest-read", "TRANSFER_TO_HOST, copy, WAIT: %s",
		     ename(ret));
	else
		compare("host-write-guest-read", blob, 0x5eed0002);
	if (ret)
		skip_prime("the blob's contents are unknown");
	else
		prime(fd, b.bo_handle, blob, 0x5eed0002);
out:
	if (back)
		munmap((void *)back, SIZE);
	if (blob)
		munmap((void *)blob, SIZE);
	close_handle(fd, rc.bo_handle);
	close_handle(fd, b.bo_handle);
}

/* Why this host cannot have a host-visible virgl blob, or NULL. */
static const char *unsupported(void)
{
	if (!ft.virgl)
		return "host has no 3D (3D_FEATURES == 0)";
	if (!ft.blob)
		return "host has no blob resources";
	if (!ft.host_visible)
		return "host has no host-visible window";
	if (ft.virgl_capset != 2)
		return "host offers no virgl2 capset";
	return NULL;
}

int main(void)
{
	int fd = open_render(), bs;
	const char *why;

	if (fd < 0) {
		fail("open", "no virtio_gpu render node");
		return test_exit();
	}
	probe_features(fd, &ft);
	why = unsupported();
	if (why) {
		skip_all(why);
	} else {
		bs = host_has_buffer_storage(fd);
		if (bs < 0)
			fail("blob-create", "GET_CAPS of the virgl2 capset: %s",
			     ename(-bs));
		else if (!bs)
			skip_all("host renderer lacks ARB_buffer_storage (no persistent maps)");
		else
			run(fd);
	}
	close(fd);
	return test_exit();
}
