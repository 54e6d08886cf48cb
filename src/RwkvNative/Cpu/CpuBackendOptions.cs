namespace RwkvNative.Cpu;

/// <summary>Settings of the CPU backend, given to <see cref="CpuBackendProvider"/> (e.g. by <c>rwkv-emb --threads</c>).</summary>
public sealed record CpuBackendOptions
{
    private readonly int _threads = Environment.ProcessorCount;

    /// <summary>Most threads one call uses, in its GEMMs and its row loops (default: one per core).</summary>
    /// <exception cref="ArgumentOutOfRangeException">Less than 1.</exception>
    public int Threads
    {
        get => _threads;
        init
        {
            ArgumentOutOfRangeException.ThrowIfLessThan(value, 1, nameof(Threads));
            _threads = value;
        }
    }
}
