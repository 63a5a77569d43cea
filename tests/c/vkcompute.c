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
#include "vkcompute.spv.h"	/* vkcompute_spv[], from vkcompute.comp */

#define CAPSET_VENUS	4	/* VIRTIO_GPU_CAPSET_VENUS */
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
	VkInstance inst;
	VkPhysicalDevice pdev;
	VkDevice dev;
	VkQueue queue;
	uint32_t qfam;
	VkBuffer buf;
	VkDeviceMemory mem;
	VkShaderModule shader;
	VkDescriptorSetLayout dsl;
	VkPipelineLayout layout;
	VkPipeline pipe;
	VkDescriptorPool pool;
	VkCommandPool cpool;
	VkFence fence;
};

static uint32_t f(uint32_t i)
{
	return i * 0x9e3779b1u ^ SEED;
}

/* The Venus device, or FAIL/SKIP venus-device and return 0. */
static int pick_venus(struct vk *v)
{
	VkPhysicalDevice devs[8];
	VkPhysicalDeviceProperties p;
	uint32_t n = 8, i;
	VkResult r;
	char seen[512] = "";

	r = vkEnumeratePhysicalDevices(v->inst, &n, devs);
	if (r < 0) {
		fail("venus-device", "vkEnumeratePhysicalDevices: %d", r);
		return 0;
	}
	for (i = 0; i < n; i++) {
		vkGetPhysicalDeviceProperties(devs[i], &p);
		printf("# device %u: %s (api %u.%u.%u)\n", i, p.deviceName,
		       VK_API_VERSION_MAJOR(p.apiVersion),
		       VK_API_VERSION_MINOR(p.apiVersion),
		       VK_API_VERSION_PATCH(p.apiVersion));
		if (!strncmp(p.deviceName, "Virtio-GPU Venus", 16)) {
			v->pdev = devs[i];
			pass("venus-device");
			return 1;
		}
		snprintf(seen + strlen(seen), sizeof(seen) - strlen(seen),
			 "%s'%s'", i ? ", " : "", p.deviceName);
	}
	fail("venus-device", "host offers venus, but the devices are: %s",
	     n ? seen : "none");
	return 0;
}

static int find_memory(struct vk *v, uint32_t type_bits, uint32_t *type)
{
	const VkMemoryPropertyFlags want = VK_MEMORY_PROPERTY_HOST_VISIBLE_BIT |
					   VK_MEMORY_PROPERTY_HOST_COHERENT_BIT;
	VkPhysicalDeviceMemoryProperties mp;
	uint32_t i;

	vkGetPhysicalDeviceMemoryProperties(v->pdev, &mp);
	for (i = 0; i < mp.memoryTypeCount; i++) {
		if ((type_bits & (1u << i)) &&
		    (mp.memoryTypes[i].propertyFlags & want) == want) {
			*type = i;
			return 1;
		}
	}
	return 0;
}

static int find_queue(struct vk *v)
{
	VkQueueFamilyProperties q[16];
	uint32_t n = 16, i;

	vkGetPhysicalDeviceQueueFamilyProperties(v->pdev, &n, q);
	for (i = 0; i < n; i++) {
		if (q[i].queueFlags & VK_QUEUE_COMPUTE_BIT) {
			v->qfam = i;
			return 1;
		}
	}
	return 0;
}

