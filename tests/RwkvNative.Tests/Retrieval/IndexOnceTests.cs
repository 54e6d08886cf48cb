using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using RwkvNative.Retrieval;
using RwkvNative.Tests.Cli;
using RwkvNative.Tests.Reference;

namespace RwkvNative.Tests.Retrieval;

/// <summary><c>rwkv-emb index --vectors</c> runs each document through the model once per thing it needs, never twice.</summary>
public sealed partial class IndexOnceTests
{
    private static readonly string Model = Fixtures.PathOf("tiny-bf16.emb.pth");
    private static readonly string Rr = Fixtures.PathOf("tiny-bf16.reranker.pth");

    [GeneratedRegex(@"index: (\d+) tokens run through the model")]
    private static partial Regex TokensLine();

    private static long TokensRun(CliRunner.Result r)
    {
        var m = TokensLine().Match(r.Stderr);
        Assert.True(m.Success, "no token count in: " + r.Stderr);
        return long.Parse(m.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture);
    }

    private static string Jsonl(IEnumerable<(string Id, string Text)> docs)
    {
        var sb = new StringBuilder();
        foreach (var (id, text) in docs) sb.Append(JsonSerializer.Serialize(new Dictionary<string, string> { ["id"] = id, ["text"] = text })).Append('\n');
        return sb.ToString();
    }

    [Fact]
    public async Task Index_with_vectors_embeds_each_document_once_for_both_the_store_and_the_vector_index()
    {
        var f = LoadedFixtures.Get("tiny-bf16", "cpu");
        var docs = DocumentRetrieverTests.Ids.Zip(DocumentRetrieverTests.Docs).ToArray();
        // What the work needs: each document's state (document template, no EOS) and its embedding (plain text + EOS).
        long stateTokens = docs.Sum(d => (long)f.Model.Tokenizer.Encode(RwkvNative.Reranker.DocumentText(d.Second)).Length);
        long embedTokens = docs.Sum(d => (long)f.Model.EncodeText(d.Second).Length);

        using var dir = new TempDir();
        string store = dir.File("store"), vectors = dir.File("vectors.bin");
        string[] Args(string vectorsFile) => ["index", "--model", Model, "--reranker", Rr, "--out", store, "--vectors", vectorsFile, "--device", "cpu", "--batch-size", "4"];

        var first = CliRunner.Run(Jsonl(docs), Args(vectors));
        Assert.True(first.ExitCode == 0, first.Stderr);
        Assert.Equal(stateTokens + embedTokens, TokensRun(first));

        // A new vector index over the unchanged store: the stored embeddings are reused, nothing runs through the model.
        string other = dir.File("other.bin");
        var second = CliRunner.Run(Jsonl(docs), Args(other));
        Assert.True(second.ExitCode == 0, second.Stderr);
        Assert.Equal(0, TokensRun(second));
        Assert.All(second.Lines.Select(l => JsonDocument.Parse(l).RootElement.GetProperty("embedded").GetBoolean()), Assert.True);

        // Both indexes hold the model's embedding of each document under its id.
        foreach (var path in new[] { vectors, other })
        {
            using var index = ExactVectorIndex.Open(path, f.Model);
            foreach (var (id, text) in docs)
            {
                var top = (await index.SearchAsync(f.Model.Embed(text), 1)).Single();
                Assert.Equal(id, top.Id);
                Assert.True(top.Similarity > 0.99999, $"{path} {id}: similarity {top.Similarity}");
            }
        }
    }
}
