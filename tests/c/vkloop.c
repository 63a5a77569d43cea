// SPDX-License-Identifier: MIT
/*
 * vkloop: the Vulkan loops whose cost the virtio-gpu-ng ioctls cut, on
 * venus, as a test and as a benchmark:
 *
 *   alloc-map    vkAllocateMemory of host-visible memory, vkMapMemory, a
 *                write and a read through the mapping, vkUnmapMemory,
 *                vkFreeMemory
 *   submit-wait  vkQueueSubmit of an empty command buffer with a fence,
 *                vkWaitForFences, vkResetFences
 *
 * "vkloop" alone runs a few of each and checks them (PASS/FAIL lines, the
 * runner prefixes the program's name); "vkloop bench LOOP N" prints READY,
 * runs the loop when a line arrives on stdin, and prints
 * "BENCH LOOP ops=.. s=.." and, under LD_PRELOAD=libsccount.so, the system
 * calls and blocking waits of the loop. Without a venus device it skips.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <vulkan/vulkan.h>

#include "vgu_test.h"
#include "vgu_vk.h"

#define ALLOC_SIZE	(64u << 10)
#define FENCE_NS	(60ull * 1000000000ull)

struct vk {
	struct vgu_vk vk;
	uint32_t mtype;
	VkCommandBuffer cmd;
};

static const char *vk_init(struct vk *v)
{
	const char *step;
	VkResult r;

	if (vgu_vk_instance(&v->vk, "vkloop") != VK_SUCCESS)
		return "vkCreateInstance failed";
	if (vgu_vk_find_venus(&v->vk, NULL, NULL, 0) < 0)
		return "vkEnumeratePhysicalDevices failed";
	if (!v->vk.pdev)
		return "no venus device";
	if (!vgu_vk_host_memory(&v->vk, ~0u, &v->mtype))
		return "no host-visible coherent memory";
	step = vgu_vk_device(&v->vk, &r);
	if (step)
		return step;
	if (vgu_vk_begin(&v->vk, 0, &v->cmd) != VK_SUCCESS ||
	    vkEndCommandBuffer(v->cmd) != VK_SUCCESS)
		return "cannot record a command buffer";
	return NULL;
}

/* One alloc-map iteration: 0, or a description of what went wrong. */
static const char *alloc_map_once(struct vk *v, unsigned int i)
{
	VkMemoryAllocateInfo mai = {
		.sType = VK_STRUCTURE_TYPE_MEMORY_ALLOCATE_INFO,
		.allocationSize = ALLOC_SIZE,
		.memoryTypeIndex = v->mtype,
	};
	volatile uint32_t *p;
	VkDeviceMemory mem;
	const char *err = NULL;

	if (vkAllocateMemory(v->vk.dev, &mai, NULL, &mem) != VK_SUCCESS)
		return "vkAllocateMemory failed";
	if (vkMapMemory(v->vk.dev, mem, 0, VK_WHOLE_SIZE, 0, (void **)&p) !=
	    VK_SUCCESS) {
		err = "vkMapMemory failed";
	} else {
		p[0] = i;
		p[ALLOC_SIZE / 4 - 1] = ~i;
		if (p[0] != i || p[ALLOC_SIZE / 4 - 1] != ~i)
			err = "the mapping does not read back what was written";
		vkUnmapMemory(v->vk.dev, mem);
	}
	vkFreeMemory(v->vk.dev, mem, NULL);
	return err;
}

static const char *submit_wait_once(struct vk *v)
{
	VkSubmitInfo si = {
		.sType = VK_STRUCTURE_TYPE_SUBMIT_INFO,
		.commandBufferCount = 1,
		.pCommandBuffers = &v->cmd,
	};

	if (vkQueueSubmit(v->vk.queue, 1, &si, v->vk.fence) != VK_SUCCESS)
		return "vkQueueSubmit failed";
	if (vkWaitForFences(v->vk.dev, 1, &v->vk.fence, VK_TRUE, FENCE_NS) !=
	    VK_SUCCESS)
		return "vkWaitForFences did not succeed";
	if (vkResetFences(v->vk.dev, 1, &v->vk.fence) != VK_SUCCESS)
		return "vkResetFences failed";
	return NULL;
}


static int bench(struct vk *v, const char *loop, long n)
{
	sccount_read_t rd = sccount_reader();
	unsigned long c0 = 0, w0 = 0, c1 = 0, w1 = 0;
	const char *err = NULL;
	int alloc = !strcmp(loop, "alloc-map");
	int64_t t0;
	long i;

	if (!alloc && strcmp(loop, "submit-wait")) {
		fprintf(stderr, "unknown loop %s\n", loop);
		return 2;
	}
	/* One first: the first of each sets up rings and caches. */
	err = alloc ? alloc_map_once(v, 0) : submit_wait_once(v);
	if (!bench_ready())
		return 2;
	if (rd)
		rd(&c0, &w0);
	t0 = vgu_now_ns();
	for (i = 0; i < n && !err; i++)
		err = alloc ? alloc_map_once(v, i) : submit_wait_once(v);
	t0 = vgu_now_ns() - t0;
	if (rd)
		rd(&c1, &w1);
	printf("BENCH %s ops=%ld s=%.3f bad=%d", loop, i, t0 / 1e9, !!err);
	if (rd)
		printf(" syscalls=%lu waits=%lu", c1 - c0, w1 - w0);
	printf("\n");
	if (err)
		fprintf(stderr, "vkloop: %s\n", err);
	return err ? 1 : 0;
}

int main(int argc, char **argv)
{
	struct vk v = { 0 };
	const char *why = vk_init(&v), *err = NULL;
	unsigned int i;
	int rc = 0;

	if (why) {
		if (argc > 1) {
			fprintf(stderr, "vkloop: %s\n", why);
			rc = 77;
		} else {
			skip("alloc-map", "%s", why);
			skip("submit-wait", "%s", why);
		}
		vgu_vk_fini(&v.vk);
		return rc;
	}
	if (argc > 3 && !strcmp(argv[1], "bench")) {
		rc = bench(&v, argv[2], atol(argv[3]));
		vgu_vk_fini(&v.vk);
		return rc;
	}
	for (i = 0; i < 20 && !err; i++)
		err = alloc_map_once(&v, i);
	check("alloc-map", !err, "iteration %u: %s", i - 1, err);
	err = NULL;
	for (i = 0; i < 20 && !err; i++)
		err = submit_wait_once(&v);
	check("submit-wait", !err, "iteration %u: %s", i - 1, err);
	vgu_vk_fini(&v.vk);
	return test_exit();
}
