/* SPDX-License-Identifier: MIT */
/*
 * The guest C tests' layer over the project's library (tools/lib/vgu.h):
 * every check prints exactly one line "PASS name", "FAIL name [reason]" or
 * "SKIP name reason", which the guest runner prefixes with the binary's
 * name, and the exit status is non-zero when anything failed. The helpers
 * below speak the tests' dialect: errors are positive errnos, printed by
 * ename(), and KMS goes through libdrm's drmMode* (the tests test what
 * compositors call; the tools avoid libdrm, see vgu.h).
 */
#ifndef VGU_TEST_H
#define VGU_TEST_H

#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include <xf86drmMode.h>

#include "vgu.h"

/* --- result lines ------------------------------------------------------- */

static int test_failures;

static inline void test_result(const char *res, const char *name,
			       const char *fmt, va_list ap)
{
	printf("%s %s", res, name);
	if (fmt) {
		printf(*res == 'F' ? " [" : " ");
		vprintf(fmt, ap);
		if (*res == 'F')
			printf("]");
	}
	printf("\n");
	fflush(stdout);
}

/* The line of a result whose reason is the variadic tail after @fmt. */
#define TEST_RESULT_VA(res, name, fmt) do {		\
	va_list ap;					\
							\
	va_start(ap, fmt);				\
	test_result(res, name, fmt, ap);		\
	va_end(ap);					\
} while (0)

static inline void pass(const char *name)
{
	va_list ap = {0};

	test_result("PASS", name, NULL, ap);
}

__attribute__((format(printf, 2, 3)))
static inline void fail(const char *name, const char *fmt, ...)
{
	TEST_RESULT_VA("FAIL", name, fmt);
	test_failures++;
}

__attribute__((format(printf, 2, 3)))
static inline void skip(const char *name, const char *fmt, ...)
{
	TEST_RESULT_VA("SKIP", name, fmt);
}

/* check(name, cond, fmt, ...): PASS when cond holds, else FAIL with reason. */
#define check(name, cond, ...) \
	do { if (cond) pass(name); else fail(name, __VA_ARGS__); } while (0)

static inline void skip_list(const char *const *names, size_t n,
			     const char *why)
{
	size_t i;

	for (i = 0; i < n; i++)
		skip(names[i], "%s", why);
}

#define SKIP_ALL(list, why) skip_list(list, sizeof(list) / sizeof(list[0]), why)

static inline int test_exit(void)
{
	return test_failures ? 1 : 0;
}

/* A short name for an errno, for result lines; thread-safe. */
static inline const char *ename(int e)
{
	static __thread char buf[8][32];
	static __thread int n;
	char *b = buf[n++ % 8];

	switch (e) {
	case 0: return "success";
	case EINVAL: return "EINVAL";
	case EFAULT: return "EFAULT";
	case ENOENT: return "ENOENT";
	case ENODEV: return "ENODEV";
	case EOPNOTSUPP: return "EOPNOTSUPP";
	case EEXIST: return "EEXIST";
	case EBUSY: return "EBUSY";
	case ENOMEM: return "ENOMEM";
	case ENOSYS: return "ENOSYS";
	case EPERM: return "EPERM";
	case EACCES: return "EACCES";
	case ETIME: return "ETIME";
	case ETIMEDOUT: return "ETIMEDOUT";
	case EIO: return "EIO";
	case EBADF: return "EBADF";
	case ERANGE: return "ERANGE";
	case EAGAIN: return "EAGAIN";
	case E2BIG: return "E2BIG";
	case ENOSPC: return "ENOSPC";
	}
	snprintf(b, sizeof(buf[0]), "errno %d", e);
	return b;
}

/* expect(name, got, want): the one-errno check of an invalid-input test. */
static inline void expect(const char *name, int got, int want)
{
	check(name, got == want, "expected %s, got %s", ename(want), ename(got));
}

/*
 * An invalid-input test of an ioctl: the valid base request with one field
 * changed, and the one errno the call must give.
 */
struct field_test {
	const char *name;
	size_t off, size;	/* of the field: 4 or 8 bytes */
	uint64_t val;
	int want;
};

#define FIELD_TEST(name, type, field, val, want) \
	{ name, offsetof(type, field), sizeof(((type *)0)->field), val, want }

/*
 * Runs @n field tests on copies of @base (@len bytes, at most 256): @try
 * sends one request and returns 0 or the errno.
 */
static inline void expect_fields(int fd, const void *base, size_t len,
				 int (*try)(int fd, void *req),
				 const struct field_test *t, size_t n)
{
	uint64_t req[32];
	uint32_t v32;
	size_t i;

	for (i = 0; i < n; i++) {
		memcpy(req, base, len);
		v32 = t[i].val;
		memcpy((char *)req + t[i].off,
		       t[i].size == 8 ? (void *)&t[i].val : (void *)&v32,
		       t[i].size);
		expect(t[i].name, try(fd, req), t[i].want);
	}
}

