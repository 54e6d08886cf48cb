// Batches sequences of many concurrent requests together, in arrival order, under a token budget, on one worker thread.
using RwkvNative.Backends;
using RwkvNative.Server.Json;

namespace RwkvNative.Server;

/// <summary>What a batch computes; only sequences of the same kind and task share a batch.</summary>
internal enum WorkKind
{
    Embed,
    Rerank,
}

/// <summary>One request's sequences waiting for the batcher; completes when every sequence has its result.</summary>
internal sealed class BatchJob
{
    private readonly TaskCompletionSource _done = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private int _remaining;

    public BatchJob(WorkKind kind, EmbeddingTask task, IReadOnlyList<int[]> sequences)
    {
        Kind = kind;
        Task = task;
        Sequences = sequences;
        _remaining = sequences.Count;
        if (kind == WorkKind.Embed) Embeddings = new float[sequences.Count][];
        else Logits = new float[sequences.Count];
        if (sequences.Count == 0) _done.TrySetResult();
    }

    public WorkKind Kind { get; }
    public EmbeddingTask Task { get; }
    public IReadOnlyList<int[]> Sequences { get; }

    /// <summary>[N][C] for <see cref="WorkKind.Embed"/>.</summary>
    public float[][]? Embeddings { get; }

    /// <summary>[N] reranker logits for <see cref="WorkKind.Rerank"/>.</summary>
    public float[]? Logits { get; }

    public Task Completion => _done.Task;

    public bool IsFinished => _done.Task.IsCompleted;

    public void SetEmbedding(int index, float[] value)
    {
        Embeddings![index] = value;
        if (Interlocked.Decrement(ref _remaining) == 0) _done.TrySetResult();
    }

    public void SetLogit(int index, float value)
    {
        Logits![index] = value;
        if (Interlocked.Decrement(ref _remaining) == 0) _done.TrySetResult();
    }

    public void Fail(Exception e) => _done.TrySetException(e);

    public void Cancel(CancellationToken token) => _done.TrySetCanceled(token);
}

/// <summary>
/// The dynamic batcher. Requests enqueue all their sequences at once, so the queue holds requests in arrival order and
/// each request's sequences side by side. The worker takes sequences from the head while they are of the head's kind
/// and fit the token budget (a batch always takes at least one), runs them through the model in one call and hands every
/// result back to its request. Sequences of a cancelled request are skipped. On dispose the queue is drained first.
/// </summary>
internal sealed class DynamicBatcher : IDisposable
{
    private readonly EmbeddingModel _model;
    private readonly Reranker? _reranker;
    private readonly int _maxBatchTokens;
    private readonly ServerMetrics _metrics;
    private readonly Queue<(BatchJob Job, int Index)> _queue = new();
    private readonly object _lock = new();
    private readonly Thread _worker;
    private bool _stopping;

    public DynamicBatcher(EmbeddingModel model, Reranker? reranker, int maxBatchTokens, ServerMetrics metrics)
    {
        _model = model;
        _reranker = reranker;
        _maxBatchTokens = maxBatchTokens;
        _metrics = metrics;
        _worker = new Thread(Loop) { IsBackground = true, Name = "rwkv-batcher" };
        _worker.Start();
    }

    /// <summary>Sequences waiting in the queue.</summary>
    public int QueuedSequences
    {
        get { lock (_lock) return _queue.Count; }
    }

    /// <summary>True until disposal starts.</summary>
    public bool IsAccepting
    {
        get { lock (_lock) return !_stopping && _worker.IsAlive; }
    }

    /// <summary>Embeddings ([N][C], raw head output) of token sequences (each holding EOS).</summary>
    public async Task<float[][]> EmbedAsync(IReadOnlyList<int[]> sequences, EmbeddingTask task, CancellationToken cancellationToken)
    {
        var job = new BatchJob(WorkKind.Embed, task, sequences);
        await RunAsync(job, cancellationToken).ConfigureAwait(false);
        return job.Embeddings!;
    }

    /// <summary>Reranker logits [N] of online-template sequences (each ending in EOS).</summary>
    public async Task<float[]> RerankAsync(IReadOnlyList<int[]> sequences, CancellationToken cancellationToken)
    {
        if (_reranker == null) throw new InvalidOperationException("no reranker loaded");
        var job = new BatchJob(WorkKind.Rerank, EmbeddingTask.Retrieval, sequences);
        await RunAsync(job, cancellationToken).ConfigureAwait(false);
        return job.Logits!;
    }

    private async Task RunAsync(BatchJob job, CancellationToken cancellationToken)
    {
        lock (_lock)
        {
            if (_stopping) throw new ApiException(503, "unhealthy", "the server is shutting down");
            for (int i = 0; i < job.Sequences.Count; i++) _queue.Enqueue((job, i));
            _metrics.QueueDepth = _queue.Count;
            Monitor.Pulse(_lock);
        }
        using (cancellationToken.Register(static (j, t) => ((BatchJob)j!).Cancel(t), job))
            await job.Completion.ConfigureAwait(false);
    }

    private void Loop()
    {
        var batch = new List<(BatchJob Job, int Index)>();
        while (true)
        {
            lock (_lock)
            {
                while (_queue.Count == 0 && !_stopping) Monitor.Wait(_lock);
                if (_queue.Count == 0) return; // stopping, and nothing left to do
                Take(batch);
                _metrics.QueueDepth = _queue.Count;
            }
            if (batch.Count > 0) Run(batch);
            batch.Clear();
        }
    }

    // Caller holds _lock.
    private void Take(List<(BatchJob Job, int Index)> batch)
    {
        int tokens = 0;
        BatchJob? head = null;
        while (_queue.TryPeek(out var e))
        {
            if (e.Job.IsFinished) { _queue.Dequeue(); continue; } // cancelled or failed: skip its rest
            int length = e.Job.Sequences[e.Index].Length;
            if (head != null && (e.Job.Kind != head.Kind || e.Job.Task != head.Task || tokens + length > _maxBatchTokens)) break;
            head ??= e.Job;
            tokens += length;
            batch.Add(_queue.Dequeue());
        }
    }

    private void Run(List<(BatchJob Job, int Index)> batch)
    {
        var first = batch[0].Job;
        var seqs = new int[batch.Count][];
        long tokens = 0;
        for (int i = 0; i < seqs.Length; i++)
        {
            seqs[i] = batch[i].Job.Sequences[batch[i].Index];
            tokens += seqs[i].Length;
        }
        long start = System.Diagnostics.Stopwatch.GetTimestamp();
        try
        {
            if (first.Kind == WorkKind.Embed)
            {
                var embs = _model.EmbedTokens(seqs, first.Task);
                for (int i = 0; i < seqs.Length; i++) batch[i].Job.SetEmbedding(batch[i].Index, embs[i]);
            }
            else
            {
                var result = _model.Forward(seqs, null, EmbeddingTask.Retrieval);
                var logits = _reranker!.LogitsOf(result.State);
                for (int i = 0; i < seqs.Length; i++) batch[i].Job.SetLogit(batch[i].Index, logits[i]);
            }
        }
        catch (Exception e)
        {
            foreach (var (job, _) in batch) job.Fail(e);
        }
        _metrics.RecordBatch(first.Kind, seqs.Length, tokens, System.Diagnostics.Stopwatch.GetElapsedTime(start).TotalSeconds);
    }

    /// <summary>Stops taking work, finishes every queued sequence, then ends the worker.</summary>
    public void Dispose()
    {
        lock (_lock)
        {
            if (_stopping) return;
            _stopping = true;
            Monitor.PulseAll(_lock);
        }
        _worker.Join();
    }
}
