namespace RwkvNative.Backends;

/// <summary>Where to run: <c>cpu</c>, <c>cuda</c> (device 0) or <c>cuda:N</c>.</summary>
/// <param name="Kind">"cpu" or "cuda".</param>
/// <param name="Index">Device ordinal for CUDA.</param>
public sealed record DeviceSpec(string Kind, int Index = 0)
{
    /// <summary>The CPU.</summary>
    public static DeviceSpec Cpu { get; } = new("cpu");

    /// <inheritdoc/>
    public override string ToString() => Kind == "cpu" ? "cpu" : $"{Kind}:{Index}";
}
