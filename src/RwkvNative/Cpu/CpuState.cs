using RwkvNative.Backends;
using RwkvNative.Model;

namespace RwkvNative.Cpu;

/// <summary>A state of the CPU backend: the host arrays of a <see cref="ModelState"/>, used in place.</summary>
internal sealed class CpuState : BackendState
{
    private Action<ModelState>? _release;

    /// <summary>Wraps <paramref name="host"/> without copying (forward calls update it).</summary>
    public CpuState(ModelState host) : base(host.Layers, host.Batch, host.Channels) => Host = host;

    /// <summary>Wraps pooled arrays: disposing hands <paramref name="host"/> to <paramref name="release"/> (once).</summary>
    public CpuState(ModelState host, Action<ModelState> release) : this(host) => _release = release;

    /// <summary>The arrays computed on.</summary>
    public ModelState Host { get; }

    /// <summary>The CPU state behind <paramref name="state"/>; throws if another backend made it.</summary>
    public static CpuState Of(BackendState state, string paramName)
    {
        ArgumentNullException.ThrowIfNull(state, paramName);
        return state as CpuState ?? throw new ArgumentException($"this state belongs to another backend ({state.GetType().Name}), not the CPU", paramName);
    }

    /// <inheritdoc/>
    public override ModelState ToHost() => Host.Clone();

    /// <inheritdoc/>
    protected override void Dispose(bool disposing)
    {
        if (disposing) Interlocked.Exchange(ref _release, null)?.Invoke(Host);
    }
}
