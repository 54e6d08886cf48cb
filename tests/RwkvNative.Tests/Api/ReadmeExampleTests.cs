namespace RwkvNative.Tests.Api;

/// <summary>The README's C# quick start, line for line, on the bundled tiny model: the documented code runs.</summary>
public sealed class ReadmeExampleTests
{
    [Fact]
    public void Readme_quick_start_runs_and_pieces_equal_the_whole()
    {
        var states = Path.Combine(Path.GetTempPath(), $"docs-{Guid.NewGuid():N}.states.safetensors");
        try
        {
            using var model = EmbeddingModel.Load(Fixtures.PathOf("tiny-bf16.emb.pth"), new ModelOptions { Device = "auto" });
            using var reranker = Reranker.Load(Fixtures.PathOf("tiny-bf16.reranker.pth"), model);

            string query = "What represents the end of a sequence?";
            string[] documents =
            [
                "The EOS token is used to mark the end of a sentence.",
                "Apples are red and delicious fruits.",
                "Machine learning requires large datasets.",
            ];

            float[] q = model.Embed(query);
            float[][] d = model.Embed(documents, EmbeddingTask.Retrieval);
            Assert.Equal(model.Config.Channels, q.Length);
            Assert.Equal(3, d.Length);

            var online = reranker.Score(query, documents);
            Assert.Equal([0, 1, 2], online.Select(s => s.Index));

            DocumentState[] cached = reranker.IndexDocuments(documents);
            DocumentState.Save(states, cached);
            var scores = reranker.Score(query, DocumentState.Load(states, model));
            for (int i = 0; i < 3; i++) Assert.Equal(online[i].Logit, scores[i].Logit, 1e-5f);

            var tokens = model.Tokenizer.Encode("first part of a long text", addEos: false);
            var part1 = model.Forward([tokens]);
            var part2 = model.Forward([model.Tokenizer.Encode(" and the rest", addEos: true)], part1.State);
            float[] emb = part2.GetEmbedding(0);
            var whole = model.Embed("first part of a long text and the rest");
            Assert.Equal(1.0, EmbeddingMath.Cosine(whole, emb), 5);
        }
        finally
        {
            File.Delete(states);
        }
    }
}
