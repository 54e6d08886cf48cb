using RwkvNative.Verification;

namespace RwkvNative.Tests.Reference;

/// <summary>
/// <see cref="PrecisionComparison"/>, the int8-against-float32 check of <c>verify --precision int8</c>, on the demo's
/// query and documents with the bundled model; and the ranking comparison it shares with the fixture cases.
/// </summary>
public class PrecisionComparisonTests
{
    private static IReadOnlyList<CaseResult> Demo(Precision precision, Tolerance tolerance) =>
        PrecisionComparison.Run("demo", Fixtures.PathOf(BundledData.DemoModelFile), Fixtures.PathOf(BundledData.DemoRerankerFile),
            DemoExample.Query, DemoExample.Documents, new ModelOptions { Device = "cpu", Precision = precision }, tolerance);

    [Fact]
    public void Int8_ranks_the_demo_documents_as_float32_with_logits_within_0_05()
    {
        var rows = Demo(Precision.Int8, Tolerance.Int8);
        Assert.Equal(["embeddings (4)", "similarity", "rerank_online", "rerank_offline"], rows.Select(r => r.Case));
        foreach (var r in rows)
        {
            Assert.True(r.Passed, $"{r.Case}: {r.Detail}");
            Assert.True(r.MaxError > 0, $"{r.Case}: int8 gave float32's exact numbers, so int8 did not run"); // int8 cannot give float32's bits
            Assert.True(r.MinCosine >= 0.999, $"{r.Case}: cosine {r.MinCosine}");
        }
        foreach (var r in rows.Skip(1))
        {
            Assert.True(r.MaxError < 0.05, $"{r.Case}: {r.MaxError}");
            Assert.Contains("rank [", r.Detail);
        }
    }

    [Fact]
    public void Float32_against_itself_differs_nowhere()
    {
        foreach (var r in Demo(Precision.Float32, Tolerance.Int8))
        {
            Assert.True(r.Passed, r.Detail);
            Assert.Equal(0, r.MaxError);
        }
    }

    [Fact]
    public void A_tolerance_tighter_than_int8_error_fails_the_rows()
    {
        var rows = Demo(Precision.Int8, new Tolerance(1e-6, 0.9999999, SameRanking: true));
        Assert.All(rows, r => Assert.False(r.Passed, $"{r.Case} passed a tolerance int8 cannot meet"));
        Assert.Contains("cosine", rows[0].Detail);
        Assert.Contains("max error", rows[2].Detail);
    }

    [Fact]
    public void Two_documents_in_swapped_order_fail_the_ranking()
    {
        var swapped = new Comparison(Tolerance.Int8);
        swapped.Ranking("logits", [0.2f, 0.1f, 0.3f], [0.1f, 0.2f, 0.3f]);
        Assert.False(swapped.Passed);
        Assert.Contains("documents rank [2,0,1], reference [2,1,0]", swapped.Detail);

        var same = new Comparison(Tolerance.Int8);
        same.Ranking("logits", [0.11f, 0.2f, 0.3f], [0.1f, 0.2f, 0.3f]);
        Assert.True(same.Passed, same.Detail);
        Assert.Contains("logits rank [2,1,0] as the reference, margin 1.00E-001", same.Detail);

        var unchecked_ = new Comparison(Tolerance.Reduced); // ranking is judged only where the tolerance asks for it
        unchecked_.Ranking("logits", [0.2f, 0.1f], [0.1f, 0.2f]);
        Assert.True(unchecked_.Passed);
    }
}
