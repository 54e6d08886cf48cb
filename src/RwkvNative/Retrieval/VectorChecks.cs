namespace RwkvNative.Retrieval;

/// <summary>The argument checks every <see cref="IVectorIndex"/> makes, written once.</summary>
public static class VectorChecks
{
    /// <summary>Unit-length copies of the records' vectors, after checking ids, lengths and values; throws <see cref="ArgumentException"/> naming the record.</summary>
    public static float[][] NormalizedCopies(IReadOnlyList<VectorRecord> records, int dimensions)
    {
        ArgumentNullException.ThrowIfNull(records);
        var ids = new HashSet<string>(StringComparer.Ordinal);
        var result = new float[records.Count][];
        for (int i = 0; i < records.Count; i++)
        {
            var r = records[i] ?? throw new ArgumentException($"record {i} is null", nameof(records));
            if (string.IsNullOrEmpty(r.Id)) throw new ArgumentException($"record {i} has an empty id", nameof(records));
            if (!ids.Add(r.Id)) throw new ArgumentException($"document id '{r.Id}' appears twice in one upsert", nameof(records));
            if (string.IsNullOrEmpty(r.ContentHash)) throw new ArgumentException($"record {i} (id '{r.Id}') has no content hash", nameof(records));
            if (r.Embedding is null || r.Embedding.Length != dimensions)
                throw new ArgumentException($"record {i} (id '{r.Id}') has {r.Embedding?.Length ?? 0} dimensions; the index holds {dimensions}", nameof(records));
            var v = (float[])r.Embedding.Clone();
            foreach (var x in v)
                if (!float.IsFinite(x)) throw new ArgumentException($"record {i} (id '{r.Id}') holds a non-finite value ({x})", nameof(records));
            EmbeddingMath.Normalize(v);
            result[i] = v;
        }
        return result;
    }

    /// <summary>A unit-length copy of the query, after checking its length, its values and <paramref name="k"/>.</summary>
    public static float[] NormalizedQuery(ReadOnlySpan<float> query, int k, int dimensions)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(k);
        if (query.Length != dimensions) throw new ArgumentException($"the query has {query.Length} dimensions; the index holds {dimensions}", nameof(query));
        var q = query.ToArray();
        foreach (var x in q)
            if (!float.IsFinite(x)) throw new ArgumentException($"the query holds a non-finite value ({x})", nameof(query));
        EmbeddingMath.Normalize(q);
        return q;
    }

    /// <summary>Dot product of two unit vectors, products and sum in double, in index order (databases sum the same way).</summary>
    public static double Dot(ReadOnlySpan<float> a, ReadOnlySpan<float> b)
    {
        double sum = 0;
        for (int i = 0; i < a.Length; i++) sum += a[i] * (double)b[i];
        return sum;
    }

    /// <summary>
    /// Orders ids by Unicode code point (the byte order of their UTF-8, i.e. PostgreSQL's <c>COLLATE "C"</c>), which
    /// differs from UTF-16 ordinal order only where a surrogate pair meets a code unit above U+D7FF.
    /// </summary>
    public static int CompareIds(string a, string b)
    {
        int n = Math.Min(a.Length, b.Length);
        for (int i = 0; i < n; i++)
        {
            char x = a[i], y = b[i];
            if (x == y) continue;
            // Surrogates (U+D800..U+DFFF) encode code points above U+FFFF: they sort after every other code unit.
            int kx = char.IsSurrogate(x) ? x + 0x10000 : x, ky = char.IsSurrogate(y) ? y + 0x10000 : y;
            return kx.CompareTo(ky);
        }
        return a.Length.CompareTo(b.Length);
    }
}
