// Work that is not a batch of token sequences (scoring cached document states) but must run on the batcher's compute thread.
namespace RwkvNative.Server;

/// <summary>
/// One call queued on the batcher's worker thread, between batches: a long compute then never holds one of Kestrel's
/// thread-pool threads, and it never runs beside a batch on the same model. <see cref="Tokens"/> counts in the queue's
/// token budget until the call has run (or, when cancelled before it starts, until the worker drops it).
/// </summary>
internal abstract class ComputeCall(long tokens, CancellationToken cancellationToken)
{
    public long Tokens { get; } = tokens;
    public CancellationToken CancellationToken { get; } = cancellationToken;

    /// <summary>Stopwatch timestamps: queued, started on the worker, finished (0 until then).</summary>
    public long EnqueuedAt { get; } = System.Diagnostics.Stopwatch.GetTimestamp();
    public long StartedAt { get; protected set; }
    public long EndedAt { get; protected set; }

    /// <summary>True once answered (run, failed or cancelled).</summary>
    public abstract bool IsFinished { get; }

    /// <summary>Runs the work on the calling (worker) thread and completes the caller's task.</summary>
    public abstract void Run();

    public abstract void Cancel();
}

internal sealed class ComputeCall<T>(Func<CancellationToken, T> work, long tokens, CancellationToken cancellationToken)
    : ComputeCall(tokens, cancellationToken)
{
    private readonly TaskCompletionSource<T> _done = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public Task<T> Completion => _done.Task;

    public override bool IsFinished => _done.Task.IsCompleted;

    public override void Run()
    {
        if (IsFinished) return;
        StartedAt = System.Diagnostics.Stopwatch.GetTimestamp();
        T result;
        try { result = work(CancellationToken); }
        catch (OperationCanceledException) when (CancellationToken.IsCancellationRequested)
        {
            EndedAt = System.Diagnostics.Stopwatch.GetTimestamp();
            _done.TrySetCanceled(CancellationToken);
            return;
        }
        catch (Exception e)
        {
            EndedAt = System.Diagnostics.Stopwatch.GetTimestamp();
            _done.TrySetException(e);
            return;
        }
        EndedAt = System.Diagnostics.Stopwatch.GetTimestamp();
        _done.TrySetResult(result);
    }

    public override void Cancel() => _done.TrySetCanceled(CancellationToken);
}
