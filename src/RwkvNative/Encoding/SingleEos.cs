using RwkvNative.Model;

namespace RwkvNative;

/// <summary>The text's tokens followed by one EOS (65535): the encoding of upstream's README and the project's default.</summary>
public sealed record SingleEos : TextEncoding
{
    /// <inheritdoc/>
    public override int[] Tokens(ReadOnlySpan<int> textTokens)
    {
        var ids = new int[textTokens.Length + 1];
        textTokens.CopyTo(ids);
        ids[^1] = ModelConfig.EosToken;
        return ids;
    }

    /// <inheritdoc/>
    public override string ToString() => "single-eos";
}
