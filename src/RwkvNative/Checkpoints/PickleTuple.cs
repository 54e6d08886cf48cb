namespace RwkvNative.Checkpoints;

/// <summary>A Python tuple (immutable once built).</summary>
internal sealed class PickleTuple(object?[] items)
{
    public object?[] Items { get; } = items;
}
