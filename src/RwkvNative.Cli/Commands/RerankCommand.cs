using System.CommandLine;
using RwkvNative.Model;
using RwkvNative.Store;

namespace RwkvNative.Cli.Commands;

/// <summary>
/// <c>rwkv-emb rerank --query Q [--mode online|offline]</c>: JSON Lines {"text": document} → {"index","logit","score"} in input order.
/// With <c>--store STORE</c> (offline), no input is read: every document of the store (made by <c>rwkv-emb index</c>) is
/// scored from its cached state → {"index","id","logit","score"} in store order. A document whose record is damaged is
/// left out and named on standard error, and the command then exits 1 after every intact document was scored.
/// </summary>
internal static class RerankCommand
{
    public static Command Create()
    {
        var model = CommonOptions.Model();
        var reranker = CommonOptions.Reranker(required: true);
        var query = CommonOptions.Query();
        var mode = new Option<string>("--mode") { Description = "online (template per pair) or offline (cached document states)", DefaultValueFactory = _ => "online" };
        mode.AcceptOnlyFromAmong("online", "offline");
        var device = CommonOptions.Device();
        var batch = CommonOptions.BatchSize(32);
        var store = new Option<string>("--store") { Description = "score every document cached in this store (made by 'rwkv-emb index'); offline mode, no input read" };
        var placement = CommonOptions.Placement(
            "with --store: auto (read in place from the store's mapped file on the CPU; device memory on a GPU when all fit, else streamed from the mapping), device (copied once into device memory), or host (streamed from the mapped file)");
        var cmd = new Command("rerank", "score documents (JSON Lines {\"text\"}) against a query") { model, reranker, query, mode, device, batch, store, placement };
        cmd.SetAction((p, ct) =>
        {
            if (p.GetValue(store) is { } storePath)
            {
                if (p.GetResult(mode) is { Implicit: false } && p.GetValue(mode) != "offline")
                    throw new InputException("--store scores cached document states: use --mode offline (or leave --mode out)");
                return Task.FromResult(RunStore(p.GetValue(model)!, p.GetValue(reranker)!, p.GetValue(query)!, storePath, p.GetValue(device)!, p.GetValue(batch),
                    CommonOptions.ParsePlacement(p.GetValue(placement)!), ct));
            }
            return Task.FromResult(Run(p.GetValue(model)!, p.GetValue(reranker)!, p.GetValue(query)!, p.GetValue(mode)!,
                p.GetValue(device)!, p.GetValue(batch), ct));
        });
        return cmd;
    }

    // The store's log is mapped once (every state's checksum verified then) and scored in place or from one device copy:
    // no state is loaded into a managed copy on the way.
    private static int RunStore(string modelPath, string rerankerPath, string query, string storePath, string device, int batchSize,
        StatePlacement placement, CancellationToken ct)
    {
        if (batchSize <= 0) throw new InputException($"--batch-size must be positive, got {batchSize}");
        CommonOptions.RequireStoreFolder(storePath, "--store");
        using var model = CommonOptions.LoadModel(modelPath, device);
        using var rr = CommonOptions.LoadReranker(rerankerPath, model);
        CommonOptions.RequireEncodableQuery(model, query);
        using var store = DocumentStateStore.Open(storePath, model);
        if (store.DescribeSkipped() is { } skippedNote) Console.Error.WriteLine("rerank: warning: " + skippedNote);
        int count = store.Count;
        var damaged = new List<DamagedRecordException>();
        using var resident = MapResident(rr, store, placement, damaged);
        if (resident.StreamWarning is { } slow) Console.Error.WriteLine("rerank: warning: " + slow);
        var storeIndex = new int[resident.Count];
        for (int slot = 0; slot < storeIndex.Length; slot++)
            storeIndex[slot] = store.TryGetIndex(resident.Ids![slot], out int i) ? i : throw new System.Diagnostics.UnreachableException();
        using var io = new JsonLines(Stream.Null, Console.OpenStandardOutput());
        var progress = new Progress("rerank");
        for (int start = 0; start < resident.Count; start += batchSize)
        {
            int n = Math.Min(batchSize, resident.Count - start);
            foreach (var s in rr.Score(query, resident, Enumerable.Range(start, n).ToArray(), ct))
            {
                int i = storeIndex[s.Index];
                io.WriteObject(w =>
                {
                    w.WriteNumber("index", i);
                    w.WriteString("id", store.GetId(i));
                    JsonLines.WriteFloat(w, "logit", s.Logit);
                    JsonLines.WriteFloat(w, "score", s.Score);
                });
            }
            io.Flush();
            progress.Report(start + n + damaged.Count, 0);
        }
        progress.Done(count, 0);
        if (count == 0) Console.Error.WriteLine($"rerank: the store {store.Directory} holds no documents");
        if (damaged.Count > 0)
        {
            foreach (var e in damaged) Console.Error.WriteLine("rerank: skipped: " + e.Message);
            throw new StoreDamageException(
                $"{damaged.Count} of {count} documents in {store.Directory} are damaged and were not scored ({string.Join(", ", damaged.Take(5).Select(e => $"'{e.DocumentId}'"))}{(damaged.Count > 5 ? ", …" : "")}); index them again, or see 'rwkv-emb store check'");
        }
        return ExitCodes.Ok;
    }

    // The store's intact states, resident as `placement` says; the mapping lives as long as the result.
    private static ResidentDocuments MapResident(Reranker rr, DocumentStateStore store, StatePlacement placement, List<DamagedRecordException> damaged)
    {
        using var mapped = store.MapStates(onDamaged: damaged.Add);
        return rr.MakeResident(mapped, placement);
    }

    private static int Run(string modelPath, string rerankerPath, string query, string mode, string device, int batchSize, CancellationToken ct)
    {
        if (batchSize <= 0) throw new InputException($"--batch-size must be positive, got {batchSize}");
        using var model = CommonOptions.LoadModel(modelPath, device);
        using var rr = CommonOptions.LoadReranker(rerankerPath, model);
        CommonOptions.RequireEncodableQuery(model, query);
        using var io = JsonLines.Console();
        var progress = new Progress("rerank");
        var pending = new List<string>(batchSize);
        int index = 0;

        void Flush()
        {
            if (pending.Count == 0) return;
            var scores = mode == "offline" ? rr.Score(query, rr.IndexDocuments(pending, ct), ct) : rr.Score(query, pending, ct);
            foreach (var s in scores)
            {
                int i = index + s.Index;
                io.WriteObject(w =>
                {
                    w.WriteNumber("index", i);
                    JsonLines.WriteFloat(w, "logit", s.Logit);
                    JsonLines.WriteFloat(w, "score", s.Score);
                });
            }
            io.Flush();
            index += pending.Count;
            pending.Clear();
            progress.Report(index, 0);
        }

        try
        {
            while (io.Next() is { } doc)
            {
                using (doc)
                {
                    var text = io.String(doc.RootElement, "text") ?? throw new InputException($"line {io.LineNumber}: missing field \"text\"");
                    try { model.Tokenizer.Encode(text); }
                    catch (ArgumentException e) { throw new InputException($"line {io.LineNumber}: {e.Message}"); }
                    pending.Add(text);
                }
                if (pending.Count >= batchSize) Flush();
            }
        }
        finally
        {
            Flush();
        }
        return ExitCodes.Ok;
    }
}
