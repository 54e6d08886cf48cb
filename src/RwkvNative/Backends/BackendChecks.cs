using RwkvNative.Model;

namespace RwkvNative.Backends;

/// <summary>Argument checks every backend applies before touching memory, so bad input fails the same way everywhere.</summary>
public static class BackendChecks
{
    /// <summary>Validates a packed ragged batch against a state; returns B.</summary>
    public static int Batch(ReadOnlySpan<int> tokens, ReadOnlySpan<int> offsets, ModelState state, ModelConfig config)
    {
        ArgumentNullException.ThrowIfNull(state);
        if (offsets.Length < 1) throw new ArgumentException("offsets must hold B + 1 entries", nameof(offsets));
        int batch = offsets.Length - 1;
        if (offsets[0] != 0) throw new ArgumentException("offsets[0] must be 0", nameof(offsets));
        for (int b = 0; b < batch; b++)
            if (offsets[b + 1] < offsets[b]) throw new ArgumentException($"offsets decrease at sequence {b}", nameof(offsets));
        if (offsets[batch] != tokens.Length)
            throw new ArgumentException($"offsets end at {offsets[batch]} but there are {tokens.Length} tokens", nameof(offsets));
        for (int i = 0; i < tokens.Length; i++)
            if ((uint)tokens[i] >= ModelConfig.VocabSize)
                throw new ArgumentOutOfRangeException(nameof(tokens), tokens[i], $"token {tokens[i]} at position {i} is outside 0..65535");
        state.EnsureShape(config, batch, nameof(state));
        return batch;
    }

    /// <summary>Checks the pooled-output spans of a forward call.</summary>
    public static void Outputs(int batch, int channels, Span<float> eosSum, Span<int> eosCount)
    {
        if (eosSum.Length < batch * channels) throw new ArgumentException($"eosSum needs {batch * channels} floats", nameof(eosSum));
        if (eosCount.Length < batch) throw new ArgumentException($"eosCount needs {batch} entries", nameof(eosCount));
    }
}
