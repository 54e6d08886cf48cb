using RwkvNative.Backends;
using RwkvNative.Cuda.Memory;
using RwkvNative.Model;

namespace RwkvNative.Cuda;

/// <summary>
/// A state in device memory: shift [L, 2, B, C] and wkv [L, B, H, 64, 64] float32, owned by the session that made it.
/// Forward calls update it in place; only <see cref="ToHost"/> copies it to the host.
/// </summary>
internal sealed class CudaState : BackendState
{
    private readonly DeviceBuffer shift, wkv;

    private CudaState(CudaSession session, int layers, int batch, int channels) : base(layers, batch, channels)
    {
        Session = session;
        ShiftElements = (long)layers * 2 * batch * channels;
        WkvElements = (long)layers * batch * channels * ModelConfig.HeadSize;
        shift = DeviceBuffer.Allocate(session.Context, ShiftElements * sizeof(float));
        try
        {
            wkv = DeviceBuffer.Allocate(session.Context, WkvElements * sizeof(float));
        }
        catch
        {
            shift.Dispose();
            throw;
        }
    }

    /// <summary>The session whose stream computes on this state.</summary>
    public CudaSession Session { get; }

    /// <summary>L·2·B·C.</summary>
    public long ShiftElements { get; }

    /// <summary>L·B·C·64.</summary>
    public long WkvElements { get; }

    /// <summary>True while the state is known to be all zeros (fresh), so a graph replay may clear instead of copy it.</summary>
    public bool IsZero { get; set; }

    /// <summary>Shift part on the device.</summary>
    public DeviceView<float> Shift => shift.View<float>(ShiftElements);

    /// <summary>wkv part on the device.</summary>
    public DeviceView<float> Wkv => wkv.View<float>(WkvElements);

    /// <summary>A zero state (session gate held, context current).</summary>
    public static CudaState Zero(CudaSession session, ModelConfig config, int batch)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(batch);
        var s = new CudaState(session, config.Layers, batch, config.Channels);
        DeviceCopy.Zero(session.Stream, s.Shift);
        DeviceCopy.Zero(session.Stream, s.Wkv);
        s.IsZero = true;
        return s;
    }

    /// <summary>A device copy of <paramref name="host"/> (session gate held, context current).</summary>
    public static CudaState Upload(CudaSession session, ModelState host)
    {
        var s = new CudaState(session, host.Layers, host.Batch, host.Channels);
        try
        {
            DeviceCopy.Upload<float>(session.Stream, host.Shift, s.Shift);
            DeviceCopy.Upload<float>(session.Stream, host.Wkv, s.Wkv);
        }
        catch
        {
            s.Dispose();
            throw;
        }
        return s;
    }

    /// <summary>
    /// The CUDA state behind <paramref name="state"/>, ready for work on <paramref name="session"/>'s stream: a state of
    /// another session of the same device is first waited for on its own stream.
    /// </summary>
    public static CudaState Of(BackendState state, CudaSession session, string paramName)
    {
        ArgumentNullException.ThrowIfNull(state, paramName);
        if (state is not CudaState s)
            throw new ArgumentException($"this state belongs to another backend ({state.GetType().Name}), not CUDA", paramName);
        if (s.Session.Device.Ordinal != session.Device.Ordinal)
            throw new ArgumentException($"this state lives on cuda:{s.Session.Device.Ordinal}, not cuda:{session.Device.Ordinal}", paramName);
        if (!ReferenceEquals(s.Session, session))
        {
            lock (s.Session.Gate)
            {
                using var scope = s.Session.Enter();
                s.Session.Stream.Synchronize();
            }
        }
        return s;
    }

    /// <inheritdoc/>
    public override ModelState ToHost()
    {
        var host = new ModelState(Layers, Batch, Channels);
        lock (Session.Gate)
        {
            using var scope = Session.Enter();
            DeviceCopy.Download(Session.Stream, Shift, host.Shift);
            DeviceCopy.Download(Session.Stream, Wkv, host.Wkv);
        }
        return host;
    }

    /// <inheritdoc/>
    protected override void Dispose(bool disposing)
    {
        if (!disposing) return; // the buffers' own handles free them if this was never disposed
        lock (Session.Gate)
        {
            if (!Session.Context.IsClosed && !Session.Stream.IsClosed)
            {
                using var scope = Session.Enter();
                Session.Stream.Synchronize(); // kernels already queued may still use the buffers
            }
            shift.Dispose();
            wkv.Dispose();
        }
    }
}
