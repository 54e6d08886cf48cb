using System.CommandLine;
using System.Text.Json;
using RwkvNative.Model;
using RwkvNative.Store;

namespace RwkvNative.Cli.Commands;

/// <summary>
/// <c>rwkv-emb index --model EMB --reranker RR --out STORE [--fp16]</c>: JSON Lines {"id", "text"} → each document's
/// cached state (offline reranking) and retrieval embedding appended to the store → {"id", "stored"} in input order. A
/// document already stored from the same text with an intact record is skipped, so re-running the same input resumes
/// where it stopped; a changed text or a damaged record is indexed again (the new record replaces the old).
/// With <c>--vectors</c>, each document's embedding (retrieval head) goes to that vector index too, keyed by id and the
/// text's content hash (an unchanged document already there is not embedded again) → {"id", "stored", "embedded"}.
/// </summary>
internal static class IndexCommand
{
    public static Command Create()
    {
        var model = CommonOptions.Model();
        var reranker = CommonOptions.Reranker(required: true);
        var output = new Option<string>("--out", "-o") { Description = "store folder (created if missing; appended to if it exists)", Required = true };
        var fp16 = new Option<bool>("--fp16") { Description = "keep states in half precision (half the bytes; scores change slightly)" };
        var device = CommonOptions.Device();
        var batch = CommonOptions.BatchSize(32);
        var vectors = VectorIndexes.Option(required: false);
        var table = VectorIndexes.Table();
        var cmd = new Command("index", "cache documents' states (JSON Lines {\"id\", \"text\"}) in a store for offline reranking")
        {
            model, reranker, output, fp16, device, batch, vectors, table,
        };
        cmd.SetAction((p, ct) => Task.FromResult(Run(p.GetValue(model)!, p.GetValue(reranker)!, p.GetValue(output)!, p.GetValue(fp16),
            p.GetValue(device)!, p.GetValue(batch), p.GetValue(vectors), p.GetValue(table)!, ct)));
        return cmd;
    }

    /// <summary>Why a document is (or is not) computed: it is new, its text changed, its record is damaged, or it is stored already.</summary>
    private enum Reason { New, Changed, Damaged, Unchanged }

    private sealed record Pending(string Id, string Text, ContentHash Content, Reason Reason);

