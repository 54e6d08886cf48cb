using System.CommandLine;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using RwkvNative.Checkpoints;
using RwkvNative.Retrieval;
using RwkvNative.Store;
using RwkvNative.Server;

namespace RwkvNative.Cli.Commands;

/// <summary>
/// <c>rwkv-emb serve --model EMB [--reranker RR]</c>: the HTTP server (text-embeddings-inference, OpenAI and Cohere/Jina
/// JSON) until SIGINT/SIGTERM; a shutdown finishes the requests in flight first. With <c>--store STORE</c> (read-only;
/// replicas may share it), <c>/rerank</c> also takes document ids and <c>/search</c> retrieves (from the store's embeddings,
/// or the vector index given with <c>--vectors</c>) and reranks.
/// </summary>
internal static class ServeCommand
{
    public static Command Create()
    {
        var model = CommonOptions.Model();
        var reranker = CommonOptions.Reranker(required: false);
        var device = CommonOptions.Device();
        var host = new Option<string>("--host") { Description = "address to listen on (0.0.0.0 or :: for every interface)", DefaultValueFactory = _ => "127.0.0.1" };
        var port = new Option<int>("--port", "-p") { Description = "TCP port (0: any free port, printed on stderr)", DefaultValueFactory = _ => 3000 };
        var batchTokens = new Option<int>("--max-batch-tokens") { Description = "most tokens per model batch (requests share batches)", DefaultValueFactory = _ => 16384 };
        var concurrent = new Option<int>("--max-concurrent-requests") { Description = "requests queued or running at once; more are answered 429", DefaultValueFactory = _ => 512 };
        var inputTokens = new Option<int>("--max-input-tokens") { Description = "most tokens per input, EOS included; longer gets 413 unless the request sets truncate", DefaultValueFactory = _ => 8192 };
        var clientBatch = new Option<int>("--max-client-batch-size") { Description = "most inputs (or documents) per request; more gets 413", DefaultValueFactory = _ => 256 };
        var modelId = new Option<string>("--model-id") { Description = "name reported by /info and OpenAI-style answers (default: the model file name)" };
        var queuedTokens = new Option<long>("--max-queued-tokens") { Description = "most tokens queued or running over all requests; more gets 429", DefaultValueFactory = _ => new RwkvServerOptions().MaxQueuedTokens };
        var queueTimeout = new Option<int>("--queue-timeout") { Description = "seconds a request may wait in the queue before it starts; then 429 (0: no limit)", DefaultValueFactory = _ => 60 };
        var payloadLimit = new Option<long>("--payload-limit") { Description = "most bytes of a request body; more gets 413", DefaultValueFactory = _ => new RwkvServerOptions().PayloadLimit };
        var apiKey = new Option<string[]>("--api-key") { Description = "require 'Authorization: Bearer KEY' on every route but /health (repeatable)", AllowMultipleArgumentsPerToken = false };
        var apiKeyFile = new Option<string>("--api-key-file") { Description = "file with one API key per line (blank lines and # comments skipped)" };
        var cors = new Option<string[]>("--cors-allow-origin") { Description = "origin allowed to call from a browser (repeatable; * for any)" };
        var autoTruncate = new Option<bool>("--auto-truncate") { Description = "truncate inputs over --max-input-tokens unless a request says \"truncate\": false" };
        var shutdown = new Option<int>("--shutdown-timeout") { Description = "seconds a shutdown waits for requests in flight", DefaultValueFactory = _ => 30 };
        var otlp = new Option<string>("--otlp-endpoint") { Description = "send OpenTelemetry traces (a span per request, with tokenize/queue/compute inside) to this OTLP/HTTP collector, e.g. http://127.0.0.1:4318" };
        var store = new Option<string>("--store") { Description = "document-state store (made by 'rwkv-emb index'), opened read-only: /rerank takes \"ids\"" };
        var vectors = VectorIndexes.Option(required: false);
        var table = VectorIndexes.Table();
        var cmd = new Command("serve", "serve embeddings and reranking over HTTP (TEI, OpenAI and Cohere/Jina compatible)")
        {
            model, reranker, device, host, port, batchTokens, concurrent, inputTokens, clientBatch, queuedTokens, queueTimeout, payloadLimit, apiKey, apiKeyFile, cors, autoTruncate, modelId, shutdown, otlp, store, vectors, table,
        };
        // A synchronous action: the host handles SIGINT/SIGTERM itself and drains requests, with no forced exit.
        cmd.SetAction(p =>
        {
            var modelPath = p.GetValue(model)!;
            var options = new RwkvServerOptions
            {
                Host = p.GetValue(host)!,
                Port = p.GetValue(port),
                MaxBatchTokens = p.GetValue(batchTokens),
                MaxConcurrentRequests = p.GetValue(concurrent),
                MaxInputTokens = p.GetValue(inputTokens),
                MaxClientBatchSize = p.GetValue(clientBatch),
                MaxQueuedTokens = p.GetValue(queuedTokens),
                QueueTimeout = TimeSpan.FromSeconds(Math.Max(0, p.GetValue(queueTimeout))),
                PayloadLimit = p.GetValue(payloadLimit),
                ApiKeys = ApiKeys(p.GetValue(apiKey), p.GetValue(apiKeyFile)),
                CorsAllowOrigins = p.GetValue(cors) ?? [],
                AutoTruncate = p.GetValue(autoTruncate),
                ModelId = p.GetValue(modelId) ?? Path.GetFileName(modelPath),
                ShutdownTimeout = TimeSpan.FromSeconds(Math.Max(0, p.GetValue(shutdown))),
                OtlpEndpoint = OtlpEndpoint(p.GetValue(otlp)),
            };
            return Run(modelPath, p.GetValue(reranker), p.GetValue(device)!, options, p.GetValue(store), p.GetValue(vectors), p.GetValue(table)!);
        });
        return cmd;
    }

