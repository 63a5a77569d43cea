// SPDX-License-Identifier: MIT
/*
 * infence: EXECBUFFER with in-fences of another driver. vgem supplies
 * them: a fence attached to a vgem buffer, which the test signals with
 * DRM_IOCTL_VGEM_FENCE_SIGNAL (vgem signals it by itself after 10 s),
 * taken out of the buffer's dma-buf as a sync_file. An EXECBUFFER that
 * waits for such a fence must return at once; its out-fence must stay
 * unsignalled until the vgem fence is; a later EXECBUFFER of the same
 * file must not complete before it; and closing the file while it waits
 * must neither hang nor lose it; a TRANSFER_TO_HOST of the file must not
 * overtake it either. Variants: the fence as FENCE_FD_IN, as an
 * in-syncobj, and two fences at once.
 *
 * Timings are only checked loosely (the ioctl and close under 2 s, the
 * vgem timeout being 10 s); fences are polled, never assumed.
 *
 * The distro driver waits for in-fences inside the ioctl, which there
 * blocks until vgem's timeout: its "returns" and "waits" checks FAIL, and
 * the program still ends (about 10 s per case).
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>
#include <linux/dma-buf.h>
#include <linux/sync_file.h>
#include <xf86drm.h>

#include "virtgpu_drm.h"
#include "vgu_test.h"

/*
 * vgem's uAPI (include/uapi/drm/vgem_drm.h in the kernel); libdrm does not
 * install that header.
 */
struct vgem_fence_attach {
	uint32_t handle;
	uint32_t flags;		/* VGEM_FENCE_WRITE */
	uint32_t out_fence;
	uint32_t pad;
};

struct vgem_fence_signal {
	uint32_t fence;
	uint32_t flags;
};

#define VGEM_FENCE_WRITE		0x1
#define DRM_IOCTL_VGEM_FENCE_ATTACH	\
	DRM_IOWR(DRM_COMMAND_BASE + 0x1, struct vgem_fence_attach)
#define DRM_IOCTL_VGEM_FENCE_SIGNAL	\
	DRM_IOW(DRM_COMMAND_BASE + 0x2, struct vgem_fence_signal)

#define NOP_CMD		0u	/* VIRGL_CMD0(VIRGL_CCMD_NOP, 0, 0) */
#define QUICK_NS	2000000000ll	/* "returns at once", loosely */
#define SETTLE_MS	200		/* time the host gets to run it anyway */
#define WAIT_MS		10000		/* a signalled fence's work completes */

static const uint32_t nop_stream[1] = { NOP_CMD };

static const char *const tests[] = {
	"fd-returns", "fd-out-fence-waits", "fd-later-submission-waits",
	"fd-signal-completes", "fd-completion-order",
	"syncobj-returns", "syncobj-out-fence-waits",
	"syncobj-signal-completes",
	"two-fences-returns", "two-fences-one-signalled-waits",
	"two-fences-completes",
	"transfer-waits-for-deferred", "transfer-completes",
	"close-returns", "close-out-fence-waits",
	"close-submission-completes", "close-new-file-works",
	"deferred-counted",
};

static struct vgu_features ft;
static int vgem = -1;

/* ------------------------------------------------------------ sync_files */

/*
 * Status of a single-fence sync_file: 1 signalled, 0 pending, < 0 the
 * fence's error or -errno; *ts_ns the signal time (0 when pending).
 */
static int sync_status(int fd, uint64_t *ts_ns)
{
	struct sync_fence_info fi[4];
	struct sync_file_info info = {
		.num_fences = 4,
		.sync_fence_info = (uintptr_t)fi,
	};

	memset(fi, 0, sizeof(fi));
	if (ioctl(fd, SYNC_IOC_FILE_INFO, &info))
		return -errno;
	if (ts_ns)
		*ts_ns = info.num_fences ? fi[0].timestamp_ns : 0;
	return info.status;
}

static const char *state_name(int s)
{
	static __thread char buf[4][32];
	static __thread int n;
	char *b = buf[n++ % 4];

	if (s == 1)
		return "signalled";
	if (s == 0)
		return "pending";
	snprintf(b, sizeof(buf[0]), "error %d", s);
	return b;
}

/* ------------------------------------------------------------------ vgem */

/* A vgem buffer with an unsignalled write fence, and that fence as a sync_file. */
struct vfence {
	uint32_t bo;
	uint32_t fence;
	int sync_fd;
};

