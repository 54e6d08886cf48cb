namespace RwkvNative.Backends;

/// <summary>
/// The backend providers this process knows, by kind. It names no implementation: the API layer adds the CPU provider
/// before the first model loads (<see cref="RegisterIfAbsent"/>), a GPU assembly adds its provider with <see cref="Register"/> (e.g.
/// <c>RwkvNative.Cuda.CudaBackendProvider.Register()</c>).
/// </summary>
public static class BackendRegistry
{
    private static readonly Lock Gate = new();
    private static readonly Dictionary<string, IBackendProvider> Providers = new(StringComparer.OrdinalIgnoreCase);

    /// <summary>
    /// Adds or replaces the provider for <see cref="IBackendProvider.Kind"/>. Disposing the result puts back what was
    /// registered for that kind before (for tests and scoped overrides; applications may ignore it).
    /// </summary>
    public static IDisposable Register(IBackendProvider provider)
    {
        ArgumentNullException.ThrowIfNull(provider);
        lock (Gate)
        {
            var previous = Providers.GetValueOrDefault(provider.Kind);
            Providers[provider.Kind] = provider;
            return new Registration(provider, previous);
        }
    }

    /// <summary>
    /// Adds <paramref name="provider"/> only when no provider of its kind is registered (a default that an explicit
    /// <see cref="Register"/>, earlier or later, overrides). True when it was added.
    /// </summary>
    public static bool RegisterIfAbsent(IBackendProvider provider)
    {
        ArgumentNullException.ThrowIfNull(provider);
        lock (Gate) return Providers.TryAdd(provider.Kind, provider);
    }

    // Restores the previous provider of a kind, unless someone registered another one since.
    private sealed class Registration(IBackendProvider added, IBackendProvider? previous) : IDisposable
    {
        private int disposed;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref disposed, 1) != 0) return;
            lock (Gate)
            {
                if (!ReferenceEquals(Providers.GetValueOrDefault(added.Kind), added)) return;
                if (previous == null) Providers.Remove(added.Kind);
                else Providers[added.Kind] = previous;
            }
        }
    }

    /// <summary>The provider for <paramref name="kind"/>, or null.</summary>
    public static IBackendProvider? Find(string kind)
    {
        lock (Gate) return Providers.GetValueOrDefault(kind);
    }

    /// <summary>
    /// Parses <c>auto|cpu|cuda|cuda:N</c>. For <c>auto</c>, picks CUDA device 0 when its provider is registered
    /// and usable, else the CPU; <paramref name="note"/> then says which was chosen and why.
    /// </summary>
    public static DeviceSpec Resolve(string device, out string? note)
    {
        note = null;
        var d = (device ?? "auto").Trim().ToLowerInvariant();
        if (d == "auto")
        {
            var cuda = Find("cuda");
            if (cuda == null) { note = "device: cpu (no CUDA backend in this build)"; return DeviceSpec.Cpu; }
            if (cuda.IsAvailable(0, out var why)) { note = "device: cuda:0"; return new DeviceSpec("cuda", 0); }
            // One line: the first line of the reason; `--device cuda` shows the whole story.
            var first = why.Split('\n', 2)[0].TrimEnd(':', ' ', '\r');
            note = $"device: cpu (CUDA not usable: {first}; --device cuda shows the details)";
            return DeviceSpec.Cpu;
        }
        if (d == "cpu") return DeviceSpec.Cpu;
        if (d == "cuda") return Require(new DeviceSpec("cuda", 0));
        if (d.StartsWith("cuda:", StringComparison.Ordinal) && int.TryParse(d.AsSpan(5), out var idx) && idx >= 0)
            return Require(new DeviceSpec("cuda", idx));
        throw new ArgumentException($"unknown device '{device}': use auto, cpu, cuda or cuda:N");
    }

    private static DeviceSpec Require(DeviceSpec spec)
    {
        var p = Find(spec.Kind) ?? throw new NotSupportedException($"device {spec}: this build has no {spec.Kind} backend");
        if (!p.IsAvailable(spec.Index, out var why))
            throw new NotSupportedException($"device {spec} is not usable: {why}");
        return spec;
    }

    /// <summary>The provider for a resolved device.</summary>
    public static IBackendProvider ProviderFor(DeviceSpec device) =>
        Find(device.Kind) ?? throw new NotSupportedException($"device {device}: this build has no {device.Kind} backend");
}
