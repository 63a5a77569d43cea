/* SPDX-License-Identifier: MIT */
/*
 * Vulkan on Venus for the guest C tests (vkcompute, vkloop): an instance,
 * the Venus device, a compute queue, a command pool and a fence. The
 * guest also has lavapipe, which would run everything without the host,
 * so the device is picked by name, never taken as the first one.
 */
#ifndef VGU_VK_H
#define VGU_VK_H

#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <vulkan/vulkan.h>

struct vgu_vk {
	VkInstance inst;
	VkPhysicalDevice pdev;
	VkDevice dev;
	VkQueue queue;
	uint32_t qfam;
	VkCommandPool cpool;
	VkFence fence;
};

static inline VkResult vgu_vk_instance(struct vgu_vk *v, const char *app_name)
{
	VkApplicationInfo app = {
		.sType = VK_STRUCTURE_TYPE_APPLICATION_INFO,
		.pApplicationName = app_name,
		.apiVersion = VK_API_VERSION_1_1,
	};
	VkInstanceCreateInfo ici = {
		.sType = VK_STRUCTURE_TYPE_INSTANCE_CREATE_INFO,
		.pApplicationInfo = &app,
	};

	return vkCreateInstance(&ici, NULL, &v->inst);
}

/*
 * Sets v->pdev to the Venus device if there is one. @log (or NULL) gets a
 * comment line per device; @seen (@len bytes, or NULL) the devices' names.
 */
static inline VkResult vgu_vk_find_venus(struct vgu_vk *v, FILE *log,
					 char *seen, size_t len)
{
	VkPhysicalDevice devs[8];
	VkPhysicalDeviceProperties p;
	uint32_t n = 8, i;
	VkResult r;

	if (seen && len)
		seen[0] = '\0';
	r = vkEnumeratePhysicalDevices(v->inst, &n, devs);
	if (r < 0)
		return r;
	for (i = 0; i < n && !v->pdev; i++) {
		vkGetPhysicalDeviceProperties(devs[i], &p);
		if (log)
			fprintf(log, "# device %u: %s (api %u.%u.%u)\n", i,
				p.deviceName, VK_API_VERSION_MAJOR(p.apiVersion),
				VK_API_VERSION_MINOR(p.apiVersion),
				VK_API_VERSION_PATCH(p.apiVersion));
		if (!strncmp(p.deviceName, "Virtio-GPU Venus", 16))
			v->pdev = devs[i];
		else if (seen)
			snprintf(seen + strlen(seen), len - strlen(seen),
				 "%s'%s'", i ? ", " : "", p.deviceName);
	}
	return VK_SUCCESS;
}

/* A host-visible, coherent memory type among @type_bits; 0 if none. */
static inline int vgu_vk_host_memory(struct vgu_vk *v, uint32_t type_bits,
				     uint32_t *type)
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

/*
 * A device with one queue of the first family that computes, a command
 * pool and a fence on it. NULL, or the step that failed (*@r its result).
 */
static inline const char *vgu_vk_device(struct vgu_vk *v, VkResult *r)
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
	VkCommandPoolCreateInfo pci = {
		.sType = VK_STRUCTURE_TYPE_COMMAND_POOL_CREATE_INFO,
	};
	VkFenceCreateInfo fci = { .sType = VK_STRUCTURE_TYPE_FENCE_CREATE_INFO };
	VkQueueFamilyProperties q[16];
	uint32_t n = 16;

	*r = VK_SUCCESS;
	vkGetPhysicalDeviceQueueFamilyProperties(v->pdev, &n, q);
	for (v->qfam = 0; v->qfam < n; v->qfam++)
		if (q[v->qfam].queueFlags & VK_QUEUE_COMPUTE_BIT)
			break;
	if (v->qfam == n)
		return "no queue family with compute";
	qci.queueFamilyIndex = v->qfam;
	*r = vkCreateDevice(v->pdev, &dci, NULL, &v->dev);
	if (*r)
		return "vkCreateDevice";
	vkGetDeviceQueue(v->dev, v->qfam, 0, &v->queue);
	pci.queueFamilyIndex = v->qfam;
	*r = vkCreateCommandPool(v->dev, &pci, NULL, &v->cpool);
	if (*r)
		return "vkCreateCommandPool";
	*r = vkCreateFence(v->dev, &fci, NULL, &v->fence);
	if (*r)
		return "vkCreateFence";
	return NULL;
}

/* A primary command buffer of the pool, recording (begun with @flags). */
static inline VkResult vgu_vk_begin(struct vgu_vk *v,
				    VkCommandBufferUsageFlags flags,
				    VkCommandBuffer *cb)
{
	VkCommandBufferAllocateInfo cai = {
		.sType = VK_STRUCTURE_TYPE_COMMAND_BUFFER_ALLOCATE_INFO,
		.commandPool = v->cpool,
		.level = VK_COMMAND_BUFFER_LEVEL_PRIMARY,
		.commandBufferCount = 1,
	};
	VkCommandBufferBeginInfo cbi = {
		.sType = VK_STRUCTURE_TYPE_COMMAND_BUFFER_BEGIN_INFO,
		.flags = flags,
	};
	VkResult r;

	r = vkAllocateCommandBuffers(v->dev, &cai, cb);
	return r ? r : vkBeginCommandBuffer(*cb, &cbi);
}

/* After the caller has destroyed what it made on the device. */
static inline void vgu_vk_fini(struct vgu_vk *v)
{
	if (v->dev) {
		vkDeviceWaitIdle(v->dev);
		if (v->fence)
			vkDestroyFence(v->dev, v->fence, NULL);
		if (v->cpool)
			vkDestroyCommandPool(v->dev, v->cpool, NULL);
		vkDestroyDevice(v->dev, NULL);
	}
	if (v->inst)
		vkDestroyInstance(v->inst, NULL);
}

#endif
