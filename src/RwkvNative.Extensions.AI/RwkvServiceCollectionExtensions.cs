// Dependency-injection registration: services.AddRwkvEmbeddings(...).
using Microsoft.Extensions.AI;
using Microsoft.Extensions.DependencyInjection;
using RwkvNative.Backends;
using RwkvNative.Retrieval;
using RwkvNative.Store;

namespace RwkvNative.Extensions.AI;

/// <summary>What <see cref="RwkvServiceCollectionExtensions.AddRwkvEmbeddings(IServiceCollection, Action{RwkvEmbeddingsOptions})"/> loads.</summary>
public sealed class RwkvEmbeddingsOptions
{
    /// <summary>Embedding checkpoint (.pth or .safetensors). Required.</summary>
    public string? ModelPath { get; set; }

    /// <summary>Reranker checkpoint; when set, <see cref="IReranker"/> and <see cref="Reranker"/> are registered too.</summary>
    public string? RerankerPath { get; set; }

    /// <summary>
    /// Document-state store (made by <c>rwkv-emb index</c>) opened read-only; with <see cref="RerankerPath"/>,
    /// <see cref="IReranker.RankByIdAsync"/> scores its documents by id.
    /// </summary>
    public string? StorePath { get; set; }

    /// <summary><c>auto</c> (default), <c>cpu</c>, <c>cuda</c> or <c>cuda:N</c>.</summary>
    public string Device { get; set; } = "auto";

    /// <summary>Most tokens per internal batch (<see cref="ModelOptions.MaxBatchTokens"/>).</summary>
    public int MaxBatchTokens { get; set; } = 4096;

    /// <summary>Arithmetic of the linear layers (<see cref="ModelOptions.Precision"/>; int8 is CPU-only and opt-in).</summary>
    public Precision Precision { get; set; } = Precision.Float32;

    /// <summary>Default head of the embedding generator.</summary>
    public EmbeddingTask Task { get; set; } = EmbeddingTask.Retrieval;

    /// <summary>L2-normalise embeddings (default false).</summary>
    public bool Normalize { get; set; }

    /// <summary>Model id reported by the generator's metadata.</summary>
    public string? ModelId { get; set; }

    /// <summary>Receives the model's one-line diagnostics (device choice).</summary>
    public Action<string>? Log { get; set; }
}

/// <summary>Registers RwkvNative with Microsoft.Extensions.DependencyInjection.</summary>
public static class RwkvServiceCollectionExtensions
{
    /// <summary>
    /// Registers singletons: <see cref="EmbeddingModel"/> (loaded on first use, disposed with the container),
    /// <see cref="IEmbeddingGenerator{TInput, TEmbedding}"/> of string → <see cref="Embedding{T}"/> of float, and, when
    /// <see cref="RwkvEmbeddingsOptions.RerankerPath"/> is set, <see cref="Reranker"/> and <see cref="IReranker"/>; with
    /// <see cref="RwkvEmbeddingsOptions.StorePath"/> too, the <see cref="DocumentStateStore"/> and <see cref="IDocumentStates"/>.
    /// </summary>
    public static IServiceCollection AddRwkvEmbeddings(this IServiceCollection services, Action<RwkvEmbeddingsOptions> configure)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(configure);
        var o = new RwkvEmbeddingsOptions();
        configure(o);
        if (string.IsNullOrEmpty(o.ModelPath)) throw new ArgumentException("RwkvEmbeddingsOptions.ModelPath is required", nameof(configure));
        string modelPath = o.ModelPath;
        var modelOptions = new ModelOptions { Device = o.Device, MaxBatchTokens = o.MaxBatchTokens, Precision = o.Precision, Log = o.Log };
        services.AddSingleton(_ => EmbeddingModel.Load(modelPath, modelOptions));
        AddGenerator(services, o);
        if (!string.IsNullOrEmpty(o.RerankerPath))
        {
            string rerankerPath = o.RerankerPath;
            services.AddSingleton(sp => Reranker.Load(rerankerPath, sp.GetRequiredService<EmbeddingModel>()));
            if (string.IsNullOrEmpty(o.StorePath))
                services.AddSingleton<IReranker>(sp => new RwkvReranker(sp.GetRequiredService<Reranker>()));
            else
            {
                string storePath = o.StorePath;
                services.AddSingleton(sp => DocumentStateStore.Open(storePath, sp.GetRequiredService<EmbeddingModel>()));
                services.AddSingleton<IDocumentStates>(sp => new StoreDocumentStates(sp.GetRequiredService<DocumentStateStore>()));
                services.AddSingleton<IReranker>(sp => new RwkvReranker(sp.GetRequiredService<Reranker>(), sp.GetRequiredService<IDocumentStates>()));
            }
        }
        else if (!string.IsNullOrEmpty(o.StorePath))
            throw new ArgumentException("RwkvEmbeddingsOptions.StorePath needs RerankerPath: the store's states are scored by the reranker", nameof(configure));
        return services;
    }

    /// <summary><see cref="AddRwkvEmbeddings(IServiceCollection, Action{RwkvEmbeddingsOptions})"/> with the model path given.</summary>
    public static IServiceCollection AddRwkvEmbeddings(this IServiceCollection services, string modelPath, Action<RwkvEmbeddingsOptions>? configure = null) =>
        services.AddRwkvEmbeddings(o =>
        {
            o.ModelPath = modelPath;
            configure?.Invoke(o);
        });

    /// <summary>
    /// Registers an already loaded model (and optionally its reranker): the caller keeps ownership and disposes them;
    /// the generator and <see cref="IReranker"/> are registered as above.
    /// </summary>
    public static IServiceCollection AddRwkvEmbeddings(this IServiceCollection services, EmbeddingModel model, Reranker? reranker = null,
        Action<RwkvEmbeddingsOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(model);
        var o = new RwkvEmbeddingsOptions();
        configure?.Invoke(o);
        services.AddSingleton(model);
        AddGenerator(services, o);
        if (reranker != null)
        {
            services.AddSingleton(reranker);
            services.AddSingleton<IReranker>(_ => new RwkvReranker(reranker));
        }
        return services;
    }

    private static void AddGenerator(IServiceCollection services, RwkvEmbeddingsOptions o)
    {
        var generatorOptions = new RwkvEmbeddingGeneratorOptions { Task = o.Task, Normalize = o.Normalize, ModelId = o.ModelId };
        services.AddSingleton<IEmbeddingGenerator<string, Embedding<float>>>(sp =>
            new RwkvEmbeddingGenerator(sp.GetRequiredService<EmbeddingModel>(), generatorOptions));
    }
}
