// float32 -> bf16 / fp16 conversion of GEMM inputs, so cuBLAS multiplies them with weights kept in
// their stored dtype (cublasGemmEx needs both inputs in one type; accumulation stays float32).
#include "common.cuh"

// x: [n] float32; y: [n] in the target dtype. One thread per element, grid-stride.
template <typename T>
__device__ __forceinline__ void convert_from_f32(const float* __restrict__ x, T* __restrict__ y, long long n)
{
    for (long long i = (long long)blockIdx.x * blockDim.x + threadIdx.x; i < n; i += (long long)gridDim.x * blockDim.x)
        y[i] = FromFloat<T>::convert(x[i]);
}

extern "C" __global__ void convert_f32_to_bf16(const float* x, bf16_t* y, long long n)
{
    convert_from_f32<bf16_t>(x, y, n);
}

extern "C" __global__ void convert_f32_to_f16(const float* x, f16_t* y, long long n)
{
    convert_from_f32<f16_t>(x, y, n);
}
