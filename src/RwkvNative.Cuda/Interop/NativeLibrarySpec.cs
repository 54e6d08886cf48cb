using System.Reflection;
using System.Runtime.InteropServices;

namespace RwkvNative.Cuda.Interop;

/// <summary>
/// One native library the backend needs: a logical name used by the <c>[LibraryImport]</c> declarations, the
/// candidate file names tried in order, and an environment variable that, when set, replaces the candidates.
/// </summary>
/// <param name="LogicalName">Name in the <c>[LibraryImport]</c> attributes; never a real file.</param>
/// <param name="Description">What the library is, for messages (e.g. "CUDA driver (libcuda)").</param>
/// <param name="EnvironmentVariable">Path override (e.g. <c>RWKV_CUDA_DRIVER</c>).</param>
/// <param name="Candidates">File names or paths, most preferred first.</param>
/// <param name="Remedy">What to do when none loads.</param>
internal sealed record NativeLibrarySpec(string LogicalName, string Description, string EnvironmentVariable,
    IReadOnlyList<string> Candidates, string Remedy);
