namespace RwkvNative.Checkpoints;

/// <summary>Shape checks shared by the loaders.</summary>
internal static class TensorShapes
{
    /// <summary>Validates dims (0 ≤ d ≤ int.MaxValue) and returns them with their product; errors name the key.</summary>
    public static (int[] Shape, long Count) Check(string file, string key, ReadOnlySpan<long> dims)
    {
        var shape = new int[dims.Length];
        long count = 1;
        for (int i = 0; i < dims.Length; i++)
        {
            if (dims[i] < 0 || dims[i] > int.MaxValue)
                throw new TensorLayoutException($"{file}: tensor '{key}' has invalid dimension {dims[i]} in shape [{string.Join(",", dims.ToArray())}]", key);
            shape[i] = (int)dims[i];
            if (count != 0 && dims[i] > long.MaxValue / 16 / count)
                throw new TensorLayoutException($"{file}: tensor '{key}' shape [{string.Join(",", dims.ToArray())}] has too many elements", key);
            count *= dims[i];
        }
        return (shape, count);
    }
}
