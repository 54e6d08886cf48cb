// One request's sequences waiting for the batcher.

namespace RwkvNative.Server;

/// <summary>
/// One request's sequences in the batcher; completes when every sequence has its result. <see cref="Next"/> and
/// <see cref="Started"/> belong to the batcher and change only under its lock.
/// </summary>
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
        foreach (var s in sequences) Tokens += s.Length;
        if (kind == WorkKind.Embed) Embeddings = new float[sequences.Count][];
        else Logits = new float[sequences.Count];
        if (sequences.Count == 0) _done.TrySetResult();
    }

    public WorkKind Kind { get; }
    public EmbeddingTask Task { get; }
    public IReadOnlyList<int[]> Sequences { get; }

    /// <summary>Tokens of all sequences.</summary>
    public long Tokens { get; }

    /// <summary>Index of the next sequence no batch has taken yet.</summary>
    public int Next { get; set; }

    /// <summary>True once a batch took one of its sequences (the queue timeout no longer applies).</summary>
    public bool Started => FirstBatchAt != 0;

    /// <summary>Stopwatch timestamp of the enqueue.</summary>
    public long EnqueuedAt { get; set; }

    /// <summary>Stopwatch timestamp when a batch first took one of its sequences; 0 before.</summary>
    public long FirstBatchAt { get; set; }

    /// <summary>Tokens of the sequences no batch has taken yet.</summary>
    public long UntakenTokens
    {
        get
        {
            long t = 0;
            for (int i = Next; i < Sequences.Count; i++) t += Sequences[i].Length;
            return t;
        }
    }

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
