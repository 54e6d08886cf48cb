using System.Reflection;
using System.Runtime.InteropServices;

namespace RwkvNative.Cuda.Interop;

/// <summary>Thrown when a CUDA library cannot be loaded; the message lists every name tried and why it failed.</summary>
public sealed class CudaLibraryNotFoundException : Exception
{
    /// <summary>Creates the exception.</summary>
    public CudaLibraryNotFoundException(string message) : base(message) { }
}
