// SPDX-License-Identifier: MIT
/*
 * vkcompute: Vulkan compute through Venus gives the right numbers.
 *
 * A compute shader (vkcompute.comp, compiled to SPIR-V at build time)
 * writes f(i) = i * 0x9e3779b1 ^ seed into every element of a storage
 * buffer in host-visible, coherent memory; the CPU poisons the buffer
 * first and checks every element afterwards. Under Venus that memory is a
 * host-visible blob mapped into the guest, and the dispatch runs on the
 * host's Vulkan driver.
 *
 * The device must be the Venus one ("Virtio-GPU Venus ..."): the guest also
 * has lavapipe, which would compute the same numbers without the host. A
 * host without the venus capset makes both results SKIP; with it, a
 * missing Venus device is a failure.
 *
 * Results (the runner prefixes "vkcompute/"): venus-device  compute-values
 */
#include <stdint.h>
#include <string.h>
#include <unistd.h>

#include <vulkan/vulkan.h>

#include "vgu_test.h"
#include "vgu_vk.h"
#include "vkcompute.spv.h"	/* vkcompute_spv[], from vkcompute.comp */

#define N		(256u * 1024)	/* elements; 1 MiB of uint */
#define GROUP		64u		/* local_size_x of the shader */
#define SEED		0x5eed1234u
#define POISON		0xdeadbeefu
#define FENCE_NS	(120ull * 1000000000ull)

struct push {
	uint32_t n;
	uint32_t seed;
};

struct vk {
	struct vgu_vk vk;
	VkBuffer buf;
	VkDeviceMemory mem;
	VkShaderModule shader;
	VkDescriptorSetLayout dsl;
	VkPipelineLayout layout;
	VkPipeline pipe;
	VkDescriptorPool pool;
};

static uint32_t f(uint32_t i)
{
	return i * 0x9e3779b1u ^ SEED;
}

/* The Venus device, or FAIL venus-device and return 0. */
static int pick_venus(struct vk *v)
{
	char seen[512];
	VkResult r;

	r = vgu_vk_find_venus(&v->vk, stdout, seen, sizeof(seen));
	if (r < 0) {
		fail("venus-device", "vkEnumeratePhysicalDevices: %d", r);
		return 0;
	}
	if (!v->vk.pdev) {
		fail("venus-device", "host offers venus, but the devices are: %s",
		     seen[0] ? seen : "none");
		return 0;
	}
	pass("venus-device");
	return 1;
}

