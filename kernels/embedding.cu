// Embedding gather followed by LayerNorm(ln0): the input of layer 0 (MODEL.md section 2).
// Applying ln0 per token here equals folding it into the table once, and keeps the table as stored.
#include "common.cuh"

// table:  [V, C] embedding rows in the checkpoint's dtype T, row-major.
// tokens: [T] row index of each token (validated on the host to be < V).
// weight, bias: [C] ln0 parameters, float32.
// y:      [T, C] float32 output, LN(table[tokens[t]]).
// One block per token; blockDim.x a multiple of 32.
template <typename T>
__device__ __forceinline__ void embedding_layernorm(const T* __restrict__ table, const int* __restrict__ tokens,
                                                    const float* __restrict__ weight, const float* __restrict__ bias,
                                                    float* __restrict__ y, int C, float eps)
{
    __shared__ float scratch[32];
    const int t = blockIdx.x;
    const T* row = table + (long long)tokens[t] * C;
    float* out = y + (long long)t * C;

    float mean, inv;
    row_norm_stats([&](int c) { return to_float(row[c]); }, C, eps, scratch, mean, inv);

    for (int c = threadIdx.x; c < C; c += blockDim.x)
        out[c] = (to_float(row[c]) - mean) * inv * weight[c] + bias[c];
}

extern "C" __global__ void embedding_layernorm_f32(const float* table, const int* tokens, const float* weight,
                                                   const float* bias, float* y, int C, float eps)
{
    embedding_layernorm<float>(table, tokens, weight, bias, y, C, eps);
}

extern "C" __global__ void embedding_layernorm_bf16(const bf16_t* table, const int* tokens, const float* weight,
                                                    const float* bias, float* y, int C, float eps)
{
    embedding_layernorm<bf16_t>(table, tokens, weight, bias, y, C, eps);
}

extern "C" __global__ void embedding_layernorm_f16(const f16_t* table, const int* tokens, const float* weight,
                                                   const float* bias, float* y, int C, float eps)
{
    embedding_layernorm<f16_t>(table, tokens, weight, bias, y, C, eps);
}
