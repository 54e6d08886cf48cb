namespace RwkvNative.Cpu;

/// <summary>
/// Row-parallel loops of the CPU backend, bounded by the backend's thread count like its GEMM calls (one knob,
/// <see cref="CpuBackendOptions.Threads"/>). A row's result never depends on how rows are split, so any thread count
/// gives the same bits.
/// </summary>
internal static class CpuParallel
{
    /// <summary>Below this much work (rows × floats per row) a loop runs on the calling thread.</summary>
    private const long SerialWork = 1 << 15;

    /// <summary>Runs <paramref name="job"/> over <paramref name="rows"/> rows of <paramref name="width"/> floats each, on up to <paramref name="maxThreads"/> threads.</summary>
    public static void ForRows<TJob>(int rows, int width, TJob job, int maxThreads) where TJob : struct, IRowJob
    {
        int threads = Math.Min(maxThreads, Environment.ProcessorCount);
        if (rows <= 0) return;
        if (threads == 1 || rows == 1 || (long)rows * width < SerialWork)
        {
            job.Rows(0, rows);
            return;
        }
        // A few chunks per thread for balance; each chunk a run of whole rows.
        int chunks = Math.Min(rows, threads * 4);
        Parallel.For(0, chunks, CpuThreads.Options(threads), i =>
        {
            int start = (int)((long)rows * i / chunks), end = (int)((long)rows * (i + 1) / chunks);
            job.Rows(start, end);
        });
    }

    /// <summary>Runs <paramref name="body"/>(i) for i in [0, count), each a heavy independent item (e.g. one head of one sequence).</summary>
    public static void ForItems(int count, Action<int> body, int maxThreads)
    {
        int threads = Math.Min(maxThreads, Environment.ProcessorCount);
        if (threads == 1 || count <= 1)
        {
            for (int i = 0; i < count; i++) body(i);
            return;
        }
        Parallel.For(0, count, CpuThreads.Options(threads), body);
    }
}