/* Everything up to a recorded, submitted and finished dispatch. */
static const char *dispatch(struct vk *v, volatile uint32_t **out, VkResult *r)
{
	const float prio = 1.0f;
	VkDeviceQueueCreateInfo qci = {
		.sType = VK_STRUCTURE_TYPE_DEVICE_QUEUE_CREATE_INFO,
		.queueCount = 1,
		.pQueuePriorities = &prio,
	};
	VkDeviceCreateInfo dci = {
		.sType = VK_STRUCTURE_TYPE_DEVICE_CREATE_INFO,
		.queueCreateInfoCount = 1,
		.pQueueCreateInfos = &qci,
	};
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
	};
	VkDescriptorBufferInfo dbi = { .range = VK_WHOLE_SIZE };
	VkWriteDescriptorSet wds = {
		.sType = VK_STRUCTURE_TYPE_WRITE_DESCRIPTOR_SET,
		.descriptorCount = 1,
		.descriptorType = VK_DESCRIPTOR_TYPE_STORAGE_BUFFER,
		.pBufferInfo = &dbi,
	};
	VkCommandPoolCreateInfo cpoolci = {
		.sType = VK_STRUCTURE_TYPE_COMMAND_POOL_CREATE_INFO,
	};
	VkCommandBufferAllocateInfo cbai = {
		.sType = VK_STRUCTURE_TYPE_COMMAND_BUFFER_ALLOCATE_INFO,
		.level = VK_COMMAND_BUFFER_LEVEL_PRIMARY,
		.commandBufferCount = 1,
	};
	VkCommandBufferBeginInfo cbbi = {
		.sType = VK_STRUCTURE_TYPE_COMMAND_BUFFER_BEGIN_INFO,
		.flags = VK_COMMAND_BUFFER_USAGE_ONE_TIME_SUBMIT_BIT,
	};
	/* Shader writes become visible to the host's (our) reads. */
	VkMemoryBarrier mb = {
		.sType = VK_STRUCTURE_TYPE_MEMORY_BARRIER,
		.srcAccessMask = VK_ACCESS_SHADER_WRITE_BIT,
		.dstAccessMask = VK_ACCESS_HOST_READ_BIT,
	};
	VkFenceCreateInfo fci = { .sType = VK_STRUCTURE_TYPE_FENCE_CREATE_INFO };
	VkSubmitInfo si = {
		.sType = VK_STRUCTURE_TYPE_SUBMIT_INFO,
		.commandBufferCount = 1,
	};
	struct push pc = { .n = N, .seed = SEED };
	VkMemoryRequirements mr;
	VkMemoryAllocateInfo mai = {
		.sType = VK_STRUCTURE_TYPE_MEMORY_ALLOCATE_INFO,
	};
	VkDescriptorSet set;
	VkCommandBuffer cb;
	void *map;
	uint32_t i;

	if (!find_queue(v))
		return "no queue family with compute";
	qci.queueFamilyIndex = v->qfam;
	*r = vkCreateDevice(v->pdev, &dci, NULL, &v->dev);
	if (*r)
		return "vkCreateDevice";
	vkGetDeviceQueue(v->dev, v->qfam, 0, &v->queue);

	*r = vkCreateBuffer(v->dev, &bci, NULL, &v->buf);
	if (*r)
		return "vkCreateBuffer";
	vkGetBufferMemoryRequirements(v->dev, v->buf, &mr);
	mai.allocationSize = mr.size;
	if (!find_memory(v, mr.memoryTypeBits, &mai.memoryTypeIndex))
		return "no host-visible coherent memory type for the buffer";
	*r = vkAllocateMemory(v->dev, &mai, NULL, &v->mem);
	if (*r)
		return "vkAllocateMemory";
	*r = vkBindBufferMemory(v->dev, v->buf, v->mem, 0);
	if (*r)
		return "vkBindBufferMemory";
	*r = vkMapMemory(v->dev, v->mem, 0, VK_WHOLE_SIZE, 0, &map);
	if (*r)
		return "vkMapMemory";
	*out = map;
	for (i = 0; i < N; i++)
		(*out)[i] = POISON;

	*r = vkCreateShaderModule(v->dev, &smci, NULL, &v->shader);
	if (*r)
		return "vkCreateShaderModule";
	*r = vkCreateDescriptorSetLayout(v->dev, &dslci, NULL, &v->dsl);
	if (*r)
		return "vkCreateDescriptorSetLayout";
	plci.pSetLayouts = &v->dsl;
	*r = vkCreatePipelineLayout(v->dev, &plci, NULL, &v->layout);
	if (*r)
		return "vkCreatePipelineLayout";
	cpci.stage.module = v->shader;
	cpci.layout = v->layout;
	*r = vkCreateComputePipelines(v->dev, VK_NULL_HANDLE, 1, &cpci,
				      NULL, &v->pipe);
	if (*r)
		return "vkCreateComputePipelines";

	*r = vkCreateDescriptorPool(v->dev, &dpci, NULL, &v->pool);
	if (*r)
		return "vkCreateDescriptorPool";
	dsai.descriptorPool = v->pool;
	dsai.pSetLayouts = &v->dsl;
	*r = vkAllocateDescriptorSets(v->dev, &dsai, &set);
	if (*r)
		return "vkAllocateDescriptorSets";
	dbi.buffer = v->buf;
	wds.dstSet = set;
	vkUpdateDescriptorSets(v->dev, 1, &wds, 0, NULL);

	cpoolci.queueFamilyIndex = v->qfam;
	*r = vkCreateCommandPool(v->dev, &cpoolci, NULL, &v->cpool);
	if (*r)
		return "vkCreateCommandPool";
	cbai.commandPool = v->cpool;
	*r = vkAllocateCommandBuffers(v->dev, &cbai, &cb);
	if (*r)
		return "vkAllocateCommandBuffers";
	*r = vkBeginCommandBuffer(cb, &cbbi);
	if (*r)
		return "vkBeginCommandBuffer";
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

	*r = vkCreateFence(v->dev, &fci, NULL, &v->fence);
	if (*r)
		return "vkCreateFence";
	si.pCommandBuffers = &cb;
	*r = vkQueueSubmit(v->queue, 1, &si, v->fence);
	if (*r)
		return "vkQueueSubmit";
	*r = vkWaitForFences(v->dev, 1, &v->fence, VK_TRUE, FENCE_NS);
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
	if (v->dev) {
		vkDeviceWaitIdle(v->dev);
		if (v->fence)
			vkDestroyFence(v->dev, v->fence, NULL);
		if (v->cpool)
			vkDestroyCommandPool(v->dev, v->cpool, NULL);
		if (v->pool)
			vkDestroyDescriptorPool(v->dev, v->pool, NULL);
		if (v->pipe)
			vkDestroyPipeline(v->dev, v->pipe, NULL);
		if (v->layout)
			vkDestroyPipelineLayout(v->dev, v->layout, NULL);
		if (v->dsl)
			vkDestroyDescriptorSetLayout(v->dev, v->dsl, NULL);
		if (v->shader)
			vkDestroyShaderModule(v->dev, v->shader, NULL);
		if (v->buf)
			vkDestroyBuffer(v->dev, v->buf, NULL);
		if (v->mem)
			vkFreeMemory(v->dev, v->mem, NULL);	/* unmaps too */
		vkDestroyDevice(v->dev, NULL);
	}
	if (v->inst)
		vkDestroyInstance(v->inst, NULL);
}

int main(void)
{
	VkApplicationInfo app = {
		.sType = VK_STRUCTURE_TYPE_APPLICATION_INFO,
		.pApplicationName = "vgpu-vkcompute",
		.apiVersion = VK_API_VERSION_1_1,
	};
	VkInstanceCreateInfo ici = {
		.sType = VK_STRUCTURE_TYPE_INSTANCE_CREATE_INFO,
		.pApplicationInfo = &app,
	};
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
	if (!(ft.capsets & (1u << CAPSET_VENUS))) {
		skip("venus-device", "host offers no venus capset (capsets 0x%x)",
		     ft.capsets);
		skip("compute-values", "host offers no venus capset");
		return test_exit();
	}

	r = vkCreateInstance(&ici, NULL, &v.inst);
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
