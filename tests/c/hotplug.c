// SPDX-License-Identifier: MIT
/*
 * hotplug: the GPU's PCI function removed while clients use it, then found
 * again. QEMU 10.0 refuses to hot-unplug a virtio-gpu device (device_del:
 * "does not support hotplugging"), so the guest removes it itself, as its
 * hot-plug driver does on a real unplug (sysfs remove, then a bus rescan):
 * the PCI core stops and removes the device, and our remove runs with the
 * clients' files open. Unlike a surprise removal the device still answers
 * meanwhile.
 *
 * Clients, each a process of its own, started before the unplug:
 *   submit  transfers to a resource and waits on it, in a loop;
 *   flip    DRM master, page flips between two dumb buffers with events;
 *   hold    maps a dumb buffer and the dma-buf it exports, and writes both.
 * Per cycle N:
 *   N-removed         the PCI device is gone within 60 s;
 *   N-submit, N-flip  the client's next call failed with ENODEV, and it
 *                     exited (nothing hung);
 *   N-hold            the holder touched both mappings after the unplug,
 *                     closed everything and exited;
 *   N-replugged       after a rescan, a new device is bound to our driver
 *                     within 60 s, and shows a dumb buffer.
 *
 * Usage: hotplug [CYCLES]   (default 2). Skips on a 3D device: QEMU 10.0's
 * virtio-gpu-gl under gtk,gl=on aborts when the function is probed again
 * ("eglMakeCurrent failed: EGL_BAD_ACCESS", then epoxy's "Couldn't find
 * current GLX or EGL context"), with the in-tree driver too (see
 * tests/guest/tests/reload.sh).
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include <xf86drm.h>
#include <xf86drmMode.h>
#include <drm_fourcc.h>

#include "vgu_test.h"

#define WAIT_S		60
#define CLIENT_S	30

enum { C_FLIP, C_SUBMIT, C_HOLD, C_COUNT };
static const char *const client_names[C_COUNT] = { "flip", "submit", "hold" };

/* Tells the parent the client is set up, then waits for "go" (the unplug). */
static void ready(int out_fd)
{
	if (write(out_fd, "r", 1) != 1)
		_exit(90);
}

/* The errno a client ended with: its exit status (0 for ENODEV). */
static int client_exit(int err)
{
	if (err != ENODEV)
		printf("# client stopped with %s\n", ename(err));
	fflush(stdout);
	_exit(err == ENODEV ? 0 : (err & 0x7f ? err & 0x7f : 91));
}

static void client_submit(int out_fd)
{
	struct vgu_res_desc d = {
		.target = 2, .format = 2, .bind = 2,
		.width = 64, .height = 64, .size = 64 * 64 * 4,
	};
	struct drm_virtgpu_3d_box box = { .w = 64, .h = 64, .d = 1 };
	uint32_t bo, res;
	long n = 0;
	int fd = open_render(), ret;

	if (fd < 0 || vgu_resource_create(fd, &d, &bo, &res)) {
		printf("# submit: no resource: %s\n", ename(errno));
		_exit(92);
	}
	ready(out_fd);
	for (;;) {
		ret = -vgu_transfer(fd, bo, 1, &box, 0, 0);
		if (!ret && ++n % 50 == 0)
			ret = -vgu_wait(fd, bo, 0);
		if (ret)
			client_exit(ret);
	}
}

static void client_flip(int out_fd)
{
	struct vgu_output out;
	struct vgu_dumb b[2];
	unsigned int i = 0;
	int fd = open_card_of(VGU_DRIVER), ret;

	if (fd < 0 || (drmSetMaster(fd) && !drmIsMaster(fd)) ||
	    vgu_find_output(fd, &out) ||
	    vgu_dumb_create(fd, out.mode.hdisplay, out.mode.vdisplay,
			    DRM_FORMAT_XRGB8888, &b[0]) ||
	    vgu_dumb_create(fd, out.mode.hdisplay, out.mode.vdisplay,
			    DRM_FORMAT_XRGB8888, &b[1]) ||
	    drmModeSetCrtc(fd, out.crtc_id, b[0].fb_id, 0, 0,
			   &out.connector_id, 1, (drmModeModeInfoPtr)&out.mode)) {
		printf("# flip: no lit output: %s\n", ename(errno));
		_exit(93);
	}
	ready(out_fd);
	for (;;) {
		i ^= 1;
		ret = drmModePageFlip(fd, out.crtc_id, b[i].fb_id,
				      DRM_MODE_PAGE_FLIP_EVENT, NULL) ? errno : 0;
		if (!ret)
			ret = -vgu_wait_flip_event(fd, 3000, NULL);
		if (ret)
			client_exit(ret);
	}
}

