// SPDX-License-Identifier: MIT
/*
 * sccount: an LD_PRELOAD library that counts the calls through which GL and
 * Vulkan drivers reach the kernel (ioctl, poll, ppoll, close, mmap,
 * munmap), and among them those that block on the host: a poll with a
 * timeout, a blocking virtio-gpu WAIT, and our SUBMIT or TRANSFER with
 * their wait flag. A program that finds sccount_read() (dlsym) reads the
 * counts around the loop it measures.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <poll.h>
#include <stdarg.h>
#include <stdint.h>
#include <sys/ioctl.h>
#include <sys/mman.h>

#include "virtgpu_drm.h"
#include "virtgpu_ng_drm.h"

static unsigned long calls, waits;

#define REAL(name) ({							\
	static typeof(&name) fn;					\
	if (!fn)							\
		fn = (typeof(&name))dlsym(RTLD_NEXT, #name);		\
	fn;								\
})

void sccount_read(unsigned long *c, unsigned long *w)
{
	*c = __atomic_load_n(&calls, __ATOMIC_RELAXED);
	*w = __atomic_load_n(&waits, __ATOMIC_RELAXED);
}

static void count(int blocks)
{
	__atomic_add_fetch(&calls, 1, __ATOMIC_RELAXED);
	if (blocks)
		__atomic_add_fetch(&waits, 1, __ATOMIC_RELAXED);
}

static int ioctl_blocks(unsigned long req, const void *arg)
{
	if (req == DRM_IOCTL_VIRTGPU_WAIT)
		return !(((const struct drm_virtgpu_3d_wait *)arg)->flags &
			 VIRTGPU_WAIT_NOWAIT);
	if (req == DRM_IOCTL_VIRTGPU_NG_SUBMIT)
		return ((const struct drm_virtgpu_ng_submit *)arg)->flags &
		       VIRTGPU_NG_SUBMIT_WAIT;
	if (req == DRM_IOCTL_VIRTGPU_NG_TRANSFER)
		return ((const struct drm_virtgpu_ng_transfer *)arg)->flags &
		       VIRTGPU_NG_TRANSFER_WAIT;
	return 0;
}

int ioctl(int fd, unsigned long req, ...)
{
	va_list ap;
	void *arg;

	va_start(ap, req);
	arg = va_arg(ap, void *);
	va_end(ap);
	count(arg && ioctl_blocks(req, arg));
	return REAL(ioctl)(fd, req, arg);
}

int poll(struct pollfd *fds, nfds_t n, int timeout)
{
	count(timeout != 0);
	return REAL(poll)(fds, n, timeout);
}

int ppoll(struct pollfd *fds, nfds_t n, const struct timespec *t,
	  const __sigset_t *mask)
{
	count(!t || t->tv_sec || t->tv_nsec);
	return REAL(ppoll)(fds, n, t, mask);
}

int close(int fd)
{
	count(0);
	return REAL(close)(fd);
}

void *mmap(void *addr, size_t len, int prot, int flags, int fd, off_t off)
{
	count(0);
	return REAL(mmap)(addr, len, prot, flags, fd, off);
}

void *mmap64(void *addr, size_t len, int prot, int flags, int fd, off_t off)
{
	count(0);
	return REAL(mmap64)(addr, len, prot, flags, fd, off);
}

int munmap(void *addr, size_t len)
{
	count(0);
	return REAL(munmap)(addr, len);
}