/* --- benchmark mode of the client programs (glloop, vkloop) -------------- */

/*
 * Set up and warmed up: say so, and start the loop when told (a line on
 * stdin), so that a benchmark's window holds the loop only.
 */
static inline int bench_ready(void)
{
	char line[16];

	printf("READY\n");
	fflush(stdout);
	return fgets(line, sizeof(line), stdin) != NULL;
}

/* sccount.c's counters when it is preloaded, else NULL. */
typedef void (*sccount_read_t)(unsigned long *calls, unsigned long *waits);

static inline sccount_read_t sccount_reader(void)
{
	/* RTLD_DEFAULT, which glibc names only under _GNU_SOURCE. */
	return (sccount_read_t)dlsym((void *)0, "sccount_read");
}

/*
 * A request to the host's watcher (tests/lib/qemu-watch.py), which follows
 * the serial console: written there, and drained from the UART, so that
 * whatever the request bounds starts after the host could read it.
 */
static inline void console_request(const char *fmt, ...)
{
	char line[256];
	va_list ap;
	int con, n;

	va_start(ap, fmt);
	n = vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	con = open("/dev/console", O_WRONLY | O_NOCTTY | O_CLOEXEC);
	if (con < 0) {
		printf("# /dev/console: %s, no request\n", strerror(errno));
		return;
	}
	if (n < 0 || n >= (int)sizeof(line) || write(con, line, n) != n)
		printf("# /dev/console: %s\n", strerror(errno));
	tcdrain(con);
	close(con);
}

/* --- the device --------------------------------------------------------- */

/* Returns 0 or the errno of the ioctl (EINTR/EAGAIN are retried). */
/* A /proc/meminfo field in MiB (-1 if absent), e.g. "MemAvailable". */
static inline long meminfo_mib(const char *key)
{
	FILE *f = fopen("/proc/meminfo", "re");
	size_t klen = strlen(key);
	char line[128];
	long kib = -1;

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (!strncmp(line, key, klen) && line[klen] == ':') {
			kib = strtol(line + klen + 1, NULL, 10);
			break;
		}
	fclose(f);
	return kib < 0 ? -1 : kib / 1024;
}

static inline int xioctl(int fd, unsigned long req, void *arg)
{
	return -vgu_ioctl(fd, req, arg);
}

static inline int open_render(void)
{
	return vgu_open(VGU_DRIVER, VGU_NODE_RENDER, NULL);
}

/* An open card node of the DRM driver called @name, or < 0. */
static inline int open_card_of(const char *name)
{
	return vgu_open(name, VGU_NODE_CARD, NULL);
}

/* GETPARAM: 0 or an errno; *@val is 0 on failure. */
static inline int getparam(int fd, uint64_t param, int *val)
{
	return -vgu_getparam(fd, param, val);
}

/* Closes a GEM handle; 0 (none) is ignored. */
static inline void close_handle(int fd, uint32_t handle)
{
	if (handle)
		vgu_gem_close(fd, handle);
}

/* A mappable guest blob of one page: valid wherever blobs are. */
#define GUEST_BLOB_PAGE { .blob_mem = VIRTGPU_BLOB_MEM_GUEST, \
			  .blob_flags = VIRTGPU_BLOB_FLAG_USE_MAPPABLE, \
			  .size = 4096 }

/* RESOURCE_CREATE_BLOB of @req; an unexpected success leaks nothing. */
static inline int try_blob(int fd, void *req)
{
	struct drm_virtgpu_resource_create_blob *b = req;
	int ret = xioctl(fd, DRM_IOCTL_VIRTGPU_RESOURCE_CREATE_BLOB, b);

	if (!ret)
		close_handle(fd, b->bo_handle);
	return ret;
}

/* vgu_probe_features(), and a comment line saying what it found. */
static inline void probe_features(int fd, struct vgu_features *f)
{
	vgu_probe_features(fd, f);
	printf("# features: 3d %d blob %d host_visible %d context_init %d capsets 0x%x\n",
	       f->virgl, f->blob, f->host_visible, f->ctx_init, f->capsets);
}

/* Polls a sync_file: 1 signalled, 0 not within @ms, or -errno. */
static inline int fence_wait(int fd, int ms)
{
	int ret = vgu_fence_wait(fd, ms);

	return !ret ? 1 : ret == -ETIME ? 0 : ret;
}

