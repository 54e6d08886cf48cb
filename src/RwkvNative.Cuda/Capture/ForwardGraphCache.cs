using RwkvNative.Cuda.Capture;
using RwkvNative.Cuda.Handles;
using RwkvNative.Cuda.Interop;
using RwkvNative.Cuda.Kernels;
using RwkvNative.Cuda.Memory;
using RwkvNative.Cuda.Model;
using RwkvNative.Model;

namespace RwkvNative.Cuda.Capture;

/// <summary>
/// CUDA graphs of the whole single-sequence forward, one per token count (the shape bucket: a graph bakes in every
/// launch geometry and buffer address, and padding would change the result, so each length is its own bucket).
/// A graph holds: copies of the tokens and layout from pinned host memory, the zeroing of the pooled sums, every kernel
/// and GEMM the <see cref="ForwardPass"/> delegate enqueues on the workspace's state buffers, and copies of the sums
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
    private readonly ContextHandle context;
    private readonly StreamHandle stream;
    private readonly Workspace workspace;
    private readonly EventHandle start, end;
    private readonly ForwardPass enqueuePass;
    private readonly int channels, layers, capacity;
    private readonly Action<string> log;
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

    /// <param name="context">The context every graph lives in.</param>
    /// <param name="stream">The stream captured and launched on.</param>
    /// <param name="workspace">The buffers the pass uses (frozen while capturing).</param>
    /// <param name="start">Event recorded before a launch (timing).</param>
    /// <param name="end">Event recorded after a launch (timing, and the wait).</param>
    /// <param name="channels">C.</param>
    /// <param name="layers">L.</param>
    /// <param name="maxTokens">Longest sequence served from a graph.</param>
    /// <param name="capacity">Graphs kept (least recently used evicted).</param>
    /// <param name="log">Where a failed capture is reported.</param>
    /// <param name="enqueuePass">Enqueues the forward pass that is captured.</param>
    public ForwardGraphCache(ContextHandle context, StreamHandle stream, Workspace workspace, EventHandle start, EventHandle end,
        int channels, int layers, int maxTokens, int capacity, Action<string> log, ForwardPass enqueuePass)
    {
        this.context = context;
        this.stream = stream;
        this.workspace = workspace;
        this.start = start;
        this.end = end;
        this.channels = channels;
        this.layers = layers;
        this.capacity = capacity;
        this.log = log;
        this.enqueuePass = enqueuePass;
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
        workspace.Shift.Get<float>(ShiftElements);
        workspace.Wkv.Get<float>(WkvElements);
        warmed[tokens] = workspace.Growth.Generation;
    }

    /// <summary>
    /// Runs a single-sequence forward from its graph, capturing it first when this length has run eagerly since the
    /// workspace last grew. Returns false (nothing done) when the call must run eagerly instead.
    /// </summary>
    /// <param name="tokens">The sequence's tokens.</param>
    /// <param name="stateShift">[L, 2, 1, C] the sequence's shift state on the device, read and written.</param>
    /// <param name="stateWkv">[L, 1, H, 64, 64] the sequence's wkv state on the device, read and written.</param>
    /// <param name="stateIsZero">Whether the state is the zero state (cleared in the workspace rather than copied).</param>
    /// <param name="eosSum">[C] pooled sum, added to.</param>
    /// <param name="eosCount">[1] pooled count, added to.</param>
    /// <param name="gpuTime">Device time of the launch.</param>
    public bool TryForward(ReadOnlySpan<int> tokens, DeviceView<float> stateShift, DeviceView<float> stateWkv, bool stateIsZero, Span<float> eosSum, Span<int> eosCount, out TimeSpan gpuTime)
    {
        gpuTime = default;
        int t = tokens.Length;
        if (t < 1 || t > MaxTokens) return false;
        int generation = workspace.Growth.Generation;
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
                log($"rwkvnative: CUDA graph capture for {t} tokens failed, running eagerly: {e.Message}");
                return false;
            }
            if (entry == null) return false;
            graphs[t] = entry;
            EvictBeyond(capacity);
        }
        entry.LastUse = ++useClock;

        var staging = pinned!;
        var all = staging.Span<int>(StagingElements);
        tokens.CopyTo(all[..t]);
        all[(int)OffsetsAt] = 0;
        all[(int)OffsetsAt + 1] = t;
        all.Slice((int)SequenceAt, t).Clear();

        var ws = workspace;
        var shift = ws.Shift.Get<float>(ShiftElements);
        var wkv = ws.Wkv.Get<float>(WkvElements);
        start.Record(stream);
        if (stateIsZero)
        {
            DeviceCopy.Zero(stream, shift);
            DeviceCopy.Zero(stream, wkv);
        }
        else
        {
            DeviceCopy.DeviceToDevice(stream, stateShift, shift);
            DeviceCopy.DeviceToDevice(stream, stateWkv, wkv);
        }
        entry.Exec.Launch(stream);
        DeviceCopy.DeviceToDevice(stream, shift, stateShift);
        DeviceCopy.DeviceToDevice(stream, wkv, stateWkv);
        end.Record(stream);
        gpuTime = TimeSpan.FromMilliseconds(end.MillisecondsSince(start)); // waits for the graph
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
        var ws = workspace;
        pinned ??= PinnedHostHandle.Allocate(context, StagingElements * sizeof(float));
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
            var exec = StreamCapture.Record(context, stream, () =>
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
                enqueuePass(new RaggedBatch(t, 1, ids, offsets, sequence), shift, wkv, sums, counts);
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
