// The CPU backend's own worker threads, so that model compute never occupies the .NET thread pool that serves I/O.
using System.Collections.Concurrent;

namespace RwkvNative.Cpu;

/// <summary>
/// A task scheduler over dedicated background threads (one per processor), used by every parallel loop of the CPU
/// backend. A host that serves requests (the HTTP server) keeps its thread pool free for sockets and timers while a
/// batch computes; the thread that calls into the backend still takes part in each loop, as with the thread pool.
/// </summary>
internal sealed class CpuThreads : TaskScheduler
{
    private readonly BlockingCollection<Task> _queue = new();
    private static long _executed;

    /// <summary>The backend's scheduler.</summary>
    public static CpuThreads Instance { get; } = new(Environment.ProcessorCount);

    /// <summary>Work items these threads have run since the process started (a figure for tests and diagnostics).</summary>
    public static long Executed => Interlocked.Read(ref _executed);

    [ThreadStatic] private static bool _isWorker;

    private CpuThreads(int threads)
    {
        for (int i = 0; i < threads; i++)
        {
            var thread = new Thread(Work) { IsBackground = true, Name = $"rwkv-cpu-{i}" };
            thread.Start();
        }
        MaximumConcurrencyLevel = threads;
    }

    public override int MaximumConcurrencyLevel { get; }

    private static readonly ParallelOptions?[] OptionsByThreads = new ParallelOptions?[Environment.ProcessorCount + 1];

    /// <summary>
    /// Options for a parallel loop of the CPU backend: these threads, at most <paramref name="threads"/> of them at once
    /// (cached per count, so a loop allocates none).
    /// </summary>
    public static ParallelOptions Options(int threads) =>
        threads < OptionsByThreads.Length
            ? OptionsByThreads[threads] ??= new ParallelOptions { MaxDegreeOfParallelism = threads, TaskScheduler = Instance }
            : new ParallelOptions { MaxDegreeOfParallelism = threads, TaskScheduler = Instance };

    private void Work()
    {
        _isWorker = true;
        foreach (var task in _queue.GetConsumingEnumerable())
        {
            Interlocked.Increment(ref _executed);
            TryExecuteTask(task);
        }
    }

    protected override void QueueTask(Task task) => _queue.Add(task);

    // Only inline on our own threads: a thread-pool caller must not end up running queued work of others.
    protected override bool TryExecuteTaskInline(Task task, bool taskWasPreviouslyQueued) =>
        _isWorker && !taskWasPreviouslyQueued && TryExecuteTask(task);

    protected override IEnumerable<Task> GetScheduledTasks() => _queue.ToArray();
}
