using RwkvNative.Evaluation;

namespace RwkvNative.Tests.Evaluation;

/// <summary>nDCG@k and Spearman's rho on values worked out by hand.</summary>
public sealed class MetricsTests
{
    [Fact]
    public void Ndcg_uses_graded_gain_log2_discount_and_the_judged_ideal()
    {
        float[] scores = [0.9f, 0.5f, 0.7f]; // ranking: d0, d2, d1
        var rel = new Dictionary<int, int> { [0] = 0, [1] = 2, [2] = 1 };
        double dcg = 1 / Math.Log2(3) + 2 / Math.Log2(4), ideal = 2 + 1 / Math.Log2(3);
        Assert.Equal(dcg / ideal, RetrievalMetrics.Ndcg(scores, rel, [0, 2, 1]), 12);
        Assert.Equal(0, RetrievalMetrics.Ndcg(scores, rel, [0, 2, 1], k: 1));
        Assert.Equal(1, RetrievalMetrics.Ndcg(scores, new Dictionary<int, int> { [0] = 3 }, [3]), 12);
        Assert.Equal(0, RetrievalMetrics.Ndcg(scores, new Dictionary<int, int>(), [0, 0]));
        // Ties keep the given order: d0 before d1.
        Assert.Equal(1 / Math.Log2(3), RetrievalMetrics.Ndcg([0.5f, 0.5f], new Dictionary<int, int> { [1] = 1 }, [1]), 12);
    }

    [Fact]
    public void Spearman_ranks_ties_by_their_mean_rank()
    {
        // ranks x = 1, 2.5, 2.5, 4; y = 1, 3, 2, 4 → rho = 4.5 / sqrt(4.5 * 5).
        Assert.Equal(4.5 / Math.Sqrt(22.5), RankCorrelation.Spearman([1, 2, 2, 3], [10, 30, 20, 40]), 12);
        Assert.Equal([1, 2.5, 2.5, 4], RankCorrelation.Ranks([1, 2, 2, 3]));
        Assert.Equal(-1, RankCorrelation.Spearman([1, 2, 3], [3, 2, 1]), 12);
        Assert.True(double.IsNaN(RankCorrelation.Spearman([1, 1], [1, 2])));
        Assert.Throws<ArgumentException>(() => RankCorrelation.Spearman([1, 2], [1]));
    }
}
