// SPDX-License-Identifier: MIT
/*
 * fuzz: random ioctls, valid and not, against the driver and the DRM core
 * paths it serves, from several threads of several processes at once.
 *
 * A seed replays a run: each thread draws its operations from its own
 * generator, seeded from the run's seed and its index (which thread wins
 * a race is up to the scheduler, what each one tries is not). Every
 * thread of a process shares one render or card node file and pools of
 * what the operations made: GEM handles, framebuffers, syncobjs,
 * sync_files and dma-bufs, so that a handle one thread closes
 * is what another is using. Mappings are each thread's own, as a mapping
 * unmapped under a thread's feet would fault in the fuzzer, not in the
 * kernel. Each step picks an operation and fills its arguments with a
 * mix of plausible values (pool entries, sizes the device takes) and
 * hostile ones (all ones, huge counts, bad pointers, unknown flags).
 *
 * The kernel's side is judged by the guest's dmesg check (KASAN, lockdep,
 * WARN, BUG) and kmemleak on the debug kernel; this program checks that
 * every failure is one of the errnos a caller can act on, and that it
 * finishes. Where the kernel offers fault injection (fail-nth and
 * failslab), a tenth of the creating calls run with an allocation failure
 * injected.
 *
 * Usage: fuzz [-s SEED | -r] [-n OPS] [-t THREADS] [-p PROCS] [-o OP,...] [-F]
 *	[-P SECONDS]
 *	OPS in all (default 5000, under a minute under TCG), THREADS per
 *	process (4), PROCS (2); SEED is fixed unless given, so that make
 *	check's short run tries the same things every time, and -r takes
 *	one from the clock (printed first, as every run's); -o keeps only
 *	the named operations (ops[]), to corner what a run found; -F
 *	injects no faults; -P prints the progress line every SECONDS (60).
 * Results: fuzz/ops, fuzz/errnos, fuzz/children, and fuzz/memory: the
 * memory the run took is available again once every file is closed.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdint.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>
#include <xf86drm.h>
#include <drm_fourcc.h>

#include "virtgpu_drm.h"
#include "virtgpu_ng_drm.h"
#include "vgu_test.h"

#define POOL		32	/* entries per pool */
#define MAPS		8	/* mappings per thread */
#define MAP_MAX		(16u << 20)
#define STREAM_WORDS	64
#define MAX_ERRNO	256
#define BIG_BO		(2u << 20)	/* larger ones are not kept */
#define MEM_SLACK_MIB	64	/* page cache and slabs move that much */
#define MEM_SETTLE_S	30	/* for the host to answer the last releases */
#define DEFAULT_SEED	20261207

/* Process 0's DRM file, for the heartbeat's fdinfo. */
static _Atomic int proc0_fd = -1;

/* ------------------------------------------------------------- the dice */

struct rng {
	uint64_t s;
};

