// Dependency-injection registration: services.AddRwkvEmbeddings(...).
using Microsoft.Extensions.AI;
using Microsoft.Extensions.DependencyInjection;
using RwkvNative.Retrieval;
using RwkvNative.Store;

namespace RwkvNative.Extensions.AI;

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