static void client_hold(int out_fd, int in_fd)
{
	struct vgu_dumb b;
	uint32_t *map, *dmap;
	char go;
	int fd = open_card_of(VGU_DRIVER), dfd = -1;

	if (fd < 0 || vgu_dumb_create(fd, 256, 256, DRM_FORMAT_XRGB8888, &b) ||
	    drmPrimeHandleToFD(fd, b.handle, DRM_CLOEXEC | DRM_RDWR, &dfd)) {
		printf("# hold: no exported dumb buffer: %s\n", ename(errno));
		_exit(94);
	}
	map = b.map;
	dmap = mmap(NULL, b.size, PROT_READ | PROT_WRITE, MAP_SHARED, dfd, 0);
	if (dmap == MAP_FAILED)
		_exit(95);
	map[0] = 0x12345678;
	ready(out_fd);
	/* Until the device is gone. */
	if (read(in_fd, &go, 1) != 1)
		_exit(96);
	/* The pages are the guest's: they stay, whatever became of the GPU. */
	map[1] = dmap[0];
	dmap[2] = map[1];
	if (map[2] != 0x12345678) {
		printf("# hold: the mappings disagree after the unplug\n");
		_exit(97);
	}
	munmap(dmap, b.size);
	close(dfd);
	vgu_dumb_destroy(fd, &b);
	close(fd);
	_exit(0);
}

/* The PCI device our card node belongs to, as a sysfs path. */
static int card_device(char *path, size_t len)
{
	char link[PATH_MAX];
	DIR *d = opendir("/sys/class/drm");
	struct dirent *e;
	int found = 0;

	if (!d)
		return 0;
	while (!found && (e = readdir(d))) {
		char p[PATH_MAX], drv[PATH_MAX];
		ssize_t n;

		if (strncmp(e->d_name, "card", 4) || strchr(e->d_name, '-'))
			continue;
		snprintf(p, sizeof(p), "/sys/class/drm/%s/device/driver", e->d_name);
		n = readlink(p, drv, sizeof(drv) - 1);
		if (n <= 0)
			continue;
		drv[n] = 0;
		/* The card hangs off the PCI function, bound to virtio-pci. */
		if (!strstr(drv, "virtio-pci"))
			continue;
		snprintf(p, sizeof(p), "/sys/class/drm/%s/device", e->d_name);
		if (realpath(p, link)) {
			snprintf(path, len, "%s", link);
			found = 1;
		}
	}
	closedir(d);
	return found;
}

static int write_sysfs(const char *path)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC), ret = 0;

	if (fd < 0)
		return errno;
	if (write(fd, "1", 1) != 1)
		ret = errno;
	close(fd);
	return ret;
}

static int wait_gone(const char *dev)
{
	int i;

	for (i = 0; i < WAIT_S * 10; i++) {
		if (access(dev, F_OK))
			return 1;
		vgu_sleep_ms(100);
	}
	return 0;
}

static int wait_card(void)
{
	int i, fd;

	for (i = 0; i < WAIT_S * 10; i++) {
		fd = open_card_of(VGU_DRIVER);
		if (fd >= 0)
			return fd;
		vgu_sleep_ms(100);
	}
	return -1;
}

/* Waits (bounded) for @pid; its exit status, or -1 if it had to be killed. */
static int reap(pid_t pid)
{
	int i, status;

	for (i = 0; i < CLIENT_S * 10; i++) {
		if (waitpid(pid, &status, WNOHANG) == pid)
			return WIFEXITED(status) ? WEXITSTATUS(status) :
			       128 + WTERMSIG(status);
		vgu_sleep_ms(100);
	}
	kill(pid, SIGKILL);
	return -1;
}

