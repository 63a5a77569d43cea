// SPDX-License-Identifier: MIT
/*
 * share: dma-bufs of classic objects, and names for other virtio devices.
 *
 * A dumb buffer is exported, comes back as the same handle, and another
 * device (vgem) attaches it: every dma-buf of ours is a virtio dma-buf,
 * whose attach goes through the virtio wrapper to the GEM helpers.
 *
 * Where the host offers RESOURCE_UUID (VIRTGPU_PARAM_CROSS_DEVICE), an
 * exported dumb buffer and a blob made with VIRTGPU_BLOB_FLAG_USE_CROSS_DEVICE
 * get a UUID from the host; a blob without the flag does not. No second
 * virtio device exists here to import by UUID, so the UUIDs are read from
 * our debugfs file virtio-gpu-uuids ("res_id state [uuid]"), which also
 * shows that they go away with their objects. Without the feature the
 * flag is refused.
 *
 * Results (the runner prefixes "share/"):
 *   param  flag-refused  dumb-export  dumb-self-import  dumb-attach-vgem
 *   dumb-uuid  distinct  blob-flag  blob-no-flag  released
 */
#include <errno.h>
#include <glob.h>
#include <stdint.h>
#include <string.h>
#include <unistd.h>

#include "virtgpu_drm.h"
#include "vgu_test.h"

#define UUIDS_GLOB	"/sys/kernel/debug/dri/*/virtio-gpu-uuids"
#define BLOB_SIZE	(64u << 10)

static const char *const named[] = {
	"dumb-uuid", "distinct", "blob-flag", "blob-no-flag", "released",
};

static void skip_named(const char *why)
{
	unsigned int i;

	for (i = 0; i < sizeof(named) / sizeof(named[0]); i++)
		skip(named[i], "%s", why);
}

static char uuids_path[256];

/*
 * The line of resource @res in the debugfs file: 1 with @state (and
 * @uuid, empty if none) filled, 0 if absent, -errno if unreadable.
 */
static int uuid_line(uint32_t res, char state[16], char uuid[40])
{
	char line[128];
	unsigned int id;
	int found = 0;
	FILE *f = fopen(uuids_path, "r");

	if (!f)
		return -errno;
	while (!found && fgets(line, sizeof(line), f)) {
		uuid[0] = '\0';
		if (sscanf(line, "%u %15s %39s", &id, state, uuid) >= 2 &&
		    id == res)
			found = 1;
	}
	fclose(f);
	return found;
}

/*
 * Waits up to 3 s for resource @res to leave the "pending" state (the
 * command goes with the next batch; nothing here forces it out).
 * Returns what uuid_line() returns.
 */
static int uuid_settled(uint32_t res, char state[16], char uuid[40])
{
	int i, ret = 0;

	for (i = 0; i < 300; i++) {
		ret = uuid_line(res, state, uuid);
		if (ret <= 0 || strcmp(state, "pending"))
			return ret;
		vgu_sleep_ms(10);
	}
	return ret;
}

static int export_fd(int fd, uint32_t handle, int *dmabuf)
{
	struct drm_prime_handle ex = {
		.handle = handle, .flags = DRM_CLOEXEC, .fd = -1,
	};
	int ret = xioctl(fd, DRM_IOCTL_PRIME_HANDLE_TO_FD, &ex);

	*dmabuf = ret ? -1 : ex.fd;
	return ret;
}

static int dumb(int fd, uint32_t *handle)
{
	struct drm_mode_create_dumb d = { .width = 64, .height = 64, .bpp = 32 };
	int ret = xioctl(fd, DRM_IOCTL_MODE_CREATE_DUMB, &d);

	*handle = d.handle;
	return ret;
}

/* The host resource id of a GEM handle. */
static uint32_t res_of(int fd, uint32_t handle)
{
	struct drm_virtgpu_resource_info ri = { .bo_handle = handle };

	return xioctl(fd, DRM_IOCTL_VIRTGPU_RESOURCE_INFO, &ri) ? 0 :
	       ri.res_handle;
}