static uint64_t rnd(struct rng *r)
{
	/* splitmix64: any seed, including 0, gives a full-period stream. */
	uint64_t z = (r->s += 0x9e3779b97f4a7c15ull);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

static uint32_t below(struct rng *r, uint32_t n)
{
	return n ? (uint32_t)(rnd(r) % n) : 0;
}

static int chance(struct rng *r, uint32_t one_in)
{
	return below(r, one_in) == 0;
}

/* ------------------------------------------------------------- the pools */

/*
 * Slots hold 0 (handles, ids) or -1 (fds) when empty. Taking an entry out
 * is an exchange, so that each handle or fd is closed by one thread; using
 * one is a plain load, so that uses race closes.
 */
struct pools {
	_Atomic uint32_t bo[POOL];
	_Atomic uint32_t fb[POOL];
	_Atomic uint32_t syncobj[POOL];
	_Atomic int sync_fd[POOL];
	_Atomic int dmabuf[POOL];
};

struct proc {
	int fd;
	int card;		/* a card node, which KMS needs */
	int master;
	int has_3d;
	uint32_t plane;
	struct pools p;
	_Atomic uint64_t *ops_left;
	_Atomic uint64_t ops_done;
	_Atomic uint64_t errs[MAX_ERRNO];
	_Atomic uint64_t unexpected;
	char first_bad[160];
	pthread_mutex_t lock;	/* protects first_bad */
	int failslab;
};

struct thr {
	struct proc *pr;
	struct rng r;
	unsigned int idx;
	struct { void *p; size_t len; } map[MAPS];
};

/* What an entry pushed out of a full pool is released with. */
enum pool_kind { POOL_BO, POOL_FB, POOL_SYNCOBJ };

static void release(int fd, enum pool_kind kind, uint32_t v)
{
	struct drm_gem_close gc = { .handle = v };
	struct drm_syncobj_destroy sd = { .handle = v };

	switch (kind) {
	case POOL_BO:
		ioctl(fd, DRM_IOCTL_GEM_CLOSE, &gc);
		break;
	case POOL_FB:
		ioctl(fd, DRM_IOCTL_MODE_RMFB, &v);
		break;
	case POOL_SYNCOBJ:
		ioctl(fd, DRM_IOCTL_SYNCOBJ_DESTROY, &sd);
		break;
	}
}

/*
 * Keeps @v in @pool, releasing the entry it replaces, so that what the
 * run holds stays bounded by the pools (a guest's memory is not). An
 * object outlives its pool entry through what else holds it: a
 * framebuffer, an exported dma-buf, a mapping. With objects of at most
 * BIG_BO kept, a process holds at most (3 * POOL + MAPS * threads) of
 * them: 128, or 256 MiB, for four threads, 512 MiB for two processes,
 * within a debug kernel's guest, whose KASAN shadow and kmemleak take a
 * part of it.
 */
static void put_u32(int fd, _Atomic uint32_t *pool, enum pool_kind kind,
		    struct rng *r, uint32_t v)
{
	uint32_t old;

	if (!v)
		return;
	old = atomic_exchange(&pool[below(r, POOL)], v);
	if (old)
		release(fd, kind, old);
}

/* A buffer object of @size bytes: pooled, or closed at once when large. */
static void put_bo(int fd, _Atomic uint32_t *pool, struct rng *r,
		   uint32_t bo, uint64_t size)
{
	if (size > BIG_BO)
		release(fd, POOL_BO, bo);
	else
		put_u32(fd, pool, POOL_BO, r, bo);
}

static uint32_t peek_u32(_Atomic uint32_t *pool, struct rng *r)
{
	return atomic_load(&pool[below(r, POOL)]);
}

static uint32_t take_u32(_Atomic uint32_t *pool, struct rng *r)
{
	return atomic_exchange(&pool[below(r, POOL)], 0);
}

static void put_fd(_Atomic int *pool, struct rng *r, int fd)
{
	int old;

	if (fd < 0)
		return;
	old = atomic_exchange(&pool[below(r, POOL)], fd);
	if (old >= 0)
		close(old);
}

static int peek_fd(_Atomic int *pool, struct rng *r)
{
	return atomic_load(&pool[below(r, POOL)]);
}

static int take_fd(_Atomic int *pool, struct rng *r)
{
	return atomic_exchange(&pool[below(r, POOL)], -1);
}

/* ------------------------------------------------------ hostile values */

static uint32_t some_u32(struct rng *r)
{
	static const uint32_t odd[] = {
		0, 1, 2, 3, 4, 7, 8, 15, 16, 64, 255, 256, 4095, 4096, 4097,
		16384, 65535, 65536, 0x7fffffff, 0x80000000, 0xfffffffe,
		0xffffffff,
	};

	switch (below(r, 4)) {
	case 0:
		return odd[below(r, sizeof(odd) / sizeof(odd[0]))];
	case 1:
		return below(r, 1024);
	case 2:
		return 1u << below(r, 32);
	default:
		return (uint32_t)rnd(r);
	}
}

static uint64_t some_u64(struct rng *r)
{
	switch (below(r, 4)) {
	case 0:
		return some_u32(r);
	case 1:
		return ~0ull >> below(r, 64);
	case 2:
		return 1ull << below(r, 64);
	default:
		return rnd(r);
	}
}

/*
 * Sizes of objects with guest memory. The driver pins such an object's
 * pages while the host may use them, as the in-tree one does, and every
 * thread may be making one at any moment (a closed object's pages stay
 * until the host answers its UNREF). Sizes stay below 64 MiB, so that
 * eight threads' worth fits in a debug kernel's guest: past that, the
 * kernel's own allocations wake the OOM killer, which ends the run
 * without saying anything of the driver. Odd sizes, unaligned ones, huge
 * ones masked down, and zero.
 */
static uint64_t some_size(struct rng *r)
{
	uint64_t v = some_u64(r);

	return v < (64u << 20) ? v : v & ((64u << 20) - 1);
}

/* A dimension of a dumb buffer: odd, but within @mask. */
static uint32_t some_dim(struct rng *r, uint32_t mask)
{
	return some_u32(r) & mask;
}

/*
 * A handle count for the DRM core's syncobj arrays. 6.12 allocates them
 * with a plain kmalloc_array(), which WARNs past the page allocator's
 * largest order, a core bug no driver can avoid: counts stay below 2^20
 * (4 MiB of handles), still far past any array passed.
 */
static uint32_t some_count(struct rng *r)
{
	return chance(r, 6) ? some_u32(r) & 0xfffff : 1 + below(r, 4);
}

/* A user pointer: @good (of @len bytes) most of the time, else a bad one. */
static uint64_t some_ptr(struct rng *r, void *good)
{
	static const uint64_t bad[] = {
		0, 1, 0x1000, 0xffff888000000000ull, 0xffffffffffffffffull,
		0x00007ffffffff000ull,
	};

	if (good && !chance(r, 6))
		return (uintptr_t)good + (chance(r, 16) ? below(r, 8) : 0);
	return bad[below(r, sizeof(bad) / sizeof(bad[0]))];
}

/* A GEM handle: from the pool, or not. */
static uint32_t some_bo(struct thr *t)
{
	if (!chance(&t->r, 5))
		return peek_u32(t->pr->p.bo, &t->r);
	return some_u32(&t->r);
}

static int some_fd(struct thr *t, _Atomic int *pool)
{
	static const int odd[] = { -1, 0, 1, 2, 1000, 0x7fffffff };

	if (!chance(&t->r, 5))
		return peek_fd(pool, &t->r);
	return odd[below(&t->r, sizeof(odd) / sizeof(odd[0]))];
}

/* ------------------------------------------------------ fault injection */

/* Arms an allocation failure for this thread's next call, now and then. */
static void maybe_inject(struct thr *t)
{
	char path[64], v[16];
	int fd, n;

	if (!t->pr->failslab || !chance(&t->r, 10))
		return;
	snprintf(path, sizeof(path), "/proc/thread-self/fail-nth");
	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return;
	n = snprintf(v, sizeof(v), "%u", 1 + below(&t->r, 8));
	if (write(fd, v, n) != n)
		t->pr->failslab = 0;
	close(fd);
}

/* Disarms what maybe_inject() armed and the call did not reach. */
static void disarm(struct thr *t)
{
	int fd;

	if (!t->pr->failslab)
		return;
	fd = open("/proc/thread-self/fail-nth", O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return;
	if (write(fd, "0", 1) != 1)
		t->pr->failslab = 0;
	close(fd);
}

static int write_knob(const char *path, const char *val)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC);
	int ok;

	if (fd < 0)
		return 0;
	ok = write(fd, val, strlen(val)) == (ssize_t)strlen(val);
	close(fd);
	return ok;
}

/*
 * failslab fails only calls that would not sleep unless told otherwise,
 * and prints a stack for each failure it injects, which the guest's dmesg
 * check would take for a bug.
 */
static int failslab_setup(void)
{
	return access("/proc/thread-self/fail-nth", W_OK) == 0 &&
	       write_knob("/sys/kernel/debug/failslab/ignore-gfp-wait", "N") &&
	       write_knob("/sys/kernel/debug/failslab/verbose", "0");
}

/* ---------------------------------------------------------- the checks */

/* Errnos a caller can act on; anything else is reported. */
static int expected_errno(int e)
{
	switch (e) {
	case EINVAL: case ENOENT: case EOPNOTSUPP: case EFAULT: case ENOMEM:
	case EBUSY: case EACCES: case EPERM: case ENOSPC: case EAGAIN:
	case EINTR: case E2BIG: case ERANGE: case EBADF: case ENODEV:
	case ETIME: case ETIMEDOUT: case EDEADLK: case EEXIST: case EOVERFLOW:
	case ENOTTY: case ENXIO: case ENOSYS: case EMFILE: case ENFILE:
	case ESRCH: case EIO:
		return 1;
	}
	return 0;
}

static int note(struct thr *t, const char *op, int ret)
{
	struct proc *pr = t->pr;
	int e = ret < 0 ? -ret : 0;

	if (e)
		atomic_fetch_add(&pr->errs[e < MAX_ERRNO ? e : 0], 1);
	if (e && !expected_errno(e)) {
		atomic_fetch_add(&pr->unexpected, 1);
		pthread_mutex_lock(&pr->lock);
		if (!pr->first_bad[0])
			snprintf(pr->first_bad, sizeof(pr->first_bad),
				 "%s: %s (thread %u)", op, ename(e), t->idx);
		pthread_mutex_unlock(&pr->lock);
	}
	return ret;
}

static int io(struct thr *t, const char *op, unsigned long req, void *arg)
{
	int ret;

	ret = ioctl(t->pr->fd, req, arg) ? -errno : 0;
	return note(t, op, ret);
}

