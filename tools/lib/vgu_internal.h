/* SPDX-License-Identifier: MIT */
/* What vgu.c and vgu_kms.c share, outside the public header. */
#ifndef VGU_INTERNAL_H
#define VGU_INTERNAL_H

#include <stdint.h>

/* Userspace pointers travel through the uAPI as __u64. */
static inline uint64_t vgu_u64_ptr(const void *p)
{
	return (uint64_t)(uintptr_t)p;
}

#endif /* VGU_INTERNAL_H */
