namespace RwkvNative.Verification;

/// <summary>
/// The query and documents of upstream's README quick start: what <c>rwkv-emb demo</c> shows on the bundled model, and
/// what <c>rwkv-emb verify --precision int8</c> ranks with int8 and with float32.
/// </summary>
public static class DemoExample
{
    /// <summary>The query.</summary>
    public const string Query = "What represents the end of a sequence?";

    /// <summary>The documents, in the order they are shown and indexed.</summary>
    public static IReadOnlyList<string> Documents { get; } =
    [
        "The EOS token is used to mark the end of a sentence.",
        "Apples are red and delicious fruits.",
        "Machine learning requires large datasets.",
    ];
}
