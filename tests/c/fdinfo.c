// SPDX-License-Identifier: MIT
/*
 * fdinfo: each open file's usage in the DRM fdinfo format
 * (Documentation/gpu/drm-usage-stats.rst, "DOC: per-client usage" in
 * virtgpu_usage.c). The keys are there, they move with known work of
 * the file, by the amounts that work implies, and they do not move for
 * another file.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "vgu_test.h"

static const uint32_t nop = 0;	/* VIRGL_CMD0(VIRGL_CCMD_NOP, 0, 0) */

/*
 * The value of @key in @fd's fdinfo, in its base unit (memory keys in
 * bytes, engine time in ns); -1 when the key is not there.
 */
static long long fdinfo_value(int fd, const char *key)
{
	char path[64], line[256], unit[16];
	long long val = -1, v;
	size_t klen = strlen(key);
	FILE *f;

	snprintf(path, sizeof(path), "/proc/self/fdinfo/%d", fd);
	f = fopen(path, "r");
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		if (strncmp(line, key, klen) || line[klen] != ':')
			continue;
		unit[0] = '\0';
		if (sscanf(line + klen + 1, "%lld %15s", &v, unit) < 1)
			break;
		if (!strcmp(unit, "KiB"))
			v <<= 10;
		else if (!strcmp(unit, "MiB"))
			v <<= 20;
		else if (!strcmp(unit, "GiB"))
			v <<= 30;
		val = v;
		break;
	}
	fclose(f);
	return val;
}

/* The text value of @key (drm-driver, drm-pdev), "" when absent. */
static void fdinfo_text(int fd, const char *key, char out[128])
{
	char path[64], line[256];
	size_t klen = strlen(key);
	FILE *f;

	out[0] = '\0';
	snprintf(path, sizeof(path), "/proc/self/fdinfo/%d", fd);
	f = fopen(path, "r");
	if (!f)
		return;
	while (fgets(line, sizeof(line), f)) {
		if (strncmp(line, key, klen) || line[klen] != ':')
			continue;
		sscanf(line + klen + 1, " %127s", out);
		break;
	}
	fclose(f);
}

/*
 * The keys every file has. The DRM core shows drm-active-memory and
 * drm-resident-memory only once the file has objects whose state it can
 * tell (kernels differ), so test_memory() checks residency.
 */
