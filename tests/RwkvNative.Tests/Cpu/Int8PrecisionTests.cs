using System.Text.Json;
using RwkvNative.Benchmarking;
using RwkvNative.Cpu;
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
        // Then the demo's query and documents, int8 against float32 (PrecisionComparisonTests checks the numbers).
        var demo = AgainstFloat32Rows(r.Stdout, "demo");
        Assert.Equal(4, demo.Length);
        Assert.All(demo, line => Assert.Contains(" pass (", line));
        Assert.Contains("4 passed, 0 failed (int8 against float32)", r.Stdout);
    }

    /// <summary>
    /// The random-preset path of verify, cut to 2 layers for CI (full depth: docs/benchmarks.md): it writes the weights,
    /// runs both precisions and prints four judged rows with a nonzero int8 error.
    /// </summary>
    [Fact]
    public void Verify_with_a_random_preset_compares_int8_with_float32_on_its_weights()
    {
        var r = CliRunner.Run("", "verify", "--device", "cpu", "--precision", "int8", "--fixtures", Fixtures.Directory,
            "--random-preset", "tiny", "--layers", "2");
        Assert.True(r.ExitCode == 0, r.Stdout + r.Stderr);
        var rows = AgainstFloat32Rows(r.Stdout, "random-tiny-l2");
        Assert.Equal(4, rows.Length);
        foreach (var line in rows)
        {
            // model, case (the embeddings row's case is two words), "vs float32", max error, min cos, result
            var cols = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            bool embeddings = cols[1] == "embeddings";
            int at = embeddings ? 5 : 4;
            double maxError = double.Parse(cols[at], System.Globalization.CultureInfo.InvariantCulture);
            Assert.Equal("pass", cols[at + 2]);
            Assert.True(maxError > 0, $"int8 gave float32's exact numbers: {line}");
            if (!embeddings) Assert.True(maxError < 0.05, line); // embeddings are judged by cosine, the rest within 0.05
        }
        Assert.Contains("L=2, C=768", r.Stderr);
        Assert.Contains("8 passed, 0 failed (int8 against float32)", r.Stdout);
    }

    [Theory]
    [InlineData("add --precision int8", "--precision", "fp32", "--random-preset", "tiny")]
    [InlineData("unknown preset 'huge'", "--precision", "int8", "--random-preset", "huge")]
    [InlineData("give --random-preset too", "--precision", "int8", "--layers", "2")]
    [InlineData("--layers must be at least 1", "--precision", "int8", "--random-preset", "tiny", "--layers", "0")]
    public void Verify_refuses_a_random_preset_it_cannot_run(string message, params string[] args)
    {
        var r = CliRunner.Run("", ["verify", "--device", "cpu", "--fixtures", Fixtures.Directory, .. args]);
        Assert.True(r.ExitCode == 2, r.Stdout + r.Stderr);
        Assert.Contains(message, r.Stderr);
        Assert.DoesNotContain("passed", r.Stdout); // refused before any case ran
    }

    /// <summary>
    /// Every int8 kernel family end to end, forced in a child process through the runtime's switches: AvxVnni (the
    /// best one where present), Avx512BW (AVX-VNNI switched off; weights ±63), ArmDot (the best one on Arm), Scalar
    /// (all SIMD intrinsics off, as on a CPU with none of the int8 instruction sets; full ±127 weights). Each must meet
    /// the int8 tolerance on every fixture case and on the demo; a family this CPU lacks skips, saying so.
    /// </summary>
    [Theory]
    [InlineData("AvxVnni", "")]
    [InlineData("Avx512BW", "DOTNET_EnableAVXVNNI")]
    [InlineData("ArmDot", "")]
    [InlineData("Scalar", "DOTNET_EnableHWIntrinsic")]
    public void Verify_on_each_forced_int8_kernel_family_passes_the_int8_tolerance(string family, string switchedOff)
    {
        var isa = Enum.Parse<Int8Isa>(family);
        // Where a family runs, the switches above leave it the best one (Int8Gemm.BestIsa's order): AvxVnni and ArmDot
        // are each the first choice of their CPUs, Avx512BW the next once AVX-VNNI is off.
        if (!Int8Kernels.IsSupported(isa)) Assert.Skip($"{family} int8 kernels do not run on this CPU: their model-level accuracy is unverified here");
        var environment = new Dictionary<string, string>();
        if (switchedOff != "") environment[switchedOff] = "0";
        var r = CliRunner.Run(environment, "verify", "--device", "cpu", "--precision", "int8", "--fixtures", Fixtures.Directory);
        Assert.True(r.ExitCode == 0, r.Stdout + r.Stderr);
        Assert.Contains($"int8 ({family} kernels) against float32", r.Stdout);
        Assert.Contains("0 failed (precision int8", r.Stdout);
        Assert.Contains("4 passed, 0 failed (int8 against float32)", r.Stdout);
    }

    /// <summary>The rows of the int8-against-float32 section whose model column is <paramref name="model"/>.</summary>
    private static string[] AgainstFloat32Rows(string stdout, string model)
    {
        var lines = stdout.Split('\n');
        int section = Array.FindIndex(lines, l => l.StartsWith("int8 (", StringComparison.Ordinal));
        Assert.True(section > 0, "no int8-against-float32 section in:\n" + stdout);
        return lines.Skip(section).Where(l => l.StartsWith(model + " ", StringComparison.Ordinal)).ToArray();
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
