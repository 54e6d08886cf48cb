namespace RwkvNative.Cpu;

/// <summary>
/// Parallel loops of the CPU backend, bounded by the backend's thread count like its GEMM calls (one knob,
/// <see cref="CpuBackendOptions.Threads"/>). A row's (an item's) result never depends on how the work is split, so any
/// thread count gives the same bits.
/// </summary>
/// <remarks>
/// The calling thread takes part and claims items from a shared counter, and so does each helper on
/// <see cref="CpuThreads"/> once it runs. A call returns when every item is done; it never waits for a helper that has
/// not started yet (it finds nothing left when it does). A B = 1 forward makes ~360 such loops: with a wait per helper
/// wake-up (what Parallel.For does), a late helper on a busy machine cost the whole loop its start-up delay each time.
/// </remarks>
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
        For(chunks, new RowChunks<TJob>(job, rows, chunks), threads);
    }

    /// <summary>Runs <paramref name="job"/> for every item of [0, <paramref name="count"/>) on up to <paramref name="maxThreads"/> threads.</summary>
    public static void For<TJob>(int count, TJob job, int maxThreads) where TJob : struct, IItemJob
    {
        int threads = Math.Min(Math.Min(maxThreads, Environment.ProcessorCount), count);
        if (threads <= 1)
        {
            for (int i = 0; i < count; i++) job.Run(i);
            return;
        }
        var loop = new Loop<TJob>(job, count);
        for (int h = 1; h < threads; h++) new Task(loop.Help).Start(CpuThreads.Instance);
        loop.Work();
        loop.WaitAll();
    }

    private readonly struct RowChunks<TJob>(TJob job, int rows, int chunks) : IItemJob where TJob : struct, IRowJob
    {
        public void Run(int i) => job.Rows((int)((long)rows * i / chunks), (int)((long)rows * (i + 1) / chunks));
    }

    /// <summary>One loop's shared counters: items claimed, items finished, the first failure.</summary>
    private sealed class Loop<TJob>(TJob job, int count) where TJob : struct, IItemJob
    {
        private int _next = -1, _done;
        private Exception? _error;

        public void Help() => Work();

        public void Work()
        {
            int item;
            while ((item = Interlocked.Increment(ref _next)) < count)
            {
                try
                {
                    if (Volatile.Read(ref _error) == null) job.Run(item);
                }
                catch (Exception e)
                {
                    Interlocked.CompareExchange(ref _error, e, null);
                }
                finally
                {
                    Interlocked.Increment(ref _done);
                }
            }
        }

        /// <summary>Waits for items other threads claimed and have not finished (every item is claimed when the caller gets here).</summary>
        public void WaitAll()
        {
            var spin = new SpinWait();
            while (Volatile.Read(ref _done) < count) spin.SpinOnce(sleep1Threshold: -1);
            if (_error is { } e) System.Runtime.ExceptionServices.ExceptionDispatchInfo.Throw(e);
        }
    }
}
