// The in-process vector index: every stored vector is compared with the query (exact, no approximation).
using System.Globalization;
using System.Text.Json;
using RwkvNative.Checkpoints;

namespace RwkvNative.Retrieval;

/// <summary>
/// An exact in-memory <see cref="IVectorIndex"/>: a search compares the query with every vector (O(N·C)), which is the
/// right tool up to some hundred thousand documents. Optionally backed by a file (<see cref="Open"/>, <see cref="Save"/>):
/// a safetensors file with tensor <c>embeddings</c> [N, C] float32 (unit rows) and metadata <c>format</c>,
/// <c>model_identity</c>, <c>ids</c> and <c>hashes</c> (JSON arrays of strings, in row order). Thread-safe: searches read
/// an immutable snapshot, upserts replace it.
/// </summary>
public sealed class ExactVectorIndex : IVectorIndex
{
    /// <summary>Value of the file's <c>format</c> metadata.</summary>
    public const string FormatName = "rwkvnative.vector-index.v1";

    private readonly object _writeLock = new();
    private Snapshot _snapshot = Snapshot.Empty;

    /// <summary>An empty index for embeddings of the model with identity <paramref name="modelIdentity"/> and width <paramref name="dimensions"/>.</summary>
    public ExactVectorIndex(string modelIdentity, int dimensions)
    {
        ArgumentException.ThrowIfNullOrEmpty(modelIdentity);
        ArgumentOutOfRangeException.ThrowIfLessThan(dimensions, 1);
        ModelIdentity = modelIdentity;
        Dimensions = dimensions;
    }

    /// <summary>An empty index for <paramref name="model"/>'s embeddings.</summary>
    public ExactVectorIndex(EmbeddingModel model) : this(model?.Identity!, model?.Config.Channels ?? 0) { }

    /// <inheritdoc />
    public string ModelIdentity { get; }

    /// <inheritdoc />
    public int Dimensions { get; }

    /// <summary>Number of documents held.</summary>
    public int Count => _snapshot.Ids.Length;

