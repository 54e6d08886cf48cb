// The reranker's score head after its first projection: logit = w2 . tanh(y + bias).
// (The embedding heads are GEMMs, activation_relu and add_layernorm.)
#include "common.cuh"

// y:      [B, C] float32, head.0.weight x (bias not yet added).
// bias:   [C] head.0.bias; w2: [C] head.2.weight.
// logits: [B] float32 output.
// One block per batch item; blockDim.x a multiple of 32.
extern "C" __global__ void reranker_score(const float* __restrict__ y, const float* __restrict__ bias,
                                          const float* __restrict__ w2, float* __restrict__ logits, int C)
{
    __shared__ float scratch[32];
    const float* row = y + (long long)blockIdx.x * C;
    float sum = 0.0f;
    for (int c = threadIdx.x; c < C; c += blockDim.x) sum += w2[c] * tanhf(row[c] + bias[c]);
    sum = block_sum(sum, scratch);
    if (threadIdx.x == 0) logits[blockIdx.x] = sum;
}
