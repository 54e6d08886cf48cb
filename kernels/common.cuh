// Shared device helpers for every kernel: element types, conversions, reductions.
// Compiled by NVRTC without the CUDA toolkit headers, so nothing here may #include anything:
// conversions use bit tricks or PTX `cvt`, shuffles use PTX `shfl.sync`. Those five primitives sit in
// one #ifndef RWKV_EMULATION block so the CPU emulator (native/emu) can supply host versions.
#pragma once

// The model constants come from the compiler's -D options, never from literals here: every compiler of the kernels
// (NVRTC in the backend, the clang check, the CPU emulator, the native harness) takes them from the -D lines of
// kernels/nvrtc.options, which the backend checks against ModelSchema (KernelDefines).
// RWKV_HEAD_SIZE: wkv7 head size N (kernels with one thread per state row rely on it); RWKV_DECAY_SCALE: e^-0.5 of
// the decay; RWKV_KEY_NORM_FLOOR: floor of the per-head L2 norm of k*k_k.
#if !defined(RWKV_HEAD_SIZE) || !defined(RWKV_DECAY_SCALE) || !defined(RWKV_KEY_NORM_FLOOR)
#error "model constants missing: compile with the -D options of kernels/nvrtc.options"
#endif

// Element types of stored weights. Distinct structs (not bare ushort) so templates can tell them apart.
struct bf16_t { unsigned short bits; };
struct f16_t { unsigned short bits; };

#ifndef RWKV_EMULATION
__device__ __forceinline__ unsigned int float_bits(float f)
{
    unsigned int u;
    asm("mov.b32 %0, %1;" : "=r"(u) : "f"(f));
    return u;
}

__device__ __forceinline__ float bits_float(unsigned int u)
{
    float f;
    asm("mov.b32 %0, %1;" : "=f"(f) : "r"(u));
    return f;
}

__device__ __forceinline__ float half_bits_to_float(unsigned short h)
{
    float f;
    asm("cvt.f32.f16 %0, %1;" : "=f"(f) : "h"(h));
    return f;
}

// Round to nearest, ties to even.
__device__ __forceinline__ unsigned short float_to_half_bits(float x)
{
    unsigned short h;
    asm("cvt.rn.f16.f32 %0, %1;" : "=h"(h) : "f"(x));
    return h;
}

__device__ __forceinline__ float shuffle_xor(float v, int lane_mask)
{
    float r;
    asm volatile("shfl.sync.bfly.b32 %0, %1, %2, 0x1f, 0xffffffff;" : "=f"(r) : "f"(v), "r"(lane_mask));
    return r;
}
#endif // RWKV_EMULATION: native/emu/emu_shim.h (force-included by the CPU emulator) defines the five primitives above.

__device__ __forceinline__ float to_float(float x) { return x; }

// bf16 is the upper half of an IEEE single: widening is exact.
__device__ __forceinline__ float to_float(bf16_t x) { return bits_float(((unsigned int)x.bits) << 16); }

__device__ __forceinline__ float to_float(f16_t x) { return half_bits_to_float(x.bits); }

template <typename T> struct FromFloat;

template <> struct FromFloat<float>
{
    static __device__ __forceinline__ float convert(float x) { return x; }
};

// Round to nearest, ties to even (what torch does); NaN stays a quiet NaN. A bit trick rather than
// `cvt.rn.bf16.f32` because that PTX instruction needs sm_80 and we also target older GPUs.
template <> struct FromFloat<bf16_t>
{
    static __device__ __forceinline__ bf16_t convert(float x)
    {
        unsigned int u = float_bits(x);
        bf16_t r;
        if ((u & 0x7fffffffu) > 0x7f800000u)
            r.bits = (unsigned short)((u >> 16) | 0x40u);
        else
            r.bits = (unsigned short)((u + 0x7fffu + ((u >> 16) & 1u)) >> 16);
        return r;
    }
};

template <> struct FromFloat<f16_t>
{
    static __device__ __forceinline__ f16_t convert(float x)
    {
        f16_t r;
        r.bits = float_to_half_bits(x);
        return r;
    }
};

// Sum over the 32 lanes of a warp; every lane gets the total. All 32 lanes must be active.
__device__ __forceinline__ float warp_sum(float v)
{
    v += shuffle_xor(v, 16);
    v += shuffle_xor(v, 8);
    v += shuffle_xor(v, 4);
    v += shuffle_xor(v, 2);
    v += shuffle_xor(v, 1);
    return v;
}

// Sum over the block; every thread gets the total. blockDim.x must be a multiple of 32 (at most 1024)
// and every thread of the block must call it. scratch: 32 floats of __shared__ memory; the same scratch
// may be reused by consecutive calls (the leading barrier protects it).
__device__ __forceinline__ float block_sum(float v, float* scratch)
{
    v = warp_sum(v);
    const int lane = threadIdx.x & 31;
    const int warp = threadIdx.x >> 5;
    const int warps = blockDim.x >> 5;
    __syncthreads();
    if (lane == 0) scratch[warp] = v;
    __syncthreads();
    return warp_sum(lane < warps ? scratch[lane] : 0.0f);
}

// The element a thread of a per-(token, head) block works on (wkv_prep, wkv_output): one block of RWKV_HEAD_SIZE
// threads per (token t, head h), blockIdx.x = t * H + h, threadIdx.x = channel within the head.
//   c:   channel in [C], C = H * RWKV_HEAD_SIZE (index of [C] parameters and [H, 64] per-head ones)
//   idx: element of a [T, C] row-major activation
struct TokenHeadLane
{
    int c;
    long long idx;
};

__device__ __forceinline__ TokenHeadLane token_head_lane(int H)
{
    const int t = blockIdx.x / H;
    const int h = blockIdx.x - t * H;
    const int c = h * RWKV_HEAD_SIZE + threadIdx.x;
    return TokenHeadLane{c, (long long)t * H * RWKV_HEAD_SIZE + c};
}

// LayerNorm statistics of one row of C values, computed by the whole block (every thread must call it):
// mean and 1 / sqrt(biased variance + eps), both returned to every thread. value(c) reads element c of the row
// (a plain load, a bf16 conversion, a sum of two rows, ...). scratch as for block_sum.
template <typename Value>
__device__ __forceinline__ void row_norm_stats(Value value, int C, float eps, float* scratch, float& mean, float& inv)
{
    float sum = 0.0f;
    for (int c = threadIdx.x; c < C; c += blockDim.x) sum += value(c);
    mean = block_sum(sum, scratch) / C;
    float sq = 0.0f;
    for (int c = threadIdx.x; c < C; c += blockDim.x)
    {
        const float d = value(c) - mean;
        sq += d * d;
    }
    inv = 1.0f / sqrtf(block_sum(sq, scratch) / C + eps);
}

__device__ __forceinline__ float sigmoid(float x) { return 1.0f / (1.0f + expf(-x)); }
