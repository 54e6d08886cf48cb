using RwkvNative.Cuda.Capture;
using RwkvNative.Cuda.Handles;
using RwkvNative.Cuda.Interop;
using RwkvNative.Cuda.Kernels;
using RwkvNative.Cuda.Memory;
using RwkvNative.Model;

namespace RwkvNative.Cuda.Graph;

/// <summary>
/// CUDA graphs of the whole single-sequence forward, one per token count (the shape bucket: a graph bakes in every
/// launch geometry and buffer address, and padding would change the result, so each length is its own bucket).
/// A graph holds: copies of the tokens and layout from pinned host memory, the zeroing of the pooled sums, every kernel
/// and GEMM of <see cref="CudaEmbeddingBackend.EnqueuePass"/> on the workspace's state buffers, and copies of the sums
/// back to pinned memory. The state stays on the device: before the launch it is copied device to device into the
/// workspace (or the workspace is cleared, for a fresh state), after it copied back. A call then costs a host memcpy of
/// the tokens, one cuGraphLaunch and one wait, with no host synchronisation inside the forward.
/// <para>
/// A length is captured on its second call: the first runs eagerly and grows the workspace, so capture never allocates
/// (the workspace is frozen while capturing). Any later workspace growth moves buffers, so every graph older than the
/// growth is dropped and recaptured. Callers hold the backend's lock and have the context current.
/// </para>
/// </summary>
internal sealed class ForwardGraphCache : IDisposable
{
    private readonly CudaEmbeddingBackend owner;
    private readonly CudaSession session;
    private readonly int channels, layers;
    private readonly Dictionary<int, Entry> graphs = [];
    private readonly Dictionary<int, int> warmed = []; // token count -> workspace generation of its last eager run
    private readonly HashSet<int> refused = [];         // lengths whose capture failed once
    private PinnedHostHandle? pinned;
    private long useClock;

    private sealed class Entry(GraphExecHandle exec, int generation)
    {
        public GraphExecHandle Exec { get; } = exec;
        public int Generation { get; } = generation;
        public long LastUse { get; set; }
    }

    public ForwardGraphCache(CudaEmbeddingBackend owner, CudaSession session, int maxTokens)
    {
        this.owner = owner;
        this.session = session;
        channels = owner.Config.Channels;
        layers = owner.Config.Layers;
        MaxTokens = maxTokens;
    }

    /// <summary>Longest sequence served from a graph.</summary>
    public int MaxTokens { get; }

    /// <summary>Graphs currently held (for tests).</summary>
    public int Count => graphs.Count;

    // Pinned staging layout (4-byte elements): tokens [MaxTokens] | offsets [2] | sequence [MaxTokens] | sums [C] | counts [1].
    private long ShiftElements => (long)layers * 2 * channels;
    private long WkvElements => (long)layers * BlockRunner.WkvPerSequence(channels);
    private long OffsetsAt => MaxTokens;
    private long SequenceAt => OffsetsAt + 2;
    private long SumsAt => SequenceAt + MaxTokens;
    private long CountsAt => SumsAt + channels;
    private long StagingElements => CountsAt + 1;

    /// <summary>
    /// Records that a single-sequence call of <paramref name="tokens"/> tokens just ran eagerly (its workspace buffers,
    /// and the state buffers a graph uses, are now at their size).
    /// </summary>
    public void NoteEager(int batch, int tokens)
    {
        if (batch != 1 || tokens < 1 || tokens > MaxTokens || refused.Contains(tokens)) return;
        session.Workspace.Shift.Get<float>(ShiftElements);
        session.Workspace.Wkv.Get<float>(WkvElements);
        warmed[tokens] = session.Workspace.Growth.Generation;
    }

