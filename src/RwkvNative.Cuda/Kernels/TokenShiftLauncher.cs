using RwkvNative.Checkpoints;
using RwkvNative.Cuda.Memory;

namespace RwkvNative.Cuda.Kernels;

/// <summary>token_shift.cu: the lerps with the previous token of each sequence, and the carried shift state.</summary>
internal sealed unsafe class TokenShiftLauncher(LaunchContext launch)
{
    public static readonly KernelName MixKernel = new("token_shift.cu", "token_shift_mix", LaunchContext.ElementwiseBlock);
    public static readonly KernelName StoreKernel = new("token_shift.cu", "token_shift_store", LaunchContext.ElementwiseBlock);
    public static readonly KernelName NormMixKernel = new("token_shift.cu", "layernorm_shift_mix", LaunchContext.MaxRowBlock);
    public static readonly KernelName NormMixBf16 = new("token_shift.cu", "layernorm_shift_mix_bf16", LaunchContext.MaxRowBlock);
    public static readonly KernelName NormMixF16 = new("token_shift.cu", "layernorm_shift_mix_f16", LaunchContext.MaxRowBlock);

    private readonly nint mix = launch.Modules.Function(MixKernel);
    private readonly nint store = launch.Modules.Function(StoreKernel);
    private readonly nint normMix = launch.Modules.Function(NormMixKernel);
    private readonly HalfOutputKernels normMixHalf = new(launch, NormMixBf16, NormMixF16);

    /// <summary>
    /// normed = LN(x) and out[m, t] = normed[t] + (prev(t) - normed[t]) * coefficients[m] in one kernel, then
    /// shift[b] = normed[last token of b]. x: [T, C] (unchanged); normed: [T, C]; the rest as <see cref="MixAndStore"/>.
    /// </summary>
    public void NormMixAndStore(DeviceView<float> x, DeviceVector lnW, DeviceVector lnB, float eps, RaggedBatch batch,
        DeviceView<float> shift, DeviceVector coefficients, int n, DeviceView<float> normed, DeviceView<float> output, int channels) =>
        NormMixAndStore(x, lnW, lnB, eps, batch, shift, coefficients, n, normed, output, channels, (NormMixKernel, normMix));

    /// <summary>
    /// As the float32 form, with <paramref name="output"/> [n, T, C] in <paramref name="dtype"/> (bf16 or fp16, the
    /// consuming GEMM's weights): each lerp rounded once where it is computed, so no conversion kernel runs.
    /// </summary>
    public void NormMixAndStore(DeviceView<float> x, DeviceVector lnW, DeviceVector lnB, float eps, RaggedBatch batch,
        DeviceView<float> shift, DeviceVector coefficients, int n, DeviceView<float> normed, DeviceView<ushort> output,
        TensorDType dtype, int channels) =>
        NormMixAndStore(x, lnW, lnB, eps, batch, shift, coefficients, n, normed, output, channels, normMixHalf.For(dtype));

    private void NormMixAndStore<T>(DeviceView<float> x, DeviceVector lnW, DeviceVector lnB, float eps, RaggedBatch batch,
        DeviceView<float> shift, DeviceVector coefficients, int n, DeviceView<float> normed, DeviceView<T> output, int channels,
        (KernelName Name, nint Function) kernel) where T : unmanaged
    {
        int tokens = batch.Tokens, sequences = batch.Sequences;
        long elements = (long)tokens * channels;
        x.Require(elements, "token shift input");
        normed.Require(elements, "layernorm output");
        shift.Require((long)sequences * channels, "token shift state");
        output.Require(n * elements, "token shift output");
        if (coefficients.Length != n * channels) throw new ArgumentException($"token shift needs {n}x{channels} coefficients, got {coefficients.Length}");
        if (lnW.Length != channels || lnB.Length != channels) throw new ArgumentException("layernorm parameters must have C elements");
        if (tokens == 0) return;

        ulong px = x.Address, pw = lnW.View.Address, pb = lnB.View.Address, pSeq = batch.SequenceOf.Address, pOff = batch.Offsets.Address,
            pShift = shift.Address, pMix = coefficients.View.Address, pOut = output.Address, pNormed = normed.Address;
        int count = n, t = tokens, c = channels, b = sequences;
        void** args = stackalloc void*[] { &px, &pw, &pb, &eps, &pSeq, &pOff, &pShift, &pMix, &count, &pOut, &pNormed, &t, &c };
        launch.Launch(kernel.Name, kernel.Function, (uint)tokens, LaunchContext.RowBlock(channels), args);

        // token_shift_store, after the mix has read the old shift.
        void** storeArgs = stackalloc void*[] { &pNormed, &pOff, &pShift, &b, &c };
        launch.Launch(StoreKernel, store, launch.GridFor((long)sequences * channels), LaunchContext.ElementwiseBlock, storeArgs);
    }

    /// <summary>
    /// out[m, t] = x[t] + (prev(t) - x[t]) * coefficients[m] for m &lt; n, then shift[b] = x[last token of b].
    /// x: [T, C]; batch: the pass's ragged layout; shift: [B, C] (read, then written); coefficients: [n, C]; out: [n, T, C].
    /// </summary>
    public void MixAndStore(DeviceView<float> x, RaggedBatch batch, DeviceView<float> shift, DeviceVector coefficients,
        int n, DeviceView<float> output, int channels)
    {
        int tokens = batch.Tokens, sequences = batch.Sequences;
        long elements = (long)tokens * channels;
        x.Require(elements, "token shift input");
        shift.Require((long)sequences * channels, "token shift state");
        output.Require(n * elements, "token shift output");
        if (coefficients.Length != n * channels) throw new ArgumentException($"token shift needs {n}x{channels} coefficients, got {coefficients.Length}");
        if (tokens == 0) return;

        ulong px = x.Address, pSeq = batch.SequenceOf.Address, pOff = batch.Offsets.Address, pShift = shift.Address,
            pMix = coefficients.View.Address, pOut = output.Address;
        int count = n, t = tokens, c = channels, b = sequences;
        void** mixArgs = stackalloc void*[] { &px, &pSeq, &pOff, &pShift, &pMix, &count, &pOut, &t, &c };
        launch.Launch(MixKernel, mix, launch.GridFor(elements), LaunchContext.ElementwiseBlock, mixArgs);

        void** storeArgs = stackalloc void*[] { &px, &pOff, &pShift, &b, &c };
        launch.Launch(StoreKernel, store, launch.GridFor((long)sequences * channels), LaunchContext.ElementwiseBlock, storeArgs);
    }
}
