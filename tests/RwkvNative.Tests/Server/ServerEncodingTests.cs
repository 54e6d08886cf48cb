using System.Net;
using System.Text.Json;

namespace RwkvNative.Tests.Server;

/// <summary>The encoding fields of embedding requests (encoding, ctx_len, eos_chunk_size, pad16, instruction, prompt_name, input_type).</summary>
public sealed class ServerEncodingTests
{
    private static readonly string[] Texts = ["a query about cats", string.Concat(Enumerable.Repeat(" the cat sat on a mat", 30))];

    [Fact]
    public async Task Multi_eos_and_prompt_name_give_the_api_numbers()
    {
        await using var s = await ServerHarness.StartAsync(loopback: false);
        var model = ServerHarness.Tiny.Model;
        var enc = new MultiEos { ContextLength = 64, EosChunkSize = 16 };
        var query = TaskInstructions.For("Retrieval", "QuoraRetrieval", isQuery: true);
        var direct = model.Embed(Texts, query.Head, query.Instruction, enc);
        var (status, body) = await s.PostAsync("/embed", JsonSerializer.Serialize(new
        {
            inputs = Texts, normalize = false, encoding = "multi-eos", ctx_len = 64, eos_chunk_size = 16,
            prompt_name = "Retrieval:QuoraRetrieval", input_type = "query",
        }));
        Assert.Equal(HttpStatusCode.OK, status);
        var got = ServerHarness.Floats(body);
        for (int i = 0; i < Texts.Length; i++) Assert.Equal(direct[i], got[i]);

        // OpenAI route: an STS prompt picks the [STS] head and instructs every text; embeddings normalised.
        var sts = TaskInstructions.For("STS");
        var expected = model.Embed(Texts, sts.Head, sts.Instruction, enc with { Pad16 = false });
        (status, body) = await s.PostAsync("/v1/embeddings", JsonSerializer.Serialize(new { input = Texts, encoding = "multi-eos", ctx_len = 64, eos_chunk_size = 16, pad16 = false, prompt_name = "STS" }));
        Assert.Equal(HttpStatusCode.OK, status);
        for (int i = 0; i < Texts.Length; i++)
        {
            EmbeddingMath.Normalize(expected[i]);
            Assert.Equal(expected[i], body.GetProperty("data")[i].GetProperty("embedding").EnumerateArray().Select(e => e.GetSingle()).ToArray());
        }
    }

    [Theory]
    [InlineData("""{"inputs": "x", "prompt_name": "Retrieval"}""", "input_type")]
    [InlineData("""{"inputs": "x", "prompt_name": "Nonsense"}""", "prompt_name")]
    [InlineData("""{"inputs": "x", "input_type": "sideways"}""", "input_type")]
    [InlineData("""{"inputs": "x", "ctx_len": 64}""", "ctx_len")]
    [InlineData("""{"inputs": "x", "encoding": "multi-eos", "ctx_len": 8, "eos_chunk_size": 9}""", "eos_chunk_size")]
    [InlineData("""{"inputs": "x", "encoding": "double"}""", "encoding")]
    [InlineData("""{"inputs": "x", "instruction": "a", "prompt_name": "STS"}""", "instruction")]
    public async Task Bad_encoding_fields_answer_422_naming_the_field(string json, string field)
    {
        await using var s = await ServerHarness.StartAsync(loopback: false);
        var (status, body) = await s.PostAsync("/embed", json);
        Assert.Equal((HttpStatusCode)422, status);
        Assert.Contains(field, body.ToString());
        Assert.DoesNotContain("Parameter '", body.ToString());
    }
}
