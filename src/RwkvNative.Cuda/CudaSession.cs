using RwkvNative.Cuda.Capture;
using RwkvNative.Cuda.Handles;
using RwkvNative.Cuda.Interop;
using RwkvNative.Cuda.Kernels;
using RwkvNative.Cuda.Memory;
using RwkvNative.Cuda.Model;

namespace RwkvNative.Cuda;

/// <summary>
/// Everything the backends of one device share: the (primary) context, one stream, a cuBLAS handle, the loaded kernels
/// and their launchers, and the workspace. An embedding backend opens it; a reranker paired with that backend takes a
/// reference to the same session (<see cref="AddRef"/>), so both run on one stream and read each other's device states in
/// order. Not thread-safe by itself: every user holds <see cref="Gate"/> while it issues work.
/// </summary>
internal sealed class CudaSession : IDisposable
{
    // NVIDIA's recommendation for Hopper (smaller GPUs need less).
    private const long BlasWorkspaceBytes = 32L << 20;

    private readonly ContextHandle context;
    private readonly List<IDisposable> ownedInOrder = [];
    private int references = 1;

    private CudaSession(CudaDevice device, CudaBackendOptions options)
    {
        Device = device;
        Options = options;
        context = ContextHandle.RetainPrimary(device.Ordinal);
        try
        {
            using var scope = context.Enter();
            Stream = Own(StreamHandle.Create(context));
            Blas = Own(CublasHandle.Create(context, Stream));
            Start = Own(EventHandle.Create(context));
            End = Own(EventHandle.Create(context));
            var log = options.Log ?? (message => Console.Error.WriteLine(message));
            CudaDevice.Libraries.ReportOnce(log);
            var cache = new KernelCache(options.KernelCacheDirectory ?? KernelCache.DefaultDirectory());
            Modules = Own(new KernelModules(context, new KernelCompiler(device.ComputeCapability, cache, log, options.KernelLineInfo)));
            Workspace = Own(new Workspace(context, Stream));
            // A fixed cuBLAS workspace: without one cuBLAS may allocate while a CUDA graph is being captured.
            var blasWorkspace = Own(DeviceBuffer.Allocate(context, BlasWorkspaceBytes));
            CudaCheck.Cublas(Cublas.SetWorkspace(Blas.Value, blasWorkspace.View<byte>().Address, (nuint)BlasWorkspaceBytes));
            Kernels = new Launchers(new LaunchContext(Stream, Modules, device.Multiprocessors), Blas, Workspace.Conversion, Stream.Counters);
            Blocks = new BlockRunner(Kernels, Workspace, new BlockOptions(options.FusedKernels, options.HalfGemmInputs, options.Wkv7));
        }
        catch
        {
            Dispose();
            throw;
        }
    }

    /// <summary>Opens device <paramref name="index"/>.</summary>
    public static CudaSession Open(int index, CudaBackendOptions options) => new(CudaDevice.Query(index), options);

    /// <summary>Held while issuing work on the stream or touching the workspace (by every backend and state of the session).</summary>
    public Lock Gate { get; } = new();

    /// <summary>The device.</summary>
    public CudaDevice Device { get; }
    public CudaBackendOptions Options { get; }
    public ContextHandle Context => context;
    public StreamHandle Stream { get; }
    public CublasHandle Blas { get; }
    public EventHandle Start { get; }
    public EventHandle End { get; }
    public KernelModules Modules { get; }
    /// <summary>The kernel launchers and the GEMM, on <see cref="Stream"/>.</summary>
    public Launchers Kernels { get; }
    public Workspace Workspace { get; }
    public BlockRunner Blocks { get; }

    /// <summary>Takes one more reference (a paired reranker); each reference is released by one <see cref="Dispose"/>.</summary>
    public CudaSession AddRef()
    {
        lock (Gate)
        {
            ObjectDisposedException.ThrowIf(references == 0, this);
            references++;
            return this;
        }
    }

    /// <summary>Makes the context current on this thread for the scope's lifetime.</summary>
    public ContextHandle.Scope Enter() => context.Enter();

    private T Own<T>(T item) where T : IDisposable
    {
        ownedInOrder.Add(item);
        return item;
    }

    /// <summary>
    /// Releases one reference; the last one frees in reverse order of creation (workspace, modules, events, cuBLAS, stream) after the stream drains, then
    /// releases the context.
    /// </summary>
    public void Dispose()
    {
        lock (Gate)
        {
            if (references == 0) return;
            if (--references > 0) return;
        }
        if (ownedInOrder.Count > 0 && !context.IsInvalid && !context.IsClosed)
        {
            try
            {
                using var scope = context.Enter();
                Stream?.Synchronize();
            }
            catch (CudaException)
            {
                // A faulted context cannot drain; the handles below still free what they can.
            }
        }
        for (int i = ownedInOrder.Count - 1; i >= 0; i--) ownedInOrder[i].Dispose();
        ownedInOrder.Clear();
        context?.Dispose();
    }
}
