// The only kinds of object the restricted unpickler can produce (besides string, long, double, bool and null).
namespace RwkvNative.Checkpoints;

/// <summary>A Python list under construction.</summary>
internal sealed class PickleList
{
    public List<object?> Items { get; } = new();
}

/// <summary>A Python tuple (immutable once built).</summary>
internal sealed class PickleTuple(object?[] items)
{
    public object?[] Items { get; } = items;
}

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

/// <summary>What an allow-listed global stands for.</summary>
internal enum PickleGlobalKind
{
    OrderedDict,
    RebuildTensorV2,
    RebuildParameter,
    Storage,
}

/// <summary>An allow-listed global (never resolved to anything executable).</summary>
/// <param name="QualifiedName">module.name as written in the pickle.</param>
/// <param name="Kind">What it stands for.</param>
/// <param name="StorageDType">For a storage class: the element type when supported.</param>
/// <param name="StorageElementSize">For a storage class: bytes per element (0 when unknown).</param>
internal sealed record PickleGlobal(string QualifiedName, PickleGlobalKind Kind, TensorDType? StorageDType = null, int StorageElementSize = 0);

/// <summary>A persistent id <c>('storage', StorageClass, key, location, numel)</c>: a storage record in the zip.</summary>
internal sealed record StorageRef(PickleGlobal Type, string Key, string Location, long ElementCount);

/// <summary>The result of <c>torch._utils._rebuild_tensor_v2(storage, offset, size, stride, ...)</c>; counts in elements.</summary>
internal sealed record TensorRef(StorageRef Storage, long Offset, long[] Size, long[] Stride);
