namespace RwkvNative.Evaluation;

/// <summary>Rank correlation, as scipy's <c>spearmanr</c> computes it (MTEB's STS main score: Spearman of cosine vs gold).</summary>
public static class RankCorrelation
{
    /// <summary>Spearman's rho: the Pearson correlation of the ranks, tied values sharing their mean rank. NaN when either side is constant.</summary>
    public static double Spearman(IReadOnlyList<double> x, IReadOnlyList<double> y)
    {
        ArgumentNullException.ThrowIfNull(x);
        ArgumentNullException.ThrowIfNull(y);
        if (x.Count != y.Count) throw new ArgumentException($"x has {x.Count} values but y has {y.Count}", nameof(y));
        if (x.Count < 2) throw new ArgumentException("Spearman's rho needs at least 2 pairs", nameof(x));
        return Pearson(Ranks(x), Ranks(y));
    }

    /// <summary>1-based ranks, ties given the mean of the ranks they span.</summary>
    public static double[] Ranks(IReadOnlyList<double> v)
    {
        var order = Enumerable.Range(0, v.Count).OrderBy(i => v[i]).ToArray();
        var ranks = new double[v.Count];
        for (int i = 0; i < order.Length;)
        {
            int j = i + 1;
            while (j < order.Length && v[order[j]] == v[order[i]]) j++;
            double mean = (i + 1 + j) / 2.0; // ranks i+1 .. j
            for (int t = i; t < j; t++) ranks[order[t]] = mean;
            i = j;
        }
        return ranks;
    }

    private static double Pearson(double[] a, double[] b)
    {
        double ma = a.Average(), mb = b.Average(), sab = 0, saa = 0, sbb = 0;
        for (int i = 0; i < a.Length; i++)
        {
            sab += (a[i] - ma) * (b[i] - mb);
            saa += (a[i] - ma) * (a[i] - ma);
            sbb += (b[i] - mb) * (b[i] - mb);
        }
        return saa == 0 || sbb == 0 ? double.NaN : sab / Math.Sqrt(saa * sbb);
    }
}
