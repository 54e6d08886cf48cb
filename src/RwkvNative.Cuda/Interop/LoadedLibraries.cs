namespace RwkvNative.Cuda.Interop;

/// <summary>
/// The CUDA libraries this process loaded, with their files and versions, so a first run on a new host shows at once
/// what it found. Printed once per process by <see cref="ReportOnce"/>.
/// </summary>
/// <param name="DriverPath">File of the CUDA driver library.</param>
/// <param name="DriverVersion">cuDriverGetVersion, e.g. 12080.</param>
/// <param name="NvrtcPath">File of NVRTC.</param>
/// <param name="NvrtcVersion">nvrtcVersion as "major.minor".</param>
/// <param name="NvrtcBuiltinsPath">The builtins companion loaded from NVRTC's folder, or null (left to NVRTC's own search).</param>
/// <param name="CublasPath">File of cuBLAS.</param>
/// <param name="CublasVersion">cublasGetProperty as "major.minor.patch".</param>
internal sealed record LoadedLibraries(string DriverPath, int DriverVersion, string NvrtcPath, string NvrtcVersion,
    string? NvrtcBuiltinsPath, string CublasPath, string CublasVersion)
{
    private static int reported;

    /// <summary>One line: <c>rwkvnative: CUDA driver 12.8 (/usr/lib/x86_64-linux-gnu/libcuda.so.1), NVRTC ..., cuBLAS ...</c>.</summary>
    public override string ToString() =>
        $"rwkvnative: CUDA driver {DriverVersion / 1000}.{DriverVersion % 1000 / 10} ({DriverPath}), NVRTC {NvrtcVersion} ({NvrtcPath}; builtins: " +
        $"{NvrtcBuiltinsPath ?? "left to NVRTC's own search"}), cuBLAS {CublasVersion} ({CublasPath})";

    /// <summary>Writes <see cref="ToString"/> to <paramref name="log"/> the first time any caller in this process asks.</summary>
    public void ReportOnce(Action<string> log)
    {
        if (Interlocked.Exchange(ref reported, 1) == 0) log(ToString());
    }
}
