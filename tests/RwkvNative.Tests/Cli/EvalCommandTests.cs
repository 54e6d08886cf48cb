using System.Text.Json;

namespace RwkvNative.Tests.Cli;

/// <summary>
/// <c>rwkv-emb eval</c> on tiny synthetic tasks whose scores can be worked out by hand: a query whose text equals a document's gets
/// that document first (cosine 1), whatever the random weights do to the others.
/// </summary>
public sealed class EvalCommandTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("rwkv-eval-").FullName;
    private static string Model => Fixtures.PathOf("tiny-bf16.emb.pth");

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public void Retrieval_prints_the_hand_worked_ndcg_at_10()
    {
        var task = Path.Combine(_dir, "task");
        Directory.CreateDirectory(Path.Combine(task, "qrels"));
        // d1 is "#1 @" once its title is joined (upstream's encode_corpus); q1 equals d1, q2 equals d2. (The fixture model's embedding
        // rows are zero for tokens its reference cases never use, so the texts use single-byte tokens, whose rows are set.)
        File.WriteAllLines(Path.Combine(task, "corpus.jsonl"),
        [
            """{"_id": "d1", "title": "#1", "text": "@"}""",
            """{"_id": "d2", "title": "", "text": "%~ 8"}""",
            """{"_id": "d3", "text": "@&* q"}""",
        ]);
        File.WriteAllLines(Path.Combine(task, "queries.jsonl"),
        [
            """{"_id": "q1", "text": "#1 @"}""",
            """{"_id": "q2", "text": "%~ 8"}""",
            """{"_id": "q3", "text": "not judged, not scored"}""",
        ]);
        // q2: d2 (grade 2) comes first; "gone" (grade 1) is judged but not in the corpus, so it only raises the ideal DCG.
        File.WriteAllLines(Path.Combine(task, "qrels", "test.tsv"), ["query-id\tcorpus-id\tscore", "q1\td1\t1", "q2\td2\t2", "q2\tgone\t1", "q2\td3\t0"]);
        var r = CliRunner.Run("", "eval", "--model", Model, "--device", "cpu", "--data", task);
        Assert.True(r.ExitCode == 0, r.Stderr);
        var root = JsonDocument.Parse(r.Lines.Single()).RootElement;
        Assert.Equal("ndcg@10", root.GetProperty("metric").GetString());
        Assert.Equal(2, root.GetProperty("queries").GetInt32());
        Assert.Equal(3, root.GetProperty("documents").GetInt32());
        double q2 = 2 / (2 + 1 / Math.Log2(3)); // DCG 2 at rank 1; ideal 2/log2(2) + 1/log2(3)
        Assert.Equal((1 + q2) / 2, root.GetProperty("score").GetDouble(), 1e-6);

        File.Delete(Path.Combine(task, "qrels", "test.tsv"));
        var missing = CliRunner.Run("", "eval", "--model", Model, "--device", "cpu", "--data", task);
        Assert.Equal(2, missing.ExitCode);
        Assert.Contains("qrels", missing.Stderr);
    }

    [Fact]
    public void Sts_prints_the_spearman_of_cosine_against_gold()
    {
        var file = Path.Combine(_dir, "sts.jsonl");
        // Pair 1 is two equal sentences (cosine 1), pair 2 two different ones (cosine < 1): rho = +1 when gold agrees, -1 when not.
        File.WriteAllLines(file, ["""{"sentence1": "~~ x", "sentence2": "~~ x", "score": 5}""", """{"sentence1": "#@ &%", "sentence2": "z ^ y", "score": 1.5}"""]);
        var r = CliRunner.Run("", "eval", "--model", Model, "--device", "cpu", "--data", file, "--encoding", "multi-eos", "--ctx-len", "64", "--eos-chunk-size", "16", "--task-type", "STS");
        Assert.True(r.ExitCode == 0, r.Stderr);
        var root = JsonDocument.Parse(r.Lines.Single()).RootElement;
        Assert.Equal("spearman", root.GetProperty("metric").GetString());
        Assert.Equal(1.0, root.GetProperty("score").GetDouble(), 12);
        Assert.Contains("multi-eos", root.GetProperty("encoding").GetString());

        File.WriteAllLines(file, ["""{"sentence1": "~~ x", "sentence2": "~~ x", "score": 0}""", """{"sentence1": "#@ &%", "sentence2": "z ^ y", "score": 4}"""]);
        r = CliRunner.Run("", "eval", "--model", Model, "--device", "cpu", "--data", file);
        Assert.Equal(-1.0, JsonDocument.Parse(r.Lines.Single()).RootElement.GetProperty("score").GetDouble(), 12);

        File.WriteAllLines(file, ["""{"sentence1": "a", "sentence2": "b", "score": "high"}""", """{"sentence1": "c", "sentence2": "d", "score": 1}"""]);
        var bad = CliRunner.Run("", "eval", "--model", Model, "--device", "cpu", "--data", file);
        Assert.Equal(2, bad.ExitCode);
        Assert.Contains("line 1", bad.Stderr);
        Assert.Contains("score", bad.Stderr);
    }
}
