namespace RwkvNative.Evaluation;

/// <summary>Retrieval scores as BEIR/MTEB compute them (pytrec_eval's <c>ndcg_cut</c>).</summary>
public static class RetrievalMetrics
{
    /// <summary>
    /// nDCG@k of one query: documents ranked by <paramref name="scores"/> (highest first; ties keep the given order), gain = the
    /// graded relevance, discount log2(rank + 1); the ideal DCG comes from the judged relevances themselves (trec_eval), so relevant
    /// documents missing from the ranking still count. 0 when no judged document is relevant.
    /// </summary>
    /// <param name="scores">[D]: similarity of each document to the query.</param>
    /// <param name="relevance">Graded relevance of each judged document, by index into <paramref name="scores"/> (absent: 0).</param>
    /// <param name="judged">Every judged relevance of the query, including those of documents not in the ranking.</param>
    /// <param name="k">Cut-off (10 for MTEB's main score).</param>
    public static double Ndcg(ReadOnlySpan<float> scores, IReadOnlyDictionary<int, int> relevance, IEnumerable<int> judged, int k = 10)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(k);
        var ideal = judged.Where(r => r > 0).OrderDescending().Take(k).ToArray();
        double idcg = 0;
        for (int i = 0; i < ideal.Length; i++) idcg += ideal[i] / Math.Log2(i + 2);
        if (idcg == 0) return 0;
        var order = Enumerable.Range(0, scores.Length).ToArray();
        var keys = scores.ToArray().Select(s => -(double)s).ToArray();
        Array.Sort(keys, order); // not stable: restore the given order among ties below
        SortTiesByIndex(keys, order);
        double dcg = 0;
        for (int i = 0; i < Math.Min(k, order.Length); i++)
            if (relevance.TryGetValue(order[i], out var rel) && rel > 0) dcg += rel / Math.Log2(i + 2);
        return dcg / idcg;
    }

    private static void SortTiesByIndex(double[] keys, int[] order)
    {
        for (int i = 0; i < keys.Length;)
        {
            int j = i + 1;
            while (j < keys.Length && keys[j] == keys[i]) j++;
            Array.Sort(order, i, j - i);
            i = j;
        }
    }
}
