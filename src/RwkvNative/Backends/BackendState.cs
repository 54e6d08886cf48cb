using RwkvNative.Model;

namespace RwkvNative.Backends;

/// <summary>
/// The recurrent state of a batch, held where the backend that created it computes: host arrays on the CPU, device
/// memory on a GPU (shift [L, 2, B, C] and wkv [L, B, H, 64, 64], float32). Forward calls update it in place; reading it
/// on the host is the explicit <see cref="ToHost"/>, never a side effect. Not thread-safe; dispose to free it.
/// </summary>
public abstract class BackendState : IDisposable
{
    /// <summary>Sets the shape.</summary>
    protected BackendState(int layers, int batch, int channels)
    {
        Layers = layers;
        Batch = batch;
        Channels = channels;
    }

    /// <summary>L.</summary>
    public int Layers { get; }

    /// <summary>B.</summary>
    public int Batch { get; }

    /// <summary>C.</summary>
    public int Channels { get; }

    /// <summary>Bytes of one sequence's state: (L·2·C + L·C·64) floats.</summary>
    public static long BytesPerSequence(ModelConfig config) =>
        ((long)config.Layers * 2 * config.Channels + (long)config.Layers * config.Channels * ModelConfig.HeadSize) * sizeof(float);

    /// <summary>Copies the state to a new host <see cref="ModelState"/> (on a GPU: one device-to-host transfer).</summary>
    public abstract ModelState ToHost();

    /// <summary>Throws unless this state has the shape of <paramref name="config"/> (any batch when <paramref name="batch"/> is null).</summary>
    public void EnsureShape(ModelConfig config, int? batch, string paramName) => ModelState.EnsureShape(Layers, Batch, Channels, config, batch, paramName);

    /// <summary>Whether <see cref="Dispose()"/> was called.</summary>
    public bool IsDisposed { get; private set; }

    /// <summary>Frees the state's memory.</summary>
    public void Dispose()
    {
        IsDisposed = true;
        Dispose(true);
        GC.SuppressFinalize(this);
    }

    /// <summary>Frees the memory (<paramref name="disposing"/>: called from <see cref="Dispose()"/>).</summary>
    protected abstract void Dispose(bool disposing);
}