    private static int Run(string modelPath, string rerankerPath, string storePath, bool fp16, string device, int batchSize,
        string? vectorsSpec, string vectorsTable, CancellationToken ct)
    {
        if (batchSize <= 0) throw new InputException($"--batch-size must be positive, got {batchSize}");
        CommonOptions.RequireStoreFolder(storePath, "--out");
        using var model = CommonOptions.LoadModel(modelPath, device);
        using var rr = CommonOptions.LoadReranker(rerankerPath, model);
        DocumentStateStore store;
        try
        {
            store = DocumentStateStore.OpenForWriting(storePath, model,
                new DocumentStateStoreOptions { Precision = fp16 ? StatePrecision.Float16 : null });
        }
        catch (ArgumentException e) { throw new InputException(e.Message); }
        using var _ = store;
        using var vectors = vectorsSpec == null ? null : VectorIndexes.Open(vectorsSpec, vectorsTable, model);
        var embedder = vectors == null ? null : new VectorIndexing(model, vectors.Index);
        int existing = store.Count;
        if (store.DescribeSkipped() is { } skippedNote) Console.Error.WriteLine("index: warning: " + skippedNote);
        using var io = JsonLines.Console();
        var progress = new Progress("index");
        var pending = new List<Pending>(batchSize);
        var seen = new HashSet<string>(StringComparer.Ordinal);
        var counts = new int[4];

        void Flush()
        {
            if (pending.Count == 0) return;
            var work = pending.Where(p => p.Reason != Reason.Unchanged).ToList();
            // Each document is embedded once: the embedding stored beside its state is the one the vector index gets.
            var fresh = new Dictionary<string, float[]>(StringComparer.Ordinal);
            if (work.Count > 0)
            {
                var texts = work.Select(p => p.Text).ToList();
                var states = rr.IndexDocuments(texts, ct);
                var embeddings = model.Embed(texts, EmbeddingTask.Retrieval, ct);
                var entries = new DocumentStateEntry[work.Count];
                for (int i = 0; i < entries.Length; i++)
                {
                    entries[i] = new DocumentStateEntry(work[i].Id, work[i].Content, states[i], embeddings[i]);
                    fresh[work[i].Id] = embeddings[i];
                }
                store.Append(entries);
            }
            float[]? Known(int i)
            {
                var p = pending[i];
                if (fresh.TryGetValue(p.Id, out var e)) return e;
                // Unchanged in the store (same text, verified): its stored embedding is the one the model gives.
                if (p.Reason == Reason.Unchanged && store.Find(p.Id) is { } known)
                {
                    try { return store.GetEmbedding(known.Index); }
                    catch (DamagedRecordException) { return null; }
                }
                return null;
            }
            var embedded = embedder?.Add(pending.ConvertAll(p => p.Id), pending.ConvertAll(p => p.Text), Known, ct);
            for (int i = 0; i < pending.Count; i++)
            {
                var p = pending[i];
                io.WriteObject(w =>
                {
                    w.WriteString("id", p.Id);
                    w.WriteBoolean("stored", p.Reason != Reason.Unchanged);
                    if (embedded != null) w.WriteBoolean("embedded", embedded[i]);
                });
            }
            io.Flush();
            foreach (var p in pending) counts[(int)p.Reason]++;
            pending.Clear();
            progress.Report(counts.Sum(), 0);
        }

        Reason Classify(string id, ContentHash content)
        {
            if (store.Find(id) is not { } known) return Reason.New;
            if (known.Content != content) return Reason.Changed;
            return store.Verify(known.Index) == null ? Reason.Unchanged : Reason.Damaged;
        }

        try
        {
            while (io.Next() is { } doc)
            {
                using (doc)
                {
                    int line = io.LineNumber;
                    var id = ReadId(io, doc.RootElement);
                    var text = io.String(doc.RootElement, "text") ?? throw new InputException($"line {line}: missing field \"text\"");
                    if (!seen.Add(id)) throw new InputException($"line {line}: id \"{id}\" appears twice in the input; ids must be unique");
                    try { model.Tokenizer.Encode(text); }
                    catch (ArgumentException e) { throw new InputException($"line {line}: {e.Message}"); }
                    var content = ContentHash.Of(text);
                    pending.Add(new Pending(id, text, content, Classify(id, content)));
                }
                if (pending.Count >= batchSize) Flush();
            }
        }
        finally
        {
            // Documents read before a bad line are still stored and answered, in order.
            Flush();
            if (vectors != null)
            {
                vectors.Save();
                Console.Error.WriteLine($"index: {embedder!.Embedded} embeddings written to {vectors.Description}, {embedder.Unchanged} unchanged");
            }
            Console.Error.WriteLine($"index: {model.TokensRun} tokens run through the model");
            Console.Error.WriteLine(
                $"index: {counts[(int)Reason.New]} new documents stored, {counts[(int)Reason.Changed]} changed and {counts[(int)Reason.Damaged]} damaged ones indexed again, {counts[(int)Reason.Unchanged]} unchanged skipped; {store.Count} in {store.Directory} ({(store.Precision == StatePrecision.Float16 ? "fp16" : "fp32")}, {existing} before)");
        }
        return ExitCodes.Ok;
    }

    /// <summary>"id": a non-empty string, or an integer (kept as its decimal text).</summary>
    internal static string ReadId(JsonLines io, JsonElement obj)
    {
        int line = io.LineNumber;
        if (!obj.TryGetProperty("id", out var v)) throw new InputException($"line {line}: missing field \"id\" (a string)");
        string? id = v.ValueKind switch
        {
            JsonValueKind.String => io.Text(v, "id"),
            JsonValueKind.Number when v.TryGetInt64(out long n) => n.ToString(System.Globalization.CultureInfo.InvariantCulture),
            _ => throw new InputException($"line {line}: field \"id\" must be a string or an integer, got {JsonLines.Snippet(v)}"),
        };
        if (string.IsNullOrEmpty(id)) throw new InputException($"line {line}: field \"id\" is empty");
        return id;
    }
}
