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
    private static long s_executed;

    /// <summary>The backend's scheduler.</summary>
    public static CpuThreads Instance { get; } = new(Environment.ProcessorCount);

    /// <summary>Work items these threads have run since the process started (a figure for tests and diagnostics).</summary>
    public static long Executed => Interlocked.Read(ref s_executed);

    [ThreadStatic] private static bool t_isWorker;

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

    private void Work()
    {
        t_isWorker = true;
        foreach (var task in _queue.GetConsumingEnumerable())
        {
            Interlocked.Increment(ref s_executed);
            TryExecuteTask(task);
        }
    }

    protected override void QueueTask(Task task) => _queue.Add(task);

    // Only inline on our own threads: a thread-pool caller must not end up running queued work of others.
    protected override bool TryExecuteTaskInline(Task task, bool taskWasPreviouslyQueued) =>
        t_isWorker && !taskWasPreviouslyQueued && TryExecuteTask(task);

    protected override IEnumerable<Task> GetScheduledTasks() => _queue.ToArray();
}
