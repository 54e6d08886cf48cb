// Batches sequences of many concurrent requests together under a token budget, fairly across requests, on one worker thread.
using RwkvNative.Backends;
using RwkvNative.Server.Json;

namespace RwkvNative.Server;

/// <summary>
/// The dynamic batcher. A request enters with all its sequences as one job, admitted only while the tokens of the work
/// admitted and not yet computed stay within the queue's token budget (else 429). The worker thread builds each batch
/// round-robin: starting from the job at the head it takes one sequence from every job of the head's kind and task in
/// turn, round after round, while they fit the batch's token budget (a batch always takes at least one); then the head
/// moves to the back. A small request behind a huge one is so answered by the next batch, not after the huge one. The
/// batch runs through the model in one call and every result goes back to its request. A job waiting longer than the
/// queue timeout before any of its sequences started is answered 429; a cancelled job leaves at once. On dispose the
/// queue is drained first.
/// </summary>
internal sealed class DynamicBatcher : IDisposable
{
    private readonly EmbeddingModel _model;
    private readonly Reranker? _reranker;
    private readonly int _maxBatchTokens;
    private readonly long _maxQueuedTokens;
    private readonly TimeSpan _queueTimeout;
    private readonly ServerMetrics _metrics;
    private readonly List<BatchJob> _jobs = [];
    private readonly Queue<ComputeCall> _calls = new();
    private readonly object _lock = new();
    private readonly Thread _worker;
    private long _queuedTokens;
    private int _queuedSequences;
    private bool _stopping;

    /// <param name="model">The model every batch runs through.</param>
    /// <param name="reranker">The reranker head for rerank jobs, or null.</param>
    /// <param name="maxBatchTokens">Most tokens of one model batch.</param>
    /// <param name="metrics">Where queue depth and batch figures go.</param>
    /// <param name="maxQueuedTokens">Most tokens admitted and not yet computed (a request beyond it is answered 429).</param>
    /// <param name="queueTimeout">How long a job may wait before a batch takes its first sequence; zero or less: no limit.</param>
    public DynamicBatcher(EmbeddingModel model, Reranker? reranker, int maxBatchTokens, ServerMetrics metrics,
        long maxQueuedTokens = long.MaxValue, TimeSpan queueTimeout = default)
    {
        _model = model;
        _reranker = reranker;
        _maxBatchTokens = maxBatchTokens;
        _maxQueuedTokens = maxQueuedTokens;
        _queueTimeout = queueTimeout;
        _metrics = metrics;
        _worker = new Thread(Loop) { IsBackground = true, Name = "rwkv-batcher" };
        _worker.Start();
    }

    /// <summary>Sequences waiting for a batch.</summary>
    public int QueuedSequences
    {
        get { lock (_lock) return _queuedSequences; }
    }

    /// <summary>True until disposal starts.</summary>
    public bool IsAccepting
    {
        get { lock (_lock) return !_stopping && _worker.IsAlive; }
    }

    /// <summary>Embeddings ([N][C], raw head output) of token sequences (each holding EOS).</summary>
    public async Task<float[][]> EmbedAsync(IReadOnlyList<int[]> sequences, EmbeddingTask task, CancellationToken cancellationToken,
        RequestTiming? timing = null)
    {
        var job = new BatchJob(WorkKind.Embed, task, sequences);
        await RunAsync(job, cancellationToken, timing).ConfigureAwait(false);
        return job.Embeddings!;
    }

    /// <summary>Reranker logits [N] of online-template sequences (each ending in EOS).</summary>
    public async Task<float[]> RerankAsync(IReadOnlyList<int[]> sequences, CancellationToken cancellationToken, RequestTiming? timing = null)
    {
        if (_reranker == null) throw new InvalidOperationException("no reranker loaded");
        var job = new BatchJob(WorkKind.Rerank, EmbeddingTask.Retrieval, sequences);
        await RunAsync(job, cancellationToken, timing).ConfigureAwait(false);
        return job.Logits!;
    }

