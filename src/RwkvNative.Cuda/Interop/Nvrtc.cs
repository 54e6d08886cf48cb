using System.Runtime.InteropServices;

namespace RwkvNative.Cuda.Interop;

/// <summary>
/// NVRTC entry points (nvrtc.h), with the C signature above each. Load with
/// <see cref="NativeLibraryLoader.Nvrtc"/> first.
/// </summary>
internal static unsafe partial class Nvrtc
{
    private const string Lib = NativeLibraryLoader.NvrtcName;

    // nvrtcResult nvrtcVersion(int* major, int* minor);
    [LibraryImport(Lib, EntryPoint = "nvrtcVersion")]
    public static partial NvrtcResult Version(out int major, out int minor);

    // nvrtcResult nvrtcGetNumSupportedArchs(int* numArchs);
    [LibraryImport(Lib, EntryPoint = "nvrtcGetNumSupportedArchs")]
    public static partial NvrtcResult GetNumSupportedArchs(out int count);

    // nvrtcResult nvrtcGetSupportedArchs(int* supportedArchs);
    [LibraryImport(Lib, EntryPoint = "nvrtcGetSupportedArchs")]
    public static partial NvrtcResult GetSupportedArchs(int* archs);

    // nvrtcResult nvrtcCreateProgram(nvrtcProgram* prog, const char* src, const char* name, int numHeaders,
    //                                const char* const* headers, const char* const* includeNames);
    [LibraryImport(Lib, EntryPoint = "nvrtcCreateProgram")]
    public static partial NvrtcResult CreateProgram(out nint program, byte* source, byte* name, int headerCount,
        byte** headers, byte** includeNames);

    // nvrtcResult nvrtcDestroyProgram(nvrtcProgram* prog);
    [LibraryImport(Lib, EntryPoint = "nvrtcDestroyProgram")]
    public static partial NvrtcResult DestroyProgram(ref nint program);

    // nvrtcResult nvrtcCompileProgram(nvrtcProgram prog, int numOptions, const char* const* options);
    [LibraryImport(Lib, EntryPoint = "nvrtcCompileProgram")]
    public static partial NvrtcResult CompileProgram(nint program, int optionCount, byte** options);

    // nvrtcResult nvrtcGetProgramLogSize(nvrtcProgram prog, size_t* logSizeRet);
    [LibraryImport(Lib, EntryPoint = "nvrtcGetProgramLogSize")]
    public static partial NvrtcResult GetProgramLogSize(nint program, out nuint size);

    // nvrtcResult nvrtcGetProgramLog(nvrtcProgram prog, char* log);
    [LibraryImport(Lib, EntryPoint = "nvrtcGetProgramLog")]
    public static partial NvrtcResult GetProgramLog(nint program, byte* log);

    // nvrtcResult nvrtcGetCUBINSize(nvrtcProgram prog, size_t* cubinSizeRet);
    [LibraryImport(Lib, EntryPoint = "nvrtcGetCUBINSize")]
    public static partial NvrtcResult GetCubinSize(nint program, out nuint size);

    // nvrtcResult nvrtcGetCUBIN(nvrtcProgram prog, char* cubin);
    [LibraryImport(Lib, EntryPoint = "nvrtcGetCUBIN")]
    public static partial NvrtcResult GetCubin(nint program, byte* cubin);

    // nvrtcResult nvrtcGetPTXSize(nvrtcProgram prog, size_t* ptxSizeRet);
    [LibraryImport(Lib, EntryPoint = "nvrtcGetPTXSize")]
    public static partial NvrtcResult GetPtxSize(nint program, out nuint size);

    // nvrtcResult nvrtcGetPTX(nvrtcProgram prog, char* ptx);
    [LibraryImport(Lib, EntryPoint = "nvrtcGetPTX")]
    public static partial NvrtcResult GetPtx(nint program, byte* ptx);

    // const char* nvrtcGetErrorString(nvrtcResult result);
    [LibraryImport(Lib, EntryPoint = "nvrtcGetErrorString")]
    public static partial byte* GetErrorString(NvrtcResult result);
}