static int cycle(unsigned int n)
{
	int to_parent[2], to_hold[2], status[C_COUNT];
	pid_t pid[C_COUNT];
	char dev[PATH_MAX], path[PATH_MAX + 8], name[64], r;
	unsigned int i, started = 0;
	struct vgu_output out;
	struct vgu_dumb b;
	int fd, ok, ret;

	if (!card_device(dev, sizeof(dev))) {
		snprintf(name, sizeof(name), "%u-removed", n);
		fail(name, "no virtio_gpu card on a PCI device");
		return 0;
	}
	if (pipe(to_parent) || pipe(to_hold))
		return 0;
	/*
	 * One at a time, the flipper first: it must be the card's first
	 * opener to be its master.
	 */
	for (i = 0; i < C_COUNT; i++) {
		struct pollfd p = { .fd = to_parent[0], .events = POLLIN };

		pid[i] = fork();
		if (!pid[i]) {
			close(to_parent[0]);
			if (i == C_SUBMIT)
				client_submit(to_parent[1]);
			else if (i == C_FLIP)
				client_flip(to_parent[1]);
			else
				client_hold(to_parent[1], to_hold[0]);
		}
		/* A client that could not set up does not say so: bounded. */
		if (poll(&p, 1, CLIENT_S * 1000) > 0)
			started += read(to_parent[0], &r, 1) == 1;
	}
	close(to_parent[1]);
	if (started < C_COUNT)
		printf("# only %u of %u clients started\n", started, C_COUNT);
	/* Let them queue work. */
	vgu_sleep_ms(1000);

	snprintf(name, sizeof(name), "%u-removed", n);
	snprintf(path, sizeof(path), "%s/remove", dev);
	ret = write_sysfs(path);
	ok = !ret && wait_gone(dev);
	check(name, ok, "%s: %s", path, ret ? ename(ret) : "still there");
	if (write(to_hold[1], "g", 1) != 1)
		printf("# the holder is gone already\n");

	for (i = 0; i < C_COUNT; i++) {
		status[i] = reap(pid[i]);
		snprintf(name, sizeof(name), "%u-%s", n, client_names[i]);
		check(name, status[i] == 0, "%s",
		      status[i] < 0 ? "still running 30 s after the unplug" :
		      status[i] >= 128 ? "killed by a signal" :
		      status[i] >= 90 ? "could not set up" :
		      "failed with another errno than ENODEV (exit status = errno)");
	}
	close(to_parent[0]);
	close(to_hold[0]);
	close(to_hold[1]);
	if (!ok)
		return 0;

	snprintf(name, sizeof(name), "%u-replugged", n);
	ret = write_sysfs("/sys/bus/pci/rescan");
	fd = ret ? -1 : wait_card();
	if (fd < 0) {
		fail(name, "no virtio_gpu card %d s after a rescan: %s", WAIT_S,
		     ename(ret));
		return 0;
	}
	ok = !(drmSetMaster(fd) && !drmIsMaster(fd)) &&
	     !vgu_find_output(fd, &out) &&
	     !vgu_dumb_create(fd, out.mode.hdisplay, out.mode.vdisplay,
			      DRM_FORMAT_XRGB8888, &b);
	if (ok) {
		ok = !drmModeSetCrtc(fd, out.crtc_id, b.fb_id, 0, 0,
				     &out.connector_id, 1,
				     (drmModeModeInfoPtr)&out.mode);
		vgu_dumb_destroy(fd, &b);
	}
	check(name, ok, "the new device does not light its output: %s",
	      ename(errno));
	drmDropMaster(fd);
	close(fd);
	return ok;
}

int main(int argc, char **argv)
{
	unsigned int i, cycles = argc > 1 ? (unsigned int)atoi(argv[1]) : 2;
	char dev[PATH_MAX];
	int fd;

	/* Children exit with _exit(): nothing may wait in a buffer. */
	setvbuf(stdout, NULL, _IOLBF, 0);
	fd = open_render();
	if (fd >= 0) {
		struct vgu_features f;

		probe_features(fd, &f);
		close(fd);
		if (f.virgl) {
			skip("cycles", "3D device: QEMU's virtio-gpu-gl aborts when the function is probed again");
			return test_exit();
		}
	}
	if (!card_device(dev, sizeof(dev))) {
		fail("cycles", "no virtio_gpu card on a PCI device");
		return test_exit();
	}
	for (i = 1; i <= cycles; i++)
		if (!cycle(i))
			break;
	return test_exit();
}
