// Element-wise activations applied in place: LoRA hidden layers (tanh, sigmoid), the embedding
// head's relu and the channel mix's relu^2.
#include "common.cuh"

struct TanhOp { static __device__ __forceinline__ float apply(float v) { return tanhf(v); } };
struct SigmoidOp { static __device__ __forceinline__ float apply(float v) { return sigmoid(v); } };
struct ReluOp { static __device__ __forceinline__ float apply(float v) { return fmaxf(v, 0.0f); } };
struct ReluSquareOp
{
    static __device__ __forceinline__ float apply(float v)
    {
        const float r = fmaxf(v, 0.0f);
        return r * r;
    }
};

// x: [n] float32, overwritten with Op(x). One thread per element, grid-stride.
template <typename Op>
__device__ __forceinline__ void apply_in_place(float* x, long long n)
{
    for (long long i = (long long)blockIdx.x * blockDim.x + threadIdx.x; i < n; i += (long long)gridDim.x * blockDim.x)
        x[i] = Op::apply(x[i]);
}

extern "C" __global__ void activation_tanh(float* x, long long n) { apply_in_place<TanhOp>(x, n); }
extern "C" __global__ void activation_sigmoid(float* x, long long n) { apply_in_place<SigmoidOp>(x, n); }
extern "C" __global__ void activation_relu(float* x, long long n) { apply_in_place<ReluOp>(x, n); }
extern "C" __global__ void activation_relu_square(float* x, long long n) { apply_in_place<ReluSquareOp>(x, n); }
