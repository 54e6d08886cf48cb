namespace RwkvNative.Checkpoints;

/// <summary>A Python list under construction.</summary>
internal sealed class PickleList
{
    public List<object?> Items { get; } = new();
}
