// SPDX-License-Identifier: MIT
// vkcompute: element i of the storage buffer becomes f(i) = i * 0x9e3779b1 ^ seed.
#version 450

layout(local_size_x = 64) in;

layout(std430, set = 0, binding = 0) writeonly buffer Out {
	uint v[];
} o;

layout(push_constant) uniform Push {
	uint n;
	uint seed;
} pc;

void main()
{
	uint i = gl_GlobalInvocationID.x;

	if (i < pc.n)
		o.v[i] = i * 0x9e3779b1u ^ pc.seed;
}