static int guest_blob(int fd, uint32_t flags, uint32_t *handle, uint32_t *res)
{
	struct drm_virtgpu_resource_create_blob b = {
		.blob_mem = VIRTGPU_BLOB_MEM_GUEST,
		.blob_flags = flags,
		.size = BLOB_SIZE,
	};
	int ret = xioctl(fd, DRM_IOCTL_VIRTGPU_RESOURCE_CREATE_BLOB, &b);

	*handle = b.bo_handle;
	*res = b.res_handle;
	return ret;
}

static void self_import(int fd, uint32_t handle, int dmabuf)
{
	struct drm_prime_handle im = { .fd = dmabuf };
	int ret = xioctl(fd, DRM_IOCTL_PRIME_FD_TO_HANDLE, &im);

	check("dumb-self-import", !ret && im.handle == handle,
	      "PRIME_FD_TO_HANDLE: %s, handle %u for %u", ename(ret),
	      im.handle, handle);
}

/* vgem's import attaches and maps: the GEM helpers behind the wrapper. */
static void attach_vgem(int dmabuf)
{
	struct drm_prime_handle vi = { .fd = dmabuf };
	int vgem, loaded, ret;
	const char *why;

	vgem = vgem_open(&loaded, &why);
	if (vgem < 0) {
		skip("dumb-attach-vgem", "%s", why);
		return;
	}
	ret = xioctl(vgem, DRM_IOCTL_PRIME_FD_TO_HANDLE, &vi);
	check("dumb-attach-vgem", !ret && vi.handle,
	      "vgem PRIME_FD_TO_HANDLE: %s", ename(ret));
	close_handle(vgem, vi.handle);
	vgem_close(vgem, loaded);
}

