namespace RwkvNative.Checkpoints;

/// <summary>A Python dict or collections.OrderedDict, in insertion order; a repeated key replaces the earlier value.</summary>
internal sealed class PickleDict
{
    private readonly Dictionary<object, int> _index = new();

    public List<KeyValuePair<object, object?>> Entries { get; } = new();

    public void Set(object key, object? value)
    {
        if (_index.TryGetValue(key, out int i)) Entries[i] = new(key, value);
        else
        {
            _index.Add(key, Entries.Count);
            Entries.Add(new(key, value));
        }
    }
}
