using System.Collections.Concurrent;
using RwkvNative.Verification;

namespace RwkvNative.Tests.Reference;

/// <summary>Fixture models loaded once per (fixture, device, precision) for the whole test run.</summary>
internal static class LoadedFixtures
{
    public sealed record Loaded(ReferenceFixture Fixture, EmbeddingModel Model, Reranker Reranker);

    private static readonly ConcurrentDictionary<(string, string, Precision), Lazy<Loaded>> Cache = new();

    public static string[] Names => ReferenceFixture.Find(Fixtures.Directory)
        .Select(p => Path.GetFileName(p).Replace(".cases.json", "", StringComparison.Ordinal)).ToArray();

    public static Loaded Get(string name, string device, Precision precision = Precision.Float32) => Cache.GetOrAdd((name, device, precision), key => new Lazy<Loaded>(() =>
    {
        var fixture = ReferenceFixture.Open(Fixtures.PathOf(key.Item1 + ".cases.json"));
        var model = EmbeddingModel.Load(fixture.ModelPath, new ModelOptions { Device = key.Item2, Precision = key.Item3 });
        var reranker = Reranker.Load(fixture.RerankerPath, model);
        return new Loaded(fixture, model, reranker);
    })).Value;

    public static TheoryData<string, string> AllCases()
    {
        var data = new TheoryData<string, string>();
        foreach (var file in ReferenceFixture.Find(Fixtures.Directory))
        {
            using var f = ReferenceFixture.Open(file);
            foreach (var id in f.CaseIds) data.Add(f.Name, id);
        }
        return data;
    }
}
