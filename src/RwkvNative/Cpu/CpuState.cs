using RwkvNative.Backends;
using RwkvNative.Model;

namespace RwkvNative.Cpu;

/// <summary>A state of the CPU backend: the host arrays of a <see cref="ModelState"/>, used in place.</summary>
internal sealed class CpuState : BackendState
{
    private readonly ModelState _host;
    private Action<ModelState>? _release;
    private readonly bool _pooled;
    private bool _released;

    /// <summary>Wraps <paramref name="host"/> without copying (forward calls update it).</summary>
    public CpuState(ModelState host) : base(host.Layers, host.Batch, host.Channels) => _host = host;

    /// <summary>Wraps pooled arrays: disposing hands <paramref name="host"/> to <paramref name="release"/> (once).</summary>
    public CpuState(ModelState host, Action<ModelState> release) : this(host)
    {
        _release = release;
        _pooled = true;
    }

    /// <summary>
    /// The arrays computed on. A pooled state's arrays go back to the pool when it is disposed and another state may
    /// then own them, so reading them after that throws instead of silently sharing them.
    /// </summary>
    public ModelState Host
    {
        get
        {
            ObjectDisposedException.ThrowIf(_pooled && Volatile.Read(ref _released), this);
            return _host;
        }
    }

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
        if (!disposing) return; // a pooled state left to the finalizer is simply not reused
        var release = Interlocked.Exchange(ref _release, null);
        if (release == null) return;
        Volatile.Write(ref _released, true);
        release(_host);
    }
}
