using RwkvNative.Backends;
using RwkvNative.Checkpoints;
using RwkvNative.Model;

namespace RwkvNative;

/// <summary>One scored document.</summary>
/// <param name="Index">Position of the document in the caller's list.</param>
/// <param name="Logit">The reranker's raw output.</param>
/// <param name="Score">sigmoid(Logit), in (0, 1).</param>
public readonly record struct RerankScore(int Index, float Logit, float Score);

/// <summary>
/// The state-based reranker paired with an <see cref="EmbeddingModel"/>, on the model's device. Thread-safe like the model.
/// </summary>
public sealed class Reranker : IDisposable
{
    /// <summary>Upstream's online template (EOS is appended after it).</summary>
    public const string OnlineTemplate = "Instruct: Given a query, retrieve documents that answer the query\nDocument: {document}\nQuery: {query}";

    /// <summary>Upstream's offline document template (no EOS): its state is cached.</summary>
    public const string DocumentTemplate = "Instruct: Given a query, retrieve documents that answer the query\nDocument: {document}\n";

    /// <summary>Upstream's offline query template (EOS appended), run from a copy of a cached document state.</summary>
    public const string QueryTemplate = "Query: {query}";

    private readonly Checkpoint _checkpoint;
    private readonly IRerankerBackend _backend;
    private int _disposed;

    private Reranker(Checkpoint checkpoint, RerankerConfig config, IRerankerBackend backend, EmbeddingModel model)
    {
        _checkpoint = checkpoint;
        Config = config;
        _backend = backend;
        Model = model;
    }

    /// <summary>Loads a reranker checkpoint for <paramref name="model"/> (same device).</summary>
    /// <exception cref="ArgumentException">The reranker does not fit the model (width or layer numbers).</exception>
    public static Reranker Load(string path, EmbeddingModel model)
    {
        ArgumentNullException.ThrowIfNull(model);
        var ckpt = Checkpoint.Open(path);
        try
        {
            var config = ConfigReader.ReadReranker(ckpt);
            ConfigReader.CheckPairing(model.Config, config);
            var backend = BackendRegistry.ProviderFor(model.Device).CreateReranker(ckpt, config, model.Device.Index, model.Options.Precision);
            return new Reranker(ckpt, config, backend, model);
        }
        catch
        {
            ckpt.Dispose();
            throw;
        }
    }

    /// <summary>Reranker shape and the embedding layers it reads.</summary>
    public RerankerConfig Config { get; }

    /// <summary>The embedding model whose states this reranker reads.</summary>
    public EmbeddingModel Model { get; }

    /// <summary>Online text of one pair (without EOS).</summary>
    public static string OnlineText(string query, string document) => Fill(OnlineTemplate, document, query);

    /// <summary>Offline document text (no EOS).</summary>
    public static string DocumentText(string document) => Fill(DocumentTemplate, document, null);

    /// <summary>Offline query text (EOS appended by the caller).</summary>
    public static string QueryText(string query) => Fill(QueryTemplate, null, query);

    /// <summary>
    /// Fills a template in one left-to-right pass: each <c>{document}</c> / <c>{query}</c> placeholder of the template is
    /// replaced by its value, and the values themselves are never searched, so a document holding the literal text
    /// <c>{query}</c> stays as it is (chained <c>Replace</c> calls would paste the query into it).
    /// </summary>
    private static string Fill(string template, string? document, string? query)
    {
        const string Doc = "{document}", Query = "{query}";
        var sb = new System.Text.StringBuilder(template.Length + (document?.Length ?? 0) + (query?.Length ?? 0));
        int at = 0;
        while (at < template.Length)
        {
            var rest = template.AsSpan(at);
            if (document != null && rest.StartsWith(Doc, StringComparison.Ordinal)) { sb.Append(document); at += Doc.Length; }
            else if (query != null && rest.StartsWith(Query, StringComparison.Ordinal)) { sb.Append(query); at += Query.Length; }
            else sb.Append(template[at++]);
        }
        return sb.ToString();
    }