/* ------------------------------------------------------ the operations */

static void op_dumb(struct thr *t)
{
	struct drm_mode_create_dumb c = {
		.width = chance(&t->r, 3) ? some_dim(&t->r, 0x3fff) : 1 + below(&t->r, 2048),
		.height = chance(&t->r, 3) ? some_dim(&t->r, 0x3ff) : 1 + below(&t->r, 1024),
		.bpp = chance(&t->r, 4) ? some_u32(&t->r) : 32,
		.flags = chance(&t->r, 8) ? some_u32(&t->r) : 0,
	};

	maybe_inject(t);
	if (!io(t, "CREATE_DUMB", DRM_IOCTL_MODE_CREATE_DUMB, &c))
		put_bo(t->pr->fd, t->pr->p.bo, &t->r, c.handle, c.size);
	disarm(t);
}

static void op_gem_close(struct thr *t)
{
	struct drm_gem_close c = { .handle = chance(&t->r, 4) ?
				   some_bo(t) : take_u32(t->pr->p.bo, &t->r) };

	if (chance(&t->r, 16))
		c.pad = some_u32(&t->r);
	io(t, "GEM_CLOSE", DRM_IOCTL_GEM_CLOSE, &c);
}

static void op_prime(struct thr *t)
{
	if (chance(&t->r, 2)) {
		struct drm_prime_handle h = {
			.handle = some_bo(t),
			.flags = chance(&t->r, 6) ? some_u32(&t->r) :
				 DRM_CLOEXEC | (chance(&t->r, 2) ? DRM_RDWR : 0),
		};

		if (!io(t, "PRIME_EXPORT", DRM_IOCTL_PRIME_HANDLE_TO_FD, &h))
			put_fd(t->pr->p.dmabuf, &t->r, h.fd);
	} else {
		struct drm_prime_handle h = {
			.fd = some_fd(t, t->pr->p.dmabuf),
			.flags = chance(&t->r, 8) ? some_u32(&t->r) : 0,
		};

		maybe_inject(t);
		if (!io(t, "PRIME_IMPORT", DRM_IOCTL_PRIME_FD_TO_HANDLE, &h))
			put_bo(t->pr->fd, t->pr->p.bo, &t->r, h.handle, 0);
		disarm(t);
	}
}

static void op_close_fd(struct thr *t)
{
	int fd = take_fd(chance(&t->r, 2) ? t->pr->p.dmabuf : t->pr->p.sync_fd,
			 &t->r);

	if (fd >= 0)
		close(fd);
}

static void op_syncobj(struct thr *t)
{
	uint32_t h[4];
	unsigned int i;
	uint64_t pts[4];

	for (i = 0; i < 4; i++) {
		h[i] = chance(&t->r, 5) ? some_u32(&t->r) :
		       peek_u32(t->pr->p.syncobj, &t->r);
		pts[i] = chance(&t->r, 2) ? below(&t->r, 8) : some_u64(&t->r);
	}
	switch (below(&t->r, 8)) {
	case 0: {
		struct drm_syncobj_create c = {
			.flags = chance(&t->r, 4) ? some_u32(&t->r) :
				 below(&t->r, 2) * DRM_SYNCOBJ_CREATE_SIGNALED,
		};

		maybe_inject(t);
		if (!io(t, "SYNCOBJ_CREATE", DRM_IOCTL_SYNCOBJ_CREATE, &c))
			put_u32(t->pr->fd, t->pr->p.syncobj, POOL_SYNCOBJ, &t->r, c.handle);
		disarm(t);
		break;
	}
	case 1: {
		struct drm_syncobj_destroy d = {
			.handle = take_u32(t->pr->p.syncobj, &t->r),
		};

		io(t, "SYNCOBJ_DESTROY", DRM_IOCTL_SYNCOBJ_DESTROY, &d);
		break;
	}
	case 2:
	case 3: {
		/* WAIT's fields are TIMELINE_WAIT's but the points. */
		struct drm_syncobj_timeline_wait w = {
			.handles = some_ptr(&t->r, h),
			.points = some_ptr(&t->r, pts),
			.count_handles = some_count(&t->r),
			.timeout_nsec = vgu_now_ns() + below(&t->r, 2000000),
			.flags = chance(&t->r, 4) ? some_u32(&t->r) :
				 below(&t->r, 16),
		};
		struct drm_syncobj_wait plain = {
			.handles = w.handles,
			.count_handles = w.count_handles,
			.timeout_nsec = w.timeout_nsec,
			.flags = w.flags,
		};

		if (chance(&t->r, 2))
			io(t, "SYNCOBJ_WAIT", DRM_IOCTL_SYNCOBJ_WAIT, &plain);
		else
			io(t, "SYNCOBJ_TIMELINE_WAIT",
			   DRM_IOCTL_SYNCOBJ_TIMELINE_WAIT, &w);
		break;
	}
	case 4: {
		struct drm_syncobj_array a = {
			.handles = some_ptr(&t->r, h),
			.count_handles = some_count(&t->r),
		};

		if (chance(&t->r, 2))
			io(t, "SYNCOBJ_RESET", DRM_IOCTL_SYNCOBJ_RESET, &a);
		else
			io(t, "SYNCOBJ_SIGNAL", DRM_IOCTL_SYNCOBJ_SIGNAL, &a);
		break;
	}
	case 5: {
		struct drm_syncobj_timeline_array a = {
			.handles = some_ptr(&t->r, h),
			.points = some_ptr(&t->r, pts),
			.count_handles = some_count(&t->r),
			.flags = chance(&t->r, 4) ? some_u32(&t->r) : 0,
		};

		if (chance(&t->r, 2))
			io(t, "SYNCOBJ_TIMELINE_SIGNAL",
			   DRM_IOCTL_SYNCOBJ_TIMELINE_SIGNAL, &a);
		else
			io(t, "SYNCOBJ_QUERY", DRM_IOCTL_SYNCOBJ_QUERY, &a);
		break;
	}
	case 6: {
		struct drm_syncobj_handle s = {
			.handle = h[0],
			.flags = chance(&t->r, 4) ? some_u32(&t->r) :
				 below(&t->r, 2) *
				 DRM_SYNCOBJ_HANDLE_TO_FD_FLAGS_EXPORT_SYNC_FILE,
		};

		if (!io(t, "SYNCOBJ_HANDLE_TO_FD", DRM_IOCTL_SYNCOBJ_HANDLE_TO_FD, &s))
			put_fd(t->pr->p.sync_fd, &t->r, s.fd);
		break;
	}
	default: {
		struct drm_syncobj_handle s = {
			.handle = h[0],
			.fd = some_fd(t, t->pr->p.sync_fd),
			.flags = chance(&t->r, 4) ? some_u32(&t->r) :
				 below(&t->r, 2) *
				 DRM_SYNCOBJ_FD_TO_HANDLE_FLAGS_IMPORT_SYNC_FILE,
		};

		if (!io(t, "SYNCOBJ_FD_TO_HANDLE", DRM_IOCTL_SYNCOBJ_FD_TO_HANDLE, &s) &&
		    !(s.flags & DRM_SYNCOBJ_FD_TO_HANDLE_FLAGS_IMPORT_SYNC_FILE))
			put_u32(t->pr->fd, t->pr->p.syncobj, POOL_SYNCOBJ, &t->r, s.handle);
		break;
	}
	}
}

