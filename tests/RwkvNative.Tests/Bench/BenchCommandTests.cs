using System.Text.Json;
using RwkvNative.Benchmarking;
using RwkvNative.Model;
using RwkvNative.Tests.Cli;

namespace RwkvNative.Tests.Bench;

/// <summary><c>rwkv-emb bench</c> options and JSON (no timing assertions), and the random-weight checkpoints it uses.</summary>
public class BenchCommandTests
{
    private static string Model => Fixtures.PathOf("tiny-bf16.emb.pth");
    private static string Rr => Fixtures.PathOf("tiny-bf16.reranker.pth");

    [Fact]
    public void Json_holds_every_workload_with_unit_named_figures()
    {
        var r = CliRunner.Run("", "bench", "--model", Model, "--reranker", Rr, "--device", "cpu", "--workload", "all",
            "--batch", "2", "--tokens", "8", "--query-tokens", "4", "--online-docs", "3", "--warmup", "0", "--iters", "1",
            "--threads", "1", "--resident", "off", "--json");
        Assert.True(r.ExitCode == 0, r.Stderr);
        var j = JsonDocument.Parse(r.Stdout).RootElement; // exactly one JSON document on stdout
        Assert.Equal("rwkv-emb bench", j.GetProperty("tool").GetString());
        Assert.Equal(1, j.GetProperty("threads").GetInt32());
        Assert.Equal(3, j.GetProperty("layers").GetInt32());
        foreach (var key in new[] { "device", "cpu", "date", "version", "dtype", "weights", "gemm_kernels" })
            Assert.False(string.IsNullOrEmpty(j.GetProperty(key).GetString()), key);
        var figures = j.GetProperty("figures").EnumerateArray().ToDictionary(f => f.GetProperty("workload").GetString()!);
        string[][] expected =
        [
            ["prefill", "tokens_per_s", "sequences_per_s", "ms_median", "ms_min", "ms_max"],
            ["latency_b1_t32", "ms_p50", "ms_p99"],
            ["offline_rerank", "pairs_per_s", "ms_embed", "ms_rerank", "ms_median"],
            ["online_rerank", "ms_median", "pairs_per_s"],
            ["tokenizer", "mb_per_s", "ms_median"],
        ];
        Assert.Equal(expected.Length, figures.Count);
        foreach (var keys in expected)
        {
            var f = figures[keys[0]];
            foreach (var key in keys[1..]) Assert.True(f.GetProperty(key).GetDouble() > 0, $"{keys[0]}.{key}");
        }
        Assert.Equal(2, figures["prefill"].GetProperty("batch").GetInt32());
        Assert.Equal(8, figures["prefill"].GetProperty("tokens").GetInt32());
        Assert.Contains("prefill", r.Stderr); // the readable table goes to stderr with --json
    }

    [Theory]
    [InlineData(null, 4096)] // the CPU backend's own pass size
    [InlineData("16", 16)]
    public void Memory_reports_the_pass_size_the_model_used(string? passTokens, int expected)
    {
        string[] pass = passTokens == null ? [] : ["--pass-tokens", passTokens];
        var r = CliRunner.Run("", ["bench", "--model", Model, "--device", "cpu", "--workload", "memory", "--tokens", "40",
            "--warmup", "0", "--iters", "1", "--threads", "1", "--json", .. pass]);
        Assert.True(r.ExitCode == 0, r.Stderr);
        var memory = Assert.Single(JsonDocument.Parse(r.Stdout).RootElement.GetProperty("figures").EnumerateArray());
        Assert.Equal(expected, memory.GetProperty("pass_tokens").GetInt32());
    }