    /// <summary>Online reranking: one sequence per document (template + EOS from a zero state), scored in input order.</summary>
    public RerankScore[] Score(string query, IReadOnlyList<string> documents, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(query);
        ArgumentNullException.ThrowIfNull(documents);
        var seqs = new int[documents.Count][];
        for (int i = 0; i < seqs.Length; i++)
            seqs[i] = Model.Tokenizer.Encode(OnlineText(query, documents[i] ?? throw new ArgumentNullException(nameof(documents), $"document {i} is null")), addEos: true);
        var result = Model.Forward(seqs, null, EmbeddingTask.Retrieval, cancellationToken);
        return ToScores(LogitsOf(result.State));
    }

    /// <summary>Offline reranking, step 1: each document's state after the document template (no EOS), batch 1 each.</summary>
    public DocumentState[] IndexDocuments(IReadOnlyList<string> documents, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(documents);
        var seqs = new int[documents.Count][];
        for (int i = 0; i < seqs.Length; i++)
            seqs[i] = Model.Tokenizer.Encode(DocumentText(documents[i] ?? throw new ArgumentNullException(nameof(documents), $"document {i} is null")));
        var result = Model.Forward(seqs, null, EmbeddingTask.Retrieval, cancellationToken);
        var states = new DocumentState[seqs.Length];
        for (int i = 0; i < states.Length; i++) states[i] = new DocumentState(result.State.Slice(i), Model.Identity);
        return states;
    }

    /// <summary>
    /// Offline reranking, step 2: continues copies of the cached states with the query template + EOS and scores them in one
    /// batched call. The cached states are not modified.
    /// </summary>
    public RerankScore[] Score(string query, IReadOnlyList<DocumentState> cached, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(query);
        ArgumentNullException.ThrowIfNull(cached);
        if (cached.Count == 0) return [];
        var states = new ModelState[cached.Count];
        for (int i = 0; i < states.Length; i++)
        {
            var d = cached[i] ?? throw new ArgumentNullException(nameof(cached), $"document state {i} is null");
            if (d.ModelIdentity != Model.Identity)
                throw new ArgumentException($"document state {i} was computed by another model ({d.ModelIdentity[..12]}…, this model is {Model.Identity[..12]}…)", nameof(cached));
            states[i] = d.State;
        }
        var q = Model.Tokenizer.Encode(QueryText(query), addEos: true);
        var seqs = new int[states.Length][];
        Array.Fill(seqs, q);
        var result = Model.Forward(seqs, ModelState.Concat(states), EmbeddingTask.Retrieval, cancellationToken);
        return ToScores(LogitsOf(result.State));
    }

    /// <summary>Online reranking sorted by score (best first), at most <paramref name="topN"/> results.</summary>
    public RerankScore[] Rank(string query, IReadOnlyList<string> documents, int topN = int.MaxValue, CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(topN);
        var scores = Score(query, documents, cancellationToken);
        Array.Sort(scores, (a, b) => b.Logit != a.Logit ? b.Logit.CompareTo(a.Logit) : a.Index.CompareTo(b.Index));
        return scores.Length <= topN ? scores : scores[..topN];
    }

    /// <summary>Reranker logits of every batch item of an embedding-model state (its wkv part is read, never modified): [B].</summary>
    public float[] LogitsOf(ModelState state)
    {
        ObjectDisposedException.ThrowIf(_disposed != 0, this);
        ArgumentNullException.ThrowIfNull(state);
        if (state.Layers != Model.Config.Layers || state.Channels != Model.Config.Channels)
            throw new ArgumentException($"state has L={state.Layers}, C={state.Channels}; the model needs L={Model.Config.Layers}, C={Model.Config.Channels}", nameof(state));
        var logits = new float[state.Batch];
        _backend.Logits(state.Wkv, state.Layers, state.Batch, logits);
        return logits;
    }

    private static RerankScore[] ToScores(float[] logits)
    {
        var s = new RerankScore[logits.Length];
        for (int i = 0; i < s.Length; i++) s[i] = new RerankScore(i, logits[i], EmbeddingMath.Sigmoid(logits[i]));
        return s;
    }

    /// <summary>Frees the backend and the checkpoint mapping (the embedding model stays loaded).</summary>
    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0) return;
        _backend.Dispose();
        _checkpoint.Dispose();
    }
}