    /// <summary>
    /// Loads an index file written by <see cref="Save"/>, refusing one made with another model than <paramref name="model"/>;
    /// a missing file gives an empty index (it is created by the first <see cref="Save"/>).
    /// </summary>
    /// <exception cref="CheckpointException">The file is not a vector index, holds another model's embeddings, or is damaged.</exception>
    public static ExactVectorIndex Open(string path, EmbeddingModel model)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        ArgumentNullException.ThrowIfNull(model);
        var index = new ExactVectorIndex(model);
        if (!File.Exists(path)) return index;
        using var file = Checkpoint.Open(path);
        if (!file.Metadata.TryGetValue("format", out var f) || f != FormatName)
            throw new CheckpointException($"{path}: not a vector index (metadata 'format' is not {FormatName})");
        var identity = file.Metadata.GetValueOrDefault("model_identity") ?? "";
        if (identity != model.Identity)
            throw new CheckpointException($"{path}: this vector index holds embeddings of another model ({Short(identity)}), not of this one ({Short(model.Identity)}); index the documents again with this model");
        var ids = ReadStrings(file, path, "ids");
        var hashes = ReadStrings(file, path, "hashes");
        if (hashes.Length != ids.Length) throw new CheckpointException($"{path}: {ids.Length} ids but {hashes.Length} hashes; the file is damaged");
        int n = ids.Length, c = model.Config.Channels;
        var vectors = new float[n][];
        if (n > 0)
        {
            var all = file.Get("embeddings", n, c).ToFloat32();
            for (int i = 0; i < n; i++) vectors[i] = all.AsSpan(i * c, c).ToArray();
        }
        var byId = new Dictionary<string, int>(n, StringComparer.Ordinal);
        for (int i = 0; i < n; i++)
            if (string.IsNullOrEmpty(ids[i]) || !byId.TryAdd(ids[i], i))
                throw new CheckpointException($"{path}: id {i} ('{ids[i]}') is empty or appears twice; the file is damaged");
        index._snapshot = new Snapshot(ids, hashes, vectors, byId);
        return index;
    }

    /// <summary>
    /// The in-process index of every embedding a document-state store holds (documents stored without one are left out):
    /// the default vector index, built when a store is opened.
    /// </summary>
    public static ExactVectorIndex FromStore(RwkvNative.Store.DocumentStateStore store, int dimensions)
    {
        ArgumentNullException.ThrowIfNull(store);
        var index = new ExactVectorIndex(store.ModelIdentity, dimensions);
        var records = new List<VectorRecord>(store.Count);
        foreach (var e in store.ReadEmbeddings()) records.Add(new VectorRecord(e.Id, e.Content.ToString(), e.Embedding));
        index.Upsert(records);
        return index;
    }

    /// <summary>Writes the index to <paramref name="path"/> atomically (a reader sees the old file or the new one).</summary>
    public void Save(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        var s = _snapshot;
        int n = s.Ids.Length;
        var all = new float[(long)n * Dimensions];
        for (int i = 0; i < n; i++) s.Vectors[i].CopyTo(all, (long)i * Dimensions);
        var meta = new Dictionary<string, string>
        {
            ["format"] = FormatName,
            ["model_identity"] = ModelIdentity,
            ["count"] = n.ToString(CultureInfo.InvariantCulture),
            ["ids"] = JsonSerializer.Serialize(s.Ids, RetrievalJsonContext.Default.StringArray),
            ["hashes"] = JsonSerializer.Serialize(s.Hashes, RetrievalJsonContext.Default.StringArray),
        };
        var dir = Path.GetDirectoryName(Path.GetFullPath(path));
        if (!string.IsNullOrEmpty(dir)) Directory.CreateDirectory(dir);
        SafeTensorsWriter.Write(path, [("embeddings", [n, Dimensions], all)], meta);
    }

    /// <summary>The content hash stored for <paramref name="id"/>, or null when the id is not indexed.</summary>
    public string? HashOf(string id)
    {
        ArgumentNullException.ThrowIfNull(id);
        var s = _snapshot;
        return s.ById.TryGetValue(id, out int i) ? s.Hashes[i] : null;
    }

    /// <inheritdoc />
    public Task<string?[]> GetContentHashesAsync(IReadOnlyList<string> ids, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(ids);
        var result = new string?[ids.Count];
        for (int i = 0; i < result.Length; i++) result[i] = HashOf(ids[i]);
        return Task.FromResult(result);
    }

    /// <inheritdoc />
    public Task<long> CountAsync(CancellationToken cancellationToken = default) => Task.FromResult((long)Count);

    /// <inheritdoc />
    public Task UpsertAsync(IReadOnlyList<VectorRecord> records, CancellationToken cancellationToken = default)
    {
        Upsert(records);
        return Task.CompletedTask;
    }

    /// <summary>Synchronous <see cref="UpsertAsync"/>.</summary>
    public void Upsert(IReadOnlyList<VectorRecord> records)
    {
        var vectors = VectorChecks.NormalizedCopies(records, Dimensions);
        lock (_writeLock)
        {
            var old = _snapshot;
            var ids = new List<string>(old.Ids);
            var hashes = new List<string>(old.Hashes);
            var rows = new List<float[]>(old.Vectors);
            var byId = new Dictionary<string, int>(old.ById, StringComparer.Ordinal);
            for (int i = 0; i < records.Count; i++)
            {
                var r = records[i];
                if (byId.TryGetValue(r.Id, out int row))
                {
                    hashes[row] = r.ContentHash;
                    rows[row] = vectors[i];
                }
                else
                {
                    byId.Add(r.Id, ids.Count);
                    ids.Add(r.Id);
                    hashes.Add(r.ContentHash);
                    rows.Add(vectors[i]);
                }
            }
            _snapshot = new Snapshot([.. ids], [.. hashes], [.. rows], byId);
        }
    }

    /// <inheritdoc />
    public Task<IReadOnlyList<VectorMatch>> SearchAsync(ReadOnlyMemory<float> query, int k, CancellationToken cancellationToken = default) =>
        Task.FromResult(Search(query.Span, k, cancellationToken));

    /// <summary>Synchronous <see cref="SearchAsync"/>.</summary>
    public IReadOnlyList<VectorMatch> Search(ReadOnlySpan<float> query, int k, CancellationToken cancellationToken = default)
    {
        var q = VectorChecks.NormalizedQuery(query, k, Dimensions);
        var s = _snapshot;
        int n = s.Ids.Length;
        if (k == 0 || n == 0) return [];
        var sims = new double[n];
        var order = new int[n];
        for (int i = 0; i < n; i++)
        {
            if ((i & 4095) == 0) cancellationToken.ThrowIfCancellationRequested();
            sims[i] = VectorChecks.Dot(q, s.Vectors[i]);
            order[i] = i;
        }
        Array.Sort(order, (a, b) => sims[a] != sims[b] ? sims[b].CompareTo(sims[a]) : VectorChecks.CompareIds(s.Ids[a], s.Ids[b]));
        int take = Math.Min(k, n);
        var result = new VectorMatch[take];
        for (int i = 0; i < take; i++) result[i] = new VectorMatch(s.Ids[order[i]], s.Hashes[order[i]], sims[order[i]]);
        return result;
    }

    /// <summary>Nothing to free (the index lives in managed memory); present for <see cref="IVectorIndex"/>.</summary>
    public void Dispose() { }

    private static string[] ReadStrings(Checkpoint file, string path, string key)
    {
        if (!file.Metadata.TryGetValue(key, out var json)) throw new CheckpointException($"{path}: metadata '{key}' is missing; the file is damaged");
        try
        {
            var values = JsonSerializer.Deserialize(json, RetrievalJsonContext.Default.StringArray);
            if (values == null || Array.IndexOf(values, null) >= 0) throw new JsonException("null where a string was expected");
            return values;
        }
        catch (JsonException e)
        {
            throw new CheckpointException($"{path}: metadata '{key}' is not a JSON array of strings ({e.Message}); the file is damaged");
        }
    }

    private static string Short(string id) => id.Length > 12 ? id[..12] + "…" : id;

    private sealed record Snapshot(string[] Ids, string[] Hashes, float[][] Vectors, Dictionary<string, int> ById)
    {
        public static readonly Snapshot Empty = new([], [], [], new Dictionary<string, int>(StringComparer.Ordinal));
    }
}
