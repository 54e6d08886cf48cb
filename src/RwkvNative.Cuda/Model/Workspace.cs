using RwkvNative.Cuda.Handles;
using RwkvNative.Cuda.Kernels;
using RwkvNative.Cuda.Memory;

namespace RwkvNative.Cuda.Model;

/// <summary>
/// Every device buffer a call uses besides the weights, one <see cref="ScratchBuffer"/> per role. They grow to the
/// largest call seen and are reused, so steady-state calls allocate no device memory. Shapes are given where each is
/// requested; T = tokens of a pass, B = sequences, C = channels. <see cref="Growth"/> tells captured graphs when any
/// address changed.
/// </summary>
internal sealed class Workspace : IDisposable
{
    private readonly List<ScratchBuffer> all = [];

    public Workspace(ContextHandle context, StreamHandle stream)
    {
        ScratchBuffer New()
        {
            var b = new ScratchBuffer(context, stream, Growth);
            all.Add(b);
            return b;
        }
        TokenIds = New(); Offsets = New(); SequenceOf = New();
        X = New(); Normed = New(); Mix = New();
        R = New(); K = New(); V = New(); WLora = New(); ALora = New(); VLora = New(); Gate = New(); Hidden = New();
        Decay = New(); AOut = New(); BOut = New(); Y = New(); Out = New(); VFirst = New();
        Ffn = New(); Conversion = New();
        MixHalf = New(); OutHalf = New(); HiddenHalf = New(); FfnHalf = New(); EosPartial = New();
        Shift = New(); Wkv = New(); EosSum = New(); EosCount = New(); Logits = New();
    }

    /// <summary>Reallocation counter and capture guard shared by every buffer here.</summary>
    public ScratchGrowth Growth { get; } = new();

    // Pass layout (host-built, uploaded per pass): [T] token ids, [B + 1] offsets, [T] sequence of each token.
    public readonly ScratchBuffer TokenIds, Offsets, SequenceOf;

    // Residual stream x [T, C], a layer-normed copy [T, C], the token-shift lerps [6, T, C].
    public readonly ScratchBuffer X, Normed, Mix;

    // Time-mix projections [T, C] each, and the LoRA hidden layer [T, max LoRA width].
    public readonly ScratchBuffer R, K, V, WLora, ALora, VLora, Gate, Hidden;

    // wkv7 inputs and outputs [T, C] each; v_first [T, C] lives across the layers of a pass.
    public readonly ScratchBuffer Decay, AOut, BOut, Y, Out, VFirst;

    // Channel-mix hidden layer [T, 4C]; bf16/fp16 copies of GEMM inputs (up to [T, 4C] 2-byte elements).
    public readonly ScratchBuffer Ffn, Conversion;

    // GEMM inputs written in the weights' 16-bit dtype by their producers (CudaBackendOptions.HalfGemmInputs): the lerps
    // [6, T, C], the wkv output [T, C], the LoRA hidden layer [T, max LoRA width] and the channel-mix activation [T, 4C].
    public readonly ScratchBuffer MixHalf, OutHalf, HiddenHalf, FfnHalf;

    // Per-chunk EOS sums [chunks, C] and counts [chunks] of the token-parallel pooling (CudaBackendOptions.TokenParallelPooling).
    public readonly ScratchBuffer EosPartial;

    // Recurrent state of the call: shift [L, 2, B, C] and wkv [L, B, H, 64, 64]; pooled sums [B, C], counts [B];
    // reranker logits [B].
    public readonly ScratchBuffer Shift, Wkv, EosSum, EosCount, Logits;

    /// <summary>Frees every buffer.</summary>
    public void Dispose()
    {
        foreach (var b in all) b.Dispose();
    }
}
