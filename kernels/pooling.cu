// EOS mean pooling, kept as a sum and a count so that a batch processed in several passes can add up.
#include "common.cuh"

// x:         [T, C] float32, LN(x; ln_out) of the packed tokens.
// tokens:    [T] token ids.
// offsets:   [B + 1] sequence b is rows offsets[b] .. offsets[b+1]-1.
// eos_sum:   [B, C] float32, accumulated: += sum of x over positions whose token is `eos`.
// eos_count: [B] int, accumulated: += number of those positions.
// One block per sequence; threads stride over channels.
extern "C" __global__ void eos_pool(const float* __restrict__ x, const int* __restrict__ tokens,
                                    const int* __restrict__ offsets, float* __restrict__ eos_sum,
                                    int* __restrict__ eos_count, int C, int eos)
{
    const int b = blockIdx.x;
    const int begin = offsets[b];
    const int end = offsets[b + 1];
    for (int c = threadIdx.x; c < C; c += blockDim.x)
    {
        float sum = 0.0f;
        for (int t = begin; t < end; ++t)
            if (tokens[t] == eos) sum += x[(long long)t * C + c];
        eos_sum[(long long)b * C + c] += sum;
    }
    if (threadIdx.x == 0)
    {
        int count = 0;
        for (int t = begin; t < end; ++t) count += tokens[t] == eos;
        eos_count[b] += count;
    }
}
