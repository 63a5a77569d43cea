// SPDX-License-Identifier: MIT
/*
 * vgpu-stat: our driver's counters as per-second rates.
 *
 *   vgpu-stat [INTERVAL_S [COUNT]]      the device, like vmstat
 *   vgpu-stat -c [INTERVAL_S [COUNT]]   per client, like top
 *
 * The device view reads /sys/kernel/debug/dri/N/virtio-gpu-stats (debugfs
 * mounted, root) and prints one line per interval with the rate of the
 * headline counters. Counters are never reset: other readers (the
 * benchmark) may rely on them.
 *
 * The client view reads every process's fdinfo (the DRM usage keys,
 * "DOC: per-client usage" in the driver) and prints, per interval, one
 * line per client of virtio_gpu, busiest first: render time as a share of
 * the interval, notifications and host waits per second, KiB/s moved to
 * and from the host, and memory. Other users' processes need root.
 */
#include <ctype.h>
#include <dirent.h>
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

/* --- per client ------------------------------------------------------ */

enum { C_RENDER, C_NOTIFY, C_WAITS, C_TO, C_FROM, C_MEM, C_KEYS };
static const char *const ckeys[C_KEYS] = {
	"drm-engine-render", "virtio-notifications", "virtio-sync-waits",
	"virtio-bytes-to-host", "virtio-bytes-from-host", "drm-total-memory",
};

struct client {
	long long id;
	int pid;
	char comm[32];
	long long v[C_KEYS];
	int seen;
};

#define MAX_CLIENTS 256

/* One fdinfo file: 1 and @c filled when it is a virtio_gpu client. */
static int read_client(int pid, const char *fd, struct client *c)
{
	char path[300], line[256], unit[16];
	int ours = 0, k;
	long long val;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/fdinfo/%s", pid, fd);
	f = fopen(path, "r");
	if (!f)
		return 0;
	memset(c, 0, sizeof(*c));
	c->id = -1;
	c->pid = pid;
	while (fgets(line, sizeof(line), f)) {
		char *colon = strchr(line, ':');

		if (!colon)
			continue;
		*colon = '\0';
		if (!strcmp(line, "drm-driver")) {
			ours = strstr(colon + 1, "virtio_gpu") != NULL;
			continue;
		}
		unit[0] = '\0';
		if (sscanf(colon + 1, "%lld %15s", &val, unit) < 1)
			continue;
		if (!strcmp(line, "drm-client-id"))
			c->id = val;
		for (k = 0; k < C_KEYS; k++)
			if (!strcmp(line, ckeys[k]))
				c->v[k] = val << (!strcmp(unit, "KiB") ? 10 :
						  !strcmp(unit, "MiB") ? 20 :
						  !strcmp(unit, "GiB") ? 30 : 0);
	}
	fclose(f);
	return ours && c->id >= 0;
}

/* Every client of virtio_gpu, once each (a file may be open many times). */
static int scan_clients(struct client *out, int max)
{
	struct dirent *p, *d;
	DIR *proc = opendir("/proc"), *fds;
	char path[64];
	int n = 0, i;

	if (!proc)
		return 0;
	while ((p = readdir(proc)) && n < max) {
		int pid = atoi(p->d_name);
		char comm[32] = "";
		FILE *f;

		if (!isdigit((unsigned char)p->d_name[0]))
			continue;
		snprintf(path, sizeof(path), "/proc/%d/comm", pid);
		f = fopen(path, "r");
		if (f) {
			if (fgets(comm, sizeof(comm), f))
				comm[strcspn(comm, "\n")] = '\0';
			fclose(f);
		}
		snprintf(path, sizeof(path), "/proc/%d/fdinfo", pid);
		fds = opendir(path);
		if (!fds)
			continue;
		while ((d = readdir(fds)) && n < max) {
			if (!isdigit((unsigned char)d->d_name[0]) ||
			    !read_client(pid, d->d_name, &out[n]))
				continue;
			for (i = 0; i < n && out[i].id != out[n].id; i++)
				;
			if (i < n)
				continue;
			snprintf(out[n].comm, sizeof(out[n].comm), "%s", comm);
			n++;
		}
		closedir(fds);
	}
	closedir(proc);
	return n;
}

static struct client *find_client(struct client *c, int n, long long id)
{
	int i;

	for (i = 0; i < n; i++)
		if (c[i].id == id)
			return &c[i];
	return NULL;
}

static int by_render(const void *a, const void *b)
{
	const struct client *x = a, *y = b;

	return (y->v[C_RENDER] > x->v[C_RENDER]) - (y->v[C_RENDER] < x->v[C_RENDER]);
}

static int clients_view(double interval, long count)
{
	static struct client a[MAX_CLIENTS], b[MAX_CLIENTS], d[MAX_CLIENTS];
	double t0 = vgu_now_ns() / 1e9, t1, dt;
	int na = scan_clients(a, MAX_CLIENTS), nb, nd, i, k;
	long n;

	for (n = 0; count < 0 || n < count; n++) {
		usleep((useconds_t)(interval * 1e6));
		nb = scan_clients(b, MAX_CLIENTS);
		t1 = vgu_now_ns() / 1e9;
		dt = t1 - t0;
		/* Rates of the clients seen at both ends of the interval. */
		for (i = 0, nd = 0; i < nb; i++) {
			struct client *old = find_client(a, na, b[i].id);

			if (!old)
				continue;
			d[nd] = b[i];
			for (k = 0; k < C_MEM; k++)
				d[nd].v[k] = b[i].v[k] - old->v[k];
			nd++;
		}
		qsort(d, nd, sizeof(d[0]), by_render);
		printf("%8s %7s %-16s %7s %9s %8s %12s %12s %10s\n", "CLIENT", "PID",
		       "NAME", "RENDER%", "NOTIFY/s", "WAITS/s", "TO-HOST KiB/s",
		       "FROM KiB/s", "MEM KiB");
		for (i = 0; i < nd; i++)
			printf("%8lld %7d %-16s %7.1f %9.1f %8.1f %12.1f %12.1f %10lld\n",
			       d[i].id, d[i].pid, d[i].comm,
			       d[i].v[C_RENDER] / (dt * 1e9) * 100,
			       d[i].v[C_NOTIFY] / dt, d[i].v[C_WAITS] / dt,
			       d[i].v[C_TO] / dt / 1024, d[i].v[C_FROM] / dt / 1024,
			       d[i].v[C_MEM] >> 10);
		if (!nd)
			printf("(no virtio_gpu clients)\n");
		printf("\n");
		fflush(stdout);
		memcpy(a, b, sizeof(a));
		na = nb;
		t0 = t1;
	}
	return 0;
}

/* --- the device -------------------------------------------------------- */

int main(int argc, char **argv)
{
	double interval, t0, t1;
	long count, n;
	long long a[NCOLS], b[NCOLS];
	char path[256];
	int per_client = argc > 1 && !strcmp(argv[1], "-c");
	size_t i;

	if (per_client) {
		argv++;
		argc--;
	}
	interval = argc > 1 ? atof(argv[1]) : 1.0;
	count = argc > 2 ? atol(argv[2]) : -1;
	if (interval <= 0)
		interval = 1.0;
	if (per_client)
		return clients_view(interval, count);
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
