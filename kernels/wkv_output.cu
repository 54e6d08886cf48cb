// After the recurrence: GroupNorm per head (ln_x), the r_k bonus, and the output gate
// (MODEL.md section 2): out = (GN(y) + (sum_j r[j] k[j] r_k[h][j]) * v) * g.
#include "common.cuh"

// y, r, k, v, g: [T, C] float32 (k after the k_a update, v after the value residual, g the gate).
// ln_w, ln_b: [C] ln_x parameters; r_k: [H, 64].
// out: [T, C] in O, the input of the output projection: float32, or the weights' bf16_t / f16_t when that GEMM takes
//      16-bit inputs (issue 14: rounded once by FromFloat<O>, as convert.cu would, and no convert kernel runs).
// eps: GroupNorm epsilon (64e-5 upstream). Biased variance over the head's 64 channels.
// One block of 64 threads per (token, head): blockIdx.x = t * H + h.
template <typename O>
__device__ __forceinline__ void wkv_output_as(const float* __restrict__ y, const float* __restrict__ r,
                                              const float* __restrict__ k, const float* __restrict__ v,
                                              const float* __restrict__ g, const float* __restrict__ ln_w,
                                              const float* __restrict__ ln_b, const float* __restrict__ r_k,
                                              O* __restrict__ out, int H, float eps)
{
    __shared__ float scratch[32];
    const TokenHeadLane lane = token_head_lane(H);
    const int c = lane.c;
    const long long idx = lane.idx;

    const float yi = y[idx];
    const float mean = block_sum(yi, scratch) / RWKV_HEAD_SIZE;
    const float d = yi - mean;
    const float var = block_sum(d * d, scratch) / RWKV_HEAD_SIZE;
    const float normed = d / sqrtf(var + eps) * ln_w[c] + ln_b[c];
    const float bonus = block_sum(r[idx] * k[idx] * r_k[c], scratch);

    out[idx] = FromFloat<O>::convert((normed + bonus * v[idx]) * g[idx]);
}

extern "C" __global__ void __launch_bounds__(RWKV_HEAD_SIZE)
wkv_output(const float* __restrict__ y, const float* __restrict__ r, const float* __restrict__ k,
           const float* __restrict__ v, const float* __restrict__ g, const float* __restrict__ ln_w,
           const float* __restrict__ ln_b, const float* __restrict__ r_k, float* __restrict__ out, int H, float eps)
{
    wkv_output_as<float>(y, r, k, v, g, ln_w, ln_b, r_k, out, H, eps);
}

extern "C" __global__ void __launch_bounds__(RWKV_HEAD_SIZE)
wkv_output_bf16(const float* __restrict__ y, const float* __restrict__ r, const float* __restrict__ k,
                const float* __restrict__ v, const float* __restrict__ g, const float* __restrict__ ln_w,
                const float* __restrict__ ln_b, const float* __restrict__ r_k, bf16_t* __restrict__ out, int H, float eps)
{
    wkv_output_as<bf16_t>(y, r, k, v, g, ln_w, ln_b, r_k, out, H, eps);
}

extern "C" __global__ void __launch_bounds__(RWKV_HEAD_SIZE)
wkv_output_f16(const float* __restrict__ y, const float* __restrict__ r, const float* __restrict__ k,
               const float* __restrict__ v, const float* __restrict__ g, const float* __restrict__ ln_w,
               const float* __restrict__ ln_b, const float* __restrict__ r_k, f16_t* __restrict__ out, int H, float eps)
{
    wkv_output_as<f16_t>(y, r, k, v, g, ln_w, ln_b, r_k, out, H, eps);
}
