// Producers that write the 16-bit input of the GEMM that consumes them (issue 14): the same arithmetic as
// layernorm_shift_mix (token_shift.cu), wkv_output (wkv_output.cu) and the LoRA / channel-mix activations
// (activations.cu), each value rounded once to the weights' dtype where it is computed. So no convert_f32_to_* kernel
// runs between a producer and its bf16/fp16 GEMM, and relu^2 no longer makes its own float32 round trip over [T, 4C].
// The rounding is FromFloat<T> (common.cuh), the one convert.cu uses, so the GEMM sees bit-identical inputs.
#include "common.cuh"

// As layernorm_shift_mix, with out: [n, T, C] in T (bf16_t or f16_t). normed stays float32 (token_shift_store reads it
// to update the shift state). One block per token (blockIdx.x = t); blockDim.x a multiple of 32.
template <typename T>
__device__ __forceinline__ void layernorm_shift_mix_to(const float* __restrict__ x, const float* __restrict__ ln_w,
                                                       const float* __restrict__ ln_b, float eps, const int* __restrict__ seq_of,
                                                       const int* __restrict__ offsets, const float* __restrict__ shift,
                                                       const float* __restrict__ mix, int n, T* __restrict__ out,
                                                       float* __restrict__ normed, int tokens, int C)
{
    __shared__ float scratch[32];
    const int t = blockIdx.x;
    const int b = seq_of[t];
    const bool has_prev = t > offsets[b]; // uniform over the block
    const float* cur_row = x + (long long)t * C;
    const float* prev_row = cur_row - C;

    float mean, inv;
    row_norm_stats([&](int c) { return cur_row[c]; }, C, eps, scratch, mean, inv);

    float prev_mean = 0.0f, prev_inv = 0.0f;
    if (has_prev) row_norm_stats([&](int c) { return prev_row[c]; }, C, eps, scratch, prev_mean, prev_inv);

    const long long total = (long long)tokens * C;
    for (int c = threadIdx.x; c < C; c += blockDim.x)
    {
        const float cur = (cur_row[c] - mean) * inv * ln_w[c] + ln_b[c];
        const float prev = has_prev ? (prev_row[c] - prev_mean) * prev_inv * ln_w[c] + ln_b[c] : shift[(long long)b * C + c];
        const long long idx = (long long)t * C + c;
        normed[idx] = cur;
        const float d = prev - cur;
        for (int m = 0; m < n; ++m) out[(long long)m * total + idx] = FromFloat<T>::convert(cur + d * mix[(long long)m * C + c]);
    }
}

extern "C" __global__ void layernorm_shift_mix_bf16(const float* __restrict__ x, const float* __restrict__ ln_w,
                                                    const float* __restrict__ ln_b, float eps, const int* __restrict__ seq_of,
                                                    const int* __restrict__ offsets, const float* __restrict__ shift,
                                                    const float* __restrict__ mix, int n, bf16_t* __restrict__ out,
                                                    float* __restrict__ normed, int T, int C)
{
    layernorm_shift_mix_to<bf16_t>(x, ln_w, ln_b, eps, seq_of, offsets, shift, mix, n, out, normed, T, C);
}

extern "C" __global__ void layernorm_shift_mix_f16(const float* __restrict__ x, const float* __restrict__ ln_w,
                                                   const float* __restrict__ ln_b, float eps, const int* __restrict__ seq_of,
                                                   const int* __restrict__ offsets, const float* __restrict__ shift,
                                                   const float* __restrict__ mix, int n, f16_t* __restrict__ out,
                                                   float* __restrict__ normed, int T, int C)
{
    layernorm_shift_mix_to<f16_t>(x, ln_w, ln_b, eps, seq_of, offsets, shift, mix, n, out, normed, T, C);
}