static void op_fb(struct thr *t)
{
	static const uint32_t fmts[] = {
		DRM_FORMAT_XRGB8888, DRM_FORMAT_ARGB8888, DRM_FORMAT_BGRX8888,
		DRM_FORMAT_RGB565, DRM_FORMAT_NV12, 0, 0x20202020,
	};
	struct drm_mode_fb_cmd2 f = {
		.width = chance(&t->r, 4) ? some_u32(&t->r) : 1 + below(&t->r, 1024),
		.height = chance(&t->r, 4) ? some_u32(&t->r) : 1 + below(&t->r, 768),
		.pixel_format = fmts[below(&t->r, sizeof(fmts) / sizeof(fmts[0]))],
		.flags = chance(&t->r, 6) ? some_u32(&t->r) : 0,
	};
	unsigned int i;
	uint32_t id;

	if (!t->pr->card)
		return;
	if (chance(&t->r, 3)) {
		id = chance(&t->r, 4) ? some_u32(&t->r) :
		     take_u32(t->pr->p.fb, &t->r);
		io(t, "RMFB", DRM_IOCTL_MODE_RMFB, &id);
		return;
	}
	for (i = 0; i < 4; i++) {
		if (i && !chance(&t->r, 4))
			break;
		f.handles[i] = some_bo(t);
		f.pitches[i] = chance(&t->r, 4) ? some_u32(&t->r) : f.width * 4;
		f.offsets[i] = chance(&t->r, 6) ? some_u32(&t->r) : 0;
		f.modifier[i] = chance(&t->r, 8) ? some_u64(&t->r) : 0;
	}
	maybe_inject(t);
	if (!io(t, "ADDFB2", DRM_IOCTL_MODE_ADDFB2, &f))
		put_u32(t->pr->fd, t->pr->p.fb, POOL_FB, &t->r, f.fb_id);
	disarm(t);
}

/*
 * An atomic commit of the plane to a random framebuffer, mostly
 * TEST_ONLY, with random properties now and then.
 */
static void op_atomic(struct thr *t)
{
	struct proc *pr = t->pr;
	uint32_t objs[3], counts[3], props[8];
	uint64_t vals[8];
	struct drm_mode_atomic a = { 0 };
	unsigned int n = 0, i;

	if (!pr->card || !pr->master || !pr->plane)
		return;
	objs[0] = chance(&t->r, 8) ? some_u32(&t->r) : pr->plane;
	counts[0] = 1 + below(&t->r, 8);
	for (i = 0; i < counts[0]; i++) {
		props[n] = chance(&t->r, 3) ? some_u32(&t->r) : 1 + below(&t->r, 64);
		vals[n++] = chance(&t->r, 2) ? peek_u32(pr->p.fb, &t->r) :
			    some_u64(&t->r);
	}
	a.flags = chance(&t->r, 6) ? some_u32(&t->r) :
		  (chance(&t->r, 4) ? DRM_MODE_ATOMIC_NONBLOCK :
				      DRM_MODE_ATOMIC_TEST_ONLY);
	a.count_objs = chance(&t->r, 10) ? some_u32(&t->r) : 1;
	a.objs_ptr = some_ptr(&t->r, objs);
	a.count_props_ptr = some_ptr(&t->r, counts);
	a.props_ptr = some_ptr(&t->r, props);
	a.prop_values_ptr = some_ptr(&t->r, vals);
	maybe_inject(t);
	io(t, "ATOMIC", DRM_IOCTL_MODE_ATOMIC, &a);
	disarm(t);
}

static void op_getparam(struct thr *t)
{
	int v;
	struct drm_virtgpu_getparam g = {
		.param = chance(&t->r, 3) ? some_u64(&t->r) : below(&t->r, 0x110),
		.value = some_ptr(&t->r, &v),
	};

	io(t, "GETPARAM", DRM_IOCTL_VIRTGPU_GETPARAM, &g);
}

static void op_get_caps(struct thr *t)
{
	static uint8_t buf[4096];
	struct drm_virtgpu_get_caps c = {
		.cap_set_id = chance(&t->r, 3) ? some_u32(&t->r) : below(&t->r, 8),
		.cap_set_ver = chance(&t->r, 3) ? some_u32(&t->r) : below(&t->r, 3),
		.addr = some_ptr(&t->r, buf),
		.size = chance(&t->r, 4) ? some_u32(&t->r) : below(&t->r, sizeof(buf)),
		.pad = chance(&t->r, 16) ? some_u32(&t->r) : 0,
	};

	io(t, "GET_CAPS", DRM_IOCTL_VIRTGPU_GET_CAPS, &c);
}

static void op_resource_create(struct thr *t)
{
	struct drm_virtgpu_resource_create c = {
		.target = chance(&t->r, 4) ? some_u32(&t->r) : 2,
		.format = chance(&t->r, 4) ? some_u32(&t->r) : 1 + below(&t->r, 2),
		.bind = chance(&t->r, 4) ? some_u32(&t->r) : 1u << below(&t->r, 4),
		.width = chance(&t->r, 4) ? some_u32(&t->r) : 1 + below(&t->r, 512),
		.height = chance(&t->r, 4) ? some_u32(&t->r) : 1 + below(&t->r, 512),
		.depth = chance(&t->r, 8) ? some_u32(&t->r) : 1,
		.array_size = chance(&t->r, 8) ? some_u32(&t->r) : 1,
		.last_level = chance(&t->r, 8) ? some_u32(&t->r) : 0,
		.nr_samples = chance(&t->r, 8) ? some_u32(&t->r) : 0,
		.flags = chance(&t->r, 8) ? some_u32(&t->r) : 0,
		.size = chance(&t->r, 4) ? some_size(&t->r) : 0,
		.stride = chance(&t->r, 8) ? some_u32(&t->r) : 0,
	};

	if (!t->pr->has_3d && !chance(&t->r, 8))
		c.target = 2;
	maybe_inject(t);
	if (!io(t, "RESOURCE_CREATE", DRM_IOCTL_VIRTGPU_RESOURCE_CREATE, &c)) {
		put_bo(t->pr->fd, t->pr->p.bo, &t->r, c.bo_handle, c.size);
	}
	disarm(t);
}

