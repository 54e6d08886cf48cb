using System.ClientModel;
using System.ClientModel.Primitives;
using System.Collections.Concurrent;
using Microsoft.Extensions.AI;
using OpenAI;
using OpenAI.Embeddings;
using RwkvNative.Backends;
using RwkvNative.Server;

namespace RwkvNative.Tests.Server;

/// <summary>
/// The official OpenAI .NET SDK (NuGet OpenAI) and Microsoft.Extensions.AI's OpenAI adapter against a real loopback
/// server with an API key: embeddings (the SDK's default base64 encoding, decoded by the SDK), the model list, and the
/// SDK's errors for a bad request and a wrong key.
/// </summary>
public sealed class DotNetClientTests
{
    private const string Key = "dotnet-key-1";

    /// <summary>Keeps each request body the SDK sends, to see what it asked for.</summary>
    private sealed class Recorder : DelegatingHandler
    {
        public ConcurrentQueue<string> Bodies { get; } = new();

        public Recorder() : base(new HttpClientHandler()) { }

        protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken ct)
        {
            if (request.Content != null) Bodies.Enqueue(await request.Content.ReadAsStringAsync(ct));
            return await base.SendAsync(request, ct);
        }
    }

    private static float[] Normalized(string text)
    {
        var e = (float[])ServerHarness.Tiny.Model.Embed(text).Clone();
        EmbeddingMath.Normalize(e);
        return e;
    }

    private static OpenAIClient Client(ServerHarness s, string key, Recorder? recorder = null) =>
        new(new ApiKeyCredential(key), new OpenAIClientOptions
        {
            Endpoint = new Uri(s.Client.BaseAddress!, "/v1"),
            RetryPolicy = new ClientRetryPolicy(maxRetries: 0),
            Transport = recorder == null ? null : new HttpClientPipelineTransport(new HttpClient(recorder)),
        });

    [Fact]
    public async Task OpenAI_dotnet_sdk_embeds_lists_models_and_raises_its_errors()
    {
        await using var s = await ServerHarness.StartAsync(loopback: true, new RwkvServerOptions { ApiKeys = [Key] });
        var recorder = new Recorder();
        var openai = Client(s, Key, recorder);
        EmbeddingClient embeddings = openai.GetEmbeddingClient("tiny");

        OpenAIEmbeddingCollection result = await embeddings.GenerateEmbeddingsAsync(["hello", "world"]);
        Assert.Contains("\"encoding_format\":\"base64\"", recorder.Bodies.Last()); // the SDK's default: base64, decoded by it
        Assert.Equal(Normalized("hello"), result[0].ToFloats().ToArray());
        Assert.Equal(Normalized("world"), result[1].ToFloats().ToArray());
        Assert.Equal(1, result[1].Index);
        Assert.Equal("tiny", result.Model);
        Assert.True(result.Usage.InputTokenCount > 0);

        OpenAIEmbedding one = await embeddings.GenerateEmbeddingAsync("hello");
        Assert.Equal(Normalized("hello"), one.ToFloats().ToArray());

        var models = await openai.GetOpenAIModelClient().GetModelsAsync();
        Assert.Equal(["tiny"], models.Value.Select(m => m.Id));

        var bad = await Assert.ThrowsAsync<ClientResultException>(() =>
            embeddings.GenerateEmbeddingsAsync(["x"], new OpenAI.Embeddings.EmbeddingGenerationOptions { Dimensions = 7 }));
        Assert.Equal(400, bad.Status);
        Assert.Contains("dimensions", bad.Message);

        var wrongKey = await Assert.ThrowsAsync<ClientResultException>(() => Client(s, "wrong").GetEmbeddingClient("tiny").GenerateEmbeddingAsync("x"));
        Assert.Equal(401, wrongKey.Status);
    }

    [Fact]
    public async Task Microsoft_Extensions_AI_openai_adapter_embeds_through_the_server()
    {
        await using var s = await ServerHarness.StartAsync(loopback: true, new RwkvServerOptions { ApiKeys = [Key] });
        IEmbeddingGenerator<string, Embedding<float>> generator = Client(s, Key).GetEmbeddingClient("tiny").AsIEmbeddingGenerator();

        var result = await generator.GenerateAsync(["hello", "world"]);
        Assert.Equal(2, result.Count);
        Assert.Equal(Normalized("hello"), result[0].Vector.ToArray());
        Assert.Equal(Normalized("world"), result[1].Vector.ToArray());
        Assert.Equal("tiny", result[0].ModelId);
        Assert.True(result.Usage?.InputTokenCount > 0);

        // The in-process generator of RwkvNative.Extensions.AI gives the same vectors (normalised) as the server.
        using var local = new RwkvNative.Extensions.AI.RwkvEmbeddingGenerator(ServerHarness.Tiny.Model, new RwkvNative.Extensions.AI.RwkvEmbeddingGeneratorOptions { Normalize = true });
        var direct = await local.GenerateAsync(["hello"]);
        Assert.Equal(direct[0].Vector.ToArray(), result[0].Vector.ToArray());
    }
}
