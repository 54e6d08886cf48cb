using RwkvNative.Retrieval;

namespace RwkvNative.Cli.Commands;

/// <summary>The embedding half of <c>rwkv-emb index --vectors</c>: embeds the documents whose text is not yet in the index.</summary>
internal sealed class VectorIndexing(EmbeddingModel model, IVectorIndex index)
{
    public int Embedded { get; private set; }

    public int Unchanged { get; private set; }

    /// <summary>Embeds and upserts each document whose id is absent or holds another text; true where it did.</summary>
    public bool[] Add(IReadOnlyList<string> ids, IReadOnlyList<string> texts, CancellationToken ct)
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
            var embeddings = model.Embed(todo.ConvertAll(i => texts[i]), EmbeddingTask.Retrieval, ct);
            var records = new VectorRecord[todo.Count];
            for (int j = 0; j < todo.Count; j++) records[j] = new VectorRecord(ids[todo[j]], hashes[todo[j]], embeddings[j]);
            index.UpsertAsync(records, ct).GetAwaiter().GetResult();
            foreach (var i in todo) done[i] = true;
        }
        Embedded += todo.Count;
        Unchanged += ids.Count - todo.Count;
        return done;
    }
}
