using System.CommandLine;
using RwkvNative.Verification;

namespace RwkvNative.Cli.Commands;

/// <summary><c>rwkv-emb demo</c>: upstream's quick start on the bundled random-weight model.</summary>
internal static class DemoCommand
{
    public static Command Create()
    {
        var device = CommonOptions.Device();
        var model = CommonOptions.Model(required: false);
        var reranker = CommonOptions.Reranker(required: false);
        var cmd = new Command("demo", "upstream's quick start (cosine similarities, online and offline reranking) on the bundled test model") { device, model, reranker };
        cmd.SetAction(p => Run(p.GetValue(device)!, p.GetValue(model), p.GetValue(reranker)));
        return cmd;
    }

    private static int Run(string device, string? modelPath, string? rerankerPath)
    {
        bool bundled = modelPath == null;
        if (bundled) (modelPath, rerankerPath) = CommonOptions.BundledModel();
        else if (rerankerPath == null) throw new InputException("--reranker is required with --model");
        if (bundled)
            Console.WriteLine("NOTE: the bundled model (tiny-bf16, L=3 C=128) has RANDOM TEST WEIGHTS, not a trained model: " +
                              "the numbers below show the pipeline working, not meaningful similarities.");
        using var model = CommonOptions.LoadModel(modelPath!, device);
        using var rr = CommonOptions.LoadReranker(rerankerPath!, model);
        Console.WriteLine($"model: {Path.GetFileName(modelPath)}  (L={model.Config.Layers}, C={model.Config.Channels}) on {model.DeviceName}");

        const string query = DemoExample.Query;
        var documents = DemoExample.Documents;
        Console.WriteLine($"query: {query}");

        var q = model.Embed(query);
        var d = model.Embed(documents);
        Console.WriteLine("\nEmbeddingRWKV cosine similarity:");
        for (int i = 0; i < documents.Count; i++) Console.WriteLine($"[{EmbeddingMath.Cosine(q, d[i]):F4}] {documents[i]}");

        Console.WriteLine("\nRWKVReRanker online scores:");
        foreach (var s in rr.Score(query, documents)) Console.WriteLine($"[{s.Score:F4}] {documents[s.Index]}");

        Console.WriteLine("\nRWKVReRanker offline scores (cached document states):");
        var cached = rr.IndexDocuments(documents);
        foreach (var s in rr.Score(query, cached)) Console.WriteLine($"[{s.Score:F4}] {documents[s.Index]}");
        return ExitCodes.Ok;
    }
}
