// OpenBLAS, loaded at run time for comparison only (the library itself never depends on it).
using System.Runtime.InteropServices;

namespace RwkvNative.Benchmarks;

/// <summary>
/// The few OpenBLAS entry points the GEMM comparison calls, bound from whichever candidate library loads
/// (Debian: <c>apt-get install libopenblas0-pthread</c>). <see cref="TryLoad"/> explains every failed candidate.
/// </summary>
internal sealed unsafe class OpenBlas
{
    private const int RowMajor = 101, NoTrans = 111, Trans = 112;

    private static readonly string[] Candidates =
    [
        "libopenblas.so.0", "libopenblas.so", "/usr/lib/x86_64-linux-gnu/libopenblas.so.0",
        "/usr/lib/aarch64-linux-gnu/libopenblas.so.0", "libopenblas.dylib", "libopenblas.dll",
    ];

    // void cblas_sgemm(order, transA, transB, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc)
    private readonly delegate* unmanaged<int, int, int, int, int, int, float, float*, int, float*, int, float, float*, int, void> _sgemm;
    // void cblas_sgemv(order, trans, M, N, alpha, A, lda, X, incX, beta, Y, incY)
    private readonly delegate* unmanaged<int, int, int, int, float, float*, int, float*, int, float, float*, int, void> _sgemv;
    // void openblas_set_num_threads(int)
    private readonly delegate* unmanaged<int, void> _setThreads;
    // char* openblas_get_corename(void); char* openblas_get_config(void)
    private readonly delegate* unmanaged<byte*> _coreName, _config;

    private OpenBlas(nint handle, string path)
    {
        Path = path;
        _sgemm = (delegate* unmanaged<int, int, int, int, int, int, float, float*, int, float*, int, float, float*, int, void>)
            NativeLibrary.GetExport(handle, "cblas_sgemm");
        _sgemv = (delegate* unmanaged<int, int, int, int, float, float*, int, float*, int, float, float*, int, void>)
            NativeLibrary.GetExport(handle, "cblas_sgemv");
        _setThreads = (delegate* unmanaged<int, void>)NativeLibrary.GetExport(handle, "openblas_set_num_threads");
        _coreName = (delegate* unmanaged<byte*>)NativeLibrary.GetExport(handle, "openblas_get_corename");
        _config = (delegate* unmanaged<byte*>)NativeLibrary.GetExport(handle, "openblas_get_config");
    }

    /// <summary>The file that loaded.</summary>
    public string Path { get; }

    /// <summary>Kernel family OpenBLAS picked for this CPU (e.g. Haswell, SkylakeX; override with OPENBLAS_CORETYPE).</summary>
    public string CoreName => Marshal.PtrToStringAnsi((nint)_coreName()) ?? "?";

    /// <summary>Build configuration string (version, threading).</summary>
    public string Config => Marshal.PtrToStringAnsi((nint)_config()) ?? "?";

    /// <summary>Loads the first candidate that has the entry points, or explains why none did.</summary>
    public static OpenBlas? TryLoad(out string failure)
    {
        var reasons = new List<string>();
        foreach (var name in Candidates)
        {
            try
            {
                if (!NativeLibrary.TryLoad(name, out var handle)) { reasons.Add($"{name}: not found"); continue; }
                failure = "";
                return new OpenBlas(handle, name);
            }
            catch (EntryPointNotFoundException e)
            {
                reasons.Add($"{name}: {e.Message}");
            }
        }
        failure = "OpenBLAS not loaded (install libopenblas0-pthread): " + string.Join("; ", reasons);
        return null;
    }

    /// <summary>Thread count for later calls.</summary>
    public void SetThreads(int threads) => _setThreads(threads);

    /// <summary>y[M, N] = x[M, K] · W[N, K]ᵀ, all row-major (the same contract as <c>Gemm.Linear</c>).</summary>
    public void Linear(float[] x, int m, float[] w, int n, int k, float[] y)
    {
        fixed (float* px = x, pw = w, py = y) _sgemm(RowMajor, NoTrans, Trans, m, n, k, 1f, px, k, pw, k, 0f, py, n);
    }

    /// <summary>y[N] = W[N, K] · x[K] (the M = 1 case through sgemv).</summary>
    public void MatVec(float[] x, float[] w, int n, int k, float[] y)
    {
        fixed (float* px = x, pw = w, py = y) _sgemv(RowMajor, NoTrans, n, k, 1f, pw, k, px, 1, 0f, py, 1);
    }
}