/* Everything up to a recorded, submitted and finished dispatch. */
static const char *dispatch(struct vk *v, volatile uint32_t **out, VkResult *r)
{
	VkBufferCreateInfo bci = {
		.sType = VK_STRUCTURE_TYPE_BUFFER_CREATE_INFO,
		.size = N * sizeof(uint32_t),
		.usage = VK_BUFFER_USAGE_STORAGE_BUFFER_BIT,
		.sharingMode = VK_SHARING_MODE_EXCLUSIVE,
	};
	VkShaderModuleCreateInfo smci = {
		.sType = VK_STRUCTURE_TYPE_SHADER_MODULE_CREATE_INFO,
		.codeSize = sizeof(vkcompute_spv),
		.pCode = vkcompute_spv,
	};
	VkDescriptorSetLayoutBinding bind = {
		.binding = 0,
		.descriptorType = VK_DESCRIPTOR_TYPE_STORAGE_BUFFER,
		.descriptorCount = 1,
		.stageFlags = VK_SHADER_STAGE_COMPUTE_BIT,
	};
	VkDescriptorSetLayoutCreateInfo dslci = {
		.sType = VK_STRUCTURE_TYPE_DESCRIPTOR_SET_LAYOUT_CREATE_INFO,
		.bindingCount = 1,
		.pBindings = &bind,
	};
	VkPushConstantRange pcr = {
		.stageFlags = VK_SHADER_STAGE_COMPUTE_BIT,
		.size = sizeof(struct push),
	};
	VkPipelineLayoutCreateInfo plci = {
		.sType = VK_STRUCTURE_TYPE_PIPELINE_LAYOUT_CREATE_INFO,
		.setLayoutCount = 1,
		.pSetLayouts = &v->dsl,
		.pushConstantRangeCount = 1,
		.pPushConstantRanges = &pcr,
	};
	VkComputePipelineCreateInfo cpci = {
		.sType = VK_STRUCTURE_TYPE_COMPUTE_PIPELINE_CREATE_INFO,
		.stage = {
			.sType = VK_STRUCTURE_TYPE_PIPELINE_SHADER_STAGE_CREATE_INFO,
			.stage = VK_SHADER_STAGE_COMPUTE_BIT,
			.pName = "main",
		},
	};
	VkDescriptorPoolSize ps = {
		.type = VK_DESCRIPTOR_TYPE_STORAGE_BUFFER,
		.descriptorCount = 1,
	};
	VkDescriptorPoolCreateInfo dpci = {
		.sType = VK_STRUCTURE_TYPE_DESCRIPTOR_POOL_CREATE_INFO,
		.maxSets = 1,
		.poolSizeCount = 1,
		.pPoolSizes = &ps,
	};
	VkDescriptorSetAllocateInfo dsai = {
		.sType = VK_STRUCTURE_TYPE_DESCRIPTOR_SET_ALLOCATE_INFO,
		.descriptorSetCount = 1,
		.pSetLayouts = &v->dsl,
	};
	VkDescriptorBufferInfo dbi = { .range = VK_WHOLE_SIZE };
	VkWriteDescriptorSet wds = {
		.sType = VK_STRUCTURE_TYPE_WRITE_DESCRIPTOR_SET,
		.descriptorCount = 1,
		.descriptorType = VK_DESCRIPTOR_TYPE_STORAGE_BUFFER,
		.pBufferInfo = &dbi,
	};
	/* Shader writes become visible to the host's (our) reads. */
	VkMemoryBarrier mb = {
		.sType = VK_STRUCTURE_TYPE_MEMORY_BARRIER,
		.srcAccessMask = VK_ACCESS_SHADER_WRITE_BIT,
		.dstAccessMask = VK_ACCESS_HOST_READ_BIT,
	};
	VkCommandBuffer cb;
	VkSubmitInfo si = {
		.sType = VK_STRUCTURE_TYPE_SUBMIT_INFO,
		.commandBufferCount = 1,
		.pCommandBuffers = &cb,
	};
	struct push pc = { .n = N, .seed = SEED };
	VkMemoryRequirements mr;
	VkMemoryAllocateInfo mai = {
		.sType = VK_STRUCTURE_TYPE_MEMORY_ALLOCATE_INFO,
	};
	VkDescriptorSet set;
	const char *step;
	VkDevice dev;
	void *map;
	uint32_t i;

	step = vgu_vk_device(&v->vk, r);
	if (step)
		return step;
	dev = v->vk.dev;

	*r = vkCreateBuffer(dev, &bci, NULL, &v->buf);
	if (*r)
		return "vkCreateBuffer";
	vkGetBufferMemoryRequirements(dev, v->buf, &mr);
	mai.allocationSize = mr.size;
	if (!vgu_vk_host_memory(&v->vk, mr.memoryTypeBits, &mai.memoryTypeIndex))
		return "no host-visible coherent memory type for the buffer";
	*r = vkAllocateMemory(dev, &mai, NULL, &v->mem);
	if (*r)
		return "vkAllocateMemory";
	*r = vkBindBufferMemory(dev, v->buf, v->mem, 0);
	if (*r)
		return "vkBindBufferMemory";
	*r = vkMapMemory(dev, v->mem, 0, VK_WHOLE_SIZE, 0, &map);
	if (*r)
		return "vkMapMemory";
	*out = map;
	for (i = 0; i < N; i++)
		(*out)[i] = POISON;

	*r = vkCreateShaderModule(dev, &smci, NULL, &v->shader);
	if (*r)
		return "vkCreateShaderModule";
	*r = vkCreateDescriptorSetLayout(dev, &dslci, NULL, &v->dsl);
	if (*r)
		return "vkCreateDescriptorSetLayout";
	*r = vkCreatePipelineLayout(dev, &plci, NULL, &v->layout);
	if (*r)
		return "vkCreatePipelineLayout";
	cpci.stage.module = v->shader;
	cpci.layout = v->layout;
	*r = vkCreateComputePipelines(dev, VK_NULL_HANDLE, 1, &cpci,
				      NULL, &v->pipe);
	if (*r)
		return "vkCreateComputePipelines";

	*r = vkCreateDescriptorPool(dev, &dpci, NULL, &v->pool);
	if (*r)
		return "vkCreateDescriptorPool";
	dsai.descriptorPool = v->pool;
	*r = vkAllocateDescriptorSets(dev, &dsai, &set);
	if (*r)
		return "vkAllocateDescriptorSets";
	dbi.buffer = v->buf;
	wds.dstSet = set;
	vkUpdateDescriptorSets(dev, 1, &wds, 0, NULL);

	*r = vgu_vk_begin(&v->vk, VK_COMMAND_BUFFER_USAGE_ONE_TIME_SUBMIT_BIT,
			  &cb);
	if (*r)
		return "command buffer";
	vkCmdBindPipeline(cb, VK_PIPELINE_BIND_POINT_COMPUTE, v->pipe);
	vkCmdBindDescriptorSets(cb, VK_PIPELINE_BIND_POINT_COMPUTE, v->layout,
				0, 1, &set, 0, NULL);
	vkCmdPushConstants(cb, v->layout, VK_SHADER_STAGE_COMPUTE_BIT, 0,
			   sizeof(pc), &pc);
	vkCmdDispatch(cb, N / GROUP, 1, 1);
	vkCmdPipelineBarrier(cb, VK_PIPELINE_STAGE_COMPUTE_SHADER_BIT,
			     VK_PIPELINE_STAGE_HOST_BIT, 0, 1, &mb, 0, NULL,
			     0, NULL);
	*r = vkEndCommandBuffer(cb);
	if (*r)
		return "vkEndCommandBuffer";

	*r = vkQueueSubmit(v->vk.queue, 1, &si, v->vk.fence);
	if (*r)
		return "vkQueueSubmit";
	*r = vkWaitForFences(dev, 1, &v->vk.fence, VK_TRUE, FENCE_NS);
	if (*r)
		return "vkWaitForFences";
	return NULL;
}

