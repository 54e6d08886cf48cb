using RwkvNative.Checkpoints;
using RwkvNative.Cuda.Memory;
using RwkvNative.Model;

namespace RwkvNative.Cuda.Kernels;

/// <summary>
/// gemm_inputs.cu: the producers of 16-bit GEMM inputs (<see cref="CudaBackendOptions.HalfGemmInputs"/>). Each writes
/// bf16 or fp16 (the consuming weights' dtype) where the float32 kernel would have written float32 for
/// <see cref="ConvertLauncher"/> to round, so one launch and a float32 write plus read of the tensor go away.
/// </summary>
internal sealed unsafe class GemmInputLauncher(LaunchContext launch)
{
    public static readonly KernelName NormMixBf16 = new("gemm_inputs.cu", "layernorm_shift_mix_bf16", LaunchContext.MaxRowBlock);
    public static readonly KernelName NormMixF16 = new("gemm_inputs.cu", "layernorm_shift_mix_f16", LaunchContext.MaxRowBlock);
    public static readonly KernelName WkvOutputBf16 = new("gemm_inputs.cu", "wkv_output_bf16", ModelConfig.HeadSize);
    public static readonly KernelName WkvOutputF16 = new("gemm_inputs.cu", "wkv_output_f16", ModelConfig.HeadSize);
    public static readonly KernelName TanhBf16 = new("gemm_inputs.cu", "activation_tanh_to_bf16", LaunchContext.ElementwiseBlock);
    public static readonly KernelName TanhF16 = new("gemm_inputs.cu", "activation_tanh_to_f16", LaunchContext.ElementwiseBlock);
    public static readonly KernelName SigmoidBf16 = new("gemm_inputs.cu", "activation_sigmoid_to_bf16", LaunchContext.ElementwiseBlock);
    public static readonly KernelName SigmoidF16 = new("gemm_inputs.cu", "activation_sigmoid_to_f16", LaunchContext.ElementwiseBlock);
    public static readonly KernelName ReluSquareBf16 = new("gemm_inputs.cu", "activation_relu_square_to_bf16", LaunchContext.ElementwiseBlock);
    public static readonly KernelName ReluSquareF16 = new("gemm_inputs.cu", "activation_relu_square_to_f16", LaunchContext.ElementwiseBlock);

    private readonly IReadOnlyDictionary<KernelName, nint> functions = new[]
    {
        NormMixBf16, NormMixF16, WkvOutputBf16, WkvOutputF16, TanhBf16, TanhF16, SigmoidBf16, SigmoidF16, ReluSquareBf16, ReluSquareF16,
        TokenShiftLauncher.StoreKernel,
    }.ToDictionary(k => k, launch.Modules.Function);

    private (KernelName, nint) Pick(TensorDType dtype, KernelName bf16, KernelName f16)
    {
        var name = dtype switch
        {
            TensorDType.BFloat16 => bf16,
            TensorDType.Float16 => f16,
            _ => throw new ArgumentOutOfRangeException(nameof(dtype), dtype, "only bf16 and fp16 are GEMM input types"),
        };
        return (name, functions[name]);
    }