/* 0, or the errno of the failing step; *what names it. */
static int vfence_new(struct vfence *vf, const char **what)
{
	struct drm_mode_create_dumb d = { .width = 64, .height = 64, .bpp = 32 };
	struct vgem_fence_attach fa = { .flags = VGEM_FENCE_WRITE };
	struct dma_buf_export_sync_file ex = { .flags = DMA_BUF_SYNC_READ };
	int ret, dmabuf;

	vf->bo = 0;
	vf->sync_fd = -1;
	*what = "vgem CREATE_DUMB";
	ret = xioctl(vgem, DRM_IOCTL_MODE_CREATE_DUMB, &d);
	if (ret)
		return ret;
	vf->bo = d.handle;
	*what = "VGEM_FENCE_ATTACH";
	fa.handle = vf->bo;
	ret = xioctl(vgem, DRM_IOCTL_VGEM_FENCE_ATTACH, &fa);
	if (ret)
		return ret;
	vf->fence = fa.out_fence;
	*what = "PRIME export";
	if (drmPrimeHandleToFD(vgem, vf->bo, DRM_CLOEXEC | DRM_RDWR, &dmabuf))
		return errno;
	/* A reader waits for the writers: that is our fence. */
	*what = "DMA_BUF_IOCTL_EXPORT_SYNC_FILE";
	ret = ioctl(dmabuf, DMA_BUF_IOCTL_EXPORT_SYNC_FILE, &ex) ? errno : 0;
	close(dmabuf);
	if (ret)
		return ret;
	vf->sync_fd = ex.fd;
	return 0;
}

/* 0, or ETIMEDOUT when vgem had signalled it already. */
static int vfence_signal(struct vfence *vf)
{
	struct vgem_fence_signal fs = { .fence = vf->fence };

	return xioctl(vgem, DRM_IOCTL_VGEM_FENCE_SIGNAL, &fs);
}

static void vfence_free(struct vfence *vf)
{
	struct drm_gem_close gc = { .handle = vf->bo };

	if (vf->sync_fd >= 0)
		close(vf->sync_fd);
	if (vf->bo)
		drmIoctl(vgem, DRM_IOCTL_GEM_CLOSE, &gc);
	vf->bo = 0;
	vf->sync_fd = -1;
}

/* ------------------------------------------------------------ EXECBUFFER */

/*
 * A NOP EXECBUFFER with FENCE_FD_OUT; @in_fd >= 0 is FENCE_FD_IN, @nsync
 * in-syncobjs from @sync, @bo (if not 0) its one object. 0 or an errno;
 * *out the out-fence, *dt_ns how long the ioctl took.
 */
static int execbuf(int fd, int in_fd, const uint32_t *sync, uint32_t nsync,
		   uint32_t bo, int *out, int64_t *dt_ns)
{
	struct drm_virtgpu_execbuffer_syncobj in[2];
	struct drm_virtgpu_execbuffer eb = {
		.flags = VIRTGPU_EXECBUF_FENCE_FD_OUT,
		.size = sizeof(nop_stream),
		.command = (uintptr_t)nop_stream,
		.fence_fd = -1,
		.syncobj_stride = sizeof(in[0]),
	};
	int64_t t0;
	uint32_t i;
	int ret;

	*out = -1;
	if (in_fd >= 0) {
		eb.flags |= VIRTGPU_EXECBUF_FENCE_FD_IN;
		eb.fence_fd = in_fd;
	}
	for (i = 0; i < nsync && i < 2; i++)
		in[i] = (struct drm_virtgpu_execbuffer_syncobj){ .handle = sync[i] };
	eb.num_in_syncobjs = nsync;
	eb.in_syncobjs = (uintptr_t)in;
	if (bo) {
		eb.bo_handles = (uintptr_t)&bo;
		eb.num_bo_handles = 1;
	}
	t0 = vgu_now_ns();
	ret = xioctl(fd, DRM_IOCTL_VIRTGPU_EXECBUFFER, &eb);
	*dt_ns = vgu_now_ns() - t0;
	if (!ret)
		*out = eb.fence_fd;
	return ret;
}

/*
 * The out-fence of a submission waiting for @vf: pending now and after
 * SETTLE_MS, while @vf is. On failure *why says what was seen.
 */
static int stays_pending(int out, struct vfence *vf, char *why, size_t len)
{
	int a = fence_wait(out, 0), b, v;

	vgu_sleep_ms(SETTLE_MS);
	b = fence_wait(out, 0);
	v = fence_wait(vf->sync_fd, 0);
	snprintf(why, len, "out-fence %s, %s after %d ms; the vgem fence %s",
		 state_name(a), state_name(b), SETTLE_MS, state_name(v));
	return a == 0 && b == 0 && v == 0;
}

