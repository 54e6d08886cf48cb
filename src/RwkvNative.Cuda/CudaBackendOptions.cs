using RwkvNative.Cuda.Kernels;
using RwkvNative.Cuda.Memory;

namespace RwkvNative.Cuda;

/// <summary>
/// Settings of the CUDA backend. The speed levers (<see cref="FusedKernels"/>, <see cref="Wkv7"/>,
/// <see cref="CudaGraphs"/>) can also be set without code through environment variables read when the options are
/// created (<c>RWKV_CUDA_FUSED</c>, <c>RWKV_CUDA_WKV7</c>, <c>RWKV_CUDA_GRAPHS</c>), so each can be measured on its own.
/// </summary>
public sealed record CudaBackendOptions
{
    /// <summary>Weight precision on the device (default: as stored).</summary>
    public CudaWeightPrecision Weights { get; init; } = CudaWeightPrecision.AsStored;

    /// <summary>
    /// Most tokens run through the layers at once. Longer inputs are processed in consecutive passes carrying the state,
    /// which gives the same result; activation memory is about <see cref="PassSizing.BytesPerToken"/> per token of a
    /// pass. Null (the default) sizes passes from the model width and the device's free memory when the backend is
    /// created (<see cref="PassSizing"/>); a number fixes it (<c>RWKV_CUDA_PASS_TOKENS=N</c> sets one without code).
    /// </summary>
    public int? MaxTokensPerPass { get; init; } = EnvironmentInt("RWKV_CUDA_PASS_TOKENS");

    /// <summary>Folder for compiled kernels; null uses RWKV_KERNEL_CACHE or the user cache folder.</summary>
    public string? KernelCacheDirectory { get; init; }

    /// <summary>
    /// Compile kernels with line tables for profilers (<c>--generate-line-info</c>). Off by default (NVRTC 11.8's ptxas
    /// crashed on it); <c>RWKV_CUDA_LINEINFO=1</c> turns it on.
    /// </summary>
    public bool KernelLineInfo { get; init; } = EnvironmentFlag("RWKV_CUDA_LINEINFO", false);

    /// <summary>Receives diagnostics (kernel compile times); null writes them to standard error.</summary>
    public Action<string>? Log { get; init; }

    /// <summary>
    /// Fuse LayerNorm with the token-shift lerps (<c>layernorm_shift_mix</c>) instead of running <c>layernorm</c> and
    /// <c>token_shift_mix</c>. Same arithmetic. Default on; <c>RWKV_CUDA_FUSED=0</c> turns it off.
    /// </summary>
    public bool FusedKernels { get; init; } = EnvironmentFlag("RWKV_CUDA_FUSED", true);

    /// <summary>The wkv7 kernel. Default <see cref="CudaWkv7Kernel.RowPerThread"/>; <c>RWKV_CUDA_WKV7=split</c> selects the other.</summary>
    public CudaWkv7Kernel Wkv7 { get; init; } =
        string.Equals(Environment.GetEnvironmentVariable("RWKV_CUDA_WKV7"), "split", StringComparison.OrdinalIgnoreCase)
            ? CudaWkv7Kernel.SplitRow : CudaWkv7Kernel.RowPerThread;

    /// <summary>
    /// Replay single-sequence calls of at most <see cref="GraphMaxTokens"/> tokens (one pass) from a CUDA graph captured
    /// once per token count, with inputs and outputs staged in pinned host memory: one launch and one synchronisation per
    /// call instead of hundreds of launches. Default on; <c>RWKV_CUDA_GRAPHS=0</c> turns it off.
    /// </summary>
    public bool CudaGraphs { get; init; } = EnvironmentFlag("RWKV_CUDA_GRAPHS", true);

    /// <summary>Longest single sequence served from a captured graph (each distinct length gets its own graph).</summary>
    public int GraphMaxTokens { get; init; } = 256;

    /// <summary>Most captured graphs kept per backend; the least recently used is dropped beyond it.</summary>
    public int GraphCacheSize { get; init; } = 32;

    /// <summary>
    /// Producers write their 16-bit GEMM's input type directly (the bf16/fp16 forms of the kernels in token_shift.cu, wkv_output.cu and activations.cu): LayerNorm + token shift, the
    /// wkv output, and the tanh / sigmoid / relu² activations write bf16 or fp16 for weights of that dtype, so no
    /// conversion kernel runs between them and the GEMM (the a and v LoRA, which have no activation, keep it). Bit-identical
    /// GEMM inputs. Needs <see cref="FusedKernels"/>; no effect on float32 weights. Default on; <c>RWKV_CUDA_HALF_INPUTS=0</c>
    /// turns it off.
    /// </summary>
    public bool HalfGemmInputs { get; init; } = EnvironmentFlag("RWKV_CUDA_HALF_INPUTS", true);

    /// <summary>
    /// Pool a single long sequence over token chunks in parallel (<c>eos_pool_chunks</c> + <c>eos_pool_reduce</c>) instead
    /// of <c>eos_pool</c>'s one block per sequence; used for B = 1 passes of more than
    /// <see cref="Kernels.TokenPoolingLauncher.ChunkTokens"/> tokens. Same sums up to float32 summation order. Default on;
    /// <c>RWKV_CUDA_TOKEN_POOL=0</c> turns it off.
    /// </summary>
    public bool TokenParallelPooling { get; init; } = EnvironmentFlag("RWKV_CUDA_TOKEN_POOL", true);

    /// <summary>
    /// Documents per streamed chunk of a host store (<c>StatePlacement.Host</c>): each of its two device staging buffers
    /// holds this many states. Null (default): sized from free memory (<see cref="HostStreaming.DocumentsPerChunk"/>);
    /// <c>RWKV_CUDA_STREAM_DOCS=N</c> sets one without code.
    /// </summary>
    public int? StreamChunkDocuments { get; init; } = EnvironmentInt("RWKV_CUDA_STREAM_DOCS");

    private static int? EnvironmentInt(string name) =>
        int.TryParse(Environment.GetEnvironmentVariable(name), out var n) ? n : null;

    private static bool EnvironmentFlag(string name, bool fallback)
    {
        var v = Environment.GetEnvironmentVariable(name);
        if (string.IsNullOrEmpty(v)) return fallback;
        return !(v == "0" || v.Equals("false", StringComparison.OrdinalIgnoreCase) || v.Equals("off", StringComparison.OrdinalIgnoreCase));
    }
}
