// Element-wise activations applied in place: LoRA hidden layers (tanh, sigmoid), the embedding
// head's relu and the channel mix's relu^2.
#include "common.cuh"

// x: [n] float32, overwritten. One thread per element, grid-stride.
#define RWKV_ELEMENTWISE(name, expr)                                                                    \
    extern "C" __global__ void name(float* x, long long n)                                              \
    {                                                                                                  \
        for (long long i = (long long)blockIdx.x * blockDim.x + threadIdx.x; i < n;                     \
             i += (long long)gridDim.x * blockDim.x)                                                    \
        {                                                                                              \
            const float v = x[i];                                                                      \
            x[i] = (expr);                                                                             \
        }                                                                                              \
    }

RWKV_ELEMENTWISE(activation_tanh, tanhf(v))
RWKV_ELEMENTWISE(activation_sigmoid, sigmoid(v))
RWKV_ELEMENTWISE(activation_relu, fmaxf(v, 0.0f))
RWKV_ELEMENTWISE(activation_relu_square, fmaxf(v, 0.0f) * fmaxf(v, 0.0f))
