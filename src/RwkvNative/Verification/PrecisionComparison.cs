using RwkvNative.Benchmarking;

namespace RwkvNative.Verification;

/// <summary>
/// A checkpoint at a reduced precision (<see cref="Precision.Int8"/>) against the same checkpoint at float32, on one query
/// and its documents, with no stored reference: the float32 run is the reference. Four result rows: the embeddings
/// (query and documents, by cosine), the query-document cosine similarities, the online and the offline reranker
/// logits, each with the documents' ranking. Used by <c>rwkv-emb verify --precision int8</c>.
/// </summary>
public static class PrecisionComparison
{
    /// <summary>The kind column of every row: what the row is judged against.</summary>
    public const string Kind = "vs float32";

    /// <summary>
    /// Runs <paramref name="query"/> and <paramref name="documents"/> through the model at <paramref name="options"/>'s
    /// precision and at float32 (loaded one after the other, so only one copy of the weights is resident) and compares.
    /// </summary>
    /// <param name="name">The fixture column of the rows (e.g. <c>demo</c>).</param>
    /// <param name="modelPath">Embedding checkpoint.</param>
    /// <param name="rerankerPath">Reranker checkpoint paired with it.</param>
    /// <param name="query">The query (embedded, and reranked against each document).</param>
    /// <param name="documents">At least two documents, ranked.</param>
    /// <param name="options">Load options of the reduced-precision model; the float32 one differs only in its precision.</param>
    /// <param name="tolerance">How close the reduced precision must come (<see cref="Tolerance.Int8"/> for int8).</param>
    /// <param name="cancellationToken">Stops the runs.</param>
    public static IReadOnlyList<CaseResult> Run(string name, string modelPath, string rerankerPath, string query, IReadOnlyList<string> documents,
        ModelOptions options, Tolerance tolerance, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(documents);
        if (documents.Count < 2) throw new ArgumentException("a ranking needs at least two documents", nameof(documents));
        var want = Outputs.Of(modelPath, rerankerPath, query, documents, options with { Precision = Precision.Float32 }, cancellationToken);
        var got = Outputs.Of(modelPath, rerankerPath, query, documents, options, cancellationToken);

        var embeddings = new Comparison(tolerance);
        embeddings.Embeddings("embedding", got.Embeddings, want.Embeddings, got.Channels);
        var similarity = new Comparison(tolerance);
        similarity.Values("similarity", got.Similarities, want.Similarities);
        similarity.Ranking("similarity", got.Similarities, want.Similarities);
        var online = new Comparison(tolerance);
        online.Values("logits", got.Online, want.Online);
        online.Ranking("logits", got.Online, want.Online);
        var offline = new Comparison(tolerance);
        offline.Values("logits", got.Offline, want.Offline);
        offline.Ranking("logits", got.Offline, want.Offline);
        return
        [
            embeddings.Result(name, $"embeddings ({documents.Count + 1})", Kind),
            similarity.Result(name, "similarity", Kind),
            online.Result(name, "rerank_online", Kind),
            offline.Result(name, "rerank_offline", Kind),
        ];
    }

    /// <summary>
    /// <see cref="Run"/> on seeded random weights of <paramref name="preset"/> (<see cref="RandomCheckpoint"/>, written to a
    /// temporary folder and deleted after) with a mixed-language query and documents of mixed lengths (<see cref="MixedText"/>).
    /// The rows are named <c>random-NAME</c>.
    /// </summary>
    public static IReadOnlyList<CaseResult> RandomPreset(ModelPreset preset, ModelOptions options, Tolerance tolerance, int seed = 1,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(preset);
        var dir = Directory.CreateTempSubdirectory("rwkvnative-verify-");
        try
        {
            var model = RandomCheckpoint.Embedding(preset, dir.FullName, seed);
            var reranker = RandomCheckpoint.Reranker(preset, dir.FullName, seed);
            var (query, documents) = RandomTexts(seed);
            return Run("random-" + preset.Name, model, reranker, query, documents, options, tolerance, cancellationToken);
        }
        finally
        {
            dir.Delete(recursive: true);
        }
    }

    /// <summary>UTF-8 sizes of the random-weight documents: from a sentence to a few pages (about 30 to 1,000 tokens).</summary>
    private static readonly int[] DocumentBytes = [100, 300, 900, 2700];

    private static (string Query, string[] Documents) RandomTexts(int seed)
    {
        var documents = new string[DocumentBytes.Length];
        for (int i = 0; i < documents.Length; i++) documents[i] = MixedText.Generate(DocumentBytes[i], seed * 100 + i);
        return (MixedText.Generate(60, seed * 100 + 99), documents);
    }

    /// <summary>
    /// One precision's answers. Embeddings: [1 + D, C] (the query, then the documents); Similarities, Online, Offline: [D].
    /// </summary>
    private sealed record Outputs(float[] Embeddings, int Channels, float[] Similarities, float[] Online, float[] Offline)
    {
        public static Outputs Of(string modelPath, string rerankerPath, string query, IReadOnlyList<string> documents, ModelOptions options,
            CancellationToken cancellationToken)
        {
            using var model = EmbeddingModel.Load(modelPath, options);
            using var reranker = Reranker.Load(rerankerPath, model);
            int c = model.Config.Channels;
            var texts = new string[documents.Count + 1];
            texts[0] = query;
            for (int i = 0; i < documents.Count; i++) texts[i + 1] = documents[i];
            var vectors = model.Embed(texts, EmbeddingTask.Retrieval, cancellationToken);
            var embeddings = new float[texts.Length * c];
            var similarities = new float[documents.Count];
            for (int i = 0; i < texts.Length; i++) vectors[i].CopyTo(embeddings, i * c);
            for (int i = 0; i < documents.Count; i++) similarities[i] = (float)EmbeddingMath.Cosine(vectors[0], vectors[i + 1]);
            var online = Logits(reranker.Score(query, documents, cancellationToken));
            var offline = Logits(reranker.Score(query, reranker.IndexDocuments(documents, cancellationToken), cancellationToken));
            return new Outputs(embeddings, c, similarities, online, offline);
        }

        /// <summary>Logits in document order (the scores come back in input order; placed by index regardless).</summary>
        private static float[] Logits(RerankScore[] scores)
        {
            var logits = new float[scores.Length];
            foreach (var s in scores) logits[s.Index] = s.Logit;
            return logits;
        }
    }
}
