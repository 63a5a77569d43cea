// SPDX-License-Identifier: MIT
/*
 * basic: the driver is loaded and bound, its nodes exist, and DRM reports the
 * expected driver name on both the primary and the render node.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <xf86drm.h>

#include "vgu_test.h"

static int read_hex(const char *path, unsigned int *val)
{
	FILE *f = fopen(path, "r");
	int ok;

	if (!f)
		return -1;
	ok = fscanf(f, "%x", val) == 1;
	fclose(f);
	return ok ? 0 : -1;
}

/* Name of the driver bound to a sysfs device dir ("" if none). */
static void bound_driver(const char *dev, char *out, size_t len)
{
	char link[PATH_MAX], target[PATH_MAX];
	ssize_t n;

	snprintf(link, sizeof(link), "%s/driver", dev);
	n = readlink(link, target, sizeof(target) - 1);
	if (n < 0) {
		out[0] = '\0';
		return;
	}
	target[n] = '\0';
	snprintf(out, len, "%s", basename(target));
}

static void check_binding(void)
{
	const char *vdir = "/sys/bus/virtio/devices";
	char path[PATH_MAX], drv[128], parent[PATH_MAX], pdrv[128];
	unsigned int id;
	struct dirent *de;
	int found = 0;
	DIR *d = opendir(vdir);

	if (!d) {
		fail("virtio-bound", "cannot open %s: %s", vdir, strerror(errno));
		return;
	}
	while ((de = readdir(d))) {
		if (de->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "%s/%s/device", vdir, de->d_name);
		if (read_hex(path, &id) || id != 16) /* VIRTIO_ID_GPU */
			continue;
		found = 1;
		snprintf(path, sizeof(path), "%s/%s", vdir, de->d_name);
		bound_driver(path, drv, sizeof(drv));
		check("virtio-bound", !strcmp(drv, "virtio_gpu"),
		      "%s bound to '%s'", de->d_name, drv);
		/* The PCI function above it must be driven by virtio-pci. */
		snprintf(path, sizeof(path), "%s/%s/..", vdir, de->d_name);
		if (realpath(path, parent)) {
			bound_driver(parent, pdrv, sizeof(pdrv));
			check("pci-bound", !strcmp(pdrv, "virtio-pci"),
			      "%s bound to '%s'", parent, pdrv);
		} else {
			fail("pci-bound", "no parent for %s", de->d_name);
		}
		break;
	}
	closedir(d);
	if (!found)
		fail("virtio-bound", "no virtio device with id 16 (GPU)");
}

static void check_node(const char *name, const char *node)
{
	struct stat st;

	check(name, stat(node, &st) == 0 && S_ISCHR(st.st_mode),
	      "%s: %s", node, errno ? strerror(errno) : "not a char device");
}

static void check_version(const char *name, const char *node)
{
	drmVersionPtr v;
	int fd = open(node, O_RDWR | O_CLOEXEC);

	if (fd < 0) {
		fail(name, "open %s: %s", node, strerror(errno));
		return;
	}
	v = drmGetVersion(fd);
	if (!v) {
		fail(name, "drmGetVersion failed: %s", strerror(errno));
	} else {
		check(name, !strcmp(v->name, "virtio_gpu"),
		      "driver name '%s'", v->name);
		printf("# %s: %s %d.%d.%d (%s) %s\n", node, v->name,
		       v->version_major, v->version_minor,
		       v->version_patchlevel, v->date, v->desc);
		drmFreeVersion(v);
	}
	close(fd);
}

int main(void)
{
	struct stat st;

	check("module-loaded", stat("/sys/module/virtio_gpu", &st) == 0,
	      "/sys/module/virtio_gpu missing");
	check_binding();
	errno = 0;
	check_node("card0", "/dev/dri/card0");
	errno = 0;
	check_node("renderD128", "/dev/dri/renderD128");
	check_version("version-card0", "/dev/dri/card0");
	check_version("version-renderD128", "/dev/dri/renderD128");
	return test_exit();
}
