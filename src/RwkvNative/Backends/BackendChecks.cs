using RwkvNative.Model;

namespace RwkvNative.Backends;

/// <summary>
/// The argument checks both backends run at the top of <see cref="IEmbeddingBackend.Forward(PackedBatch, ModelState, Span{float}, Span{int})"/>, so bad input fails
/// the same way everywhere. Tokens and offsets need none here: a <see cref="PackedBatch"/> is validated when built.
/// </summary>
public static class BackendChecks
{
    /// <summary>Checks the state against the batch and the pooled-output spans; returns B.</summary>
    public static int Forward(PackedBatch batch, ModelState state, ModelConfig config, Span<float> eosSum, Span<int> eosCount)
    {
        ArgumentNullException.ThrowIfNull(batch);
        ArgumentNullException.ThrowIfNull(state);
        int b = batch.Count;
        state.EnsureShape(config, b, nameof(state));
        if (eosSum.Length < (long)b * config.Channels)
            throw new ArgumentException($"eosSum has {eosSum.Length} floats, needs [B={b}, C={config.Channels}]", nameof(eosSum));
        if (eosCount.Length < b) throw new ArgumentException($"eosCount has {eosCount.Length} entries, needs B={b}", nameof(eosCount));
        return b;
    }
}
