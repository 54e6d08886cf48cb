// Microsoft.Extensions.AI's IEmbeddingGenerator over an EmbeddingModel.
using Microsoft.Extensions.AI;

namespace RwkvNative.Extensions.AI;

/// <summary>
/// An <see cref="IEmbeddingGenerator{TInput, TEmbedding}"/> over an <see cref="EmbeddingModel"/>: each string is tokenized
/// with EOS appended and embedded from the zero state, exactly as <see cref="EmbeddingModel.Embed(IReadOnlyList{string}, EmbeddingTask, CancellationToken)"/>.
/// A call picks the head with <c>AdditionalProperties["task"]</c> (<c>retr|cls|sts</c> or an <see cref="EmbeddingTask"/>), and the
/// instruction with <c>["instruction"]</c>, or with <c>["prompt_name"]</c> (an MTEB task type, e.g. <c>STS</c>) and
/// <c>["input_type"]</c> (<c>query</c>/<c>document</c>), which also pick the head (see <see cref="TaskInstructions.ForRequest"/>);
/// <see cref="EmbeddingGenerationOptions.Dimensions"/> may only be the model's width (embeddings are never shortened).
/// <see cref="GetService"/> answers <see cref="EmbeddingGeneratorMetadata"/> and the <see cref="EmbeddingModel"/> itself.
/// </summary>
public sealed class RwkvEmbeddingGenerator : IEmbeddingGenerator<string, Embedding<float>>
{
    /// <summary>Key in <see cref="EmbeddingGenerationOptions.AdditionalProperties"/> that selects the task head.</summary>
    public const string TaskPropertyName = "task";

    /// <summary>Keys in <see cref="EmbeddingGenerationOptions.AdditionalProperties"/> that select the instruction (and head).</summary>
    public const string InstructionPropertyName = "instruction", PromptNamePropertyName = "prompt_name", InputTypePropertyName = "input_type";

    private readonly EmbeddingModel _model;
    private readonly RwkvEmbeddingGeneratorOptions _options;
    private readonly bool _ownsModel;
    private readonly EmbeddingGeneratorMetadata _metadata;

    /// <summary>Wraps <paramref name="model"/>; with <paramref name="ownsModel"/> disposing this generator disposes the model.</summary>
    public RwkvEmbeddingGenerator(EmbeddingModel model, RwkvEmbeddingGeneratorOptions? options = null, bool ownsModel = false)
    {
        ArgumentNullException.ThrowIfNull(model);
        _model = model;
        _options = options ?? new RwkvEmbeddingGeneratorOptions();
        _ownsModel = ownsModel;
        _metadata = new EmbeddingGeneratorMetadata("rwkvnative", null, ModelId, model.Config.Channels);
    }

    /// <summary>The id reported in metadata and on embeddings.</summary>
    public string ModelId => _options.ModelId ?? "rwkv-embedding";

    /// <inheritdoc />
    public async Task<GeneratedEmbeddings<Embedding<float>>> GenerateAsync(IEnumerable<string> values, EmbeddingGenerationOptions? options = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(values);
        var (instruction, promptHead) = PromptOf(options);
        var task = TaskOf(options) ?? promptHead ?? _options.Task;
        if (options?.Dimensions is { } d && d != _model.Config.Channels)
            throw new ArgumentException($"this model returns {_model.Config.Channels} dimensions and does not shorten embeddings; requested {d}", nameof(options));
        var texts = values as IReadOnlyList<string> ?? [.. values];
        var seqs = new int[texts.Count][];
        long tokens = 0;
        for (int i = 0; i < seqs.Length; i++)
        {
            seqs[i] = _model.EncodeText(texts[i] ?? throw new ArgumentNullException(nameof(values), $"value {i} is null"), instruction, _options.Encoding);
            tokens += seqs[i].Length;
        }
        // The model computes synchronously; keep the caller's thread (e.g. a request thread) free meanwhile.
        var vectors = seqs.Length == 0 ? [] : await System.Threading.Tasks.Task.Run(() => _model.EmbedTokens(seqs, task, cancellationToken), cancellationToken).ConfigureAwait(false);
        var created = DateTimeOffset.UtcNow;
        var result = new GeneratedEmbeddings<Embedding<float>>(vectors.Length)
        {
            Usage = new UsageDetails { InputTokenCount = tokens, TotalTokenCount = tokens },
        };
        foreach (var v in vectors)
        {
            if (_options.Normalize) EmbeddingMath.Normalize(v);
            result.Add(new Embedding<float>(v) { ModelId = ModelId, CreatedAt = created });
        }
        return result;
    }

    /// <inheritdoc />
    public object? GetService(Type serviceType, object? serviceKey = null)
    {
        ArgumentNullException.ThrowIfNull(serviceType);
        if (serviceKey != null) return null;
        if (serviceType == typeof(EmbeddingGeneratorMetadata)) return _metadata;
        if (serviceType == typeof(EmbeddingModel)) return _model;
        if (serviceType == typeof(RwkvEmbeddingGeneratorOptions)) return _options;
        return serviceType.IsInstanceOfType(this) ? this : null;
    }

    /// <summary>Disposes the model when this generator owns it.</summary>
    public void Dispose()
    {
        if (_ownsModel) _model.Dispose();
    }

    /// <summary>The instruction and the head it implies: <c>instruction</c>, else <c>prompt_name</c>/<c>input_type</c>, else the options'.</summary>
    private (string? Instruction, EmbeddingTask? Head) PromptOf(EmbeddingGenerationOptions? options)
    {
        string? Str(string key) => options?.AdditionalProperties is { } props && props.TryGetValue(key, out var v) && v != null
            ? v as string ?? throw new ArgumentException($"AdditionalProperties[\"{key}\"] must be a string, got {v.GetType().Name}", nameof(options))
            : null;
        string? instruction = Str(InstructionPropertyName), prompt = Str(PromptNamePropertyName), input = Str(InputTypePropertyName);
        if (instruction != null && prompt != null)
            throw new ArgumentException($"give either AdditionalProperties[\"{InstructionPropertyName}\"] or [\"{PromptNamePropertyName}\"], not both", nameof(options));
        var p = TaskInstructions.ForRequest(prompt, input);
        return p == null ? (instruction ?? _options.Instruction, null) : (p.Instruction, p.Head);
    }

    private static EmbeddingTask? TaskOf(EmbeddingGenerationOptions? options)
    {
        if (options?.AdditionalProperties is not { } props || !props.TryGetValue(TaskPropertyName, out var value) || value == null) return null;
        return value switch
        {
            EmbeddingTask t => t,
            string s => EmbeddingTasks.Parse(s),
            _ => throw new ArgumentException($"AdditionalProperties[\"{TaskPropertyName}\"] must be retr, cls, sts or an EmbeddingTask, got {value.GetType().Name}", nameof(options)),
        };
    }
}
