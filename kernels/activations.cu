// Element-wise activations, in place or written as a 16-bit GEMM input: LoRA hidden layers (tanh, sigmoid), the embedding
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

// y[i] = Op(x[i]): x [n] float32; y [n] in O, either x itself (in place, float32) or the weights' bf16_t / f16_t when
// y is a 16-bit GEMM's input (issue 14: rounded once by FromFloat<O>, as convert.cu would, and no convert kernel runs).
// No __restrict__: the in-place form passes y == x. One thread per element, grid-stride.
template <typename Op, typename O>
__device__ __forceinline__ void apply_to(const float* x, O* y, long long n)
{
    for (long long i = (long long)blockIdx.x * blockDim.x + threadIdx.x; i < n; i += (long long)gridDim.x * blockDim.x)
        y[i] = FromFloat<O>::convert(Op::apply(x[i]));
}

extern "C" __global__ void activation_tanh(float* x, long long n) { apply_to<TanhOp>(x, x, n); }
extern "C" __global__ void activation_sigmoid(float* x, long long n) { apply_to<SigmoidOp>(x, x, n); }
extern "C" __global__ void activation_relu(float* x, long long n) { apply_to<ReluOp>(x, x, n); }
extern "C" __global__ void activation_relu_square(float* x, long long n) { apply_to<ReluSquareOp>(x, x, n); }
extern "C" __global__ void activation_tanh_to_bf16(const float* x, bf16_t* y, long long n) { apply_to<TanhOp>(x, y, n); }
extern "C" __global__ void activation_tanh_to_f16(const float* x, f16_t* y, long long n) { apply_to<TanhOp>(x, y, n); }
extern "C" __global__ void activation_sigmoid_to_bf16(const float* x, bf16_t* y, long long n) { apply_to<SigmoidOp>(x, y, n); }
extern "C" __global__ void activation_sigmoid_to_f16(const float* x, f16_t* y, long long n) { apply_to<SigmoidOp>(x, y, n); }
extern "C" __global__ void activation_relu_square_to_bf16(const float* x, bf16_t* y, long long n) { apply_to<ReluSquareOp>(x, y, n); }
extern "C" __global__ void activation_relu_square_to_f16(const float* x, f16_t* y, long long n) { apply_to<ReluSquareOp>(x, y, n); }