static void run(int fd, const struct vgu_features *ft, int cross)
{
	uint32_t d1 = 0, d2 = 0, b1 = 0, b2 = 0, r1, r2, rb1 = 0, rb2 = 0;
	char s1[16], s2[16], u1[40], u2[40];
	int e1 = -1, e2 = -1, eb2 = -1, ret, ours;
	glob_t g;

	if (!glob(UUIDS_GLOB, 0, NULL, &g)) {
		snprintf(uuids_path, sizeof(uuids_path), "%s", g.gl_pathv[0]);
		globfree(&g);
	}
	ours = uuids_path[0] != '\0';

	/* Dumb buffers exist on every configuration with a display. */
	ret = dumb(fd, &d1);
	if (!ret)
		ret = export_fd(fd, d1, &e1);
	check("dumb-export", !ret, "CREATE_DUMB + PRIME_HANDLE_TO_FD: %s",
	      ename(ret));
	if (ret) {
		skip("dumb-self-import", "no exported dumb buffer");
		skip("dumb-attach-vgem", "no exported dumb buffer");
		skip_named("no exported dumb buffer");
		goto out;
	}
	self_import(fd, d1, e1);
	attach_vgem(e1);
	if (!cross) {
		skip_named("host offers no RESOURCE_UUID (GETPARAM CROSS_DEVICE is 0)");
		goto out;
	}
	if (!ours) {
		skip_named("no " UUIDS_GLOB " (not our driver, or no debugfs)");
		goto out;
	}

	r1 = res_of(fd, d1);
	ret = uuid_settled(r1, s1, u1);
	check("dumb-uuid", ret == 1 && !strcmp(s1, "ok") && u1[0] &&
	      strcmp(u1, "00000000-0000-0000-0000-000000000000"),
	      "resource %u: %s", r1,
	      ret < 0 ? ename(-ret) : !ret ? "not listed" : s1);

	ret = dumb(fd, &d2);
	if (!ret)
		ret = export_fd(fd, d2, &e2);
	r2 = ret ? 0 : res_of(fd, d2);
	if (!ret)
		ret = uuid_settled(r2, s2, u2) == 1 && !strcmp(s2, "ok") ? 0 :
		      ENOENT;
	check("distinct", !ret && strcmp(u1, u2),
	      "second dumb buffer (resource %u): %s, %s vs %s", r2,
	      ename(ret), u1, ret ? "-" : u2);

	if (!ft->blob) {
		skip("blob-flag", "host has no blob resources");
		skip("blob-no-flag", "host has no blob resources");
	} else {
		ret = guest_blob(fd, VIRTGPU_BLOB_FLAG_USE_SHAREABLE |
				 VIRTGPU_BLOB_FLAG_USE_CROSS_DEVICE, &b1, &rb1);
		if (!ret)
			ret = uuid_settled(rb1, s1, u1) == 1 &&
			      !strcmp(s1, "ok") ? 0 : ENOENT;
		check("blob-flag", !ret,
		      "GUEST blob with CROSS_DEVICE, no export: %s", ename(ret));

		ret = guest_blob(fd, VIRTGPU_BLOB_FLAG_USE_SHAREABLE, &b2,
				 &rb2);
		if (!ret)
			ret = export_fd(fd, b2, &eb2);
		if (!ret)
			ret = uuid_settled(rb2, s2, u2);
		check("blob-no-flag", !ret,
		      "exported GUEST blob without CROSS_DEVICE: %s",
		      ret > 0 ? s2 : ename(ret < 0 ? -ret : ret));
	}

	/* Every handle and dma-buf gone: the lines go once the host let go. */
	close(e1);
	close(e2);
	if (eb2 >= 0)
		close(eb2);
	e1 = e2 = eb2 = -1;
	close_handle(fd, d1);
	close_handle(fd, d2);
	close_handle(fd, b1);
	close_handle(fd, b2);
	d1 = d2 = b1 = b2 = 0;
	for (int i = 0; i < 300; i++) {
		ret = (uuid_line(r1, s1, u1) == 1) + (uuid_line(r2, s1, u1) == 1) +
		      (rb1 && uuid_line(rb1, s1, u1) == 1);
		if (!ret)
			break;
		vgu_sleep_ms(10);
	}
	check("released", !ret, "%d objects still listed 3 s after the close",
	      ret);
out:
	if (e1 >= 0)
		close(e1);
	if (e2 >= 0)
		close(e2);
	close_handle(fd, d1);
	close_handle(fd, d2);
}

int main(void)
{
	struct drm_virtgpu_resource_create_blob b = {
		.blob_mem = VIRTGPU_BLOB_MEM_GUEST,
		.blob_flags = VIRTGPU_BLOB_FLAG_USE_CROSS_DEVICE,
		.size = BLOB_SIZE,
	};
	struct vgu_features ft;
	int fd = open_card_of(VGU_DRIVER), cross = 0, ret;

	if (fd < 0) {
		fail("param", "no virtio_gpu card node");
		return test_exit();
	}
	probe_features(fd, &ft);
	ret = getparam(fd, VIRTGPU_PARAM_CROSS_DEVICE, &cross);
	check("param", !ret && (cross == 0 || cross == 1),
	      "GETPARAM CROSS_DEVICE: %s, value %d", ename(ret), cross);
	printf("# cross_device %d\n", cross);

	if (cross) {
		skip("flag-refused", "host offers RESOURCE_UUID");
	} else if (!ft.blob) {
		skip("flag-refused", "host has no blob resources");
	} else {
		ret = xioctl(fd, DRM_IOCTL_VIRTGPU_RESOURCE_CREATE_BLOB, &b);
		close_handle(fd, b.bo_handle);
		check("flag-refused", ret == EOPNOTSUPP,
		      "CROSS_DEVICE blob without the feature: %s, want EOPNOTSUPP",
		      ename(ret));
	}
	run(fd, &ft, cross);
	close(fd);
	return test_exit();
}