    /// <summary>
    /// Runs <paramref name="work"/> on the worker thread between batches (reranking cached document states: the query's
    /// tokens once per document), so it neither holds a thread-pool thread nor runs beside a batch on the same model.
    /// <paramref name="tokens"/> count in the queue's token budget until it has run.
    /// </summary>
    public async Task<T> ComputeAsync<T>(Func<CancellationToken, T> work, long tokens, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(work);
        var call = new ComputeCall<T>(work, tokens, cancellationToken);
        lock (_lock)
        {
            Admit(tokens);
            _calls.Enqueue(call);
            _queuedTokens += tokens;
            Publish();
            Monitor.Pulse(_lock);
        }
        using (cancellationToken.Register(static c => ((ComputeCall)c!).Cancel(), call))
        {
            var result = await call.Completion.ConfigureAwait(false);
            ServerTracing.Past("queue", call.EnqueuedAt, call.StartedAt);
            ServerTracing.Past("compute", call.StartedAt, call.EndedAt);
            return result;
        }
    }

    /// <summary>Refuses work of <paramref name="tokens"/> while stopping or beyond the queue's token budget. Caller holds _lock.</summary>
    private void Admit(long tokens)
    {
        if (_stopping) throw new ApiException(ErrorKind.Unhealthy, "the server is shutting down");
        if (tokens > _maxQueuedTokens)
            throw new ApiException(ErrorKind.Validation,
                $"the request holds {tokens} tokens, more than the {_maxQueuedTokens} the queue admits (--max-queued-tokens); split the request", httpStatus: 413);
        if (_queuedTokens + tokens > _maxQueuedTokens)
        {
            _metrics.RecordRejected();
            throw new ApiException(ErrorKind.Overloaded,
                $"model is overloaded: {_queuedTokens} tokens are queued or running and this request adds {tokens}, beyond --max-queued-tokens {_maxQueuedTokens}; retry later")
            { RetryAfterSeconds = 1 };
        }
    }

    private async Task RunAsync(BatchJob job, CancellationToken cancellationToken, RequestTiming? timing)
    {
        if (job.Sequences.Count == 0) return;
        lock (_lock)
        {
            Admit(job.Tokens);
            job.EnqueuedAt = System.Diagnostics.Stopwatch.GetTimestamp();
            _jobs.Add(job);
            _queuedTokens += job.Tokens;
            _queuedSequences += job.Sequences.Count;
            Publish();
            Monitor.Pulse(_lock);
        }
        using (cancellationToken.Register(static (j, t) => ((BatchJob)j!).Cancel(t), job))
        {
            try
            {
                if (_queueTimeout > TimeSpan.Zero)
                {
                    try { await job.Completion.WaitAsync(_queueTimeout, CancellationToken.None).ConfigureAwait(false); }
                    catch (TimeoutException)
                    {
                        lock (_lock)
                        {
                            if (!job.Started)
                            {
                                Withdraw(job);
                                throw new ApiException(ErrorKind.Overloaded,
                                    $"the request waited {_queueTimeout.TotalSeconds:0.###} s in the queue without starting (--queue-timeout); retry later")
                                { RetryAfterSeconds = 1 };
                            }
                        }
                    }
                }
                await job.Completion.ConfigureAwait(false);
                ServerTracing.Past("queue", job.EnqueuedAt, job.FirstBatchAt);
                ServerTracing.Past("compute", job.FirstBatchAt, System.Diagnostics.Stopwatch.GetTimestamp());
                if (timing != null)
                {
                    timing.Queue = System.Diagnostics.Stopwatch.GetElapsedTime(job.EnqueuedAt, job.FirstBatchAt);
                    timing.Inference = System.Diagnostics.Stopwatch.GetElapsedTime(job.FirstBatchAt);
                }
            }
            catch (OperationCanceledException)
            {
                lock (_lock) Withdraw(job);
                throw;
            }
        }
    }

