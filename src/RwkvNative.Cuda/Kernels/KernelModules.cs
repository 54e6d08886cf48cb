using RwkvNative.Cuda.Handles;
using RwkvNative.Cuda.Interop;

namespace RwkvNative.Cuda.Kernels;

/// <summary>The modules of one backend instance: each kernels/*.cu compiled (or read from cache) and loaded once.</summary>
internal sealed class KernelModules(ContextHandle context, KernelCompiler compiler) : IDisposable
{
    private readonly Dictionary<string, CudaModuleHandle> modules = new(StringComparer.Ordinal);

    /// <summary>The compiler in use (for diagnostics).</summary>
    public KernelCompiler Compiler => compiler;

    /// <summary>The CUfunction of <paramref name="kernel"/>; loads its module on first use (context must be current).</summary>
    public nint Function(KernelName kernel)
    {
        if (!modules.TryGetValue(kernel.File, out var module))
        {
            module = Load(kernel.File);
            modules[kernel.File] = module;
        }
        return module.Function(kernel.Function);
    }

    private CudaModuleHandle Load(string file)
    {
        var (image, cacheName) = compiler.Compile(file);
        try
        {
            return CudaModuleHandle.Load(context, image);
        }
        catch (CudaException e) when (e.Status is (int)CUresult.InvalidImage or (int)CUresult.NoBinaryForGpu)
        {
            // A stale or damaged cache entry: rebuild once from source.
            compiler.Evict(cacheName);
            var (fresh, _) = compiler.Compile(file);
            return CudaModuleHandle.Load(context, fresh);
        }
    }

    /// <summary>Unloads every module.</summary>
    public void Dispose()
    {
        foreach (var m in modules.Values) m.Dispose();
        modules.Clear();
    }
}