static void check_values(const volatile uint32_t *p)
{
	uint32_t i, bad = 0, first = N;

	for (i = 0; i < N; i++) {
		if (p[i] != f(i)) {
			if (first == N)
				first = i;
			bad++;
		}
	}
	check("compute-values", !bad,
	      "%u of %u elements wrong; element %u is %08x, want %08x", bad, N,
	      first, bad ? p[first] : 0, bad ? f(first) : 0);
}

static void destroy(struct vk *v)
{
	VkDevice dev = v->vk.dev;

	if (dev) {
		vkDeviceWaitIdle(dev);
		if (v->pool)
			vkDestroyDescriptorPool(dev, v->pool, NULL);
		if (v->pipe)
			vkDestroyPipeline(dev, v->pipe, NULL);
		if (v->layout)
			vkDestroyPipelineLayout(dev, v->layout, NULL);
		if (v->dsl)
			vkDestroyDescriptorSetLayout(dev, v->dsl, NULL);
		if (v->shader)
			vkDestroyShaderModule(dev, v->shader, NULL);
		if (v->buf)
			vkDestroyBuffer(dev, v->buf, NULL);
		if (v->mem)
			vkFreeMemory(dev, v->mem, NULL);	/* unmaps too */
	}
	vgu_vk_fini(&v->vk);
}

int main(void)
{
	volatile uint32_t *out = NULL;
	struct vk v = { 0 };
	struct vgu_features ft;
	const char *step;
	VkResult r = VK_SUCCESS;
	int fd = open_render();

	if (fd < 0) {
		fail("open", "no virtio_gpu render node");
		return test_exit();
	}
	probe_features(fd, &ft);
	close(fd);
	if (!(ft.capsets & (1u << VGU_CAPSET_VENUS))) {
		skip("venus-device", "host offers no venus capset (capsets 0x%x)",
		     ft.capsets);
		skip("compute-values", "host offers no venus capset");
		return test_exit();
	}

	r = vgu_vk_instance(&v.vk, "vgpu-vkcompute");
	if (r) {
		fail("venus-device", "vkCreateInstance: %d", r);
		skip("compute-values", "no Vulkan instance");
		return test_exit();
	}
	if (!pick_venus(&v)) {
		skip("compute-values", "no Venus device");
		destroy(&v);
		return test_exit();
	}
	step = dispatch(&v, &out, &r);
	if (step)
		fail("compute-values", "%s: %d", step, r);
	else
		check_values(out);
	destroy(&v);
	return test_exit();
}
