using System.CommandLine;
using System.Text.Json;
using RwkvNative.Store;

namespace RwkvNative.Cli.Commands;

/// <summary>
/// <c>rwkv-emb index --model EMB --reranker RR --out STORE [--fp16]</c>: JSON Lines {"id", "text"} → each document's
/// cached state (offline reranking) appended to the store → {"id", "stored"} in input order. An id already in the store
/// (e.g. from a run that was killed) is skipped, so re-running the same input resumes where it stopped.
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

    /// <summary>A document read: <see cref="Text"/> is null when its state is already stored.</summary>
    private sealed record Pending(string Id, string? Text, string FullText);

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
        using var io = JsonLines.Console();
        var progress = new Progress("index");
        var pending = new List<Pending>(batchSize);
        var seen = new HashSet<string>(StringComparer.Ordinal);
        int stored = 0, skipped = 0;

        void Flush()
        {
            if (pending.Count == 0) return;
            var ids = new List<string>(pending.Count);
            var texts = new List<string>(pending.Count);
            foreach (var p in pending)
                if (p.Text != null) { ids.Add(p.Id); texts.Add(p.Text); }
            if (texts.Count > 0) store.Append(ids, rr.IndexDocuments(texts, ct));
            var embedded = embedder?.Add(pending.ConvertAll(p => p.Id), pending.ConvertAll(p => p.FullText), ct);
            for (int i = 0; i < pending.Count; i++)
            {
                var p = pending[i];
                io.WriteObject(w =>
                {
                    w.WriteString("id", p.Id);
                    w.WriteBoolean("stored", p.Text != null);
                    if (embedded != null) w.WriteBoolean("embedded", embedded[i]);
                });
            }
            io.Flush();
            stored += texts.Count;
            skipped += pending.Count - texts.Count;
            pending.Clear();
            progress.Report(stored + skipped, 0);
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
                    pending.Add(new Pending(id, store.Contains(id) ? null : text, text));
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
            Console.Error.WriteLine($"index: {stored} documents stored, {skipped} already in the store skipped; {store.Count} in {store.Directory} ({(store.Precision == StatePrecision.Float16 ? "fp16" : "fp32")}, {existing} before)");
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
