using RwkvNative.Backends;
using RwkvNative.Checkpoints;
using RwkvNative.Model;

namespace RwkvNative;

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
            var backend = BackendRegistry.ProviderFor(model.Device).CreateReranker(ckpt, config, model.Backend, model.Options.Precision);
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
        return ToScores(LogitsOfTokens(seqs, cancellationToken));
    }

    /// <summary>
    /// Reranker logits of token sequences (templates and EOS already applied), each run from a zero state: the states stay
    /// in the backend (no pooling, no head, no host copy) and only the logits come back: [B].
    /// </summary>
    public float[] LogitsOfTokens(IReadOnlyList<int[]> sequences, CancellationToken cancellationToken = default)
    {
        ObjectDisposedException.ThrowIf(_disposed != 0, this);
        ArgumentNullException.ThrowIfNull(sequences);
        var logits = new float[sequences.Count];
        Model.RunStates(sequences, null, (first, st) => _backend.Logits(st, logits.AsSpan(first, st.Batch)), cancellationToken);
        return logits;
    }

    /// <summary>Offline reranking, step 1: each document's state after the document template (no EOS), batch 1 each, on the host.</summary>
    public DocumentState[] IndexDocuments(IReadOnlyList<string> documents, CancellationToken cancellationToken = default)
    {
        var seqs = DocumentTokens(documents);
        var states = new DocumentState[seqs.Length];
        Model.RunStates(seqs, null, (first, st) =>
        {
            var host = st.ToHost();
            for (int b = 0; b < st.Batch; b++) states[first + b] = new DocumentState(host.Slice(b), Model.Identity);
        }, cancellationToken);
        return states;
    }

    /// <summary>
    /// Offline reranking, step 1 on the device: runs the documents' templates and keeps their states resident in the
    /// backend's memory (in <paramref name="precision"/>), never copying them to the host.
    /// </summary>
    /// <param name="documents">Document texts.</param>
    /// <param name="precision">How the resident states are kept (recorded in the result).</param>
    /// <param name="ids">Optional id per document, to score a subset by id later.</param>
    /// <param name="cancellationToken">Checked between internal batches.</param>
    /// <param name="placement">Device memory, or host memory streamed per query; <see cref="StatePlacement.Auto"/>: the device when all fit.</param>
    public ResidentDocuments IndexResident(IReadOnlyList<string> documents, StatePrecision precision = StatePrecision.Float32,
        IReadOnlyList<string>? ids = null, CancellationToken cancellationToken = default, StatePlacement placement = StatePlacement.Auto) =>
        IndexResidentTokens(DocumentTokens(documents), precision, ids, cancellationToken, placement);

    /// <summary>As <see cref="IndexResident"/> for token sequences used as given (the document template already applied).</summary>
    public ResidentDocuments IndexResidentTokens(IReadOnlyList<int[]> sequences, StatePrecision precision = StatePrecision.Float32,
        IReadOnlyList<string>? ids = null, CancellationToken cancellationToken = default, StatePlacement placement = StatePlacement.Auto)
    {
        ObjectDisposedException.ThrowIf(_disposed != 0, this);
        ArgumentNullException.ThrowIfNull(sequences);
        return Own(CreateStore(sequences.Count, precision, placement), ids, store =>
            Model.RunStates(sequences, null, (first, st) => store.Write(first, st), cancellationToken));
    }

    /// <summary>
    /// Makes cached document states resident in the backend's memory (one host→device copy of each, now), so that every
    /// later <see cref="Score(string, ResidentDocuments, IReadOnlyList{int}?, CancellationToken)"/> moves no state.
    /// </summary>
    /// <param name="documents">States from <see cref="IndexDocuments"/>, <see cref="DocumentState.Load"/> or a document-state store.</param>
    /// <param name="precision">How the resident states are kept (recorded in the result).</param>
    /// <param name="ids">Optional id per document, to score a subset by id later.</param>
    /// <param name="placement">Device memory, or host memory streamed per query; <see cref="StatePlacement.Auto"/>: the device when all fit.</param>
    public ResidentDocuments MakeResident(IReadOnlyList<DocumentState> documents, StatePrecision precision = StatePrecision.Float32,
        IReadOnlyList<string>? ids = null, StatePlacement placement = StatePlacement.Auto)
    {
        ObjectDisposedException.ThrowIf(_disposed != 0, this);
        var states = CheckedStates(documents, nameof(documents));
        return Own(CreateStore(states.Length, precision, placement), ids, store =>
        {
            // In slices, so the host never holds more than one staging copy of a slice.
            const int slice = 256;
            for (int i = 0; i < states.Length; i += slice)
                store.Write(i, new ArraySegment<ModelState>(states, i, Math.Min(slice, states.Length - i)));
        });
    }

    /// <summary>
    /// Makes mapped document states (from <c>DocumentStateStore.MapStates</c>, in the store's precision) resident for
    /// offline reranking, with the store's ids: <see cref="StatePlacement.Host"/> reads them in place from the mapping
    /// (the CPU gathers straight from it; a GPU streams each query's states from it, page-locked in place where the driver
    /// allows, see <see cref="ResidentDocuments.StreamWarning"/>); <see cref="StatePlacement.Device"/> copies them once into
    /// device memory; <see cref="StatePlacement.Auto"/>: in place on the CPU, device memory on a GPU when all fit, else
    /// streamed. The result holds the mapping until it is disposed, so <paramref name="states"/> may be disposed first.
    /// </summary>
    public ResidentDocuments MakeResident(MappedStates states, StatePlacement placement = StatePlacement.Auto)
    {
        ObjectDisposedException.ThrowIf(_disposed != 0, this);
        ArgumentNullException.ThrowIfNull(states);
        ObjectDisposedException.ThrowIf(states.IsDisposed, states);
        if (states.ModelIdentity != Model.Identity)
            throw new ArgumentException($"these states were computed by another model ({states.ModelIdentity[..12]}…, this model is {Model.Identity[..12]}…)", nameof(states));
        states.EnsureShape(Model.Config, nameof(states));
        if (placement == StatePlacement.Auto)
            placement = Model.Device == DeviceSpec.Cpu || states.Count > Model.Backend.StoreCapacity(states.Precision) ? StatePlacement.Host : StatePlacement.Device;
        return placement switch
        {
            StatePlacement.Host => Own(Model.Backend.CreateMappedStore(states), states.Ids, _ => { }),
            StatePlacement.Device => Own(Model.Backend.CreateStore(states.Count, states.Precision), states.Ids, store =>
            {
                // In slices, so the host never holds more than one float32 staging copy of a slice.
                const int slice = 64;
                for (int i = 0; i < states.Count; i += slice)
                {
                    var part = new ModelState[Math.Min(slice, states.Count - i)];
                    for (int j = 0; j < part.Length; j++)
                    {
                        part[j] = new ModelState(Model.Config, 1);
                        states.Read(i + j, part[j]);
                    }
                    store.Write(i, part);
                }
            }),
            _ => throw new ArgumentOutOfRangeException(nameof(placement), placement, "placement must be Auto, Device or Host"),
        };
    }

    // Resident documents over a new store, filled by `fill`; the store is freed when anything throws.
    private ResidentDocuments Own(StateStore store, IReadOnlyList<string>? ids, Action<StateStore> fill)
    {
        try
        {
            var resident = new ResidentDocuments(store, Model.Identity, ids);
            fill(store);
            return resident;
        }
        catch
        {
            store.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Offline reranking, step 2: continues copies of the cached states with the query template + EOS and scores them in one
    /// batched call. The cached states are not modified.
    /// </summary>
    public RerankScore[] Score(string query, IReadOnlyList<DocumentState> cached, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(query);
        var states = CheckedStates(cached, nameof(cached));
        if (states.Length == 0) return [];
        var q = Model.Tokenizer.Encode(QueryText(query), addEos: true);
        var seqs = new int[states.Length][];
        Array.Fill(seqs, q);
        var logits = new float[states.Length];
        Model.RunStates(seqs, (first, count) => Model.Backend.Upload(ModelState.Concat(new ArraySegment<ModelState>(states, first, count))),
            (first, st) => _backend.Logits(st, logits.AsSpan(first, st.Batch)), cancellationToken);
        return ToScores(logits);
    }

    /// <summary>
    /// Offline reranking against resident documents: every document of <paramref name="documents"/>, or the slots in
    /// <paramref name="indices"/>, continued with the query template + EOS and scored where the states live. Only the
    /// query's tokens go in and the logits come out. Each result's <see cref="RerankScore.Index"/> is the document's slot.
    /// </summary>
    public RerankScore[] Score(string query, ResidentDocuments documents, IReadOnlyList<int>? indices = null, CancellationToken cancellationToken = default)
    {
        ObjectDisposedException.ThrowIf(_disposed != 0, this);
        ArgumentNullException.ThrowIfNull(query);
        ArgumentNullException.ThrowIfNull(documents);
        if (documents.ModelIdentity != Model.Identity)
            throw new ArgumentException($"these resident documents were computed by another model ({documents.ModelIdentity[..12]}…, this model is {Model.Identity[..12]}…)", nameof(documents));
        var slots = indices?.ToArray() ?? Enumerable.Range(0, documents.Count).ToArray();
        var logits = LogitsOfResident(Model.Tokenizer.Encode(QueryText(query), addEos: true), documents, slots, cancellationToken);
        var s = new RerankScore[slots.Length];
        for (int i = 0; i < s.Length; i++) s[i] = new RerankScore(slots[i], logits[i], EmbeddingMath.Sigmoid(logits[i]));
        return s;
    }

    /// <summary>As <see cref="Score(string, ResidentDocuments, IReadOnlyList{int}?, CancellationToken)"/> for the documents with these ids.</summary>
    public RerankScore[] Score(string query, ResidentDocuments documents, IReadOnlyList<string> ids, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(documents);
        ArgumentNullException.ThrowIfNull(ids);
        return Score(query, documents, ids.Select(documents.IndexOf).ToArray(), cancellationToken);
    }

    /// <summary>
    /// Logits of <paramref name="queryTokens"/> (used as given) continued from resident slots <paramref name="slots"/>:
    /// the gather, the query forward and the reranker all run where the store lives.
    /// </summary>
    public float[] LogitsOfResident(int[] queryTokens, ResidentDocuments documents, IReadOnlyList<int> slots, CancellationToken cancellationToken = default)
    {
        ObjectDisposedException.ThrowIf(_disposed != 0, this);
        ArgumentNullException.ThrowIfNull(queryTokens);
        ArgumentNullException.ThrowIfNull(documents);
        ArgumentNullException.ThrowIfNull(slots);
        var all = slots.ToArray();
        var seqs = new int[all.Length][];
        Array.Fill(seqs, queryTokens);
        var logits = new float[all.Length];
        var store = documents.Store;
        Model.RunStates(seqs, (first, count) => store.Gather(all.AsSpan(first, count)),
            (first, st) => _backend.Logits(st, logits.AsSpan(first, st.Batch)), cancellationToken, store.MaxGather, prefetch: store.Streams);
        return logits;
    }

    // Auto: device memory when every state fits in what is free now, else host memory streamed per query.
    private StateStore CreateStore(int count, StatePrecision precision, StatePlacement placement)
    {
        if (placement == StatePlacement.Auto)
            placement = count <= Model.Backend.StoreCapacity(precision) ? StatePlacement.Device : StatePlacement.Host;
        return placement switch
        {
            StatePlacement.Device => Model.Backend.CreateStore(count, precision),
            StatePlacement.Host => Model.Backend.CreateHostStore(count, precision),
            _ => throw new ArgumentOutOfRangeException(nameof(placement), placement, "placement must be Auto, Device or Host"),
        };
    }

    private int[][] DocumentTokens(IReadOnlyList<string> documents)
    {
        ObjectDisposedException.ThrowIf(_disposed != 0, this);
        ArgumentNullException.ThrowIfNull(documents);
        var seqs = new int[documents.Count][];
        for (int i = 0; i < seqs.Length; i++)
            seqs[i] = Model.Tokenizer.Encode(DocumentText(documents[i] ?? throw new ArgumentNullException(nameof(documents), $"document {i} is null")));
        return seqs;
    }

    private ModelState[] CheckedStates(IReadOnlyList<DocumentState> cached, string paramName)
    {
        ArgumentNullException.ThrowIfNull(cached, paramName);
        var states = new ModelState[cached.Count];
        for (int i = 0; i < states.Length; i++)
        {
            var d = cached[i] ?? throw new ArgumentNullException(paramName, $"document state {i} is null");
            if (d.ModelIdentity != Model.Identity)
                throw new ArgumentException($"document state {i} was computed by another model ({d.ModelIdentity[..12]}…, this model is {Model.Identity[..12]}…)", paramName);
            states[i] = d.State;
        }
        return states;
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
        using var onBackend = Model.Backend.Upload(state); // the explicit host→device step of a host state
        _backend.Logits(onBackend, logits);
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
