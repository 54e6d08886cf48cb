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
