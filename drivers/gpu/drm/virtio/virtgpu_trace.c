// SPDX-License-Identifier: MIT
/*
 * The one place that instantiates the tracepoints of virtgpu_trace.h.
 *
 * Copyright 2026 The virtio-gpu-ng authors
 */

#include "virtgpu_drv.h"

#define CREATE_TRACE_POINTS
#include "virtgpu_trace.h"
