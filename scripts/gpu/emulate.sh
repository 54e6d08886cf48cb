#!/usr/bin/env bash
# Runs the CUDA backend's tests on the CPU emulator (native/emu), on a machine without a GPU:
#   scripts/gpu/emulate.sh [runner args]    default: -namespace RwkvNative.Tests.Cuda minus the real-shape class
# It builds native/build/emu/librwkv_cuda_emu.so and points RWKV_CUDA_DRIVER, RWKV_NVRTC and RWKV_CUBLAS at it, so
# the unchanged backend (P/Invoke, launchers, cuBLAS calls, graphs) runs the real kernels/*.cu compiled as host C++.
# Slow (fibers, naive GEMM): minutes for the fixture-sized tests. What it proves and does not: docs/gpu.md.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
art="${ART:-/tmp/art-emulate}"
lib="$(bash "$root/native/emu/build.sh" | tail -1)"
dotnet build "$root/tests/RwkvNative.Tests" --artifacts-path "$art" -v quiet -nologo
export RWKV_CUDA_DRIVER="$lib" RWKV_NVRTC="$lib" RWKV_CUBLAS="$lib" RWKV_KERNEL_CACHE=off
runner="$art/bin/RwkvNative.Tests/debug/RwkvNative.Tests"
if [ $# -eq 0 ]; then
    set -- -noColor -class RwkvNative.Tests.Cuda.CudaBackendTests -class RwkvNative.Tests.Cuda.CudaSpeedLeverTests \
        -class RwkvNative.Tests.Cuda.CudaReferenceCasesTests
fi
"$runner" "$@"