    private static Uri? OtlpEndpoint(string? value)
    {
        if (value == null) return null;
        if (!Uri.TryCreate(value, UriKind.Absolute, out var uri) || uri.Scheme is not ("http" or "https"))
            throw new InputException($"--otlp-endpoint must be an http:// or https:// URL (an OTLP/HTTP collector, e.g. http://127.0.0.1:4318), got '{value}'");
        return uri;
    }

    private static int Run(string modelPath, string? rerankerPath, string device, RwkvServerOptions options, string? storePath,
        string? vectorsSpec, string vectorsTable)
    {
        if (storePath != null && rerankerPath == null) throw new InputException("--store needs --reranker (the store's states are scored by it)");
        if (vectorsSpec != null && storePath == null) throw new InputException("--vectors needs --store (search reranks the candidates by their cached states)");
        // With --store alone, /search uses an exact in-process search over the store's embeddings.
        try { options.Validate(); }
        catch (ArgumentException e) { throw new InputException("--" + e.Message); }
        CommonOptions.RequireFile(modelPath, "model");
        options = options with { ModelDType = DominantDType(modelPath) };
        using var model = EmbeddingModel.Load(modelPath, new ModelOptions
        {
            Device = device,
            Precision = CommonOptions.SelectedPrecision,
            Log = m => Console.Error.WriteLine(m),
        });
        using var rr = rerankerPath == null ? null : CommonOptions.LoadReranker(rerankerPath, model);
        using var docs = storePath == null ? null : DocumentStateStore.Open(storePath, model);
        using var vectors = docs == null ? null : VectorIndexes.OpenOrFromStore(vectorsSpec, vectorsTable, model, docs);
        var retrieval = docs == null ? null : new DocumentRetriever(rr!, new StoreDocumentStates(docs), vectors?.Index);
        var app = RwkvServer.Build(model, rr, options, retrieval);
        long unfinished;
        try
        {
            var lifetime = app.Services.GetRequiredService<IHostApplicationLifetime>();
            lifetime.ApplicationStarted.Register(() =>
            {
                var addresses = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()?.Addresses;
                Console.Error.WriteLine($"rwkv-emb serve: listening on {string.Join(", ", addresses ?? [])} (model {options.ModelId}, {model.DeviceName}" +
                    (rr == null ? ", no reranker" : ", reranker loaded") +
                    (docs == null ? "" : $", store {docs.Directory} ({docs.Count} documents)") +
                    (vectors == null ? "" : $", vector index {vectors.Description}") + ")");
            });
            lifetime.ApplicationStopping.Register(() => Console.Error.WriteLine("rwkv-emb serve: stopping; finishing the requests in flight"));
            app.Run();
            unfinished = app.Services.GetRequiredService<ShutdownDrain>().UnfinishedRequests;
        }
        finally
        {
            // Disposing the application drains the batcher before the model goes away.
            ((IDisposable)app).Dispose();
        }
        if (unfinished > 0)
        {
            Console.Error.WriteLine($"error: rwkv-emb serve: stopped with {unfinished} request(s) unfinished after --shutdown-timeout {options.ShutdownTimeout.TotalSeconds:0} s; raise it to let long requests finish");
            return ExitCodes.Failure;
        }
        Console.Error.WriteLine("rwkv-emb serve: stopped");
        return ExitCodes.Ok;
    }

    /// <summary>The keys of --api-key and of --api-key-file (one a line; blank lines and # comments skipped).</summary>
    private static string[] ApiKeys(string[]? keys, string? file)
    {
        var all = new List<string>(keys ?? []);
        if (file != null)
        {
            if (!File.Exists(file)) throw new InputException($"--api-key-file: file not found: {file}");
            foreach (var line in File.ReadAllLines(file))
            {
                var k = line.Trim();
                if (k.Length > 0 && !k.StartsWith('#')) all.Add(k);
            }
            if (all.Count == 0) throw new InputException($"--api-key-file {file} holds no key");
        }
        return [.. all];
    }

    /// <summary>The dtype holding most of the checkpoint's values, lower case (bf16, fp16, fp32).</summary>
    private static string? DominantDType(string path)
    {
        using var ckpt = Checkpoint.Open(path);
        var counts = new Dictionary<TensorDType, long>();
        foreach (var t in ckpt.Tensors.Values) counts[t.DType] = counts.GetValueOrDefault(t.DType) + t.ElementCount;
        if (counts.Count == 0) return null;
        var top = counts.MaxBy(kv => kv.Value).Key;
        return top switch
        {
            TensorDType.BFloat16 => "bf16",
            TensorDType.Float16 => "fp16",
            TensorDType.Float32 => "fp32",
            _ => top.ToString().ToLowerInvariant(),
        };
    }
}
