// Token shift over a ragged batch: mixes each token with the previous token of the same sequence
// (or with the sequence's carried shift state for its first token), and stores the new shift state.
#include "common.cuh"

// x:       [T, C] float32, the current layer-normed activations of all packed tokens.
// seq_of:  [T] sequence index of each token.
// offsets: [B + 1] sequence b is rows offsets[b] .. offsets[b+1]-1.
// shift:   [B, C] previous token's x per sequence (this layer's slice of the state), read only.
// mix:     [n, C] lerp coefficients (n = 6 for time mix: x_r, x_w, x_k, x_v, x_a, x_g; n = 1 for channel mix).
// out:     [n, T, C] out[m][t] = x[t] + (prev - x[t]) * mix[m].
// One thread per (t, c), grid-stride.
extern "C" __global__ void token_shift_mix(const float* __restrict__ x, const int* __restrict__ seq_of,
                                           const int* __restrict__ offsets, const float* __restrict__ shift,
                                           const float* __restrict__ mix, int n, float* __restrict__ out,
                                           int T, int C)
{
    const long long total = (long long)T * C;
    for (long long idx = (long long)blockIdx.x * blockDim.x + threadIdx.x; idx < total;
         idx += (long long)gridDim.x * blockDim.x)
    {
        const int t = (int)(idx / C);
        const int c = (int)(idx - (long long)t * C);
        const int b = seq_of[t];
        const float cur = x[idx];
        const float prev = t > offsets[b] ? x[idx - C] : shift[(long long)b * C + c];
        const float d = prev - cur;
        for (int m = 0; m < n; ++m)
            out[(long long)m * total + idx] = cur + d * mix[(long long)m * C + c];
    }
}

// x:       [T, C] the same activations token_shift_mix read.
// offsets: [B + 1].
// shift:   [B, C] written: the last token's x of every non-empty sequence; empty sequences keep theirs.
// One thread per (b, c), grid-stride. Must run after token_shift_mix has read the old values.
extern "C" __global__ void token_shift_store(const float* __restrict__ x, const int* __restrict__ offsets,
                                             float* __restrict__ shift, int B, int C)
{
    const long long total = (long long)B * C;
    for (long long idx = (long long)blockIdx.x * blockDim.x + threadIdx.x; idx < total;
         idx += (long long)gridDim.x * blockDim.x)
    {
        const int b = (int)(idx / C);
        const int c = (int)(idx - (long long)b * C);
        const int end = offsets[b + 1];
        if (end > offsets[b]) shift[idx] = x[(long long)(end - 1) * C + c];
    }
}
