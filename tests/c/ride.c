// SPDX-License-Identifier: MIT
/*
 * ride: many small EXECBUFFERs of one context, queued without a wait in
 * between, reach the host in order and each signals its own fence. Our
 * driver lets such submissions ride in one request ("Riders" in the
 * command core's DOC); this is what must stay true when they do.
 *
 * Three passes of virgl RESOURCE_COPY_REGION into one buffer, a chunk per
 * EXECBUFFER, overwrite some chunks again from a second source and then
 * some of those once more from the first: only the host running every
 * stream, in submission order, leaves the expected mix. NOP submissions
 * are interleaved. Every EXECBUFFER signals a syncobj of its own.
 *
 * Results (the runner prefixes "ride/"):
 *   submit   every EXECBUFFER was accepted
 *   order    the destination holds what submission order implies
 *   fences   every submission's out-syncobj signalled
 *   riders   our driver carried some submissions inside others (ours only,
 *            with riding on)
 */
#include <errno.h>
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "virtgpu_drm.h"
#include "vgu_test.h"

#define SIZE		(64u << 10)	/* every buffer, in bytes */
#define WORDS		(SIZE / 4)
#define CHUNK		1024u		/* bytes copied per EXECBUFFER */
#define NCHUNK		(SIZE / CHUNK)
#define MAX_SUBMIT	(2 * NCHUNK + NCHUNK / 2 + NCHUNK / 4)

/* virgl protocol values (Mesa: virgl_protocol.h, virgl_hw.h). */
#define VIRGL_CMD0(cmd, obj, len)	((cmd) | ((obj) << 8) | ((len) << 16))
#define VIRGL_CCMD_RESOURCE_COPY_REGION	17
#define VIRGL_COPY_REGION_SIZE		13
#define NOP_CMD				0u

static const char *const results[] = { "submit", "order", "fences", "riders" };

static void skip_all(const char *why)
{
	unsigned int i;

	for (i = 0; i < sizeof(results) / sizeof(results[0]); i++)
		skip(results[i], "%s", why);
}

struct buf {
	uint32_t bo, res;
	volatile uint32_t *map;
};

static uint32_t pattern(uint32_t i, uint32_t seed)
{
	return i * 0x9e3779b1u ^ seed;
}

static int buf_create(int fd, struct buf *b)
{
	struct drm_virtgpu_resource_create rc = virgl_buffer_args(SIZE);
	int ret;

	ret = xioctl(fd, DRM_IOCTL_VIRTGPU_RESOURCE_CREATE, &rc);
	if (ret)
		return ret;
	b->bo = rc.bo_handle;
	b->res = rc.res_handle;
	b->map = map_bo(fd, b->bo, SIZE, &ret);
	return ret;
}

static void buf_destroy(int fd, struct buf *b)
{
	if (b->map)
		munmap((void *)b->map, SIZE);
	close_handle(fd, b->bo);
}

/*
 * One EXECBUFFER: chunk @chunk of @src copied into @dst, or a NOP when
 * @src is NULL; it signals @syncobj.
 */
static int submit(int fd, const struct buf *dst, const struct buf *src,
		  uint32_t chunk, uint32_t syncobj)
{
	uint32_t copy[1 + VIRGL_COPY_REGION_SIZE] = {
		VIRGL_CMD0(VIRGL_CCMD_RESOURCE_COPY_REGION, 0,
			   VIRGL_COPY_REGION_SIZE),
		dst->res, 0, chunk * CHUNK, 0, 0,	/* level, x, y, z */
		src ? src->res : 0, 0, chunk * CHUNK, 0, 0,
		CHUNK, 1, 1,				/* w, h, d */
	};
	static const uint32_t nop[1] = { NOP_CMD };
	struct drm_virtgpu_execbuffer_syncobj out = { .handle = syncobj };
	uint32_t bos[2] = { dst->bo, src ? src->bo : 0 };
	struct drm_virtgpu_execbuffer eb = {
		.command = src ? (uintptr_t)copy : (uintptr_t)nop,
		.size = src ? sizeof(copy) : sizeof(nop),
		.bo_handles = (uintptr_t)bos,
		.num_bo_handles = src ? 2 : 1,
		.fence_fd = -1,
		.syncobj_stride = sizeof(out),
		.num_out_syncobjs = 1,
		.out_syncobjs = (uintptr_t)&out,
	};

	return xioctl(fd, DRM_IOCTL_VIRTGPU_EXECBUFFER, &eb);
}

/* Which source the last pass that touches @chunk copies from (1 or 2). */
static int expected_source(uint32_t chunk)
{
	if (chunk % 4 == 3)
		return 1;		/* pass 3 */
	return chunk % 2 ? 2 : 1;	/* pass 2, or pass 1 only */
}

static void compare(const struct buf *dst)
{
	uint32_t w, chunk, want, bad = 0, first = WORDS;

	for (w = 0; w < WORDS; w++) {
		chunk = w * 4 / CHUNK;
		want = pattern(w, expected_source(chunk) == 1 ? 0x5eed0001 :
						0x5eed0002);
		if (dst->map[w] != want) {
			if (first == WORDS)
				first = w;
			bad++;
		}
	}
	check("order", !bad,
	      "%u of %u words wrong; first word %u (chunk %u) is %08x, want source %d",
	      bad, WORDS, first, first * 4 / CHUNK,
	      first < WORDS ? dst->map[first] : 0,
	      first < WORDS ? expected_source(first * 4 / CHUNK) : 0);
}