static void check_returns(const char *name, int ret, int64_t dt)
{
	if (ret)
		fail(name, "EXECBUFFER: %s", ename(ret));
	else
		check(name, dt < QUICK_NS, "EXECBUFFER took %.2f s", dt / 1e9);
}

/* The vgem fence goes; @out must then signal without error. */
static int signal_and_wait(struct vfence *vf, int out, char *why, size_t len)
{
	int sig = vfence_signal(vf), w = fence_wait(out, WAIT_MS);
	int st = sync_status(out, NULL);

	snprintf(why, len, "VGEM_FENCE_SIGNAL %s; out-fence %s within %d ms, status %d",
		 ename(sig), state_name(w), WAIT_MS, st);
	if (sig)
		printf("# VGEM_FENCE_SIGNAL: %s (vgem's timeout came first)\n",
		       ename(sig));
	return w == 1 && st == 1;
}

/* ------------------------------------------------------------------ cases */


/* (1)-(4): FENCE_FD_IN, and a later submission of the same file. */
static void test_fd(int fd)
{
	int out1 = -1, out2 = -1, ret, s1, s2;
	uint64_t ts1 = 0, ts2 = 0;
	const char *what;
	struct vfence vf;
	char why[192];
	int64_t dt;

	ret = vfence_new(&vf, &what);
	if (ret) {
		fail("fd-returns", "%s: %s", what, ename(ret));
		goto out;
	}
	ret = execbuf(fd, vf.sync_fd, NULL, 0, 0, &out1, &dt);
	check_returns("fd-returns", ret, dt);
	if (ret)
		goto out;
	check("fd-out-fence-waits", stays_pending(out1, &vf, why, sizeof(why)),
	      "%s", why);

	/* Nothing to wait for, but it must not pass the first. */
	ret = execbuf(fd, -1, NULL, 0, 0, &out2, &dt);
	if (ret) {
		fail("fd-later-submission-waits", "EXECBUFFER: %s", ename(ret));
	} else {
		check("fd-later-submission-waits",
		      stays_pending(out2, &vf, why, sizeof(why)), "%s", why);
	}

	if (!signal_and_wait(&vf, out1, why, sizeof(why))) {
		fail("fd-signal-completes", "first: %s", why);
	} else if (out2 >= 0 && fence_wait(out2, WAIT_MS) != 1) {
		fail("fd-signal-completes", "second out-fence %s within %d ms",
		     state_name(fence_wait(out2, 0)), WAIT_MS);
	} else {
		pass("fd-signal-completes");
	}

	s1 = sync_status(out1, &ts1);
	s2 = out2 >= 0 ? sync_status(out2, &ts2) : -1;
	check("fd-completion-order", s1 == 1 && s2 == 1 && ts1 <= ts2,
	      "first %s at %llu ns, second %s at %llu ns", state_name(s1),
	      (unsigned long long)ts1, state_name(s2), (unsigned long long)ts2);
	goto close;
out:
	skip("fd-out-fence-waits", "no submission");
	skip("fd-later-submission-waits", "no submission");
	skip("fd-signal-completes", "no submission");
	skip("fd-completion-order", "no submission");
close:
	if (out1 >= 0)
		close(out1);
	if (out2 >= 0)
		close(out2);
	vfence_free(&vf);
}

/* (5): the same fence through an in-syncobj. */
static void test_syncobj(int fd)
{
	uint32_t sync = 0;
	const char *what;
	struct vfence vf;
	int out = -1, ret;
	char why[192];
	int64_t dt;

	ret = vfence_new(&vf, &what);
	if (!ret) {
		what = "SYNCOBJ_CREATE";
		ret = drmSyncobjCreate(fd, 0, &sync) ? errno : 0;
	}
	if (!ret) {
		what = "SYNCOBJ_FD_TO_HANDLE(IMPORT_SYNC_FILE)";
		ret = drmSyncobjImportSyncFile(fd, sync, vf.sync_fd) ? errno : 0;
	}
	if (ret) {
		fail("syncobj-returns", "%s: %s", what, ename(ret));
		skip("syncobj-out-fence-waits", "no submission");
		skip("syncobj-signal-completes", "no submission");
		goto out;
	}
	ret = execbuf(fd, -1, &sync, 1, 0, &out, &dt);
	check_returns("syncobj-returns", ret, dt);
	if (ret) {
		skip("syncobj-out-fence-waits", "no submission");
		skip("syncobj-signal-completes", "no submission");
		goto out;
	}
	check("syncobj-out-fence-waits",
	      stays_pending(out, &vf, why, sizeof(why)), "%s", why);
	check("syncobj-signal-completes",
	      signal_and_wait(&vf, out, why, sizeof(why)), "%s", why);
out:
	if (out >= 0)
		close(out);
	if (sync)
		drmSyncobjDestroy(fd, sync);
	vfence_free(&vf);
}

