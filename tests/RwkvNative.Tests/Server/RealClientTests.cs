using System.Diagnostics;
using System.Text.Json;
using RwkvNative.Backends;
using RwkvNative.Server;

namespace RwkvNative.Tests.Server;

/// <summary>
/// The official npm client libraries (openai, cohere-ai v1 and v2, @huggingface/inference at the TEI base URL, LangChain's
/// OpenAIEmbeddings and HuggingFaceInferenceEmbeddings) against a
/// real loopback server with an API key. tests/clients holds the package.json and lockfile; the first run installs them
/// with <c>npm ci</c> into the git-ignored tests/clients/node_modules.
/// </summary>
public sealed class RealClientTests
{
    private const string Key = "test-key-1";

    private static string ClientsDir()
    {
        for (var d = new DirectoryInfo(AppContext.BaseDirectory); d != null; d = d.Parent)
        {
            var candidate = Path.Combine(d.FullName, "tests", "clients");
            if (File.Exists(Path.Combine(candidate, "package-lock.json"))) return candidate;
        }
        throw new DirectoryNotFoundException("tests/clients/package-lock.json not found above " + AppContext.BaseDirectory);
    }

    private static async Task<(int Code, string Out, string Err)> RunAsync(string file, string args, string dir, TimeSpan timeout)
    {
        var psi = new ProcessStartInfo(file, args) { WorkingDirectory = dir, RedirectStandardOutput = true, RedirectStandardError = true };
        using var p = Process.Start(psi) ?? throw new InvalidOperationException($"could not start {file}");
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        using var cts = new CancellationTokenSource(timeout);
        try { await p.WaitForExitAsync(cts.Token); }
        catch (OperationCanceledException)
        {
            p.Kill(entireProcessTree: true);
            throw new TimeoutException($"{file} {args} ran longer than {timeout.TotalSeconds} s");
        }
        return (p.ExitCode, await stdout, await stderr);
    }

    private static bool OnPath(string tool) =>
        (Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator).Any(d => File.Exists(Path.Combine(d, tool)));

    [Fact]
    public async Task Official_npm_clients_work_against_the_server()
    {
        if (!OnPath("node") || !OnPath("npm")) Assert.Skip("node/npm not on PATH: the npm client tests need Node.js");
        string dir = ClientsDir();
        if (!Directory.Exists(Path.Combine(dir, "node_modules", "@langchain", "community")))
        {
            var (code, _, err) = await RunAsync("npm", "ci --no-audit --no-fund --loglevel=error", dir, TimeSpan.FromMinutes(5));
            if (code != 0)
            {
                if (err.Contains("ENOTFOUND") || err.Contains("EAI_AGAIN") || err.Contains("ECONNREFUSED") || err.Contains("ETIMEDOUT"))
                    Assert.Skip("the npm registry cannot be reached: " + err.Split('\n').FirstOrDefault(l => l.Contains("ERR")));
                Assert.Fail($"npm ci failed ({code}): {err}");
            }
        }

        await using var s = await ServerHarness.StartAsync(loopback: true, new RwkvServerOptions { ApiKeys = [Key] });
        string baseUrl = s.Client.BaseAddress!.ToString().TrimEnd('/');
        var (exit, stdout, stderr) = await RunAsync("node", $"clients.mjs {baseUrl} {Key}", dir, TimeSpan.FromMinutes(2));
        Assert.True(exit == 0, $"node clients.mjs failed ({exit}): {stderr}");
        var o = JsonDocument.Parse(stdout.Trim().Split('\n')[^1]).RootElement;

        var f = ServerHarness.Tiny;
        float[] Normalized(string text)
        {
            var e = (float[])f.Model.Embed(text).Clone();
            EmbeddingMath.Normalize(e);
            return e;
        }
        static float[] Floats(JsonElement a) => [.. a.EnumerateArray().Select(x => (float)x.GetDouble())];

        Assert.Equal(Normalized("hello"), Floats(o.GetProperty("openaiFloat")[0]));
        Assert.Equal(Normalized("world"), Floats(o.GetProperty("openaiFloat")[1]));
        Assert.Equal(Normalized("hello"), Floats(o.GetProperty("openaiDefault"))); // base64, decoded by the SDK
        Assert.Equal(["tiny"], o.GetProperty("openaiModels").EnumerateArray().Select(x => x.GetString()));
        Assert.Equal("BadRequestError 400 invalid_request_error encoding_format", o.GetProperty("openaiBadRequest").GetString());
        Assert.Equal("AuthenticationError 401 invalid_api_key", o.GetProperty("openaiAuth").GetString());

        string[] docs = ["The EOS token marks the end of a sentence.", "Apples are red."];
        var expected = f.Reranker.Score("end of sequence", docs).Select((r, i) => (Index: i, r.Score)).OrderByDescending(x => x.Score).ToArray();
        var v1 = o.GetProperty("cohereV1").EnumerateArray().Select(r => (Index: r[0].GetInt32(), Score: (float)r[1].GetDouble())).ToArray();
        Assert.Equal(expected, v1);
        var v2 = o.GetProperty("cohereV2").EnumerateArray().Select(r => (Index: r[0].GetInt32(), Score: (float)r[1].GetDouble())).ToArray();
        Assert.Equal(expected[..1], v2);

        var hf = o.GetProperty("hfBaseUrl");
        Assert.Equal(Normalized("hello"), Floats(hf.ValueKind == JsonValueKind.Array && hf[0].ValueKind == JsonValueKind.Array ? hf[0] : hf));

        // LangChain JS: OpenAIEmbeddings (the openai SDK underneath, base64) and HuggingFaceInferenceEmbeddings at the TEI base URL.
        foreach (var prefix in new[] { "langchainOpenAI", "langchainHf" })
        {
            var documents = o.GetProperty(prefix + "Documents");
            Assert.Equal(2, documents.GetArrayLength());
            Assert.Equal(Normalized("hello"), Floats(documents[0]));
            Assert.Equal(Normalized("world"), Floats(documents[1]));
            Assert.Equal(Normalized("hello"), Floats(o.GetProperty(prefix + "Query")));
        }
    }
}