static void op_blob(struct thr *t)
{
	uint32_t cmd[8] = { 0 };
	struct drm_virtgpu_resource_create_blob b = {
		.blob_mem = chance(&t->r, 4) ? some_u32(&t->r) : 1 + below(&t->r, 3),
		.blob_flags = chance(&t->r, 4) ? some_u32(&t->r) : below(&t->r, 8),
		.size = chance(&t->r, 4) ? some_size(&t->r) :
			4096ull * (1 + below(&t->r, 64)),
		.blob_id = chance(&t->r, 2) ? some_u64(&t->r) : 0,
		.cmd_size = chance(&t->r, 2) ? 0 : (chance(&t->r, 4) ?
			    some_u32(&t->r) : 4 * below(&t->r, 8)),
		.cmd = some_ptr(&t->r, cmd),
	};
	struct drm_virtgpu_ng_blob_create n = {
		.blob_mem = b.blob_mem, .blob_flags = b.blob_flags,
		.size = b.size, .blob_id = b.blob_id, .cmd_size = b.cmd_size,
		.cmd = b.cmd,
		.blob_hints = chance(&t->r, 6) ? some_u32(&t->r) : 0,
		.pad = chance(&t->r, 16) ? some_u32(&t->r) : 0,
	};

	maybe_inject(t);
	if (chance(&t->r, 2)) {
		if (!io(t, "RESOURCE_CREATE_BLOB",
			DRM_IOCTL_VIRTGPU_RESOURCE_CREATE_BLOB, &b))
			put_bo(t->pr->fd, t->pr->p.bo, &t->r, b.bo_handle, b.size);
	} else if (!io(t, "NG_BLOB_CREATE", DRM_IOCTL_VIRTGPU_NG_BLOB_CREATE,
		       &n)) {
		put_bo(t->pr->fd, t->pr->p.bo, &t->r, n.bo_handle, n.size);
	}
	disarm(t);
}

static void op_info_wait(struct thr *t)
{
	if (chance(&t->r, 2)) {
		struct drm_virtgpu_resource_info i = { .bo_handle = some_bo(t) };

		io(t, "RESOURCE_INFO", DRM_IOCTL_VIRTGPU_RESOURCE_INFO, &i);
	} else {
		struct drm_virtgpu_3d_wait w = {
			.handle = some_bo(t),
			.flags = chance(&t->r, 4) ? some_u32(&t->r) :
				 VIRTGPU_WAIT_NOWAIT * below(&t->r, 2),
		};

		io(t, "WAIT", DRM_IOCTL_VIRTGPU_WAIT, &w);
	}
}

static void some_box(struct thr *t, struct drm_virtgpu_3d_box *b)
{
	b->x = chance(&t->r, 4) ? some_u32(&t->r) : below(&t->r, 64);
	b->y = chance(&t->r, 4) ? some_u32(&t->r) : below(&t->r, 64);
	b->z = chance(&t->r, 8) ? some_u32(&t->r) : 0;
	b->w = chance(&t->r, 4) ? some_u32(&t->r) : 1 + below(&t->r, 64);
	b->h = chance(&t->r, 4) ? some_u32(&t->r) : 1 + below(&t->r, 64);
	b->d = chance(&t->r, 8) ? some_u32(&t->r) : 1;
}

static void op_transfer(struct thr *t)
{
	switch (below(&t->r, 3)) {
	case 0:
	case 1: {
		/* The two directions take the same fields in the same order. */
		struct drm_virtgpu_3d_transfer_to_host x = {
			.bo_handle = some_bo(t),
			.offset = chance(&t->r, 4) ? some_u64(&t->r) : 0,
			.level = chance(&t->r, 8) ? some_u32(&t->r) : 0,
			.stride = chance(&t->r, 6) ? some_u32(&t->r) : 0,
			.layer_stride = chance(&t->r, 8) ? some_u32(&t->r) : 0,
		};
		struct drm_virtgpu_3d_transfer_from_host y;

		_Static_assert(sizeof(x) == sizeof(y), "transfer layouts differ");
		some_box(t, &x.box);
		if (chance(&t->r, 2)) {
			io(t, "TRANSFER_TO_HOST", DRM_IOCTL_VIRTGPU_TRANSFER_TO_HOST, &x);
		} else {
			memcpy(&y, &x, sizeof(y));
			io(t, "TRANSFER_FROM_HOST",
			   DRM_IOCTL_VIRTGPU_TRANSFER_FROM_HOST, &y);
		}
		break;
	}
	default: {
		struct drm_virtgpu_ng_transfer x = {
			.flags = chance(&t->r, 4) ? some_u32(&t->r) :
				 (1 + below(&t->r, 2)) |
				 (chance(&t->r, 2) ? VIRTGPU_NG_TRANSFER_WAIT : 0),
			.bo_handle = some_bo(t),
			.offset = chance(&t->r, 4) ? some_u64(&t->r) : 0,
			.level = chance(&t->r, 8) ? some_u32(&t->r) : 0,
			.stride = chance(&t->r, 6) ? some_u32(&t->r) : 0,
			.layer_stride = chance(&t->r, 8) ? some_u32(&t->r) : 0,
			.pad = chance(&t->r, 16) ? some_u32(&t->r) : 0,
		};

		some_box(t, &x.box);
		if (x.flags & VIRTGPU_NG_TRANSFER_WAIT)
			x.timeout_ns = vgu_now_ns() + below(&t->r, 50000000);
		else if (chance(&t->r, 8))
			x.timeout_ns = (int64_t)some_u64(&t->r);
		io(t, "NG_TRANSFER", DRM_IOCTL_VIRTGPU_NG_TRANSFER, &x);
		break;
	}
	}
}

/*
 * EXECBUFFER and NG_SUBMIT. The streams are virgl NOPs (or, on other
 * contexts, zeros): the driver's paths are the target, not the host's
 * decoder, whose crash would end the run without saying anything of ours.
 */
