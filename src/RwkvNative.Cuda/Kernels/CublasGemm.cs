using RwkvNative.Checkpoints;
using RwkvNative.Cuda.Handles;
using RwkvNative.Cuda.Interop;
using RwkvNative.Cuda.Kernels;
using RwkvNative.Cuda.Memory;

namespace RwkvNative.Cuda.Kernels;

/// <summary>
/// Linear layers through cublasGemmEx: y[M, N] (float32) = x[M, K] (float32) times a <see cref="DeviceMatrix"/> kept in
/// its stored dtype. For bf16/fp16 weights x is first rounded to that dtype (cuBLAS multiplies two inputs of one type);
/// accumulation is float32 (CUBLAS_COMPUTE_32F) either way, and float32 weights get a plain float32 GEMM.
/// </summary>
internal sealed unsafe class CublasGemm(CublasHandle handle, ConvertLauncher convert, ScratchBuffer conversionScratch, StreamCounters counters)
{
    /// <summary>y = x·W (or y += x·W when <paramref name="accumulate"/>, which is how residual adds are fused).</summary>
    /// <param name="w">The weight ([out, in] Linear or [in, out] LoRA as stored).</param>
    /// <param name="x">[M, K] float32 row-major.</param>
    /// <param name="m">M rows.</param>
    /// <param name="y">[M, N] float32 row-major.</param>
    /// <param name="accumulate">Add to y instead of overwriting it.</param>
    public void Multiply(DeviceMatrix w, DeviceView<float> x, int m, DeviceView<float> y, bool accumulate = false)
    {
        int k = w.Inputs, n = w.Outputs;
        x.Require((long)m * k, $"GEMM input of {w.Name}");
        y.Require((long)m * n, $"GEMM output of {w.Name}");
        if (m == 0) return;

        if (w.DType != TensorDType.Float32)
        {
            var half = conversionScratch.Get<ushort>((long)m * k);
            convert.Run(x, half, (long)m * k, w.DType);
            GemmEx(w, half.Address, m, y, accumulate);
        }
        else
        {
            GemmEx(w, x.Address, m, y, accumulate);
        }
    }

    /// <summary>
    /// As the float32-input <c>Multiply</c> with x already in the weights' 16-bit dtype (written so by its producer,
    /// <see cref="CudaBackendOptions.HalfGemmInputs"/>): no conversion runs.
    /// </summary>
    public void Multiply(DeviceMatrix w, DeviceView<ushort> x, int m, DeviceView<float> y, bool accumulate = false)
    {
        if (w.DType == TensorDType.Float32) throw new ArgumentException($"{w.Name} is float32: its GEMM input must be float32", nameof(x));
        x.Require((long)m * w.Inputs, $"GEMM input of {w.Name}");
        y.Require((long)m * w.Outputs, $"GEMM output of {w.Name}");
        if (m == 0) return;
        GemmEx(w, x.Address, m, y, accumulate);
    }

    // y (float32) = x (w's dtype, at address b) · W.
    private void GemmEx(DeviceMatrix w, ulong b, int m, DeviceView<float> y, bool accumulate)
    {
        int k = w.Inputs, n = w.Outputs;
        var type = w.DType switch
        {
            TensorDType.Float32 => CudaDataType.R32F,
            TensorDType.BFloat16 => CudaDataType.R16BF,
            _ => CudaDataType.R16F,
        };

        // cuBLAS is column-major: a row-major [R, C] array is its [C, R] matrix. So compute yᵀ[N, M] = op(W) · xᵀ[K, M]:
        //  - [out, in] storage is column-major [K, N]: op = transpose, lda = K;
        //  - [in, out] storage is column-major [N, K]: op = none, lda = N.
        var opA = w.InputMajor ? CublasOperation.None : CublasOperation.Transpose;
        int lda = w.InputMajor ? n : k;
        float alpha = 1f, beta = accumulate ? 1f : 0f;
        var status = Cublas.GemmEx(handle.Value, opA, CublasOperation.None, n, m, k,
            &alpha, w.Buffer.View<byte>().Address, type, lda,
            b, type, k,
            &beta, y.Address, CudaDataType.R32F, n,
            CublasComputeType.Compute32F, CublasGemmAlgo.Default);
        CudaCheck.Cublas(status, call: $"cublasGemmEx({w.Name}: M={m}, N={n}, K={k}, {w.DType})");
        counters.Launch();
    }
}
