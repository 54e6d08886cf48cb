// The wkv7 recurrence over a ragged batch (MODEL.md section 2), per head h of sequence b:
//   sa[i]   = sum_j S[i][j] * a[j]
//   S[i][j] = S[i][j] * decay[j] + sa[i] * b[j] + v[i] * k[j]
//   y[i]    = sum_j S[i][j] * r[j]        (with the updated S)
// One block per (sequence, head), one thread per state row i: the row S[i][0..63] lives in registers
// for the whole sequence, and the token's r, decay, k, a, b vectors are shared by the block.
#include "common.cuh"

// state:   [B, H, 64, 64] float32 (this layer's slice of the [L, B, H, 64, 64] state), S[i][j] at
//          ((b * H + h) * 64 + i) * 64 + j; read at the start and written back at the end, in place.
// offsets: [B + 1] sequence b is rows offsets[b] .. offsets[b+1]-1 of the packed inputs; may be empty.
// r, decay, k, v, a, b: [T, C] float32 packed over all sequences, C = H * 64.
// y:       [T, C] float32 output.
// Grid: B * H blocks (blockIdx.x = b * H + h), 64 threads.
extern "C" __global__ void __launch_bounds__(RWKV_HEAD_SIZE)
wkv7_forward(float* __restrict__ state, const int* __restrict__ offsets, const float* __restrict__ r,
             const float* __restrict__ decay, const float* __restrict__ k, const float* __restrict__ v,
             const float* __restrict__ a, const float* __restrict__ b, float* __restrict__ y, int H)
{
    const int seq = blockIdx.x / H;
    const int h = blockIdx.x - seq * H;
    const int i = threadIdx.x;
    const int C = H * RWKV_HEAD_SIZE;
    const int begin = offsets[seq];
    const int end = offsets[seq + 1];
    if (begin >= end) return; // whole block leaves together: no barrier is skipped by part of it

    float* row = state + ((long long)blockIdx.x * RWKV_HEAD_SIZE + i) * RWKV_HEAD_SIZE;
    float s[RWKV_HEAD_SIZE];
#pragma unroll
    for (int j = 0; j < RWKV_HEAD_SIZE; ++j) s[j] = row[j];

    __shared__ float r_s[RWKV_HEAD_SIZE], w_s[RWKV_HEAD_SIZE], k_s[RWKV_HEAD_SIZE];
    __shared__ float a_s[RWKV_HEAD_SIZE], b_s[RWKV_HEAD_SIZE];

    for (int t = begin; t < end; ++t)
    {
        const long long idx = (long long)t * C + h * RWKV_HEAD_SIZE + i;
        __syncthreads(); // the previous token's vectors are no longer being read
        r_s[i] = r[idx];
        w_s[i] = decay[idx];
        k_s[i] = k[idx];
        a_s[i] = a[idx];
        b_s[i] = b[idx];
        __syncthreads();

        float sa = 0.0f;
#pragma unroll
        for (int j = 0; j < RWKV_HEAD_SIZE; ++j) sa += s[j] * a_s[j];

        const float vi = v[idx];
        float out = 0.0f;
#pragma unroll
        for (int j = 0; j < RWKV_HEAD_SIZE; ++j)
        {
            s[j] = s[j] * w_s[j] + sa * b_s[j] + vi * k_s[j];
            out += s[j] * r_s[j];
        }
        y[idx] = out;
    }

#pragma unroll
    for (int j = 0; j < RWKV_HEAD_SIZE; ++j) row[j] = s[j];
}

// The same recurrence with each state row split over 4 consecutive lanes (16 columns each): 256 threads per
// (sequence, head) instead of 64, for launches with few (sequence, head) pairs (B = 1 prefill), where 64-thread blocks
// leave most of the GPU idle. Exact up to float32 summation order: sa and y are each summed as 4 partial sums of 16
// terms combined with two butterfly shuffles. Same layouts and arguments as wkv7_forward.
// Both versions are kept on purpose (their loads look alike): wkv7_forward is the simplest correct shape and the default,
// this one a speed lever (CudaBackendOptions.Wkv7 = SplitRow); tests and the harness check each against the other.
// Grid: B * H blocks (blockIdx.x = b * H + h), 256 threads.
#define RWKV_WKV7_SPLIT 4
#define RWKV_WKV7_COLS (RWKV_HEAD_SIZE / RWKV_WKV7_SPLIT)
extern "C" __global__ void __launch_bounds__(RWKV_HEAD_SIZE * RWKV_WKV7_SPLIT)
wkv7_forward_split(float* __restrict__ state, const int* __restrict__ offsets, const float* __restrict__ r,
                   const float* __restrict__ decay, const float* __restrict__ k, const float* __restrict__ v,
                   const float* __restrict__ a, const float* __restrict__ b, float* __restrict__ y, int H)
{
    const int seq = blockIdx.x / H;
    const int h = blockIdx.x - seq * H;
    const int i = threadIdx.x / RWKV_WKV7_SPLIT;                   // state row (value channel)
    const int j0 = (threadIdx.x % RWKV_WKV7_SPLIT) * RWKV_WKV7_COLS; // first of this thread's key channels
    const int C = H * RWKV_HEAD_SIZE;
    const int begin = offsets[seq];
    const int end = offsets[seq + 1];
    if (begin >= end) return; // whole block leaves together

    float* row = state + ((long long)blockIdx.x * RWKV_HEAD_SIZE + i) * RWKV_HEAD_SIZE + j0;
    float s[RWKV_WKV7_COLS];
#pragma unroll
    for (int j = 0; j < RWKV_WKV7_COLS; ++j) s[j] = row[j];

    __shared__ float r_s[RWKV_HEAD_SIZE], w_s[RWKV_HEAD_SIZE], k_s[RWKV_HEAD_SIZE];
    __shared__ float a_s[RWKV_HEAD_SIZE], b_s[RWKV_HEAD_SIZE];

    for (int t = begin; t < end; ++t)
    {
        const long long base = (long long)t * C + h * RWKV_HEAD_SIZE;
        __syncthreads(); // the previous token's vectors are no longer being read
        if (threadIdx.x < RWKV_HEAD_SIZE)
        {
            const int c = threadIdx.x;
            r_s[c] = r[base + c];
            w_s[c] = decay[base + c];
            k_s[c] = k[base + c];
            a_s[c] = a[base + c];
            b_s[c] = b[base + c];
        }
        __syncthreads();

        float sa = 0.0f;
#pragma unroll
        for (int j = 0; j < RWKV_WKV7_COLS; ++j) sa += s[j] * a_s[j0 + j];
        sa += shuffle_xor(sa, 1);
        sa += shuffle_xor(sa, 2);

        const float vi = v[base + i];
        float out = 0.0f;
#pragma unroll
        for (int j = 0; j < RWKV_WKV7_COLS; ++j)
        {
            s[j] = s[j] * w_s[j0 + j] + sa * b_s[j0 + j] + vi * k_s[j0 + j];
            out += s[j] * r_s[j0 + j];
        }
        out += shuffle_xor(out, 1);
        out += shuffle_xor(out, 2);
        if (j0 == 0) y[base + i] = out;
    }

#pragma unroll
    for (int j = 0; j < RWKV_WKV7_COLS; ++j) row[j] = s[j];
}
