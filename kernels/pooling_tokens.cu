// EOS pooling of one long sequence, parallel over tokens (issue 14): eos_pool gives each sequence one block that walks
// every token, which leaves a GPU idle for B = 1. Here block i sums the EOS rows of tokens [i*chunk, (i+1)*chunk) into
// its own partial row, and eos_pool_reduce adds the partials in chunk order: deterministic, no atomics. Same result as
// eos_pool up to float32 summation order (a sum of per-chunk sums).
#include "common.cuh"

// x:       [T, C] float32, LN(x; ln_out) of the packed tokens (one sequence).
// tokens:  [T] token ids.
// partial: [chunks, C] written: partial[i][c] = sum of x[t][c] over the EOS tokens t of chunk i.
// counts:  [chunks] written: EOS tokens of chunk i.
// One block per chunk (blockIdx.x = i); threads stride over channels.
extern "C" __global__ void eos_pool_chunks(const float* __restrict__ x, const int* __restrict__ tokens, int T, int chunk,
                                           float* __restrict__ partial, int* __restrict__ counts, int C, int eos)
{
    const int i = blockIdx.x;
    const int begin = i * chunk;
    const int end = T < begin + chunk ? T : begin + chunk;
    for (int c = threadIdx.x; c < C; c += blockDim.x)
    {
        float sum = 0.0f;
        for (int t = begin; t < end; ++t)
            if (tokens[t] == eos) sum += x[(long long)t * C + c];
        partial[(long long)i * C + c] = sum;
    }
    if (threadIdx.x == 0)
    {
        int count = 0;
        for (int t = begin; t < end; ++t) count += tokens[t] == eos;
        counts[i] = count;
    }
}

// eos_sum: [C] float32, accumulated: += sum over chunks of partial[i][c], in chunk order.
// eos_count: [1] int, accumulated: += sum of counts.
// One thread per channel, grid-stride.
extern "C" __global__ void eos_pool_reduce(const float* __restrict__ partial, const int* __restrict__ counts, int chunks,
                                           float* __restrict__ eos_sum, int* __restrict__ eos_count, int C)
{
    for (int c = blockIdx.x * blockDim.x + threadIdx.x; c < C; c += gridDim.x * blockDim.x)
    {
        float sum = 0.0f;
        for (int i = 0; i < chunks; ++i) sum += partial[(long long)i * C + c];
        eos_sum[c] += sum;
    }
    if (blockIdx.x == 0 && threadIdx.x == 0)
    {
        int count = 0;
        for (int i = 0; i < chunks; ++i) count += counts[i];
        eos_count[0] += count;
    }
}