static void test_keys(int fd, int virgl)
{
	static const char *const keys[] = {
		"drm-client-id", "drm-total-memory", "drm-shared-memory",
		"virtio-notifications", "virtio-sync-waits",
		"virtio-bytes-to-host", "virtio-bytes-from-host",
	};
	char text[128], missing[256] = "";
	unsigned int i;

	fdinfo_text(fd, "drm-driver", text);
	check("fdinfo/drm-driver", !strcmp(text, VGU_DRIVER),
	      "drm-driver is '%s'", text);
	fdinfo_text(fd, "drm-pdev", text);
	check("fdinfo/drm-pdev", strlen(text) == 12 && text[4] == ':',
	      "drm-pdev is '%s', not a PCI address", text);
	for (i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
		if (fdinfo_value(fd, keys[i]) < 0)
			snprintf(missing + strlen(missing),
				 sizeof(missing) - strlen(missing), " %s", keys[i]);
	check("fdinfo/keys", !missing[0], "missing:%s", missing);
	if (virgl)
		check("fdinfo/engine-render-key",
		      fdinfo_value(fd, "drm-engine-render") >= 0,
		      "no drm-engine-render on a 3D device");
	else
		check("fdinfo/engine-render-key",
		      fdinfo_value(fd, "drm-engine-render") < 0,
		      "drm-engine-render on a device that cannot render");
}

static void test_client_ids(int fd)
{
	int fd2 = open_render();
	long long a = fdinfo_value(fd, "drm-client-id"), b;

	if (fd2 < 0) {
		fail("fdinfo/client-id-unique", "second open: %s", ename(-fd2));
		return;
	}
	b = fdinfo_value(fd2, "drm-client-id");
	check("fdinfo/client-id-unique", a >= 0 && b >= 0 && a != b,
	      "client ids %lld and %lld", a, b);
	close(fd2);
}

/* A buffer of @size bytes on @fd: a dumb buffer on 2D, a virgl buffer on 3D. */
static uint32_t buffer_create(int fd, int virgl, uint32_t size)
{
	if (virgl) {
		struct drm_virtgpu_resource_create rc = virgl_buffer_args(size);

		return xioctl(fd, DRM_IOCTL_VIRTGPU_RESOURCE_CREATE, &rc) ?
		       0 : rc.bo_handle;
	} else {
		struct drm_mode_create_dumb d = {
			.width = size / 4 / 64, .height = 64, .bpp = 32,
		};

		return xioctl(fd, DRM_IOCTL_MODE_CREATE_DUMB, &d) ? 0 : d.handle;
	}
}

static void test_memory(int fd, int virgl)
{
	const uint32_t size = 256 * 1024;
	long long t0 = fdinfo_value(fd, "drm-total-memory");
	/* Only shown once the file has an object that can say. */
	long long r0 = fdinfo_value(fd, "drm-resident-memory");
	long long t1, r1, t2;
	uint32_t bo;

	if (t0 < 0) {
		fail("fdinfo/memory-total", "no drm-total-memory");
		fail("fdinfo/memory-resident", "no drm-total-memory");
		fail("fdinfo/memory-freed", "no drm-total-memory");
		return;
	}
	bo = buffer_create(fd, virgl, size);
	if (!bo) {
		fail("fdinfo/memory-total", "buffer of %u bytes: %s", size,
		     ename(errno));
		return;
	}
	t1 = fdinfo_value(fd, "drm-total-memory");
	r1 = fdinfo_value(fd, "drm-resident-memory");
	if (r0 < 0)
		r0 = 0;
	check("fdinfo/memory-total", t1 - t0 == size,
	      "drm-total-memory grew by %lld for a %u-byte buffer", t1 - t0, size);
	/* Both kinds get their guest pages when they are created. */
	check("fdinfo/memory-resident", r1 - r0 == size,
	      "drm-resident-memory grew by %lld for a %u-byte buffer",
	      r1 - r0, size);
	close_handle(fd, bo);
	t2 = fdinfo_value(fd, "drm-total-memory");
	check("fdinfo/memory-freed", t2 == t0,
	      "drm-total-memory %lld after the close, %lld before the buffer",
	      t2, t0);
}

/*
 * How much @fd's bytes key of the direction grew over one waited transfer
 * of @box; *@ret is the transfer's errno.
 */
static long long transfer_growth(int fd, uint32_t bo, int to_host,
				 const struct drm_virtgpu_3d_box *box, int *ret)
{
	const char *key = to_host ? "virtio-bytes-to-host" :
				    "virtio-bytes-from-host";
	long long before = fdinfo_value(fd, key);

	*ret = -vgu_transfer(fd, bo, to_host, box, 0, 0);
	wait_idle(fd, bo);
	return fdinfo_value(fd, key) - before;
}

/*
 * Transfers of a buffer of @size bytes on @fd: the bytes keys grow by the
 * box's size, in their direction, and another file's do not move.
 */
static void test_bytes(int fd, int virgl)
{
	const uint32_t size = 64 * 1024;
	struct drm_virtgpu_3d_box box = { .w = size, .h = 1, .d = 1 };
	long long grew, other0, other1, want = size;
	int other = open_render();
	uint32_t bo = buffer_create(fd, virgl, size);
	int ret;

	if (!bo || other < 0) {
		fail("fdinfo/bytes-to-host", "set-up: %s", ename(errno));
		goto out;
	}
	if (!virgl) {
		box = (struct drm_virtgpu_3d_box){ .w = 64, .h = 64, .d = 1 };
		want = 64 * 64 * 4;
	}
	other0 = fdinfo_value(other, "virtio-bytes-to-host");
	grew = transfer_growth(fd, bo, 1, &box, &ret);
	other1 = fdinfo_value(other, "virtio-bytes-to-host");
	if (ret)
		fail("fdinfo/bytes-to-host", "TRANSFER_TO_HOST: %s", ename(ret));
	else
		check("fdinfo/bytes-to-host", grew == want,
		      "virtio-bytes-to-host grew by %lld for a %lld-byte box",
		      grew, want);
	check("fdinfo/other-client-unchanged", other0 >= 0 && other1 == other0,
	      "another file's virtio-bytes-to-host went from %lld to %lld",
	      other0, other1);
	if (!virgl) {
		skip("fdinfo/bytes-from-host", "host has no 3D: no TRANSFER_FROM_HOST");
		goto out;
	}
	grew = transfer_growth(fd, bo, 0, &box, &ret);
	if (ret)
		fail("fdinfo/bytes-from-host", "TRANSFER_FROM_HOST: %s", ename(ret));
	else
		check("fdinfo/bytes-from-host", grew == want,
		      "virtio-bytes-from-host grew by %lld for a %lld-byte box",
		      grew, want);
out:
	close_handle(fd, bo);
	if (other >= 0)
		close(other);
}

/*
 * A transfer, then a blocking WAIT on its buffer: the WAIT sleeps (the
 * transfer waits for its batch) and its fence asks for a notification.
 * The host may be quicker now and then: a few tries.
 */
static void test_waits(int fd, int virgl)
{
	struct drm_virtgpu_3d_box box = { .w = 4096, .h = 1, .d = 1 };
	long long w0 = fdinfo_value(fd, "virtio-sync-waits");
	long long n0 = fdinfo_value(fd, "virtio-notifications");
	long long w1 = w0, n1 = n0;
	uint32_t bo = buffer_create(fd, virgl, 16384);
	int i;

	if (!bo) {
		fail("fdinfo/sync-waits", "buffer: %s", ename(errno));
		return;
	}
	if (!virgl)
		box = (struct drm_virtgpu_3d_box){ .w = 64, .h = 16, .d = 1 };
	for (i = 0; i < 5 && (w1 == w0 || n1 == n0); i++) {
		vgu_transfer(fd, bo, 1, &box, 0, 0);
		wait_idle(fd, bo);
		w1 = fdinfo_value(fd, "virtio-sync-waits");
		n1 = fdinfo_value(fd, "virtio-notifications");
	}
	check("fdinfo/sync-waits", w1 > w0,
	      "virtio-sync-waits stayed %lld over %d WAITs on busy buffers", w0, i);
	check("fdinfo/notifications", n1 > n0,
	      "virtio-notifications stayed %lld over %d waited transfers", n0, i);
	close_handle(fd, bo);
}

/* A NOP submission, waited for: render time grows, and never goes back. */
static void test_engine(int fd, int virgl)
{
	long long e0, e1, e2;
	int out = -1, ret;
	struct vgu_submit s = {
		.cmd = &nop, .size = sizeof(nop), .fence_in = -1,
		.fence_out = &out, .ring_idx = -1,
	};

	if (!virgl) {
		skip("fdinfo/engine-render", "host has no 3D (no submissions)");
		skip("fdinfo/engine-render-monotonic", "host has no 3D (no submissions)");
		return;
	}
	e0 = fdinfo_value(fd, "drm-engine-render");
	ret = -vgu_execbuffer(fd, &s);
	if (ret) {
		fail("fdinfo/engine-render", "EXECBUFFER: %s", ename(ret));
		return;
	}
	ret = fence_wait(out, 10000);
	close(out);
	e1 = fdinfo_value(fd, "drm-engine-render");
	e2 = fdinfo_value(fd, "drm-engine-render");
	if (ret != 1)
		fail("fdinfo/engine-render", "the submission's fence: %d", ret);
	else
		check("fdinfo/engine-render", e1 > e0,
		      "drm-engine-render stayed %lld ns over a submission", e0);
	check("fdinfo/engine-render-monotonic", e1 >= 0 && e2 >= e1,
	      "drm-engine-render went from %lld to %lld ns", e1, e2);
}

int main(void)
{
	struct vgu_features f;
	int fd = open_render();

	if (fd < 0) {
		fail("fdinfo/open", "render node: %s", ename(-fd));
		return test_exit();
	}
	probe_features(fd, &f);
	test_keys(fd, f.virgl);
	test_client_ids(fd);
	if (!f.virgl) {
		/* Dumb buffers are a card-node ioctl. */
		close(fd);
		fd = open_card_of(VGU_DRIVER);
		if (fd < 0) {
			fail("fdinfo/open", "card node: %s", ename(-fd));
			return test_exit();
		}
	}
	test_memory(fd, f.virgl);
	test_bytes(fd, f.virgl);
	test_waits(fd, f.virgl);
	test_engine(fd, f.virgl);
	close(fd);
	return test_exit();
}
