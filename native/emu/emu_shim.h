// Force-included (g++ -include) before each kernels/*.cu when the CPU emulator compiles the kernels as host C++.
// Maps the CUDA keywords and built-ins the kernels use onto the fiber runtime of emu_runtime.cpp: one fiber per CUDA
// thread, blocks run one after another, __syncthreads and warp shuffles are scheduling points. Never seen by NVRTC.
#pragma once

#define RWKV_EMULATION 1

#include <math.h>
#include <string.h>

#define __global__
#define __device__
#define __host__
#define __forceinline__ inline
#define __launch_bounds__(...)
// One block runs at a time (launches are serialised process-wide), so a function-local static is exactly the block's
// shared memory. __syncthreads below is a compiler memory barrier, so values in these statics are re-read after it.
#define __shared__ static

struct rwkv_emu_dim3
{
    unsigned int x, y, z;
};

namespace rwkv_emu
{
const rwkv_emu_dim3& thread_idx();
const rwkv_emu_dim3& block_idx();
const rwkv_emu_dim3& block_dim();
const rwkv_emu_dim3& grid_dim();
void sync_block();
float shfl_xor(float v, int lane_mask);
} // namespace rwkv_emu

#define threadIdx (::rwkv_emu::thread_idx())
#define blockIdx (::rwkv_emu::block_idx())
#define blockDim (::rwkv_emu::block_dim())
#define gridDim (::rwkv_emu::grid_dim())

inline void __syncthreads()
{
    asm volatile("" ::: "memory");
    rwkv_emu::sync_block();
    asm volatile("" ::: "memory");
}

// The five primitives common.cuh takes from PTX on the GPU.
inline unsigned int float_bits(float f)
{
    unsigned int u;
    memcpy(&u, &f, 4);
    return u;
}

inline float bits_float(unsigned int u)
{
    float f;
    memcpy(&f, &u, 4);
    return f;
}

inline float half_bits_to_float(unsigned short h)
{
    _Float16 v;
    memcpy(&v, &h, 2);
    return (float)v;
}

inline unsigned short float_to_half_bits(float x)
{
    _Float16 v = (_Float16)x; // IEEE round to nearest even, like cvt.rn.f16.f32
    unsigned short h;
    memcpy(&h, &v, 2);
    return h;
}

inline float shuffle_xor(float v, int lane_mask)
{
    asm volatile("" ::: "memory");
    float r = rwkv_emu::shfl_xor(v, lane_mask);
    asm volatile("" ::: "memory");
    return r;
}
