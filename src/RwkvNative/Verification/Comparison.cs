namespace RwkvNative.Verification;

/// <summary>
/// Accumulates the comparison of one case's tensors with their reference under a <see cref="Tolerance"/>: the largest
/// absolute error, the smallest embedding cosine, the document rankings, and why it failed. Used by the fixture cases
/// (<see cref="ReferenceFixture"/>) and by the float32-against-int8 checks (<see cref="PrecisionComparison"/>).
/// </summary>
internal sealed class Comparison(Tolerance tol)
{
    public double MaxError;
    public double MinCosine = 1;
    public bool Passed = true;
    public string Detail = "";
    private string _worst = "";
    private string _rankings = "";

    /// <summary>got, want: [B, C] float32 row-major; each row's cosine is judged by <see cref="Tolerance.MinCosine"/>.</summary>
    public void Embeddings(string name, float[] got, float[] want, int c)
    {
        Values(name, got, want, checkAbs: !tol.IsReduced);
        for (int b = 0; b < want.Length / c; b++)
        {
            double dot = 0, na = 0, nb = 0;
            for (int i = b * c; i < (b + 1) * c; i++) { dot += got[i] * (double)want[i]; na += got[i] * (double)got[i]; nb += want[i] * (double)want[i]; }
            double cos = dot / Math.Sqrt(na * nb + 1e-300);
            MinCosine = Math.Min(MinCosine, cos);
            if (tol.MinCosine > 0 && cos < tol.MinCosine) Fail($"{name}[{b}] cosine {cos:F6} < {tol.MinCosine}");
        }
    }

    public void State(string name, float[] got, float[] want)
    {
        if (tol.IsReduced) { Shape(name, got, want); return; }
        Values(name, got, want);
    }

    public void Values(string name, float[] got, float[] want, bool checkAbs = true)
    {
        if (!Shape(name, got, want)) return;
        double worst = 0;
        for (int i = 0; i < got.Length; i++)
        {
            double d = Math.Abs(got[i] - (double)want[i]);
            if (double.IsNaN(d)) d = double.PositiveInfinity;
            worst = Math.Max(worst, d);
        }
        if (worst > MaxError) { MaxError = worst; _worst = name; }
        if (checkAbs && worst > tol.Absolute) Fail($"{name}: max error {worst:E2} > {tol.Absolute:E0}");
        Summarise();
    }

    /// <summary>With <see cref="Tolerance.SameRanking"/>: the documents sorted by <paramref name="got"/> must be in the order <paramref name="want"/> sorts them.</summary>
    public void Ranking(string name, float[] got, float[] want)
    {
        if (!tol.SameRanking || !Shape(name, got, want)) return;
        var order = Order(got);
        var expected = Order(want);
        if (!order.AsSpan().SequenceEqual(expected))
            Fail($"{name}: documents rank [{string.Join(",", order)}], reference [{string.Join(",", expected)}]");
        else
        {
            _rankings += $"; {name} rank [{string.Join(",", order)}] as the reference, margin {Margin(want):E2}";
            Summarise();
        }
    }

    /// <summary>The outcome as one result row.</summary>
    public CaseResult Result(string fixture, string id, string kind) => new(fixture, id, kind, MaxError, MinCosine, Passed, Detail);

    /// <summary>Indices by descending value (ties by index).</summary>
    private static int[] Order(float[] values)
    {
        var idx = new int[values.Length];
        for (int i = 0; i < idx.Length; i++) idx[i] = i;
        Array.Sort(idx, (a, b) => values[b] != values[a] ? values[b].CompareTo(values[a]) : a.CompareTo(b));
        return idx;
    }

    /// <summary>The smallest gap between neighbours of the reference's order: how far the error is from swapping two documents.</summary>
    private static double Margin(float[] values)
    {
        if (values.Length < 2) return double.PositiveInfinity;
        var order = Order(values);
        double margin = double.PositiveInfinity;
        for (int i = 1; i < order.Length; i++) margin = Math.Min(margin, values[order[i - 1]] - (double)values[order[i]]);
        return margin;
    }

    private void Summarise()
    {
        if (Passed) Detail = $"worst: {_worst}{_rankings}";
    }

    private bool Shape(string name, float[] got, float[] want)
    {
        if (got.Length == want.Length) return true;
        Fail($"{name}: {got.Length} values, reference has {want.Length}");
        return false;
    }

    private void Fail(string why)
    {
        Detail = Passed ? why : Detail + "; " + why;
        Passed = false;
    }
}