static void op_submit(struct thr *t)
{
	static const uint32_t stream[STREAM_WORDS];
	struct drm_virtgpu_execbuffer_syncobj in[2], out[2];
	uint32_t bos[4];
	unsigned int i;

	for (i = 0; i < 4; i++)
		bos[i] = some_bo(t);
	for (i = 0; i < 2; i++) {
		in[i].handle = peek_u32(t->pr->p.syncobj, &t->r);
		in[i].flags = chance(&t->r, 6) ? some_u32(&t->r) : 0;
		in[i].point = chance(&t->r, 4) ? some_u64(&t->r) : 0;
		out[i] = in[i];
		out[i].handle = peek_u32(t->pr->p.syncobj, &t->r);
	}
	if (chance(&t->r, 2)) {
		struct drm_virtgpu_execbuffer e = {
			.flags = chance(&t->r, 4) ? some_u32(&t->r) :
				 (chance(&t->r, 2) ? VIRTGPU_EXECBUF_FENCE_FD_OUT : 0) |
				 (chance(&t->r, 4) ? VIRTGPU_EXECBUF_FENCE_FD_IN : 0) |
				 (chance(&t->r, 4) ? VIRTGPU_EXECBUF_RING_IDX : 0),
			.size = chance(&t->r, 6) ? some_u32(&t->r) :
				4 * below(&t->r, STREAM_WORDS + 1),
			.command = some_ptr(&t->r, (void *)stream),
			.bo_handles = some_ptr(&t->r, bos),
			.num_bo_handles = chance(&t->r, 6) ? some_u32(&t->r) :
					  below(&t->r, 5),
			.fence_fd = some_fd(t, t->pr->p.sync_fd),
			.ring_idx = chance(&t->r, 4) ? some_u32(&t->r) : 0,
			.syncobj_stride = chance(&t->r, 6) ? some_u32(&t->r) :
					  sizeof(in[0]),
			.num_in_syncobjs = chance(&t->r, 3) ? below(&t->r, 3) : 0,
			.num_out_syncobjs = chance(&t->r, 3) ? below(&t->r, 3) : 0,
			.in_syncobjs = some_ptr(&t->r, in),
			.out_syncobjs = some_ptr(&t->r, out),
		};

		maybe_inject(t);
		if (!io(t, "EXECBUFFER", DRM_IOCTL_VIRTGPU_EXECBUFFER, &e) &&
		    (e.flags & VIRTGPU_EXECBUF_FENCE_FD_OUT))
			put_fd(t->pr->p.sync_fd, &t->r, e.fence_fd);
		disarm(t);
	} else {
		struct drm_virtgpu_execbuffer ent[3];
		struct drm_virtgpu_ng_submit s = {
			.flags = chance(&t->r, 4) ? some_u32(&t->r) : 0,
			.count = chance(&t->r, 6) ? some_u32(&t->r) : 1 + below(&t->r, 3),
			.stride = chance(&t->r, 6) ? some_u32(&t->r) : sizeof(ent[0]),
			.queued = chance(&t->r, 8) ? some_u32(&t->r) : 0,
			.entries = some_ptr(&t->r, ent),
			.timeout_ns = chance(&t->r, 2) ? 0 :
				      vgu_now_ns() + below(&t->r, 20000000),
		};

		for (i = 0; i < 3; i++) {
			memset(&ent[i], 0, sizeof(ent[i]));
			ent[i].size = 4 * below(&t->r, STREAM_WORDS + 1);
			ent[i].command = (uintptr_t)stream;
			ent[i].bo_handles = (uintptr_t)bos;
			ent[i].num_bo_handles = below(&t->r, 5);
			ent[i].fence_fd = -1;
			if (chance(&t->r, 4))
				ent[i].flags = some_u32(&t->r);
		}
		maybe_inject(t);
		io(t, "NG_SUBMIT", DRM_IOCTL_VIRTGPU_NG_SUBMIT, &s);
		disarm(t);
	}
}

static void op_context_init(struct thr *t)
{
	struct drm_virtgpu_context_set_param p[4];
	struct drm_virtgpu_context_init c = {
		.num_params = chance(&t->r, 6) ? some_u32(&t->r) : below(&t->r, 5),
		.pad = chance(&t->r, 16) ? some_u32(&t->r) : 0,
		.ctx_set_params = some_ptr(&t->r, p),
	};
	unsigned int i;

	for (i = 0; i < 4; i++) {
		p[i].param = chance(&t->r, 4) ? some_u64(&t->r) : 1 + below(&t->r, 4);
		p[i].value = chance(&t->r, 3) ? some_u64(&t->r) : below(&t->r, 8);
	}
	io(t, "CONTEXT_INIT", DRM_IOCTL_VIRTGPU_CONTEXT_INIT, &c);
}

/* MAP or MAP_DUMB, then mmap (and touch) the offset now and then. */
static void op_map(struct thr *t)
{
	uint64_t off;
	size_t len;
	void *p;
	int ret, slot;

	if (chance(&t->r, 2)) {
		struct drm_virtgpu_map m = { .handle = some_bo(t) };

		ret = io(t, "MAP", DRM_IOCTL_VIRTGPU_MAP, &m);
		off = m.offset;
	} else {
		struct drm_mode_map_dumb m = {
			.handle = some_bo(t),
			.pad = chance(&t->r, 8) ? some_u32(&t->r) : 0,
		};

		ret = io(t, "MAP_DUMB", DRM_IOCTL_MODE_MAP_DUMB, &m);
		off = m.offset;
	}
	if (ret || chance(&t->r, 3))
		return;
	len = 4096u * (1 + below(&t->r, 64));
	p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, t->pr->fd, off);
	if (p == MAP_FAILED) {
		note(t, "mmap", -errno);
		return;
	}
	slot = below(&t->r, MAPS);
	if (t->map[slot].p)
		munmap(t->map[slot].p, t->map[slot].len);
	t->map[slot].p = p;
	t->map[slot].len = len;
}

/*
 * Touches a mapping. A mapping longer than its object faults past the
 * object's end (SIGBUS), so only the first page is touched: every object
 * has one.
 */
static void op_touch(struct thr *t)
{
	int slot = below(&t->r, MAPS);
	volatile uint8_t *p = t->map[slot].p;

	if (!p)
		return;
	if (chance(&t->r, 4)) {
		munmap(t->map[slot].p, t->map[slot].len);
		t->map[slot].p = NULL;
		return;
	}
	p[below(&t->r, 4096)] ^= (uint8_t)rnd(&t->r);
}

static void op_dup_and_close(struct thr *t)
{
	/* A second file on the same node, its handles closed with it. */
	char path[64];
	int fd = vgu_open(VGU_DRIVER, t->pr->card ? VGU_NODE_CARD :
			  VGU_NODE_RENDER, path);
	struct drm_prime_handle h = { .fd = peek_fd(t->pr->p.dmabuf, &t->r) };

	if (fd < 0)
		return;
	if (h.fd >= 0 && !ioctl(fd, DRM_IOCTL_PRIME_FD_TO_HANDLE, &h)) {
		struct drm_virtgpu_3d_wait w = { .handle = h.handle,
						 .flags = VIRTGPU_WAIT_NOWAIT };

		ioctl(fd, DRM_IOCTL_VIRTGPU_WAIT, &w);
	}
	close(fd);
}

struct op {
	const char *name;
	void (*fn)(struct thr *t);
	unsigned int weight;
};