/* Two foreign fences: one signalled is not enough. */
static void test_two(int fd)
{
	struct vfence a, b;
	uint32_t sync = 0;
	const char *what;
	int out = -1, ret;
	char why[192];
	int64_t dt;

	b.bo = 0;
	b.sync_fd = -1;
	ret = vfence_new(&a, &what);
	if (!ret)
		ret = vfence_new(&b, &what);
	if (!ret) {
		what = "syncobj from sync_file";
		ret = drmSyncobjCreate(fd, 0, &sync) ||
		      drmSyncobjImportSyncFile(fd, sync, b.sync_fd) ? errno : 0;
	}
	if (ret) {
		fail("two-fences-returns", "%s: %s", what, ename(ret));
		skip("two-fences-one-signalled-waits", "no submission");
		skip("two-fences-completes", "no submission");
		goto out;
	}
	ret = execbuf(fd, a.sync_fd, &sync, 1, 0, &out, &dt);
	check_returns("two-fences-returns", ret, dt);
	if (ret) {
		skip("two-fences-one-signalled-waits", "no submission");
		skip("two-fences-completes", "no submission");
		goto out;
	}
	ret = vfence_signal(&a);
	if (ret)
		printf("# VGEM_FENCE_SIGNAL: %s\n", ename(ret));
	check("two-fences-one-signalled-waits",
	      stays_pending(out, &b, why, sizeof(why)), "%s", why);
	check("two-fences-completes",
	      signal_and_wait(&b, out, why, sizeof(why)), "%s", why);
out:
	if (out >= 0)
		close(out);
	if (sync)
		drmSyncobjDestroy(fd, sync);
	vfence_free(&a);
	vfence_free(&b);
}

struct xfer {
	int fd;
	uint32_t bo;
	int ret;
	int done;
};

static void *xfer_thread(void *p)
{
	struct xfer *x = p;
	struct drm_virtgpu_3d_transfer_to_host t = {
		.bo_handle = x->bo,
		.box = { .w = 64, .h = 64, .d = 1 },
	};

	x->ret = xioctl(x->fd, DRM_IOCTL_VIRTGPU_TRANSFER_TO_HOST, &t);
	__atomic_store_n(&x->done, 1, __ATOMIC_RELEASE);
	return NULL;
}

/*
 * A TRANSFER_TO_HOST of the same file must not reach the host before a
 * deferred EXECBUFFER (ours makes it sleep until that one is sent), and
 * must complete once the foreign fence has signalled.
 */
static void test_transfer(int fd)
{
	struct xfer x = { .fd = fd };
	int out = -1, ret, v, i;
	const char *what;
	struct vfence vf;
	pthread_t th;
	int64_t dt;

	vf.bo = 0;
	vf.sync_fd = -1;
	x.bo = rt64_create(fd);
	ret = x.bo ? vfence_new(&vf, &what) : errno;
	if (!x.bo)
		what = "RESOURCE_CREATE";
	if (!ret)
		ret = execbuf(fd, vf.sync_fd, NULL, 0, 0, &out, &dt);
	if (!ret)
		ret = pthread_create(&th, NULL, xfer_thread, &x);
	if (ret) {
		fail("transfer-waits-for-deferred", "setup: %s", ename(ret));
		skip("transfer-completes", "no transfer");
		goto out;
	}
	vgu_sleep_ms(SETTLE_MS);
	v = fence_wait(vf.sync_fd, 0);
	check("transfer-waits-for-deferred",
	      !__atomic_load_n(&x.done, __ATOMIC_ACQUIRE) && v == 0,
	      "TRANSFER_TO_HOST %s after %d ms (%s); the vgem fence %s",
	      __atomic_load_n(&x.done, __ATOMIC_ACQUIRE) ? "returned" :
	      "still sleeping", SETTLE_MS, ename(x.ret), state_name(v));
	ret = vfence_signal(&vf);
	if (ret)
		printf("# VGEM_FENCE_SIGNAL: %s\n", ename(ret));
	for (i = 0; i < WAIT_MS / 10 && !__atomic_load_n(&x.done, __ATOMIC_ACQUIRE); i++)
		vgu_sleep_ms(10);
	v = __atomic_load_n(&x.done, __ATOMIC_ACQUIRE);
	/* Once the fence is signalled it cannot sleep for ever: join. */
	pthread_join(th, NULL);
	check("transfer-completes", v && !x.ret && fence_wait(out, WAIT_MS) == 1,
	      "TRANSFER_TO_HOST %s within %d ms (%s), out-fence %s", v ?
	      "returned" : "did not return", WAIT_MS, ename(x.ret),
	      state_name(fence_wait(out, 0)));
out:
	if (out >= 0)
		close(out);
	if (x.bo) {
		struct drm_gem_close gc = { .handle = x.bo };

		drmIoctl(fd, DRM_IOCTL_GEM_CLOSE, &gc);
	}
	vfence_free(&vf);
}

