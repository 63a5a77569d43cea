// SPDX-License-Identifier: MIT
/*
 * vgpu-stat: our driver's debugfs counters as per-second rates, like vmstat.
 *
 *   vgpu-stat [INTERVAL_S [COUNT]]
 *
 * Reads /sys/kernel/debug/dri/N/virtio-gpu-stats (debugfs mounted, root)
 * and prints one line per interval with the rate of the headline counters.
 * Counters are never reset: other readers (the benchmark) may rely on them.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "vgu.h"

static const char *const cols[] = {
	"notify", "notify_suppressed", "irq", "completed", "sync_wait",
	"bytes", "ring_full", "error_resp", "deferred", "deferred_wait",
	"riders", "kms_fence_wait", "kms_fence_ordered", "xfer_to_host_bytes",
};
#define NCOLS (sizeof(cols) / sizeof(cols[0]))

/* The columns' counters (0 when absent) and when they were read. */
static int sample(const char *path, long long *v, double *t)
{
	struct vgu_stats st;
	size_t i;

	if (vgu_stats_read(path, &st))
		return -1;
	*t = vgu_now_ns() / 1e9;
	for (i = 0; i < NCOLS; i++) {
		v[i] = vgu_stats_get(&st, cols[i]);
		if (v[i] < 0)
			v[i] = 0;
	}
	return 0;
}

int main(int argc, char **argv)
{
	double interval = argc > 1 ? atof(argv[1]) : 1.0, t0, t1;
	long count = argc > 2 ? atol(argv[2]) : -1, n;
	long long a[NCOLS], b[NCOLS];
	char path[256];
	size_t i;

	if (interval <= 0)
		interval = 1.0;
	if (vgu_stats_path(path, sizeof(path))) {
		fprintf(stderr, "vgpu-stat: no virtio-gpu-stats in debugfs "
			"(our driver loaded? debugfs mounted?)\n");
		return 1;
	}
	if (sample(path, a, &t0))
		return 1;
	for (n = 0; count < 0 || n < count; n++) {
		if (n % 20 == 0) {
			/* Rates per second, under short names where long. */
			for (i = 0; i < NCOLS; i++)
				printf(" %11s", i == 1 ? "suppressed" :
				       i == NCOLS - 2 ? "defer_wait" : cols[i]);
			printf("\n");
		}
		usleep((useconds_t)(interval * 1e6));
		if (sample(path, b, &t1))
			return 1;
		for (i = 0; i < NCOLS; i++)
			printf(" %11.0f", (b[i] - a[i]) / (t1 - t0));
		printf("\n");
		fflush(stdout);
		memcpy(a, b, sizeof(a));
		t0 = t1;
	}
	return 0;
}