static const struct op ops[] = {
	{ "dumb", op_dumb, 6 },
	{ "gem_close", op_gem_close, 6 },
	{ "prime", op_prime, 5 },
	{ "close_fd", op_close_fd, 3 },
	{ "syncobj", op_syncobj, 8 },
	{ "fb", op_fb, 4 },
	{ "atomic", op_atomic, 3 },
	{ "getparam", op_getparam, 2 },
	{ "get_caps", op_get_caps, 2 },
	{ "resource_create", op_resource_create, 6 },
	{ "blob", op_blob, 4 },
	{ "info_wait", op_info_wait, 4 },
	{ "transfer", op_transfer, 6 },
	{ "submit", op_submit, 6 },
	{ "context_init", op_context_init, 1 },
	{ "map", op_map, 4 },
	{ "touch", op_touch, 4 },
	{ "dup_and_close", op_dup_and_close, 1 },
};
#define NOPS (sizeof(ops) / sizeof(ops[0]))

/* The weights in effect: ops[]', or 0 for those -o left out. */
static unsigned int weight[NOPS], total_weight;

/* Keeps the operations named in @list (comma-separated); 0 or -EINVAL. */
static int select_ops(const char *list)
{
	unsigned int i;
	char *l = strdup(list), *tok, *save = NULL;

	if (!l)
		return -ENOMEM;
	memset(weight, 0, sizeof(weight));
	for (tok = strtok_r(l, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		for (i = 0; i < NOPS && strcmp(ops[i].name, tok); i++)
			;
		if (i == NOPS) {
			fprintf(stderr, "fuzz: no operation %s\n", tok);
			free(l);
			return -EINVAL;
		}
		weight[i] = ops[i].weight;
	}
	free(l);
	return 0;
}

static const struct op *pick(struct rng *r)
{
	unsigned int i, n = below(r, total_weight);

	for (i = 0; i < NOPS; i++) {
		if (n < weight[i])
			return &ops[i];
		n -= weight[i];
	}
	return &ops[0];
}

static void *thread_main(void *arg)
{
	struct thr *t = arg;
	unsigned int i;

	while (atomic_fetch_sub(t->pr->ops_left, 1) > 0) {
		pick(&t->r)->fn(t);
		atomic_fetch_add(&t->pr->ops_done, 1);
	}
	atomic_fetch_add(t->pr->ops_left, 1);
	for (i = 0; i < MAPS; i++)
		if (t->map[i].p)
			munmap(t->map[i].p, t->map[i].len);
	return NULL;
}

/* --------------------------------------------------------- a process */

static void find_plane(struct proc *pr)
{
	struct vgu_output out;

	if (vgu_set_client_cap(pr->fd, DRM_CLIENT_CAP_UNIVERSAL_PLANES, 1) ||
	    vgu_set_client_cap(pr->fd, DRM_CLIENT_CAP_ATOMIC, 1))
		return;
	if (vgu_find_output(pr->fd, &out))
		return;
	pr->plane = out.primary_plane_id;
}

/*
 * One process of the run: its file, its pools and @nthreads threads
 * sharing @ops_left. Process 0 takes the card node (and KMS, when it can
 * become master), the others render nodes. Prints a summary line of its
 * own ("# ...") and returns the number of unexpected errnos, or -1.
 */
static int run_proc(unsigned int pidx, uint64_t seed, unsigned int nthreads,
		    _Atomic uint64_t *ops_left, int failslab, char *bad,
		    size_t badlen)
{
	struct proc *pr = calloc(1, sizeof(*pr));
	struct thr *th = calloc(nthreads, sizeof(*th));
	pthread_t *tid = calloc(nthreads, sizeof(*tid));
	struct vgu_features f;
	unsigned int i;
	char path[64];
	int ret;

	if (!pr || !th || !tid)
		return -1;
	pthread_mutex_init(&pr->lock, NULL);
	pr->card = pidx == 0;
	pr->fd = vgu_open(VGU_DRIVER, pr->card ? VGU_NODE_CARD : VGU_NODE_RENDER,
			  path);
	if (pr->fd < 0)
		return -1;
	if (!pidx)
		atomic_store(&proc0_fd, pr->fd);
	vgu_probe_features(pr->fd, &f);
	pr->has_3d = f.virgl;
	pr->failslab = failslab;
	pr->ops_left = ops_left;
	for (i = 0; i < POOL; i++) {
		pr->p.sync_fd[i] = -1;
		pr->p.dmabuf[i] = -1;
	}
	if (pr->card) {
		pr->master = !vgu_set_master(pr->fd);
		if (pr->master)
			find_plane(pr);
	}
	for (i = 0; i < nthreads; i++) {
		th[i].pr = pr;
		th[i].idx = pidx * 100 + i;
		th[i].r.s = seed ^ (0x100000001b3ull * (th[i].idx + 1));
		if (pthread_create(&tid[i], NULL, thread_main, &th[i]))
			return -1;
	}
	for (i = 0; i < nthreads; i++)
		pthread_join(tid[i], NULL);

	printf("# process %u (%s%s): %" PRIu64 " ops, errnos:", pidx, path,
	       pr->master ? ", master" : "", atomic_load(&pr->ops_done));
	for (i = 1; i < MAX_ERRNO; i++)
		if (atomic_load(&pr->errs[i]))
			printf(" %s %" PRIu64, ename(i), atomic_load(&pr->errs[i]));
	printf("\n");
	fflush(stdout);
	snprintf(bad, badlen, "%s", pr->first_bad);
	ret = (int)atomic_load(&pr->unexpected);
	for (i = 0; i < POOL; i++) {
		if (pr->p.sync_fd[i] >= 0)
			close(pr->p.sync_fd[i]);
		if (pr->p.dmabuf[i] >= 0)
			close(pr->p.dmabuf[i]);
	}
	close(pr->fd);
	return ret;
}

static long mem_available_mib(void)
{
	return meminfo_mib("MemAvailable");
}

/*
 * A long run's heartbeat, once a minute: how far it got and where the
 * guest's memory went, so that a run the OOM killer ends says which
 * kind of memory grew (the kernel's slabs, shmem behind GEM objects, or
 * what the driver pinned).
 */
struct progress {
	_Atomic uint64_t *left;
	uint64_t nops;
	_Atomic int stop;
	unsigned int every_s;
	int64_t t0;
};

/* The drm-total-memory of @fd's fdinfo, e.g. "1024 KiB", or "?". */
static void file_memory(int fd, char *buf, size_t len)
{
	char path[64], line[128];
	FILE *f;

	snprintf(buf, len, "?");
	snprintf(path, sizeof(path), "/proc/self/fdinfo/%d", fd);
	f = fopen(path, "re");
	if (!f)
		return;
	while (fgets(line, sizeof(line), f))
		if (!strncmp(line, "drm-total-memory:", 17)) {
			snprintf(buf, len, "%s", line + 17 + strspn(line + 17, " \t"));
			buf[strcspn(buf, "\n")] = 0;
			break;
		}
	fclose(f);
}

/* Files allocated in the system (/proc/sys/fs/file-nr's first field). */
static long open_files(void)
{
	FILE *f = fopen("/proc/sys/fs/file-nr", "re");
	long n = -1;

	if (f) {
		if (fscanf(f, "%ld", &n) != 1)
			n = -1;
		fclose(f);
	}
	return n;
}

static void *progress_main(void *arg)
{
	struct progress *pg = arg;
	char fmem[48];
	int s;

	for (;;) {
		for (s = 0; s < (int)pg->every_s * 10; s++) {
			if (atomic_load(&pg->stop))
				return NULL;
			vgu_sleep_ms(100);
		}
		file_memory(atomic_load(&proc0_fd), fmem, sizeof(fmem));
		printf("# progress: %.0f s, %" PRIu64 " ops, MemAvailable %ld MiB, Slab %ld, Shmem %ld, Unevictable %ld, KernelStack %ld, VmallocUsed %ld; process 0's file %s; resources %lld, %lld MiB; open files %ld\n",
		       (vgu_now_ns() - pg->t0) / 1e9,
		       pg->nops - (uint64_t)(int64_t)atomic_load(pg->left),
		       mem_available_mib(), meminfo_mib("Slab"),
		       meminfo_mib("Shmem"), meminfo_mib("Unevictable"),
		       meminfo_mib("KernelStack"), meminfo_mib("VmallocUsed"),
		       fmem, vgu_stat("resources"),
		       vgu_stat("resource_bytes") >> 20, open_files());
		fflush(stdout);
	}
}

int main(int argc, char **argv)
{
	uint64_t seed = DEFAULT_SEED, nops = 5000;
	unsigned int nthreads = 4, nprocs = 2, i;
	_Atomic uint64_t *left;
	int opt, failslab, status, bad_children = 0, unexpected = 0;
	long mem0, mem1 = -1;
	int no_inject = 0;
	char bad[160] = "";
	struct progress pg = { 0 };
	pthread_t pg_tid;
	int have_pg;
	int64_t t0;

	for (i = 0; i < NOPS; i++)
		weight[i] = ops[i].weight;
	pg.every_s = 60;
	while ((opt = getopt(argc, argv, "s:rn:t:p:o:FP:")) != -1) {
		switch (opt) {
		case 'r':
			seed = (uint64_t)vgu_now_ns();
			break;
		case 'F':
			no_inject = 1;
			break;
		case 'o':
			if (select_ops(optarg))
				return 2;
			break;
		case 's': seed = strtoull(optarg, NULL, 0); break;
		case 'n': nops = strtoull(optarg, NULL, 0); break;
		case 'P': pg.every_s = strtoul(optarg, NULL, 0) ?: 1; break;
		case 't': nthreads = strtoul(optarg, NULL, 0); break;
		case 'p': nprocs = strtoul(optarg, NULL, 0); break;
		default:
			fprintf(stderr, "usage: fuzz [-s SEED | -r] [-n OPS] [-t THREADS] [-p PROCS] [-o OP,...] [-F] [-P SECONDS]\n");
			return 2;
		}
	}
	for (i = 0; i < NOPS; i++)
		total_weight += weight[i];
	if (!nthreads || !nprocs) {
		fprintf(stderr, "fuzz: THREADS and PROCS must be at least 1\n");
		return 2;
	}
	/* A pipe's or socket's peer gone must not end the run. */
	signal(SIGPIPE, SIG_IGN);
	failslab = !no_inject && failslab_setup();
	printf("# fuzz: seed %" PRIu64 " (replay: fuzz -s %" PRIu64 " -n %" PRIu64
	       " -t %u -p %u), fault injection %s\n", seed, seed, nops, nthreads,
	       nprocs, failslab ? "on (fail-nth, failslab)" :
	       no_inject ? "off (-F)" : "not offered by this kernel");
	fflush(stdout);

	left = mmap(NULL, sizeof(*left), PROT_READ | PROT_WRITE,
		    MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (left == MAP_FAILED) {
		fail("ops", "mmap: %s", strerror(errno));
		return test_exit();
	}
	atomic_store(left, nops);
	mem0 = mem_available_mib();
	t0 = vgu_now_ns();
	for (i = 1; i < nprocs; i++) {
		pid_t pid = fork();

		if (pid == 0) {
			int u;

			/* A run whose first process died ends here too. */
			prctl(PR_SET_PDEATHSIG, SIGKILL);
			if (getppid() == 1)
				_exit(3);
			u = run_proc(i, seed, nthreads, left, failslab, bad,
				     sizeof(bad));

			if (u > 0)
				printf("# process %u: first unexpected errno: %s\n", i, bad);
			fflush(stdout);
			_exit(u < 0 ? 3 : u > 0 ? 4 : 0);
		}
		if (pid < 0)
			bad_children++;
	}
	pg.left = left;
	pg.nops = nops;
	pg.t0 = t0;
	have_pg = !pthread_create(&pg_tid, NULL, progress_main, &pg);
	unexpected = run_proc(0, seed, nthreads, left, failslab, bad, sizeof(bad));
	while (wait(&status) > 0) {
		if (!WIFEXITED(status) || WEXITSTATUS(status) == 3)
			bad_children++;
		else if (WEXITSTATUS(status) == 4)
			unexpected += !unexpected;
	}
	if (have_pg) {
		atomic_store(&pg.stop, 1);
		pthread_join(pg_tid, NULL);
	}
	if (failslab)
		write_knob("/sys/kernel/debug/failslab/ignore-gfp-wait", "Y");

	check("ops", unexpected >= 0, "process 0 could not start (no %s node?)",
	      VGU_DRIVER);
	check("errnos", unexpected <= 0, "%d unexpected errnos; first: %s",
	      unexpected, bad[0] ? bad : "in a child (see its line above)");
	check("children", !bad_children,
	      "%d processes did not start or died by a signal", bad_children);
	printf("# %" PRIu64 " ops in %.1f s\n", nops, (vgu_now_ns() - t0) / 1e9);

	/*
	 * Every file is closed: what the run allocated must come back, once
	 * the host has answered the last releases.
	 */
	for (i = 0; i < MEM_SETTLE_S * 10; i++) {
		mem1 = mem_available_mib();
		if (mem1 >= mem0 - MEM_SLACK_MIB)
			break;
		vgu_sleep_ms(100);
	}
	printf("# MemAvailable %ld MiB before, %ld MiB %.1f s after\n", mem0,
	       mem1, i / 10.0);
	check("memory", mem0 < 0 || mem1 >= mem0 - MEM_SLACK_MIB,
	      "MemAvailable %ld MiB before the run, %ld MiB %d s after it",
	      mem0, mem1, MEM_SETTLE_S);
	return test_exit();
}