    /// <summary>Removes a job that will not be answered and releases its untaken tokens. Caller holds _lock.</summary>
    private void Withdraw(BatchJob job)
    {
        if (!_jobs.Remove(job)) return;
        _queuedTokens -= job.UntakenTokens;
        _queuedSequences -= job.Sequences.Count - job.Next;
        job.Next = job.Sequences.Count;
        Publish();
    }

    private void Publish()
    {
        _metrics.QueueDepth = _queuedSequences;
        _metrics.QueuedTokens = _queuedTokens;
    }

    private void Loop()
    {
        var batch = new List<(BatchJob Job, int Index)>();
        bool callTurn = false; // calls and batches take turns while both wait
        while (true)
        {
            ComputeCall? call = null;
            lock (_lock)
            {
                while (_jobs.Count == 0 && _calls.Count == 0 && !_stopping) Monitor.Wait(_lock);
                if (_jobs.Count == 0 && _calls.Count == 0) return; // stopping, and nothing left to do
                if (_calls.Count > 0 && (callTurn || _jobs.Count == 0)) call = _calls.Dequeue();
                else Take(batch);
                callTurn = !callTurn;
                Publish();
            }
            if (call != null)
            {
                call.Run();
                lock (_lock)
                {
                    _queuedTokens -= call.Tokens;
                    Publish();
                }
            }
            if (batch.Count > 0) Run(batch);
            batch.Clear();
        }
    }

    // Caller holds _lock. Leaves batch empty when every job had finished (cancelled or failed).
    private void Take(List<(BatchJob Job, int Index)> batch)
    {
        foreach (var j in _jobs.Where(j => j.IsFinished).ToList()) Withdraw(j);
        if (_jobs.Count == 0) return;
        var head = _jobs[0];
        var open = _jobs.Where(j => j.Kind == head.Kind && j.Task == head.Task).ToList();
        int tokens = 0;
        while (open.Count > 0)
        {
            // One round: the next sequence of each open job, in queue order; a job whose next sequence does not fit closes.
            for (int k = 0; k < open.Count;)
            {
                var j = open[k];
                int length = j.Sequences[j.Next].Length;
                if (batch.Count > 0 && tokens + length > _maxBatchTokens)
                {
                    open.RemoveAt(k);
                    continue;
                }
                batch.Add((j, j.Next++));
                if (j.FirstBatchAt == 0) j.FirstBatchAt = System.Diagnostics.Stopwatch.GetTimestamp();
                tokens += length;
                if (j.Next == j.Sequences.Count) open.RemoveAt(k);
                else k++;
            }
        }
        _queuedSequences -= batch.Count;
        // Jobs taken whole leave the queue; the head, if anything of it is left, goes to the back.
        _jobs.RemoveAll(j => j.Next == j.Sequences.Count);
        if (_jobs.Remove(head)) _jobs.Add(head);
    }

    /// <summary>Runs one batch; its tokens leave the budget before any result is handed back (so an answered client may send again at once).</summary>
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
        float[][]? embs = null;
        float[]? logits = null;
        Exception? failure = null;
        try
        {
            if (first.Kind == WorkKind.Embed) embs = _model.EmbedTokens(seqs, first.Task);
            else logits = _reranker!.LogitsOfTokens(seqs); // states stay in the backend; no pooling or head
        }
        catch (Exception e)
        {
            failure = e;
        }
        _metrics.RecordBatch(first.Kind, seqs.Length, tokens, System.Diagnostics.Stopwatch.GetElapsedTime(start).TotalSeconds);
        lock (_lock)
        {
            _queuedTokens -= tokens;
            Publish();
        }
        for (int i = 0; i < seqs.Length; i++)
        {
            var (job, index) = batch[i];
            if (failure != null) job.Fail(failure);
            else if (embs != null) job.SetEmbedding(index, embs[i]);
            else job.SetLogit(index, logits![i]);
        }
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
