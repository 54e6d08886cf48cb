namespace RwkvNative.Store;

/// <summary>A byte range of <c>states.log</c> that holds no readable record: [<paramref name="Offset"/>, Offset + <paramref name="Length"/>).</summary>
public readonly record struct StateLogRegion(long Offset, long Length)
{
    /// <summary>Offset just past the region.</summary>
    public long End => Offset + Length;
}
