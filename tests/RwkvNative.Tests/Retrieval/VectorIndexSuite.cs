using RwkvNative.Retrieval;

namespace RwkvNative.Tests.Retrieval;

/// <summary>What every <see cref="IVectorIndex"/> must do; one subclass per implementation.</summary>
public abstract class VectorIndexSuite
{
    protected const int Dims = 16;
    protected const string Identity = "test-model-identity-0123456789";

    /// <summary>A new, empty index (its own table or file) for vectors of <see cref="Dims"/> dimensions.</summary>
    protected abstract Task<IVectorIndex> CreateAsync();

    internal static float[] RandomVector(Random rng, int dims = Dims)
    {
        var v = new float[dims];
        for (int i = 0; i < dims; i++) v[i] = (float)(rng.NextDouble() * 2 - 1);
        return v;
    }

    internal static List<VectorRecord> RandomRecords(int n, int seed)
    {
        var rng = new Random(seed);
        return [.. Enumerable.Range(0, n).Select(i => new VectorRecord($"doc-{i:D3}", $"hash-{i}", RandomVector(rng)))];
    }

    [Fact]
    public async Task Search_returns_the_k_nearest_by_cosine_best_first()
    {
        using var index = await CreateAsync();
        var records = RandomRecords(40, seed: 1);
        await index.UpsertAsync(records);
        Assert.Equal(40, await index.CountAsync());
        var query = RandomVector(new Random(2));
        var expected = records
            .Select(r => (r.Id, Sim: EmbeddingMath.Cosine(query, r.Embedding)))
            .OrderByDescending(x => x.Sim).Take(7).ToArray();
        var got = await index.SearchAsync(query, 7);
        Assert.Equal(expected.Select(e => e.Id), got.Select(g => g.Id));
        for (int i = 0; i < got.Count; i++) Assert.Equal(expected[i].Sim, got[i].Similarity, 1e-6);
        Assert.Equal("hash-" + int.Parse(got[0].Id[4..]), got[0].ContentHash);
        // A query of another length scales nothing: similarity is a cosine.
        var scaled = query.Select(x => x * 37f).ToArray();
        Assert.Equal(got.Select(g => g.Id), (await index.SearchAsync(scaled, 7)).Select(g => g.Id));
    }

    [Fact]
    public async Task Upsert_replaces_a_reindexed_document_and_its_hash()
    {
        using var index = await CreateAsync();
        await index.UpsertAsync(RandomRecords(10, seed: 3));
        var target = RandomVector(new Random(4));
        await index.UpsertAsync([new VectorRecord("doc-005", "hash-new", target)]);
        Assert.Equal(10, await index.CountAsync());
        var top = await index.SearchAsync(target, 1);
        Assert.Equal("doc-005", Assert.Single(top).Id);
        Assert.Equal("hash-new", top[0].ContentHash);
        Assert.Equal(1.0, top[0].Similarity, 1e-6);
    }

    [Fact]
    public async Task Equal_similarities_are_ordered_by_id_and_k_beyond_the_count_returns_all()
    {
        using var index = await CreateAsync();
        var v = RandomVector(new Random(5));
        await index.UpsertAsync([new VectorRecord("b", "h", v), new VectorRecord("a", "h", v), new VectorRecord("c", "h", v.Select(x => -x).ToArray())]);
        var got = await index.SearchAsync(v, 10);
        Assert.Equal(["a", "b", "c"], got.Select(g => g.Id));
        Assert.Empty(await index.SearchAsync(v, 0));
    }

    [Fact]
    public async Task Bad_records_are_refused_whole_and_name_the_record()
    {
        using var index = await CreateAsync();
        var ok = RandomVector(new Random(6));
        var e = await Assert.ThrowsAsync<ArgumentException>(() => index.UpsertAsync([new VectorRecord("x", "h", ok), new VectorRecord("y", "h", new float[Dims + 1])]));
        Assert.Contains("'y'", e.Message);
        Assert.Contains($"{Dims + 1} dimensions", e.Message);
        var nan = (float[])ok.Clone();
        nan[3] = float.NaN;
        e = await Assert.ThrowsAsync<ArgumentException>(() => index.UpsertAsync([new VectorRecord("z", "h", nan)]));
        Assert.Contains("non-finite", e.Message);
        e = await Assert.ThrowsAsync<ArgumentException>(() => index.UpsertAsync([new VectorRecord("d", "h", ok), new VectorRecord("d", "h", ok)]));
        Assert.Contains("twice", e.Message);
        Assert.Equal(0, await index.CountAsync());
        e = await Assert.ThrowsAsync<ArgumentException>(() => index.SearchAsync(new float[Dims - 1], 3));
        Assert.Contains("dimensions", e.Message);
    }
}
