namespace RwkvNative.Cuda;

/// <summary>
/// How many tokens one pass of the CUDA forward takes (issue 14): from the model's width and the device's free memory
/// instead of a fixed count, unless <see cref="CudaBackendOptions.MaxTokensPerPass"/> fixes it. A pass's workspace
/// (kernels' float32 activations, the 16-bit GEMM inputs, the layout) grows to the largest pass and is kept, so the
/// pass takes at most <see cref="FreeMemoryShare"/> of the memory free when the backend is created.
/// </summary>
internal static class PassSizing
{
    /// <summary>Fewest tokens per pass chosen from memory (below it a GPU runs mostly launch overhead).</summary>
    public const int MinTokens = 256;

    /// <summary>Most tokens per pass chosen from memory: past it a pass is no faster per token, only larger.</summary>
    public const int MaxTokens = 65536;

    /// <summary>
    /// Workspace bytes per token of a pass: 25 float32 rows of C (residual, norm, six lerps, r/k/v, the LoRA outputs,
    /// the wkv7 inputs and outputs, v_first, conversion scratch), the channel-mix activation (float32 and a 16-bit copy)
    /// and the LoRA hidden layer (likewise), two ints of layout and the pooling partials; rounded up.
    /// </summary>
    public static long BytesPerToken(int channels, int ffnWidth, int loraWidth) =>
        sizeof(float) * (25L * channels + 2L * ffnWidth + 2L * loraWidth + 2);

    /// <summary>
    /// The explicit <paramref name="fixedTokens"/> when given; otherwise the tokens whose workspace fits in
    /// <see cref="FreeMemoryShare"/>, clamped to [<see cref="MinTokens"/>, <see cref="MaxTokens"/>] and rounded down to a multiple of 64.
    /// </summary>
    public static int TokensPerPass(int? fixedTokens, long bytesPerToken, long freeBytes)
    {
        if (fixedTokens is { } n)
            return n >= 1 ? n : throw new ArgumentOutOfRangeException(nameof(fixedTokens), n, "MaxTokensPerPass must be positive");
        long fit = FreeMemoryShare.UnitsThatFit(freeBytes, bytesPerToken);
        return (int)(Math.Clamp(fit, MinTokens, MaxTokens) / 64 * 64);
    }
}
