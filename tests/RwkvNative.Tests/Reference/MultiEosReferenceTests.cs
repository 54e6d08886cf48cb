using System.Text.Json;
using RwkvNative.Verification;

namespace RwkvNative.Tests.Reference;

/// <summary>
/// The multi-EOS encoding against <c>NAME.multi-eos.json</c> (upstream's eval code at batch size 1, see
/// src/RwkvNative/Data/gen_multi_eos.py), written once and run against every backend like <see cref="ReferenceCasesTests"/>: the
/// instruction and head upstream picks, the token layout upstream builds, the pad, and the embedding.
/// </summary>
public abstract class MultiEosReferenceTests
{
    /// <summary>Device string passed to <see cref="ModelOptions.Device"/>.</summary>
    protected abstract string Device { get; }

    /// <summary>Tolerance for the embeddings.</summary>
    protected virtual Tolerance Tolerance => Tolerance.Float32;

    /// <summary>How far results may move when only the pass size changes (CPU: not at all).</summary>
    protected virtual double PassTolerance => 0;

    /// <summary>Skips the test (with the reason) when the device is unavailable.</summary>
    protected virtual void RequireDevice() { }

    private static readonly string[] FixtureFiles = ["tiny-bf16", "mini-fp16"];

    public static TheoryData<string, int> Cases()
    {
        var data = new TheoryData<string, int>();
        foreach (var f in FixtureFiles)
            for (int i = 0; i < Doc(f).GetProperty("cases").GetArrayLength(); i++) data.Add(f, i);
        return data;
    }

    public static TheoryData<string> FixtureNames() => new(FixtureFiles);

    private static JsonElement Doc(string fixture) =>
        JsonDocument.Parse(File.ReadAllBytes(Fixtures.PathOf(fixture + ".multi-eos.json"))).RootElement;

    [Theory]
    [MemberData(nameof(Cases))]
    public void Multi_eos_case_matches_upstream_eval_code(string fixture, int index)
    {
        RequireDevice();
        var c = Doc(fixture).GetProperty("cases")[index];
        var m = LoadedFixtures.Get(fixture, Device).Model;
        string text = c.GetProperty("text").GetString()!, type = c.GetProperty("task_type").GetString()!;
        bool instructed = c.GetProperty("kind").GetString() == "instruct";
        bool isQuery = c.GetProperty("prompt_type").ValueKind == JsonValueKind.String;

        // The head and instruction upstream's task_tag.py / task_instruct.py / encode() pick.
        var prompt = TaskInstructions.For(type, c.GetProperty("task_name").GetString(), isQuery);
        Assert.Equal(c.GetProperty("head").GetString(), EmbeddingTasks.UpstreamName(prompt.Head));
        string? instruction = instructed ? prompt.Instruction : null;
        Assert.Equal(c.GetProperty("encoded_text").GetString(), TaskInstructions.Apply(instruction, text));
        Assert.Equal(c.GetProperty("text_tokens").GetInt32(), m.Tokenizer.Encode(text).Length);

        // The token layout upstream's _build_batch makes, and the pad its model adds.
        var encoding = new MultiEos
        {
            ContextLength = c.GetProperty("ctx_len").GetInt32(),
            EosChunkSize = c.GetProperty("eos_chunk_size").GetInt32(),
            Pad16 = c.GetProperty("pad16").GetBoolean(),
        };
        var ids = c.GetProperty("ids").EnumerateArray().Select(e => e.GetInt32()).ToArray();
        Assert.Equal(ids, encoding.Sequence(m.Tokenizer.Encode(TaskInstructions.Apply(instruction, text))));
        var tokens = m.EncodeText(text, instruction, encoding);
        int pad = tokens.Length - ids.Length;
        Assert.Equal(encoding.Pad16 ? (16 - ids.Length % 16) % 16 : 0, pad);
        Assert.All(tokens[..pad], t => Assert.Equal(MultiEos.PadToken, t));
        Assert.Equal(ids, tokens[pad..]);

        var expected = c.GetProperty("embedding").EnumerateArray().Select(e => e.GetSingle()).ToArray();
        var got = m.Embed([text], prompt.Head, instruction, encoding)[0];
        AssertWithin(expected, got, Tolerance);
    }

    [Theory]
    [MemberData(nameof(FixtureNames))]
    public void Passes_of_any_size_give_the_results_of_one_pass(string fixture)
    {
        RequireDevice();
        var path = Fixtures.PathOf(fixture + ".emb.pth");
        var enc = new MultiEos { ContextLength = 64, EosChunkSize = 16 };
        using var one = EmbeddingModel.Load(path, new ModelOptions { Device = Device, MaxBatchTokens = 1 << 20 });
        string[] texts = ["short", string.Concat(Enumerable.Repeat(" the cat sat on a mat", 40)), "", "a second short text"];
        var seqs = texts.Select(t => one.EncodeText(t, encoding: enc)).ToArray();
        Assert.Contains(seqs, s => s.Length > 200);
        var whole = one.Forward(seqs);
        foreach (int pass in new[] { 1, 7, 16, 100 })
        {
            using var m = EmbeddingModel.Load(path, new ModelOptions { Device = Device, MaxBatchTokens = pass });
            var split = m.Forward(seqs);
            for (int i = 0; i < seqs.Length; i++) Approx.AssertClose(whole.GetEmbedding(i), split.GetEmbedding(i), PassTolerance);
            Approx.AssertClose(whole.State.Wkv, split.State.Wkv, PassTolerance);
            Approx.AssertClose(whole.State.Shift, split.State.Shift, PassTolerance);
        }
    }

    private static void AssertWithin(float[] expected, float[] actual, Tolerance tol)
    {
        Assert.Equal(expected.Length, actual.Length);
        if (tol.IsReduced)
        {
            double cos = EmbeddingMath.Cosine(expected, actual);
            Assert.True(cos >= tol.MinCosine, $"cosine {cos:F6} to the reference is below {tol.MinCosine}");
        }
        else Approx.AssertClose(expected, actual, tol.Absolute);
    }
}