/*
 * (6): close the file while its submission (with an object, so that
 * close has a context detach to queue as well) still waits. Then a new
 * file, which may get the same host context id, must work.
 */
static void test_close(void)
{
	int fd = open_render(), out = -1, out2 = -1, ret;
	const char *what;
	struct vfence vf;
	char why[192];
	int64_t t0, dt;
	uint32_t bo;

	vf.bo = 0;
	vf.sync_fd = -1;
	if (fd < 0) {
		fail("close-returns", "cannot open the render node");
		goto skip;
	}
	bo = rt64_create(fd);
	if (!bo)
		printf("# no resource (%s): closing without one\n", ename(errno));
	ret = vfence_new(&vf, &what);
	if (ret) {
		fail("close-returns", "%s: %s", what, ename(ret));
		close(fd);
		goto skip;
	}
	ret = execbuf(fd, vf.sync_fd, NULL, 0, bo, &out, &dt);
	if (ret) {
		fail("close-returns", "EXECBUFFER: %s", ename(ret));
		close(fd);
		goto skip;
	}
	printf("# EXECBUFFER took %.3f s\n", dt / 1e9);

	t0 = vgu_now_ns();
	close(fd);
	dt = vgu_now_ns() - t0;
	check("close-returns", dt < QUICK_NS, "close() took %.2f s", dt / 1e9);
	check("close-out-fence-waits", stays_pending(out, &vf, why, sizeof(why)),
	      "%s", why);
	check("close-submission-completes",
	      signal_and_wait(&vf, out, why, sizeof(why)), "%s", why);

	fd = open_render();
	ret = fd < 0 ? ENODEV : execbuf(fd, -1, NULL, 0, 0, &out2, &dt);
	if (ret) {
		fail("close-new-file-works", "EXECBUFFER: %s", ename(ret));
	} else {
		int w = fence_wait(out2, WAIT_MS), st = sync_status(out2, NULL);

		check("close-new-file-works", w == 1 && st == 1,
		      "out-fence %s within %d ms, status %d", state_name(w),
		      WAIT_MS, st);
	}
	if (out2 >= 0)
		close(out2);
	if (fd >= 0)
		close(fd);
	goto out;
skip:
	skip("close-out-fence-waits", "no submission");
	skip("close-submission-completes", "no submission");
	skip("close-new-file-works", "no submission");
out:
	if (out >= 0)
		close(out);
	vfence_free(&vf);
}

int main(void)
{
	int fd = open_render(), loaded;
	long long d0, d1;
	const char *why;
	unsigned int i;

	if (fd < 0) {
		fail("open", "no virtio_gpu render node");
		return test_exit();
	}
	probe_features(fd, &ft);
	if (!ft.virgl) {
		for (i = 0; i < sizeof(tests) / sizeof(tests[0]); i++)
			skip(tests[i], "host has no 3D (virgl): no EXECBUFFER");
		close(fd);
		return test_exit();
	}
	vgem = vgem_open(&loaded, &why);
	if (vgem < 0) {
		for (i = 0; i < sizeof(tests) / sizeof(tests[0]); i++)
			skip(tests[i], "%s", why);
		close(fd);
		return test_exit();
	}

	d0 = vgu_stat("deferred");
	test_fd(fd);
	d1 = vgu_stat("deferred");
	if (d0 < 0 || d1 < 0)
		skip("deferred-counted", "no deferred counter (not our driver)");
	else
		check("deferred-counted", d1 >= d0 + 2,
		      "deferred %lld -> %lld for two deferred submissions",
		      d0, d1);
	test_syncobj(fd);
	test_two(fd);
	test_transfer(fd);
	test_close();
	close(fd);

	vgem_close(vgem, loaded);
	return test_exit();
}
