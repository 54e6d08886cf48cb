// Inputs of the wkv7 recurrence from the time-mix projections (MODEL.md section 2): in-context
// learning rate, kk normalisation per head, k update, decay, and the value residual.
#include "common.cuh"

// All activations are [T, C] float32 row-major; parameters are [C] float32.
// k:       in: W_k xk.  out: k * (1 + (ag - 1) * k_a).
// a_lora:  in: (xa @ a1) @ a2.
// w_lora:  in: tanh(xw @ w1) @ w2.
// v:       in: W_v xv.  out (layers > 0): v + (v_first - v) * sigmoid(v0 + v_lora).
// v_lora:  (xv @ v1) @ v2; unused (may be null) in the first layer.
// v_first: written (= v) in the first layer, read in later ones.
// decay:   out: exp(-RWKV_DECAY_SCALE * sigmoid(w0 + w_lora)), the scale being e^-0.5.
// a_out:   out: -kk.     b_out: out: kk * ag, with ag = sigmoid(a0 + a_lora), kk = k*k_k / max(||k*k_k||_head, RWKV_KEY_NORM_FLOOR).
// One block of 64 threads per (token, head): blockIdx.x = t * H + h, threadIdx.x = channel within the head.
extern "C" __global__ void __launch_bounds__(RWKV_HEAD_SIZE)
wkv_prep(float* __restrict__ k, const float* __restrict__ a_lora, const float* __restrict__ w_lora,
         float* __restrict__ v, const float* __restrict__ v_lora, float* __restrict__ v_first, int first_layer,
         const float* __restrict__ w0, const float* __restrict__ a0, const float* __restrict__ k_k,
         const float* __restrict__ k_a, const float* __restrict__ v0,
         float* __restrict__ decay, float* __restrict__ a_out, float* __restrict__ b_out, int H)
{
    __shared__ float scratch[32];
    const TokenHeadLane lane = token_head_lane(H);
    const int c = lane.c;
    const long long idx = lane.idx;

    const float key = k[idx];
    const float scaled = key * k_k[c];
    const float norm = fmaxf(sqrtf(block_sum(scaled * scaled, scratch)), RWKV_KEY_NORM_FLOOR);
    const float kk = scaled / norm;
    const float ag = sigmoid(a0[c] + a_lora[idx]);

    k[idx] = key * (1.0f + (ag - 1.0f) * k_a[c]);
    decay[idx] = expf(-RWKV_DECAY_SCALE * sigmoid(w0[c] + w_lora[idx]));
    a_out[idx] = -kk;
    b_out[idx] = kk * ag;

    if (first_layer)
    {
        v_first[idx] = v[idx];
    }
    else
    {
        const float value = v[idx];
        v[idx] = value + (v_first[idx] - value) * sigmoid(v0[c] + v_lora[idx]);
    }
}
