using RwkvNative.Model;
using RwkvNative.Verification;

namespace RwkvNative.Tests.Reference;

/// <summary>
/// The reference suite, written once and run against every backend: each backend subclasses it, naming its device and
/// tolerance, and skips (saying why) where its device is absent.
/// </summary>
public abstract class ReferenceCasesTests
{
    /// <summary>Device string passed to <see cref="ModelOptions.Device"/>.</summary>
    protected abstract string Device { get; }

    /// <summary>Arithmetic the backend runs in (<see cref="ModelOptions.Precision"/>).</summary>
    protected virtual Precision Precision => Precision.Float32;

    /// <summary>Tolerance for this backend's fixture cases.</summary>
    protected virtual Tolerance Tolerance => Tolerance.Float32;

    /// <summary>
    /// How far two runs of the same text may differ when only batching or splitting changes (float32: summation order only;
    /// reduced-precision GEMMs may pick other algorithms for other row counts).
    /// </summary>
    protected virtual double Consistency => 1e-5;

    /// <summary>Skips the test (with the reason) when the device is unavailable.</summary>
    protected virtual void RequireDevice() { }

    private LoadedFixtures.Loaded Load(string fixture)
    {
        RequireDevice();
        return LoadedFixtures.Get(fixture, Device, Precision);
    }

    public static TheoryData<string, string> Cases() => LoadedFixtures.AllCases();

    public static TheoryData<string> FixtureNames() => new(LoadedFixtures.Names);

    [Theory]
    [MemberData(nameof(Cases))]
    public void Reference_case_matches_upstream(string fixture, string caseId)
    {
        var f = Load(fixture);
        var result = f.Fixture.Run(caseId, f.Model, f.Reranker, Tolerance);
        Assert.True(result.Passed, $"{fixture}/{caseId}: {result.Detail} (max error {result.MaxError:E2})");
    }

    [Theory]
    [MemberData(nameof(FixtureNames))]
    public void Feeding_in_pieces_equals_feeding_at_once(string fixture)
    {
        var m = Load(fixture).Model;
        var text = m.Tokenizer.Encode("State-centric retrieval keeps one compact recurrent state per document. 状态 🦆", addEos: true);
        var whole = m.Forward([text]);
        foreach (int cut in new[] { 1, 7, text.Length - 1 })
        {
            var first = m.Forward([text[..cut]]);
            Assert.Null(first.Embeddings[0]);
            var second = m.Forward([text[cut..]], first.State);
            Approx.AssertClose(whole.State.Wkv, second.State.Wkv, Consistency);
            Approx.AssertClose(whole.State.Shift, second.State.Shift, Consistency);
            Approx.AssertClose(whole.GetEmbedding(0), second.GetEmbedding(0), Consistency);
        }
    }

    [Theory]
    [MemberData(nameof(FixtureNames))]
    public void Ragged_batch_matches_one_by_one(string fixture)
    {
        var m = Load(fixture).Model;
        string[] texts = ["a", "The EOS token is used to mark the end of a sentence.", "", "Machine learning requires large datasets, 大量的数据。"];
        var seqs = texts.Select(t => m.Tokenizer.Encode(t, addEos: true)).ToArray();
        var batch = m.Forward(seqs);
        for (int i = 0; i < seqs.Length; i++)
        {
            var alone = m.Forward([seqs[i]]);
            Approx.AssertClose(alone.GetEmbedding(0), batch.GetEmbedding(i), Consistency);
            var slice = batch.State.Slice(i);
            Approx.AssertClose(alone.State.Wkv, slice.Wkv, Consistency);
            Approx.AssertClose(alone.State.Shift, slice.Shift, Consistency);
        }
    }

    [Theory]
    [MemberData(nameof(FixtureNames))]
    public void Offline_scores_equal_online_scores_when_tokens_split_alike(string fixture)
    {
        var f = Load(fixture);
        string query = "What represents the end of a sequence?";
        string[] docs = ["The EOS token is used to mark the end of a sentence.", "Apples are red and delicious fruits."];
        // The joined text tokenizes as document part + query part only if no token spans the boundary; check it first.
        foreach (var d in docs)
        {
            var joined = f.Model.Tokenizer.Encode(Reranker.OnlineText(query, d));
            var split = f.Model.Tokenizer.Encode(Reranker.DocumentText(d)).Concat(f.Model.Tokenizer.Encode(Reranker.QueryText(query))).ToArray();
            Assert.Equal(joined, split);
        }
        var online = f.Reranker.Score(query, docs);
        var offline = f.Reranker.Score(query, f.Reranker.IndexDocuments(docs));
        for (int i = 0; i < docs.Length; i++)
        {
            Assert.Equal(i, offline[i].Index);
            Assert.Equal(online[i].Logit, offline[i].Logit, Consistency);
        }
    }

    [Theory]
    [MemberData(nameof(FixtureNames))]
    public void Concurrent_callers_get_the_same_numbers_as_one_caller(string fixture)
    {
        var m = Load(fixture).Model;
        string[] texts = Enumerable.Range(0, 12).Select(i => $"document number {i} " + new string('x', i * 3)).ToArray();
        var expected = texts.Select(t => m.Embed(t)).ToArray();
        var got = new float[texts.Length * 4][];
        Parallel.For(0, got.Length, new ParallelOptions { MaxDegreeOfParallelism = 8 }, i => got[i] = m.Embed(texts[i % texts.Length]));
        for (int i = 0; i < got.Length; i++) Approx.AssertClose(expected[i % texts.Length], got[i], ConcurrentTolerance);
    }

    [Theory]
    [MemberData(nameof(FixtureNames))]
    public void Reranker_never_modifies_the_callers_state(string fixture)
    {
        var f = Load(fixture);
        var r = f.Model.Forward([f.Model.Tokenizer.Encode("some document text", addEos: true)]);
        var before = r.State.Clone();
        f.Reranker.LogitsOf(r.State);
        Assert.Equal(before.Wkv, r.State.Wkv);
        Assert.Equal(before.Shift, r.State.Shift);
    }

    [Theory]
    [MemberData(nameof(FixtureNames))]
    public void Bad_inputs_get_clear_errors(string fixture)
    {
        var m = Load(fixture).Model;
        var noEos = Assert.Throws<InvalidOperationException>(() => m.EmbedTokens([[1, 2, 3]]));
        Assert.Contains("sequence 0", noEos.Message);
        var second = Assert.Throws<InvalidOperationException>(() => m.EmbedTokens([[1, 65535], []]));
        Assert.Contains("sequence 1", second.Message);
        var big = Assert.Throws<ArgumentOutOfRangeException>(() => m.EmbedTokens([[1, 65536, 65535]]));
        Assert.Contains("65536", big.Message);
        Assert.Contains("position 1", big.Message);
        Assert.Throws<ArgumentOutOfRangeException>(() => m.EmbedTokens([[-1, 65535]]));
        var wrong = new ModelState(m.Config.Layers + 1, 1, m.Config.Channels);
        var shape = Assert.Throws<ArgumentException>(() => m.Forward([[1, 65535]], wrong));
        Assert.Contains("L=", shape.Message);
        Assert.Throws<ArgumentException>(() => m.Forward([[1, 65535]], new ModelState(m.Config, 2)));
        // The model still works after refusing bad input.
        var a = m.EmbedTokens([[1, 65535]])[0];
        Assert.Equal(a, m.EmbedTokens([[1, 65535]])[0]);
    }

    /// <summary>Concurrent callers of one model: the CPU gives identical bits; other backends may differ by batching.</summary>
    protected virtual double ConcurrentTolerance => 0;

}
