namespace RwkvNative;

/// <summary>
/// How a text's tokens become the sequence the model runs: <see cref="SingleEos"/> (one EOS appended, upstream's README; the
/// default) or <see cref="MultiEos"/> (upstream's evaluation encoding, behind the paper's MTEB scores). Either way the
/// embedding is the mean of the final LayerNorm outputs at the sequence's EOS positions, then the task head.
/// </summary>
public abstract record TextEncoding
{
    private protected TextEncoding() { }

    /// <summary>One EOS appended to the text's tokens.</summary>
    public static TextEncoding Single { get; } = new SingleEos();

    /// <summary>The token sequence the model runs for a text of <paramref name="textTokens"/> (tokens without EOS).</summary>
    public abstract int[] Tokens(ReadOnlySpan<int> textTokens);

    /// <summary>Parses <c>single-eos</c> or <c>multi-eos</c> (the defaults of each; set other fields with <c>with</c>).</summary>
    public static TextEncoding Parse(string name) => (name ?? "").Trim().ToLowerInvariant() switch
    {
        "single-eos" or "single" => Single,
        "multi-eos" or "multi" => new MultiEos(),
        _ => throw new ArgumentException($"unknown encoding '{name}': use single-eos or multi-eos", nameof(name)),
    };
}
