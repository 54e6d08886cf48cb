namespace RwkvNative.Verification;

/// <summary>Runs every case of every fixture in a folder on one device.</summary>
public static class ReferenceVerifier
{
    /// <summary>Results of every case, fixture by fixture, in file order.</summary>
    public static IEnumerable<CaseResult> Run(string directory, ModelOptions options, Tolerance tolerance)
    {
        var files = ReferenceFixture.Find(directory);
        if (files.Count == 0) throw new FileNotFoundException($"no *.cases.json fixtures in {directory}");
        foreach (var file in files)
        {
            using var fixture = ReferenceFixture.Open(file);
            using var model = EmbeddingModel.Load(fixture.ModelPath, options);
            using var reranker = Reranker.Load(fixture.RerankerPath, model);
            foreach (var id in fixture.CaseIds) yield return fixture.Run(id, model, reranker, tolerance);
        }
    }
}