    [Theory]
    [InlineData("fp32")]
    [InlineData("fp16")]
    public void Offline_with_resident_documents_reports_the_precision_and_the_capacity(string precision)
    {
        var r = CliRunner.Run("", "bench", "--model", Model, "--reranker", Rr, "--device", "cpu", "--workload", "offline",
            "--batch", "3", "--tokens", "8", "--query-tokens", "4", "--warmup", "0", "--iters", "1", "--threads", "1",
            "--resident", precision, "--json");
        Assert.True(r.ExitCode == 0, r.Stderr);
        var j = JsonDocument.Parse(r.Stdout).RootElement;
        var offline = Assert.Single(j.GetProperty("figures").EnumerateArray());
        Assert.Equal("offline_rerank", offline.GetProperty("workload").GetString());
        Assert.Equal(precision, offline.GetProperty("resident").GetString());
        Assert.Equal("device", offline.GetProperty("placement").GetString()); // auto: they fit
        Assert.True(offline.GetProperty("pairs_per_s").GetDouble() > 0);
        Assert.True(offline.GetProperty("ms_median").GetDouble() > 0);
        Assert.False(offline.TryGetProperty("host_to_device_bytes", out _)); // counted on CUDA only (the CPU moves nothing)
        var capacity = j.GetProperty("resident_capacity");
        Assert.True(capacity.GetProperty("float16").GetInt64() >= capacity.GetProperty("float32").GetInt64());
        Assert.True(capacity.GetProperty("float32").GetInt64() > 0);
    }

    [Theory]
    [InlineData("--model MODEL --workload nope", "unknown workload")]
    [InlineData("--model MODEL --resident fp8", "--resident must be fp32, fp16 or off")]
    [InlineData("--model MODEL --iters 0", "--iters")]
    [InlineData("--model MODEL --pass-tokens 0", "--pass-tokens")]
    [InlineData("--model MODEL --placement disk", "--placement must be auto, device or host")]
    [InlineData("--model MODEL --threads -1", "--threads")]
    [InlineData("--model MODEL --preset tiny", "not both")]
    [InlineData("--preset huge", "unknown preset")]
    public void Bad_options_exit_2_with_one_error_line(string args, string mentions)
    {
        var argv = args.Replace("MODEL", Model).Split(' ');
        var r = CliRunner.Run("", ["bench", "--device", "cpu", .. argv]);
        Assert.Equal(2, r.ExitCode);
        Assert.StartsWith("error: ", r.Stderr.Trim());
        Assert.Contains(mentions, r.Stderr);
        Assert.Equal("", r.Stdout);
    }

    [Fact]
    public void Linear_flops_per_token_of_the_tiny_preset()
    {
        // 12 layers x (12 C^2 + 2 C (64 + 64 + 128)) + 11 x 2 C 32 multiply-adds, C = 768, 2 FLOP each.
        Assert.Equal(180_387_840d, ModelFlops.PerToken(ModelPreset.Get("tiny").Model));
        Assert.Equal(1024, ModelPreset.Get("BASE").Model.Channels);
        Assert.Equal(256, ModelPreset.Get("large").Model.GateLora);
    }

    [Fact]
    public void Random_checkpoints_load_give_finite_outputs_and_repeat_with_the_seed()
    {
        var preset = new ModelPreset("unit", new ModelConfig(2, 128, 32, 32, 32, 64), new ModelConfig(2, 128, 32, 32, 32, 32));
        using var temp = new TempDir();
        var dir = temp.Path;
        var emb = RandomCheckpoint.Embedding(preset, dir, seed: 5);
        var rr = RandomCheckpoint.Reranker(preset, dir, seed: 5);
        var again = RandomCheckpoint.Embedding(preset, Path.Combine(dir, "again"), seed: 5);
        Assert.Equal(File.ReadAllBytes(emb), File.ReadAllBytes(again));

        using var model = EmbeddingModel.Load(emb, new ModelOptions { Device = "cpu" });
        Assert.Equal(preset.Model, model.Config);
        var e = model.Embed("a random model still gives finite numbers");
        Assert.Equal(128, e.Length);
        Assert.All(e, v => Assert.True(float.IsFinite(v)));
        Assert.True(e.Select(v => (double)v * v).Sum() > 1, "LayerNorm output should not be all zeros");

        using var reranker = Reranker.Load(rr, model);
        var scores = reranker.Score("query", ["first document", "second document"]);
        Assert.All(scores, s => Assert.True(float.IsFinite(s.Logit)));
    }
}