/* RESOURCE_CREATE of a one-level virgl resource with @size bytes of backing. */
static inline struct drm_virtgpu_resource_create
virgl_res_args(uint32_t target, uint32_t format, uint32_t bind, uint32_t w,
	       uint32_t h, uint32_t size)
{
	return (struct drm_virtgpu_resource_create){
		.target = target,
		.format = format,
		.bind = bind,
		.width = w,
		.height = h,
		.depth = 1,
		.array_size = 1,
		.size = size,
	};
}

/* RESOURCE_CREATE of a 64x64 virgl render target. */
static inline struct drm_virtgpu_resource_create rt64_args(void)
{
	return virgl_res_args(VGU_PIPE_TEXTURE_2D, VGU_VIRGL_FORMAT_B8G8R8X8,
			      VGU_VIRGL_BIND_RENDER_TARGET, 64, 64, 64 * 64 * 4);
}

/* A 64x64 render target's GEM handle; 0 on failure. */
static inline uint32_t rt64_create(int fd)
{
	struct drm_virtgpu_resource_create rc = rt64_args();

	return xioctl(fd, DRM_IOCTL_VIRTGPU_RESOURCE_CREATE, &rc) ? 0 :
	       rc.bo_handle;
}

/*
 * RESOURCE_CREATE of a virgl buffer of @size bytes with guest backing (the
 * R8 vertex buffer Mesa's virgl makes for plain buffers).
 */
static inline struct drm_virtgpu_resource_create virgl_buffer_args(uint32_t size)
{
	return virgl_res_args(VGU_PIPE_BUFFER, VGU_VIRGL_FORMAT_R8,
			      VGU_VIRGL_BIND_VERTEX_BUFFER, size, 1, size);
}

/* TRANSFER_TO_HOST or _FROM_HOST (@req) of a whole buffer of @size bytes. */
static inline int transfer_buffer(int fd, unsigned long req, uint32_t bo,
				  uint32_t size)
{
	struct drm_virtgpu_3d_box box = { .w = size, .h = 1, .d = 1 };

	return -vgu_transfer(fd, bo, req == DRM_IOCTL_VIRTGPU_TRANSFER_TO_HOST,
			     &box, 0, 0);
}

/*
 * Blocking WAIT, a few times: a driver may answer EBUSY when its own
 * timeout ran out, and a test must not hang on one that always does.
 */
static inline int wait_idle(int fd, uint32_t bo)
{
	struct drm_virtgpu_3d_wait w = { .handle = bo };
	int i, ret = EBUSY;

	for (i = 0; i < 4 && ret == EBUSY; i++)
		ret = xioctl(fd, DRM_IOCTL_VIRTGPU_WAIT, &w);
	return ret;
}

/* MAP + mmap of @size bytes of @bo; NULL with *err set on failure. */
static inline void *map_bo(int fd, uint32_t bo, size_t size, int *err)
{
	void *p = vgu_map(fd, bo, size);

	*err = p ? 0 : errno;
	return p;
}

/*
 * vgem's card node (dumb buffers are not a render-node ioctl), loading the
 * module if needed: *@loaded says whether vgem_close() should unload it.
 * Returns the fd, or -1 with *@why set.
 */
static inline int vgem_open(int *loaded, const char **why)
{
	int i, fd = open_card_of("vgem");

	*loaded = 0;
	*why = NULL;
	if (fd >= 0)
		return fd;
	if (system("modprobe vgem >/dev/null 2>&1")) {
		*why = "modprobe vgem failed (no CONFIG_DRM_VGEM?)";
		return -1;
	}
	*loaded = 1;
	/* No udev: devtmpfs makes the node during the probe. */
	for (i = 0; i < 50 && fd < 0; i++) {
		vgu_sleep_ms(100);
		fd = open_card_of("vgem");
	}
	if (fd < 0) {
		*why = "vgem loaded but no vgem card node";
		return -1;
	}
	return fd;
}

/* Closes @fd (if open) and unloads vgem if vgem_open() loaded it. */
static inline void vgem_close(int fd, int loaded)
{
	if (fd >= 0)
		close(fd);
	if (loaded && system("modprobe -r vgem >/dev/null 2>&1"))
		printf("INFO vgem: modprobe -r failed\n");
}

/* --- KMS through libdrm ------------------------------------------------- */

/* Adds property @name of @obj to an atomic request; -1 if it has none. */
static inline int atomic_add(int fd, drmModeAtomicReqPtr req, uint32_t obj,
			     uint32_t type, const char *name, uint64_t val)
{
	uint32_t id;

	if (vgu_prop(fd, obj, type, name, &id, NULL))
		return -1;
	return drmModeAtomicAddProperty(req, obj, id, val) < 0 ? -1 : 0;
}

#endif