    /// <summary>
    /// Runs a single-sequence forward from its graph, capturing it first when this length has run eagerly since the
    /// workspace last grew. Returns false (nothing done) when the call must run eagerly instead.
    /// </summary>
    public bool TryForward(ReadOnlySpan<int> tokens, CudaState state, Span<float> eosSum, Span<int> eosCount, out TimeSpan gpuTime)
    {
        gpuTime = default;
        int t = tokens.Length;
        if (t < 1 || t > MaxTokens) return false;
        int generation = session.Workspace.Growth.Generation;
        if (!graphs.TryGetValue(t, out var entry) || entry.Generation != generation)
        {
            if (entry != null) { entry.Exec.Dispose(); graphs.Remove(t); }
            if (!warmed.TryGetValue(t, out var g) || g != generation) return false;
            try
            {
                entry = Capture(t, generation);
            }
            catch (Exception e) when (e is CudaException or InvalidOperationException)
            {
                // Capture failed (the stream left capture mode in Capture's finally): serve this length eagerly from now on.
                warmed.Remove(t);
                refused.Add(t);
                (session.Options.Log ?? (m => Console.Error.WriteLine(m)))($"rwkvnative: CUDA graph capture for {t} tokens failed, running eagerly: {e.Message}");
                return false;
            }
            if (entry == null) return false;
            graphs[t] = entry;
            EvictBeyond(session.Options.GraphCacheSize);
        }
        entry.LastUse = ++useClock;

        var staging = pinned!;
        var all = staging.Span<int>(StagingElements);
        tokens.CopyTo(all[..t]);
        all[(int)OffsetsAt] = 0;
        all[(int)OffsetsAt + 1] = t;
        all.Slice((int)SequenceAt, t).Clear();

        var stream = session.Stream;
        var ws = session.Workspace;
        var shift = ws.Shift.Get<float>(ShiftElements);
        var wkv = ws.Wkv.Get<float>(WkvElements);
        session.Start.Record(stream);
        if (state.IsZero)
        {
            DeviceCopy.Zero(stream, shift);
            DeviceCopy.Zero(stream, wkv);
        }
        else
        {
            DeviceCopy.DeviceToDevice(stream, state.Shift, shift);
            DeviceCopy.DeviceToDevice(stream, state.Wkv, wkv);
        }
        entry.Exec.Launch(stream);
        DeviceCopy.DeviceToDevice(stream, shift, state.Shift);
        DeviceCopy.DeviceToDevice(stream, wkv, state.Wkv);
        state.IsZero = false;
        session.End.Record(stream);
        gpuTime = TimeSpan.FromMilliseconds(session.End.MillisecondsSince(session.Start)); // waits for the graph
        // The graph's own copies through pinned memory: tokens, offsets and layout in; sums and count out.
        stream.Counters.HostToDevice((2L * t + 2) * sizeof(int));
        stream.Counters.DeviceToHost((channels + 1L) * sizeof(float));

        var floats = staging.Span<float>(StagingElements);
        var sums = floats.Slice((int)SumsAt, channels);
        for (int i = 0; i < channels; i++) eosSum[i] += sums[i]; // the backend contract adds to the caller's sums
        eosCount[0] += all[(int)CountsAt];
        return true;
    }

    private unsafe Entry? Capture(int t, int generation)
    {
        var ws = session.Workspace;
        var stream = session.Stream;
        pinned ??= PinnedHostHandle.Allocate(session.Context, StagingElements * sizeof(float));
        var host = (byte*)pinned.Value;

        // Every device buffer at its final size before capture; the eager run of this length already grew them, so
        // these return the same allocations the captured kernels will use.
        var ids = ws.TokenIds.Get<int>(t);
        var offsets = ws.Offsets.Get<int>(2);
        var sequence = ws.SequenceOf.Get<int>(t);
        var shift = ws.Shift.Get<float>(ShiftElements);
        var wkv = ws.Wkv.Get<float>(WkvElements);
        var sums = ws.EosSum.Get<float>(channels);
        var counts = ws.EosCount.Get<int>(1);
        if (ws.Growth.Generation != generation) return null; // something grew after all: run eagerly, capture next time

        ws.Growth.Frozen = true;
        try
        {
            var exec = StreamCapture.Record(session.Context, stream, () =>
            {
                void Up(DeviceView<int> d, long at, long n) =>
                    CudaCheck.Driver(CudaDriver.MemcpyHtoDAsync(d.Address, host + at * 4, (nuint)(n * 4), stream.Value));
                void DownF(DeviceView<float> d, long at, long n) =>
                    CudaCheck.Driver(CudaDriver.MemcpyDtoHAsync(host + at * 4, d.Address, (nuint)(n * 4), stream.Value));
                Up(ids, 0, t);
                Up(offsets, OffsetsAt, 2);
                Up(sequence, SequenceAt, t);
                DeviceCopy.Zero(stream, sums);
                DeviceCopy.Zero(stream, counts);
                owner.EnqueuePass(new RaggedBatch(t, 1, ids, offsets, sequence), shift, wkv, sums, counts);
                DownF(sums, SumsAt, channels);
                CudaCheck.Driver(CudaDriver.MemcpyDtoHAsync(host + CountsAt * 4, counts.Address, 4, stream.Value));
            });
            return new Entry(exec, generation);
        }
        finally
        {
            ws.Growth.Frozen = false;
        }
    }

    private void EvictBeyond(int capacity)
    {
        while (graphs.Count > Math.Max(1, capacity))
        {
            int oldest = -1;
            long when = long.MaxValue;
            foreach (var (len, e) in graphs)
                if (e.LastUse < when) { when = e.LastUse; oldest = len; }
            graphs[oldest].Exec.Dispose();
            graphs.Remove(oldest);
        }
    }

    /// <summary>Destroys every graph and the pinned staging memory (context current).</summary>
    public void Dispose()
    {
        foreach (var e in graphs.Values) e.Exec.Dispose();
        graphs.Clear();
        pinned?.Dispose();
        pinned = null;
    }
}