// As wkv_output, with out: [T, C] in T. One block of RWKV_HEAD_SIZE threads per (token, head): blockIdx.x = t * H + h.
template <typename T>
__device__ __forceinline__ void wkv_output_to(const float* __restrict__ y, const float* __restrict__ r,
                                              const float* __restrict__ k, const float* __restrict__ v,
                                              const float* __restrict__ g, const float* __restrict__ ln_w,
                                              const float* __restrict__ ln_b, const float* __restrict__ r_k,
                                              T* __restrict__ out, int H, float eps)
{
    __shared__ float scratch[32];
    const int C = H * RWKV_HEAD_SIZE;
    const int t = blockIdx.x / H;
    const int h = blockIdx.x - t * H;
    const int c = h * RWKV_HEAD_SIZE + threadIdx.x;
    const long long idx = (long long)t * C + c;

    const float yi = y[idx];
    const float mean = block_sum(yi, scratch) / RWKV_HEAD_SIZE;
    const float d = yi - mean;
    const float var = block_sum(d * d, scratch) / RWKV_HEAD_SIZE;
    const float normed = d / sqrtf(var + eps) * ln_w[c] + ln_b[c];
    const float bonus = block_sum(r[idx] * k[idx] * r_k[c], scratch);

    out[idx] = FromFloat<T>::convert((normed + bonus * v[idx]) * g[idx]);
}

extern "C" __global__ void __launch_bounds__(RWKV_HEAD_SIZE)
wkv_output_bf16(const float* __restrict__ y, const float* __restrict__ r, const float* __restrict__ k,
                const float* __restrict__ v, const float* __restrict__ g, const float* __restrict__ ln_w,
                const float* __restrict__ ln_b, const float* __restrict__ r_k, bf16_t* __restrict__ out, int H, float eps)
{
    wkv_output_to<bf16_t>(y, r, k, v, g, ln_w, ln_b, r_k, out, H, eps);
}

extern "C" __global__ void __launch_bounds__(RWKV_HEAD_SIZE)
wkv_output_f16(const float* __restrict__ y, const float* __restrict__ r, const float* __restrict__ k,
               const float* __restrict__ v, const float* __restrict__ g, const float* __restrict__ ln_w,
               const float* __restrict__ ln_b, const float* __restrict__ r_k, f16_t* __restrict__ out, int H, float eps)
{
    wkv_output_to<f16_t>(y, r, k, v, g, ln_w, ln_b, r_k, out, H, eps);
}

// y[i] = (T) f(x[i]): x [n] float32 (a GEMM's output), y [n] in T (the next GEMM's input). f as in activations.cu:
// 1 = tanh, 2 = sigmoid, 3 = relu^2.
// One thread per element, grid-stride.
template <typename T, int F>
__device__ __forceinline__ void activate_to(const float* __restrict__ x, T* __restrict__ y, long long n)
{
    for (long long i = (long long)blockIdx.x * blockDim.x + threadIdx.x; i < n; i += (long long)gridDim.x * blockDim.x)
    {
        float v = x[i];
        if (F == 1) v = tanhf(v);
        if (F == 2) v = sigmoid(v);
        if (F == 3)
        {
            v = fmaxf(v, 0.0f);
            v = v * v;
        }
        y[i] = FromFloat<T>::convert(v);
    }
}

extern "C" __global__ void activation_tanh_to_bf16(const float* x, bf16_t* y, long long n) { activate_to<bf16_t, 1>(x, y, n); }
extern "C" __global__ void activation_tanh_to_f16(const float* x, f16_t* y, long long n) { activate_to<f16_t, 1>(x, y, n); }
extern "C" __global__ void activation_sigmoid_to_bf16(const float* x, bf16_t* y, long long n) { activate_to<bf16_t, 2>(x, y, n); }
extern "C" __global__ void activation_sigmoid_to_f16(const float* x, f16_t* y, long long n) { activate_to<f16_t, 2>(x, y, n); }
extern "C" __global__ void activation_relu_square_to_bf16(const float* x, bf16_t* y, long long n) { activate_to<bf16_t, 3>(x, y, n); }
extern "C" __global__ void activation_relu_square_to_f16(const float* x, f16_t* y, long long n) { activate_to<f16_t, 3>(x, y, n); }
