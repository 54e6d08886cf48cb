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

// LayerNorm fused with token_shift_mix: one kernel instead of two, and the normed rows are read from registers
// instead of memory. Each block recomputes the previous row's LayerNorm (when that row belongs to the same sequence
// in this pass) with the same reduction as the `layernorm` kernel, so the lerps see the values the unfused path sees.
// x:        [T, C] float32 residual stream (not modified).
// ln_w, ln_b: [C] LayerNorm parameters; eps its epsilon.
// seq_of, offsets, shift, mix, n: as token_shift_mix (shift is read only).
// out:      [n, T, C] in O: float32, or the weights' bf16_t / f16_t when the lerps are a 16-bit GEMM's input (issue 14:
//           each value rounded once by FromFloat<O>, as convert.cu would, and no convert kernel runs).
// normed:   [T, C] float32 output, LN(x): token_shift_store reads it afterwards to update the shift state.
// One block per token (blockIdx.x = t); blockDim.x a multiple of 32.
// The parameters of every form of layernorm_shift_mix, O the element type of out: written once, since extern "C"
// kernels cannot be templates and each output type needs a named entry point of its own.
#define LAYERNORM_SHIFT_MIX_PARAMS(O)                                                                                    \
    const float* __restrict__ x, const float* __restrict__ ln_w, const float* __restrict__ ln_b, float eps,             \
        const int* __restrict__ seq_of, const int* __restrict__ offsets, const float* __restrict__ shift,               \
        const float* __restrict__ mix, int n, O* __restrict__ out, float* __restrict__ normed, int T, int C
#define LAYERNORM_SHIFT_MIX_ARGS x, ln_w, ln_b, eps, seq_of, offsets, shift, mix, n, out, normed, T, C

template <typename O>
__device__ __forceinline__ void layernorm_shift_mix_as(LAYERNORM_SHIFT_MIX_PARAMS(O))
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
    if (has_prev) row_norm_stats([&](int c) { return prev_row[c]; }, C, eps, scratch, prev_mean, prev_inv); // has_prev is uniform over the block

    const long long total = (long long)T * C;
    for (int c = threadIdx.x; c < C; c += blockDim.x)
    {
        const float cur = (cur_row[c] - mean) * inv * ln_w[c] + ln_b[c];
        const float prev = has_prev ? (prev_row[c] - prev_mean) * prev_inv * ln_w[c] + ln_b[c] : shift[(long long)b * C + c];
        const long long idx = (long long)t * C + c;
        normed[idx] = cur;
        const float d = prev - cur;
        for (int m = 0; m < n; ++m) out[(long long)m * total + idx] = FromFloat<O>::convert(cur + d * mix[(long long)m * C + c]);
    }
}

extern "C" __global__ void layernorm_shift_mix(LAYERNORM_SHIFT_MIX_PARAMS(float))
{
    layernorm_shift_mix_as<float>(LAYERNORM_SHIFT_MIX_ARGS);
}

extern "C" __global__ void layernorm_shift_mix_bf16(LAYERNORM_SHIFT_MIX_PARAMS(bf16_t))
{
    layernorm_shift_mix_as<bf16_t>(LAYERNORM_SHIFT_MIX_ARGS);
}

extern "C" __global__ void layernorm_shift_mix_f16(LAYERNORM_SHIFT_MIX_PARAMS(f16_t))
{
    layernorm_shift_mix_as<f16_t>(LAYERNORM_SHIFT_MIX_ARGS);
}
