namespace RwkvNative;

/// <summary>How to load a model.</summary>
public sealed record ModelOptions
{
    /// <summary><c>auto</c> (default: CUDA when usable, else CPU), <c>cpu</c>, <c>cuda</c> or <c>cuda:N</c>.</summary>
    public string Device { get; init; } = "auto";

    /// <summary>Receives one-line diagnostics (device choice, load time). Null: silent.</summary>
    public Action<string>? Log { get; init; }

    /// <summary>
    /// Most tokens one pass through the backend holds: short sequences are packed into passes of at most this many tokens, and a
    /// longer sequence runs in consecutive passes of this size carrying its state, so peak memory follows this figure, not the
    /// length of a text. Results do not depend on it (bit-identical on the CPU). Null (default): the backend's own pass size
    /// (<see cref="Backends.IEmbeddingBackend.TokensPerPass"/>: 4096 on the CPU, sized from free memory on CUDA), so the
    /// size of a pass is decided in one place.
    /// </summary>
    public int? MaxBatchTokens { get; init; }

    /// <summary>How <see cref="EmbeddingModel.Embed(IReadOnlyList{string}, EmbeddingTask, CancellationToken)"/> encodes texts:
    /// <see cref="TextEncoding.Single"/> (default) or a <see cref="MultiEos"/> (the paper's evaluation encoding).</summary>
    public TextEncoding Encoding { get; init; } = TextEncoding.Single;

    /// <summary>
    /// Arithmetic of the linear layers: <see cref="Precision.Float32"/> (default) or, on the CPU only, the opt-in
    /// <see cref="Precision.Int8"/> (a reranker loaded for this model uses the same).
    /// </summary>
    public Precision Precision { get; init; } = Precision.Float32;
}
