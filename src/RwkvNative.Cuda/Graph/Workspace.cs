using RwkvNative.Cuda.Handles;
using RwkvNative.Cuda.Memory;

namespace RwkvNative.Cuda.Graph;

/// <summary>
/// Every device buffer a call uses besides the weights, one <see cref="ScratchBuffer"/> per role. They grow to the
/// largest call seen and are reused, so steady-state calls allocate no device memory. Shapes are given where each is
/// requested; T = tokens of a pass, B = sequences, C = channels.
/// </summary>
internal sealed class Workspace(ContextHandle context, StreamHandle stream) : IDisposable
{
    // Pass layout (host-built, uploaded per pass): [T] token ids, [B + 1] offsets, [T] sequence of each token.
    public readonly ScratchBuffer TokenIds = new(context, stream), Offsets = new(context, stream), SequenceOf = new(context, stream);

    // Residual stream x [T, C], a layer-normed copy [T, C], the token-shift lerps [6, T, C].
    public readonly ScratchBuffer X = new(context, stream), Normed = new(context, stream), Mix = new(context, stream);

    // Time-mix projections [T, C] each, and the LoRA hidden layer [T, max LoRA width].
    public readonly ScratchBuffer R = new(context, stream), K = new(context, stream), V = new(context, stream),
        WLora = new(context, stream), ALora = new(context, stream), VLora = new(context, stream), Gate = new(context, stream),
        Hidden = new(context, stream);

    // wkv7 inputs and outputs [T, C] each; v_first [T, C] lives across the layers of a pass.
    public readonly ScratchBuffer Decay = new(context, stream), AOut = new(context, stream), BOut = new(context, stream),
        Y = new(context, stream), Out = new(context, stream), VFirst = new(context, stream);

    // Channel-mix hidden layer [T, 4C]; bf16/fp16 copies of GEMM inputs (up to [T, 4C] 2-byte elements).
    public readonly ScratchBuffer Ffn = new(context, stream), Conversion = new(context, stream);

    // Recurrent state of the call: shift [L, 2, B, C] and wkv [L, B, H, 64, 64]; pooled sums [B, C], counts [B];
    // reranker logits [B].
    public readonly ScratchBuffer Shift = new(context, stream), Wkv = new(context, stream), EosSum = new(context, stream),
        EosCount = new(context, stream), Logits = new(context, stream);

    /// <summary>Frees every buffer.</summary>
    public void Dispose()
    {
        foreach (var b in new[] { TokenIds, Offsets, SequenceOf, X, Normed, Mix, R, K, V, WLora, ALora, VLora, Gate, Hidden,
                     Decay, AOut, BOut, Y, Out, VFirst, Ffn, Conversion, Shift, Wkv, EosSum, EosCount, Logits })
            b.Dispose();
    }
}
