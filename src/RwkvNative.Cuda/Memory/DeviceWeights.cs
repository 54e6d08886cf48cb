namespace RwkvNative.Cuda.Memory;

/// <summary>
/// The device allocations of one backend's weights (matrices, vectors, per-block sets), freed together in reverse order
/// of upload, so a constructor that fails half way frees what it uploaded.
/// </summary>
internal sealed class DeviceWeights : IDisposable
{
    private readonly List<IDisposable> owned = [];

    /// <summary>Takes ownership of <paramref name="item"/> and returns it.</summary>
    public T Own<T>(T item) where T : IDisposable
    {
        owned.Add(item);
        return item;
    }

    /// <summary>Frees every weight, last uploaded first.</summary>
    public void Dispose()
    {
        for (int i = owned.Count - 1; i >= 0; i--) owned[i].Dispose();
        owned.Clear();
    }
}
