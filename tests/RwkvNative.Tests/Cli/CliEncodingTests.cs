using System.Text.Json;
using RwkvNative.Tests.Reference;

namespace RwkvNative.Tests.Cli;

/// <summary><c>embed --encoding multi-eos ...</c> against the API, and the option combinations it refuses.</summary>
public sealed class CliEncodingTests
{
    private static string Model => Fixtures.PathOf("mini-fp16.emb.pth");
    private static readonly string[] Texts = ["a short text", string.Concat(Enumerable.Repeat(" the cat sat on a mat", 30))];

    private static float[] Floats(JsonElement e) => e.EnumerateArray().Select(x => x.GetSingle()).ToArray();

    private static string Input => string.Join("\n", Texts.Select(t => JsonSerializer.Serialize(new { text = t }))) + "\n";

    [Fact]
    public void Embed_multi_eos_with_a_task_type_equals_the_api_bit_for_bit()
    {
        var m = LoadedFixtures.Get("mini-fp16", "cpu").Model;
        var enc = new MultiEos { ContextLength = 64, EosChunkSize = 16 };
        var sts = TaskInstructions.For("STS");
        var expected = m.Embed(Texts, sts.Head, sts.Instruction, enc);
        var r = CliRunner.Run(Input, "embed", "--model", Model, "--device", "cpu", "--encoding", "multi-eos", "--ctx-len", "64", "--eos-chunk-size", "16", "--task-type", "STS");
        Assert.True(r.ExitCode == 0, r.Stderr);
        Assert.Equal(Texts.Length, r.Lines.Length);
        for (int i = 0; i < Texts.Length; i++) Assert.Equal(expected[i], Floats(JsonDocument.Parse(r.Lines[i]).RootElement.GetProperty("embedding")));

        // --no-pad16, an explicit instruction and --task cls; the output stays {"embedding"} only.
        var plain = m.Embed(Texts, EmbeddingTask.Classification, "Sort these", enc with { Pad16 = false });
        r = CliRunner.Run(Input, "embed", "--model", Model, "--device", "cpu", "--encoding", "multi-eos", "--ctx-len", "64", "--eos-chunk-size", "16",
            "--no-pad16", "--instruction", "Sort these", "--task", "cls");
        Assert.True(r.ExitCode == 0, r.Stderr);
        for (int i = 0; i < Texts.Length; i++)
        {
            var root = JsonDocument.Parse(r.Lines[i]).RootElement;
            Assert.Equal(["embedding"], root.EnumerateObject().Select(p => p.Name));
            Assert.Equal(plain[i], Floats(root.GetProperty("embedding")));
        }
    }

    [Theory]
    [InlineData("--ctx-len 64", "multi-eos only")]
    [InlineData("--encoding multi-eos --ctx-len 64 --eos-chunk-size 65", "must not exceed")]
    [InlineData("--encoding triple-eos", "single-eos or multi-eos")]
    [InlineData("--instruction x --task-type STS", "not both")]
    [InlineData("--task-type Retrieval", "--input-type query")]
    [InlineData("--task-type Speed", "unknown task type")]
    [InlineData("--input-type query", "need --task-type")]
    public void Bad_encoding_options_exit_2_with_one_error_line(string options, string message)
    {
        var r = CliRunner.Run(Input, ["embed", "--model", Model, "--device", "cpu", .. options.Split(' ')]);
        Assert.Equal(2, r.ExitCode);
        Assert.StartsWith("error: ", r.Stderr.Trim());
        Assert.Contains(message, r.Stderr);
        Assert.DoesNotContain("Parameter '", r.Stderr);
        Assert.Equal("", r.Stdout);
    }
}
