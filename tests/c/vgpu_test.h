/* SPDX-License-Identifier: MIT */
/*
 * Tiny helper for the guest-side C tests: every check prints exactly one
 * line "PASS name", "FAIL name [reason]" or "SKIP name reason", which the
 * guest runner prefixes with the binary's name. Exit status is non-zero when
 * anything failed.
 */
#ifndef VGPU_TEST_H
#define VGPU_TEST_H

#include <dlfcn.h>
#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static int vgpu_failures;

static inline int64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000ll + ts.tv_nsec;
}

/* Sleeps the whole time, signals or not. */
static inline void sleep_ms(int ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) && errno == EINTR)
		;
}

static inline void vgpu_result(const char *res, const char *name,
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

static inline void pass(const char *name)
{
	va_list ap = {0};

	vgpu_result("PASS", name, NULL, ap);
}

__attribute__((format(printf, 2, 3)))
static inline void fail(const char *name, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vgpu_result("FAIL", name, fmt, ap);
	va_end(ap);
	vgpu_failures++;
}

__attribute__((format(printf, 2, 3)))
static inline void skip(const char *name, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vgpu_result("SKIP", name, fmt, ap);
	va_end(ap);
}

/* check(name, cond, fmt, ...): PASS when cond holds, else FAIL with reason. */
#define check(name, cond, ...) \
	do { if (cond) pass(name); else fail(name, __VA_ARGS__); } while (0)

/*
 * Benchmark mode of the client programs (glloop, vkloop): set up and
 * warmed up, say so, and start the loop when told (a line on stdin), so
 * that a benchmark's window holds the loop only.
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

static inline int vgpu_exit(void)
{
	return vgpu_failures ? 1 : 0;
}

#endif
