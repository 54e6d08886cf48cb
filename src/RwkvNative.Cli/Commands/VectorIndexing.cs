using RwkvNative.Retrieval;

namespace RwkvNative.Cli.Commands;

/// <summary>The embedding half of <c>rwkv-emb index --vectors</c>: embeds the documents whose text is not yet in the index.</summary>
internal sealed class VectorIndexing(EmbeddingModel model, IVectorIndex index)
{
    public int Embedded { get; private set; }

    public int Unchanged { get; private set; }

    /// <summary>
    /// Upserts the embedding of each document whose id is absent or holds another text; true where it did.
    /// <paramref name="computed"/> gives a document's embedding when the caller already has it (just computed for the
    /// store, or read from it for an unchanged document); only the others are embedded here.
    /// </summary>
    public bool[] Add(IReadOnlyList<string> ids, IReadOnlyList<string> texts, Func<int, float[]?> computed, CancellationToken ct)
    {
        var hashes = new string[ids.Count];
        for (int i = 0; i < hashes.Length; i++) hashes[i] = Store.ContentHash.Of(texts[i]).ToString();
        var known = index.GetContentHashesAsync(ids, ct).GetAwaiter().GetResult();
        var todo = new List<int>();
        for (int i = 0; i < hashes.Length; i++)
            if (known[i] != hashes[i]) todo.Add(i);
        var done = new bool[ids.Count];
        if (todo.Count > 0)
        {
            var embeddings = todo.ConvertAll(i => computed(i));
            var missing = new List<int>();
            for (int j = 0; j < todo.Count; j++)
                if (embeddings[j] == null) missing.Add(j);
            if (missing.Count > 0)
            {
                var fresh = model.Embed(missing.ConvertAll(j => texts[todo[j]]), EmbeddingTask.Retrieval, ct);
                for (int m = 0; m < missing.Count; m++) embeddings[missing[m]] = fresh[m];
            }
            var records = new VectorRecord[todo.Count];
            for (int j = 0; j < todo.Count; j++) records[j] = new VectorRecord(ids[todo[j]], hashes[todo[j]], embeddings[j]!);
            index.UpsertAsync(records, ct).GetAwaiter().GetResult();
            foreach (var i in todo) done[i] = true;
        }
        Embedded += todo.Count;
        Unchanged += ids.Count - todo.Count;
        return done;
    }
}
