using RwkvNative.Checkpoints;
using RwkvNative.Cuda.Kernels;
using RwkvNative.Cuda.Memory;
using RwkvNative.Model;

namespace RwkvNative.Cuda.Model;

/// <summary>
/// One RWKV-7 block (time mix + channel mix, MODEL.md section 2) over a ragged batch on the device. The embedding model
/// runs it once per layer; the reranker runs it with one token per sequence over copied states.
/// </summary>
internal sealed class BlockRunner(Launchers kernels, Workspace ws, BlockOptions options)
{
    private const float LayerNormEps = ModelSchema.LayerNormEps;

    /// <summary>
    /// Updates x in place through block <paramref name="w"/>.
    /// </summary>
    /// <param name="w">The block's weights.</param>
    /// <param name="firstLayer">Whether this block sets v_first (layer 0) rather than mixing it in.</param>
    /// <param name="batch">The pass's ragged layout.</param>
    /// <param name="x">[T, C] residual stream, read and written.</param>
    /// <param name="shiftAtt">[B, C] time-mix shift state of this layer, read and written.</param>
    /// <param name="shiftFfn">[B, C] channel-mix shift state of this layer, read and written.</param>
    /// <param name="wkv">[B, H, 64, 64] wkv state of this layer, read and written.</param>
    /// <param name="channels">C.</param>
    public void Run(CudaBlockWeights w, bool firstLayer, RaggedBatch batch, DeviceView<float> x,
        DeviceView<float> shiftAtt, DeviceView<float> shiftFfn, DeviceView<float> wkv, int channels)
    {
        int t = batch.Tokens;
        long n = (long)t * channels;

        // Time mix. With 16-bit GEMM inputs (issue 14) the lerps, the LoRA activations, the wkv output and relu² are
        // written in the weights' dtype by their producers, and the GEMMs read them as they are.
        var a = ws.Normed.Get<float>(n);
        bool fused = options.FusedKernels;
        var half = HalfInputType(w);
        var mix = half == null ? ws.Mix.Get<float>(CudaBlockWeights.MixCount * n) : default;
        var mixHalf = half != null ? ws.MixHalf.Get<ushort>(CudaBlockWeights.MixCount * n) : default;
        if (half is { } dtype)
        {
            kernels.TokenShift.NormMixAndStore(x, w.Ln1W, w.Ln1B, LayerNormEps, batch, shiftAtt, w.TimeMix, CudaBlockWeights.MixCount, a, mixHalf, dtype, channels);
        }
        else if (fused)
        {
            kernels.TokenShift.NormMixAndStore(x, w.Ln1W, w.Ln1B, LayerNormEps, batch, shiftAtt, w.TimeMix, CudaBlockWeights.MixCount, a, mix, channels);
        }
        else
        {
            kernels.LayerNorm.Run(x, w.Ln1W, w.Ln1B, a, t, channels, LayerNormEps);
            kernels.TokenShift.MixAndStore(a, batch, shiftAtt, w.TimeMix, CudaBlockWeights.MixCount, mix, channels);
        }
        // y = lerp m · W.
        void FromLerp(DeviceMatrix matrix, int m, DeviceView<float> y)
        {
            if (half != null) kernels.Gemm.Multiply(matrix, mixHalf.Slice(m * n, n), t, y);
            else kernels.Gemm.Multiply(matrix, mix.Slice(m * n, n), t, y);
        }
        var hidden = ws.Hidden.Get<float>((long)t * w.MaxLoraWidth);
        var hiddenHalf = half != null ? ws.HiddenHalf.Get<ushort>((long)t * w.MaxLoraWidth) : default;
        // y = f(lerp m · down) · up, f = tanh or sigmoid.
        void Lora(DeviceMatrix down, DeviceMatrix up, Activation f, int m, DeviceView<float> y)
        {
            FromLerp(down, m, hidden);
            long count = (long)t * down.Outputs;
            if (half is { } dtype)
            {
                kernels.Activations.Run(f, hidden, hiddenHalf, count, dtype);
                kernels.Gemm.Multiply(up, hiddenHalf, t, y);
            }
            else
            {
                kernels.Activations.Run(f, hidden, count);
                kernels.Gemm.Multiply(up, hidden, t, y);
            }
        }

        var r = ws.R.Get<float>(n);
        var k = ws.K.Get<float>(n);
        var v = ws.V.Get<float>(n);
        FromLerp(w.Wr, CudaBlockWeights.MixR, r);
        FromLerp(w.Wk, CudaBlockWeights.MixK, k);
        FromLerp(w.Wv, CudaBlockWeights.MixV, v);

        var wLora = ws.WLora.Get<float>(n);
        Lora(w.W1, w.W2, Activation.Tanh, CudaBlockWeights.MixW, wLora);

        var aLora = ws.ALora.Get<float>(n);
        FromLerp(w.A1, CudaBlockWeights.MixA, hidden);
        kernels.Gemm.Multiply(w.A2, hidden, t, aLora);

        var vLora = default(DeviceView<float>);
        if (!firstLayer)
        {
            vLora = ws.VLora.Get<float>(n);
            FromLerp(w.V1!, CudaBlockWeights.MixV, hidden);
            kernels.Gemm.Multiply(w.V2!, hidden, t, vLora);
        }

        var gate = ws.Gate.Get<float>(n);
        Lora(w.G1, w.G2, Activation.Sigmoid, CudaBlockWeights.MixG, gate);

        var decay = ws.Decay.Get<float>(n);
        var aOut = ws.AOut.Get<float>(n);
        var bOut = ws.BOut.Get<float>(n);
        var vFirst = ws.VFirst.Get<float>(n);
        kernels.WkvPrep.Run(new WkvPrepLauncher.Buffers(k, aLora, wLora, v, vLora, vFirst, decay, aOut, bOut),
            firstLayer, w.W0, w.A0, w.KK, w.KA, w.V0, t, channels);

        var y = ws.Y.Get<float>(n);
        kernels.Wkv7.Run(wkv, batch, r, decay, k, v, aOut, bOut, y, channels, options.Wkv7);

        if (half is { } outType)
        {
            var oHalf = ws.OutHalf.Get<ushort>(n);
            kernels.WkvOutput.Run(y, r, k, v, gate, w.LnXW, w.LnXB, w.RK, oHalf, outType, t, channels, ModelSchema.GroupNormEps);
            kernels.Gemm.Multiply(w.Wo, oHalf, t, x, accumulate: true);
        }
        else
        {
            var o = ws.Out.Get<float>(n);
            kernels.WkvOutput.Run(y, r, k, v, gate, w.LnXW, w.LnXB, w.RK, o, t, channels, ModelSchema.GroupNormEps);
            kernels.Gemm.Multiply(w.Wo, o, t, x, accumulate: true);
        }

        // Channel mix.
        var ffn = ws.Ffn.Get<float>((long)t * w.FfnKey.Outputs);
        long ffnCount = (long)t * w.FfnKey.Outputs;
        if (half is { } ffnType)
        {
            var ffnIn = mixHalf.Slice(0, n);
            kernels.TokenShift.NormMixAndStore(x, w.Ln2W, w.Ln2B, LayerNormEps, batch, shiftFfn, w.ChannelMix, 1, a, ffnIn, ffnType, channels);
            kernels.Gemm.Multiply(w.FfnKey, ffnIn, t, ffn);
            var ffnHalf = ws.FfnHalf.Get<ushort>(ffnCount);
            kernels.Activations.Run(Activation.ReluSquare, ffn, ffnHalf, ffnCount, ffnType);
            kernels.Gemm.Multiply(w.FfnValue, ffnHalf, t, x, accumulate: true);
            return;
        }
        var ffnIn32 = mix.Slice(0, n);
        if (fused)
        {
            kernels.TokenShift.NormMixAndStore(x, w.Ln2W, w.Ln2B, LayerNormEps, batch, shiftFfn, w.ChannelMix, 1, a, ffnIn32, channels);
        }
        else
        {
            kernels.LayerNorm.Run(x, w.Ln2W, w.Ln2B, a, t, channels, LayerNormEps);
            kernels.TokenShift.MixAndStore(a, batch, shiftFfn, w.ChannelMix, 1, ffnIn32, channels);
        }
        kernels.Gemm.Multiply(w.FfnKey, ffnIn32, t, ffn);
        kernels.Activations.Run(Activation.ReluSquare, ffn, ffnCount);
        kernels.Gemm.Multiply(w.FfnValue, ffn, t, x, accumulate: true);
    }

    // The 16-bit dtype every GEMM of the block takes its input in when producers write it directly
    // (CudaBackendOptions.HalfGemmInputs, on top of FusedKernels); null for float32 or mixed weights, or the lever off.
    private TensorDType? HalfInputType(CudaBlockWeights w)
    {
        if (!options.HalfGemmInputs || !options.FusedKernels) return null;
        var dtype = w.Wr.DType;
        if (dtype is not (TensorDType.BFloat16 or TensorDType.Float16)) return null;
        DeviceMatrix?[] all = [w.Wr, w.Wk, w.Wv, w.Wo, w.W1, w.W2, w.A1, w.G1, w.G2, w.V1, w.FfnKey, w.FfnValue];
        return all.All(m => m == null || m.DType == dtype) ? dtype : null;
    }

    /// <summary>Elements of one sequence's wkv state in one layer.</summary>
    public static long WkvPerSequence(int channels) => (long)channels * ModelConfig.HeadSize;
}
