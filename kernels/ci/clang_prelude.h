// Prelude for the CI compile check of kernels/*.cu with clang-14 (no CUDA toolkit installed):
//   clang-14 -x cuda --cuda-device-only -nocudainc -nocudalib --cuda-gpu-arch=sm_80 \
//            -include kernels/ci/clang_prelude.h -S kernels/X.cu -o /dev/null
// It stands in for what NVRTC provides built in: the CUDA keywords, the builtin variables and the
// device functions the kernels call. Not embedded in the library; NVRTC never sees it.
#pragma once

#define __global__ __attribute__((global))
#define __device__ __attribute__((device))
#define __shared__ __attribute__((shared))
#define __forceinline__ __inline__ __attribute__((always_inline))
#define __launch_bounds__(...) __attribute__((launch_bounds(__VA_ARGS__)))

#include <__clang_cuda_builtin_vars.h>

__device__ void __syncthreads();
extern "C" __device__ float expf(float);
extern "C" __device__ float tanhf(float);
extern "C" __device__ float sqrtf(float);
extern "C" __device__ float fmaxf(float, float);
