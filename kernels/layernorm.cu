// LayerNorm over the channels of each row (ln1, ln2, ln_out), and the heads' LN(a + b).
#include "common.cuh"

// x: [rows, C] float32 input; y: [rows, C] float32 output (may alias x).
// weight, bias: [C]. y = (x - mean) / sqrt(var + eps) * weight + bias, biased variance.
// One block per row; blockDim.x a multiple of 32.
extern "C" __global__ void layernorm(const float* x, const float* __restrict__ weight,
                                     const float* __restrict__ bias, float* y, int C, float eps)
{
    __shared__ float scratch[32];
    const float* in = x + (long long)blockIdx.x * C;
    float* out = y + (long long)blockIdx.x * C;

    float mean, inv;
    row_norm_stats([&](int c) { return in[c]; }, C, eps, scratch, mean, inv);

    // Every read of `in` above finished before block_sum's barriers, so writing in place is safe.
    for (int c = threadIdx.x; c < C; c += blockDim.x)
        out[c] = (in[c] - mean) * inv * weight[c] + bias[c];
}

// a, b: [rows, C] float32; y: [rows, C] = LN(a + b) (may alias a or b).
// weight, bias: [C]. One block per row; blockDim.x a multiple of 32.
extern "C" __global__ void add_layernorm(const float* a, const float* b, const float* __restrict__ weight,
                                         const float* __restrict__ bias, float* y, int C, float eps)
{
    __shared__ float scratch[32];
    const long long row = (long long)blockIdx.x * C;

    float mean, inv;
    row_norm_stats([&](int c) { return a[row + c] + b[row + c]; }, C, eps, scratch, mean, inv);

    for (int c = threadIdx.x; c < C; c += blockDim.x)
        y[row + c] = (a[row + c] + b[row + c] - mean) * inv * weight[c] + bias[c];
}