    /// <summary>
    /// As <see cref="TokenShiftLauncher.NormMixAndStore"/>, with <paramref name="output"/> [n, T, C] in
    /// <paramref name="dtype"/>: normed = LN(x) (float32), output[m, t] = (dtype)(normed[t] + (prev(t) - normed[t]) *
    /// coefficients[m]), then shift[b] = normed[last token of b].
    /// </summary>
    public void NormMixAndStore(DeviceView<float> x, DeviceVector lnW, DeviceVector lnB, float eps, RaggedBatch batch,
        DeviceView<float> shift, DeviceVector coefficients, int n, DeviceView<float> normed, DeviceView<ushort> output,
        TensorDType dtype, int channels)
    {
        int tokens = batch.Tokens, sequences = batch.Sequences;
        long elements = (long)tokens * channels;
        x.Require(elements, "token shift input");
        normed.Require(elements, "layernorm output");
        shift.Require((long)sequences * channels, "token shift state");
        output.Require(n * elements, "token shift output");
        if (coefficients.Length != n * channels) throw new ArgumentException($"token shift needs {n}x{channels} coefficients, got {coefficients.Length}");
        if (lnW.Length != channels || lnB.Length != channels) throw new ArgumentException("layernorm parameters must have C elements");
        var (name, function) = Pick(dtype, NormMixBf16, NormMixF16);
        if (tokens == 0) return;

        ulong px = x.Address, pw = lnW.View.Address, pb = lnB.View.Address, pSeq = batch.SequenceOf.Address, pOff = batch.Offsets.Address,
            pShift = shift.Address, pMix = coefficients.View.Address, pOut = output.Address, pNormed = normed.Address;
        int count = n, t = tokens, c = channels, b = sequences;
        void** args = stackalloc void*[] { &px, &pw, &pb, &eps, &pSeq, &pOff, &pShift, &pMix, &count, &pOut, &pNormed, &t, &c };
        launch.Launch(name, function, (uint)tokens, LaunchContext.RowBlock(channels), args);

        // token_shift_store, after the mix has read the old shift.
        void** storeArgs = stackalloc void*[] { &pNormed, &pOff, &pShift, &b, &c };
        launch.Launch(TokenShiftLauncher.StoreKernel, functions[TokenShiftLauncher.StoreKernel],
            launch.GridFor((long)sequences * channels), LaunchContext.ElementwiseBlock, storeArgs);
    }

    /// <summary>As <see cref="WkvOutputLauncher.Run"/>, with <paramref name="output"/> [T, C] in <paramref name="dtype"/>.</summary>
    public void WkvOutput(DeviceView<float> y, DeviceView<float> r, DeviceView<float> k, DeviceView<float> v, DeviceView<float> g,
        DeviceVector lnW, DeviceVector lnB, DeviceVector rk, DeviceView<ushort> output, TensorDType dtype, int tokens, int channels, float eps)
    {
        long n = (long)tokens * channels;
        foreach (var (view, what) in new[] { (y, "y"), (r, "r"), (k, "k"), (v, "v"), (g, "g") })
            view.Require(n, "wkv_output " + what);
        output.Require(n, "wkv_output out");
        if (lnW.Length != channels || lnB.Length != channels || rk.Length != channels)
            throw new ArgumentException("ln_x and r_k must have C elements");
        var (name, function) = Pick(dtype, WkvOutputBf16, WkvOutputF16);
        if (tokens == 0) return;
        int heads = channels / ModelConfig.HeadSize;
        ulong py = y.Address, pr = r.Address, pk = k.Address, pv = v.Address, pg = g.Address, pw = lnW.View.Address,
            pb = lnB.View.Address, prk = rk.View.Address, pout = output.Address;
        void** args = stackalloc void*[] { &py, &pr, &pk, &pv, &pg, &pw, &pb, &prk, &pout, &heads, &eps };
        launch.Launch(name, function, checked((uint)((long)tokens * heads)), ModelConfig.HeadSize, args);
    }

    /// <summary>y[i] = (dtype) f(x[i]) for <paramref name="elements"/> elements: tanh, sigmoid or relu² (not relu).</summary>
    public void Activate(Activation f, DeviceView<float> x, DeviceView<ushort> y, long elements, TensorDType dtype)
    {
        x.Require(elements, "activation input");
        y.Require(elements, "activation output");
        var (name, function) = f switch
        {
            Activation.Tanh => Pick(dtype, TanhBf16, TanhF16),
            Activation.Sigmoid => Pick(dtype, SigmoidBf16, SigmoidF16),
            Activation.ReluSquare => Pick(dtype, ReluSquareBf16, ReluSquareF16),
            _ => throw new ArgumentOutOfRangeException(nameof(f), f, "no 16-bit-writing form"),
        };
        if (elements == 0) return;
        ulong px = x.Address, py = y.Address;
        long n = elements;
        void** args = stackalloc void*[] { &px, &py, &n };
        launch.Launch(name, function, launch.GridFor(elements), LaunchContext.ElementwiseBlock, args);
    }
}
