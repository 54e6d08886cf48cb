namespace RwkvNative.Checkpoints;

/// <summary>What a format loader hands to <see cref="Checkpoint"/>.</summary>
internal sealed class CheckpointContents
{
    public List<TensorEntry> Tensors { get; } = new();
    public Dictionary<string, object> Values { get; } = new(StringComparer.Ordinal);
    public Dictionary<string, string> Metadata { get; } = new(StringComparer.Ordinal);
    public Dictionary<string, string> Unsupported { get; } = new(StringComparer.Ordinal);
}
