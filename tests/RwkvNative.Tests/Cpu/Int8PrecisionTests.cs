using System.Text.Json;
using RwkvNative.Benchmarking;
using RwkvNative.Model;
using RwkvNative.Tests.Cli;

namespace RwkvNative.Tests.Cpu;

/// <summary>
/// <see cref="Precision.Int8"/> end to end: accuracy against float32 on random weights of the presets' widths, and the
/// <c>--precision</c> option of the CLI (verify, bench, bad values). The fixture cases run in CpuInt8ReferenceCasesTests.
/// </summary>
public class Int8PrecisionTests
{
    /// <summary>
    /// Random weights with the real widths and LoRA ranks of the tiny (C = 768) and base (C = 1024) presets, cut to
    /// 2 layers so CI can write them (full depth: docs/benchmarks.md). Every embedding keeps cosine ≥ 0.999 to float32.
    /// </summary>
    [Theory]
    [InlineData("tiny")]
    [InlineData("base")]
    public void Embeddings_of_random_preset_weights_keep_cosine_to_float32(string presetName)
    {
        var real = ModelPreset.Get(presetName);
        var preset = real with { Name = real.Name + "-l2", Model = real.Model with { Layers = 2 }, Reranker = real.Reranker with { Layers = 2 } };
        using var temp = new TempDir();
        var dir = temp.Path;
        var path = RandomCheckpoint.Embedding(preset, dir, seed: 3);
        using var f32 = EmbeddingModel.Load(path, new ModelOptions { Device = "cpu" });
        using var i8 = EmbeddingModel.Load(path, new ModelOptions { Device = "cpu", Precision = Precision.Int8 });
        Assert.Contains("int8", i8.DeviceName);
        var rng = new Random(11);
        var seqs = new int[6][];
        for (int b = 0; b < seqs.Length; b++)
        {
            seqs[b] = new int[8 + 40 * b];
            for (int t = 0; t < seqs[b].Length; t++) seqs[b][t] = rng.Next(1, 65530);
            seqs[b][^1] = ModelConfig.EosToken;
        }
        var want = f32.EmbedTokens(seqs);
        var got = i8.EmbedTokens(seqs);
        for (int b = 0; b < seqs.Length; b++)
        {
            double cos = EmbeddingMath.Cosine(want[b], got[b]);
            Assert.True(cos >= 0.999, $"{presetName} sequence {b} ({seqs[b].Length} tokens): cosine {cos:F6} < 0.999");
            Assert.NotEqual(want[b], got[b]); // int8 really ran: it cannot give float32's exact bits
        }
    }

    [Fact]
    public void Verify_with_precision_int8_passes_every_fixture_case_and_names_its_tolerance()
    {
        var r = CliRunner.Run("", "verify", "--device", "cpu", "--precision", "int8", "--fixtures", Fixtures.Directory);
        Assert.True(r.ExitCode == 0, r.Stdout + r.Stderr);
        Assert.Contains("0 failed (precision int8", r.Stdout);
        Assert.Contains("same document ranking", r.Stdout);
    }

    [Fact]
    public void Bench_with_precision_int8_reports_int8_against_float32_in_the_same_run()
    {
        var r = CliRunner.Run("", "bench", "--model", Fixtures.PathOf("tiny-bf16.emb.pth"), "--device", "cpu", "--workload", "prefill",
            "--batch", "2", "--tokens", "8", "--warmup", "0", "--iters", "1", "--threads", "1", "--precision", "int8", "--json");
        Assert.True(r.ExitCode == 0, r.Stderr);
        var j = JsonDocument.Parse(r.Stdout).RootElement;
        Assert.Equal("int8", j.GetProperty("precision").GetString());
        var figures = j.GetProperty("figures").EnumerateArray().ToDictionary(f => f.GetProperty("workload").GetString()!);
        var cmp = figures["prefill_int8_vs_float32"];
        foreach (var key in new[] { "int8_tokens_per_s", "float32_tokens_per_s", "speedup" })
            Assert.True(cmp.GetProperty(key).GetDouble() > 0, key);
        Assert.False(string.IsNullOrEmpty(cmp.GetProperty("int8_kernels").GetString()));
    }

    [Fact]
    public void An_unknown_precision_is_bad_input()
    {
        var r = CliRunner.Run("", "embed", "--model", Fixtures.PathOf("tiny-bf16.emb.pth"), "--device", "cpu", "--precision", "int4");
        Assert.Equal(2, r.ExitCode);
        Assert.Contains("--precision must be fp32 or int8", r.Stderr);
    }
}