/* First character of our module parameter @name, or 0 if unreadable. */
static char param0(const char *name)
{
	char path[96], v[16] = "";
	FILE *f;

	snprintf(path, sizeof(path), "/sys/module/virtio_gpu/parameters/%s",
		 name);
	f = fopen(path, "re");
	if (!f)
		return 0;
	if (!fgets(v, sizeof(v), f))
		v[0] = 0;
	fclose(f);
	return v[0];
}

/* Why this driver or host cannot show riding, or NULL. */
static const char *no_riding(void)
{
	if (vgu_stat("riders") < 0)
		return "driver has no riders counter (not ours, or no debugfs)";
	if (param0("merge_submits") == 'N')
		return "riding is off (merge_submits=N)";
	if (param0("notify_delay_us") == '0')
		return "notify_delay_us=0: every command leaves alone";
	return NULL;
}

static void run(int fd)
{
	uint32_t syncobjs[MAX_SUBMIT];
	struct buf src1 = { 0 }, src2 = { 0 }, dst = { 0 };
	struct drm_syncobj_wait sw = { 0 };
	unsigned int n = 0, i, created = 0;
	long long riders0 = vgu_stat("riders"), riders1;
	const char *why = no_riding();
	uint32_t c;
	int ret;

	ret = buf_create(fd, &src1);
	if (!ret)
		ret = buf_create(fd, &src2);
	if (!ret)
		ret = buf_create(fd, &dst);
	if (ret) {
		fail("submit", "three buffers with guest backing: %s",
		     ename(ret));
		skip("order", "no buffers");
		skip("fences", "no buffers");
		skip("riders", "no buffers");
		goto out;
	}
	for (i = 0; i < MAX_SUBMIT; i++) {
		struct drm_syncobj_create sc = { 0 };

		if (xioctl(fd, DRM_IOCTL_SYNCOBJ_CREATE, &sc))
			break;
		syncobjs[created++] = sc.handle;
	}
	if (created < MAX_SUBMIT) {
		fail("submit", "SYNCOBJ_CREATE: %s", ename(errno));
		skip("order", "no syncobjs");
		skip("fences", "no syncobjs");
		skip("riders", "no syncobjs");
		goto out;
	}

	for (i = 0; i < WORDS; i++) {
		src1.map[i] = pattern(i, 0x5eed0001);
		src2.map[i] = pattern(i, 0x5eed0002);
		dst.map[i] = 0xa5a5a5a5;
	}
	__sync_synchronize();
	ret = transfer_buffer(fd, DRM_IOCTL_VIRTGPU_TRANSFER_TO_HOST, src1.bo,
			      SIZE);
	if (!ret)
		ret = transfer_buffer(fd, DRM_IOCTL_VIRTGPU_TRANSFER_TO_HOST,
				      src2.bo, SIZE);

	/* Pass 1 copies every chunk, pass 2 the odd ones, pass 3 every 4th. */
	for (c = 0; c < NCHUNK && !ret; c++) {
		ret = submit(fd, &dst, &src1, c, syncobjs[n++]);
		if (!ret)
			ret = submit(fd, &dst, NULL, 0, syncobjs[n++]);
	}
	for (c = 1; c < NCHUNK && !ret; c += 2)
		ret = submit(fd, &dst, &src2, c, syncobjs[n++]);
	for (c = 3; c < NCHUNK && !ret; c += 4)
		ret = submit(fd, &dst, &src1, c, syncobjs[n++]);
	check("submit", !ret, "EXECBUFFER %u of %u: %s", n, MAX_SUBMIT,
	      ename(ret));

	if (!ret)
		ret = transfer_buffer(fd, DRM_IOCTL_VIRTGPU_TRANSFER_FROM_HOST,
				      dst.bo, SIZE);
	if (!ret)
		ret = wait_idle(fd, dst.bo);
	if (ret)
		fail("order", "TRANSFER_FROM_HOST, WAIT: %s", ename(ret));
	else
		compare(&dst);

	sw.handles = (uintptr_t)syncobjs;
	sw.count_handles = n;
	sw.timeout_nsec = vgu_now_ns() + 10ll * 1000000000ll;
	sw.flags = DRM_SYNCOBJ_WAIT_FLAGS_WAIT_ALL;
	ret = n ? xioctl(fd, DRM_IOCTL_SYNCOBJ_WAIT, &sw) : EINVAL;
	check("fences", !ret, "SYNCOBJ_WAIT for all %u: %s", n, ename(ret));

	riders1 = vgu_stat("riders");
	if (why)
		skip("riders", "%s", why);
	else
		check("riders", riders1 > riders0,
		      "riders counter %lld before, %lld after %u submissions",
		      riders0, riders1, n);
	if (riders0 >= 0)
		printf("INFO ride/riders %lld of %u submissions\n",
		       riders1 - riders0, n);
out:
	for (i = 0; i < created; i++) {
		struct drm_syncobj_destroy sd = { .handle = syncobjs[i] };

		xioctl(fd, DRM_IOCTL_SYNCOBJ_DESTROY, &sd);
	}
	buf_destroy(fd, &dst);
	buf_destroy(fd, &src2);
	buf_destroy(fd, &src1);
}

int main(void)
{
	struct vgu_features ft;
	int fd = open_render();

	if (fd < 0) {
		fail("open", "no virtio_gpu render node");
		return test_exit();
	}
	probe_features(fd, &ft);
	if (!ft.virgl)
		skip_all("host has no 3D (3D_FEATURES == 0)");
	else
		run(fd);
	close(fd);
	return test_exit();
}
