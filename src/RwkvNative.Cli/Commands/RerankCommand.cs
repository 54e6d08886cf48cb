using System.CommandLine;

namespace RwkvNative.Cli.Commands;

/// <summary>
/// <c>rwkv-emb rerank --query Q [--mode online|offline]</c>: JSON Lines {"text": document} → {"index","logit","score"} in input order.
/// </summary>
internal static class RerankCommand
{
    public static Command Create()
    {
        var model = CommonOptions.Model();
        var reranker = CommonOptions.Reranker(required: true);
        var query = new Option<string>("--query", "-q") { Description = "the query", Required = true };
        var mode = new Option<string>("--mode") { Description = "online (template per pair) or offline (cached document states)", DefaultValueFactory = _ => "online" };
        mode.AcceptOnlyFromAmong("online", "offline");
        var device = CommonOptions.Device();
        var batch = CommonOptions.BatchSize(32);
        var cmd = new Command("rerank", "score documents (JSON Lines {\"text\"}) against a query") { model, reranker, query, mode, device, batch };
        cmd.SetAction((p, ct) => Task.FromResult(Run(p.GetValue(model)!, p.GetValue(reranker)!, p.GetValue(query)!, p.GetValue(mode)!,
            p.GetValue(device)!, p.GetValue(batch), ct)));
        return cmd;
    }

    private static int Run(string modelPath, string rerankerPath, string query, string mode, string device, int batchSize, CancellationToken ct)
    {
        if (batchSize <= 0) throw new InputException($"--batch-size must be positive, got {batchSize}");
        using var model = CommonOptions.LoadModel(modelPath, device);
        using var rr = CommonOptions.LoadReranker(rerankerPath, model);
        try { model.Tokenizer.Encode(query); }
        catch (ArgumentException e) { throw new InputException("--query: " + e.Message); }
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
