using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using RwkvNative.Evaluation;

namespace RwkvNative.Cli.Commands;

/// <summary>
/// <c>rwkv-emb eval</c>: an MTEB-style score on a task given as files, so a user with real weights can reproduce a paper row on
/// their own copy of a task. Retrieval (a BEIR/MTEB folder: <c>corpus.jsonl</c>, <c>queries.jsonl</c>, <c>qrels/SPLIT.tsv</c>) →
/// mean nDCG@10 over the judged queries, documents ranked by cosine similarity; STS (a JSON Lines file of
/// <c>{"sentence1", "sentence2", "score"}</c>) → Spearman correlation of the cosine similarities with the gold scores.
/// Prints one JSON line.
/// </summary>
internal static class EvalCommand
{
    public static Command Create()
    {
        var model = CommonOptions.Model();
        var data = new Option<string>("--data") { Description = "a BEIR/MTEB retrieval folder (corpus.jsonl, queries.jsonl, qrels/) or an STS .jsonl file", Required = true };
        var split = new Option<string>("--split") { Description = "retrieval: the qrels/SPLIT.tsv to score", DefaultValueFactory = _ => "test" };
        var task = new Option<string?>("--task", "-t") { Description = "retr|cls|sts (default: the head of --task-type, else retr for retrieval and sts for STS)" };
        var device = CommonOptions.Device();
        var batch = CommonOptions.BatchSize(32);
        var encoding = new EncodingOptions();
        var cmd = new Command("eval", "score a retrieval task (nDCG@10) or an STS task (Spearman) given as files") { model, data, split, task, device, batch };
        foreach (var o in encoding.All) cmd.Add(o);
        cmd.SetAction((p, ct) =>
        {
            int size = p.GetValue(batch);
            if (size <= 0) throw new InputException($"--batch-size must be positive, got {size}");
            string path = p.GetValue(data)!;
            var head = EmbedCommand.ParseTask(p.GetValue(task));
            if (Directory.Exists(path))
            {
                var queries = encoding.Read(p, head, EmbeddingTask.Retrieval, isQuery: true);
                var docs = encoding.Read(p, head, EmbeddingTask.Retrieval, isQuery: false);
                var retrieval = RetrievalTask.Read(path, p.GetValue(split)!);
                using var m = CommonOptions.LoadModel(p.GetValue(model)!, p.GetValue(device)!);
                return Task.FromResult(Retrieval(m, retrieval, queries, docs, size, ct));
            }
            if (!File.Exists(path)) throw new InputException($"--data: no such file or folder: {path}");
            var sts = encoding.Read(p, head, EmbeddingTask.Similarity);
            var pairs = ReadPairs(path);
            using var model2 = CommonOptions.LoadModel(p.GetValue(model)!, p.GetValue(device)!);
            return Task.FromResult(Sts(model2, pairs, sts, size, ct));
        });
        return cmd;
    }

    private static int Retrieval(EmbeddingModel m, RetrievalTask task, TextEncoder queries, TextEncoder docs, int batch, CancellationToken ct)
    {
        var docEmb = EmbedAll(m, task.DocumentTexts, docs, batch, ct);
        var queryEmb = EmbedAll(m, task.QueryTexts, queries, batch, ct);
        var scores = new float[docEmb.Length];
        double total = 0;
        for (int q = 0; q < queryEmb.Length; q++)
        {
            for (int d = 0; d < docEmb.Length; d++) scores[d] = Dot(queryEmb[q], docEmb[d]);
            total += RetrievalMetrics.Ndcg(scores, task.Relevance[q], task.Judged[q], 10);
        }
        Write(w =>
        {
            w.WriteString("task", "retrieval");
            w.WriteString("metric", "ndcg@10");
            w.WriteNumber("score", total / queryEmb.Length);
            w.WriteNumber("queries", queryEmb.Length);
            w.WriteNumber("documents", docEmb.Length);
            w.WriteString("encoding", docs.Encoding.ToString());
        });
        return ExitCodes.Ok;
    }

    private static int Sts(EmbeddingModel m, List<(string A, string B, double Score)> pairs, TextEncoder encoder, int batch, CancellationToken ct)
    {
        var a = EmbedAll(m, pairs.Select(p => p.A).ToArray(), encoder, batch, ct);
        var b = EmbedAll(m, pairs.Select(p => p.B).ToArray(), encoder, batch, ct);
        var cos = new double[pairs.Count];
        for (int i = 0; i < cos.Length; i++) cos[i] = Dot(a[i], b[i]);
        double rho = RankCorrelation.Spearman(cos, pairs.Select(p => p.Score).ToArray());
        Write(w =>
        {
            w.WriteString("task", "sts");
            w.WriteString("metric", "spearman");
            if (double.IsNaN(rho)) w.WriteNull("score"); else w.WriteNumber("score", rho);
            w.WriteNumber("pairs", pairs.Count);
            w.WriteString("encoding", encoder.Encoding.ToString());
        });
        if (double.IsNaN(rho)) Console.Error.WriteLine("warning: the gold scores or the similarities are all equal, so Spearman's rho is undefined");
        return ExitCodes.Ok;
    }

    /// <summary>L2-normalised embeddings of every text (normalised, so a dot product is the cosine).</summary>
    private static float[][] EmbedAll(EmbeddingModel m, IReadOnlyList<string> texts, TextEncoder encoder, int batch, CancellationToken ct)
    {
        var output = new float[texts.Count][];
        for (int i = 0; i < texts.Count; i += batch)
        {
            var seqs = new int[Math.Min(batch, texts.Count - i)][];
            for (int j = 0; j < seqs.Length; j++) seqs[j] = encoder.Tokens(m, texts[i + j]);
            var embs = m.EmbedTokens(seqs, encoder.Head, ct);
            for (int j = 0; j < embs.Length; j++) { EmbeddingMath.Normalize(embs[j]); output[i + j] = embs[j]; }
            Console.Error.Write($"\reval: {i + seqs.Length}/{texts.Count} texts");
        }
        Console.Error.WriteLine();
        return output;
    }

    private static float Dot(float[] a, float[] b)
    {
        double s = 0;
        for (int i = 0; i < a.Length; i++) s += a[i] * (double)b[i];
        return (float)s;
    }

    private static void Write(Action<Utf8JsonWriter> body)
    {
        using var io = new JsonLines(Stream.Null, Console.OpenStandardOutput());
        io.WriteObject(body);
        io.Flush();
    }

    /// <summary>An STS file: one <c>{"sentence1", "sentence2", "score"}</c> object per line.</summary>
    private static List<(string, string, double)> ReadPairs(string path)
    {
        var pairs = new List<(string, string, double)>();
        JsonFiles.ForEach(path, (io, o) =>
        {
            string a = io.String(o, "sentence1") ?? throw new InputException($"line {io.LineNumber}: missing string field \"sentence1\"");
            string b = io.String(o, "sentence2") ?? throw new InputException($"line {io.LineNumber}: missing string field \"sentence2\"");
            if (!o.TryGetProperty("score", out var s) || s.ValueKind != JsonValueKind.Number || !s.TryGetDouble(out var score) || !double.IsFinite(score))
                throw new InputException($"line {io.LineNumber}: field \"score\" must be a number");
            pairs.Add((a, b, score));
        });
        if (pairs.Count < 2) throw new InputException($"{path}: an STS task needs at least 2 pairs, found {pairs.Count}");
        return pairs;
    }
}
