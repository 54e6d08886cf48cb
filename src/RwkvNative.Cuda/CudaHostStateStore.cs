using RwkvNative.Backends;
using RwkvNative.Cuda.Handles;
using RwkvNative.Cuda.Interop;
using RwkvNative.Cuda.Memory;
using RwkvNative.Model;

namespace RwkvNative.Cuda;

/// <summary>
/// Document states in host memory, streamed to the device for every gather (issue 13: more documents than fit in device
/// memory). Either page-locked memory of its own, laid out as <see cref="CudaStateStore"/>'s device layout (shift
/// [N, L, 2, C] and wkv [N, L, H·64·64] in float32 or fp16), or a document-state store's memory-mapped log read in place
/// (<see cref="MappedStates"/>: each slot's shift [L, 2, C] then wkv [L, H·64·64], slots apart), page-locked in place with
/// cuMemHostRegister where the driver allows (else copied from pageable memory, <see cref="StreamWarning"/>). A gather
/// copies each run of picked slots that lie back to back in host memory with one cuMemcpyHtoDAsync per part on the
/// store's copy stream into one of two device staging buffers
/// ([<see cref="MaxGather"/>, ...] each), and the compute stream waits on an event before the same gather kernel as a
/// resident store turns the staging into a batch state; a second event tells the copy stream when a staging buffer may
/// be overwritten. Callers gather the next chunk before waiting on the current one (<see cref="StateStore.Streams"/>),
/// so the copies of chunk i + 1 overlap the compute of chunk i.
/// </summary>
internal sealed unsafe class CudaHostStateStore : StateStore
{
    private readonly CudaSession session;
    private readonly PinnedHostHandle? shiftHost, wkvHost;
    private readonly MappedStates? mapped;
    private readonly byte* mappedBase;
    private readonly RegisteredHostHandle? registered;
    private readonly string? warning;
    private readonly bool readOnly;
    private readonly StreamHandle copy;
    private readonly DeviceBuffer[] shiftStage = new DeviceBuffer[2], wkvStage = new DeviceBuffer[2];
    private readonly EventHandle[] staged = new EventHandle[2], consumed = new EventHandle[2];
    private readonly DeviceBuffer slots;
    private readonly int chunk;
    private int nextStage;

    /// <summary>An empty store of <paramref name="count"/> slots in page-locked memory of its own.</summary>
    public CudaHostStateStore(CudaSession session, ModelConfig config, int count, StatePrecision precision)
        : this(session, config, count, precision, null) { }

    /// <summary>A read-only store over <paramref name="states"/>, held until this store is disposed.</summary>
    public CudaHostStateStore(CudaSession session, ModelConfig config, MappedStates states)
        : this(session, config, states.Count, states.Precision, states) { }

    private CudaHostStateStore(CudaSession session, ModelConfig config, int count, StatePrecision precision, MappedStates? states)
        : base(config, count, precision)
    {
        states?.EnsureShape(config, nameof(states));
        readOnly = states != null;
        this.session = session.AddRef();
        var owned = new List<IDisposable>();
        bool held = false;
        try
        {
            lock (session.Gate)
            {
                using var scope = session.Enter();
                CudaCheck.Driver(CudaDriver.MemGetInfo(out var free, out _));
                chunk = HostStreaming.DocumentsPerChunk(session.Options.StreamChunkDocuments, count,
                    BytesPerState(config, precision), BytesPerState(config, StatePrecision.Float32), (long)free);
                if (states == null)
                {
                    shiftHost = Own(PinnedHostHandle.Allocate(session.Context, Math.Max(1, count * ShiftPerState * ElementBytes)));
                    wkvHost = Own(PinnedHostHandle.Allocate(session.Context, Math.Max(1, count * WkvPerState * ElementBytes)));
                }
                else if (states.Memory is { } memory)
                {
                    mapped = states;
                    byte* p = null;
                    memory.AcquirePointer(ref p);
                    held = true;
                    mappedBase = p;
                    registered = Register(memory.ByteLength, out warning);
                    if (registered != null) owned.Add(registered);
                }
                copy = Own(StreamHandle.Create(session.Context, session.Stream.Counters));
                for (int k = 0; k < 2; k++)
                {
                    shiftStage[k] = Own(DeviceBuffer.Allocate(session.Context, chunk * ShiftPerState * ElementBytes));
                    wkvStage[k] = Own(DeviceBuffer.Allocate(session.Context, chunk * WkvPerState * ElementBytes));
                    staged[k] = Own(EventHandle.Create(session.Context, timing: false));
                    consumed[k] = Own(EventHandle.Create(session.Context, timing: false));
                }
                slots = Own(DeviceBuffer.Upload<int>(session.Context, Enumerable.Range(0, chunk).ToArray()));
            }
        }
        catch
        {
            for (int i = owned.Count - 1; i >= 0; i--) owned[i].Dispose(); // the registration before the mapping goes
            if (held) states!.Memory!.ReleasePointer();
            this.session.Dispose();
            throw;
        }

        T Own<T>(T item) where T : IDisposable { owned.Add(item); return item; }
    }

    /// <summary>Most bytes of mapping page-locked in place: half of the memory this process may use (pinning more starves the host).</summary>
    private static long RegisterLimitBytes => GC.GetGCMemoryInfo().TotalAvailableMemoryBytes / 2;

    // Page-locks the whole mapping read-only, or says why its states will stream from pageable memory instead.
    private RegisteredHostHandle? Register(ulong bytes, out string? why)
    {
        why = null;
        long limit = RegisterLimitBytes;
        if ((long)bytes > limit)
        {
            why = $"the mapped store ({Mib((long)bytes)}) is larger than half of this machine's memory ({Mib(limit)}), so it is not page-locked: " +
                  "its states stream from pageable memory, each copy staged by the driver (slower; make fewer documents resident at a time to avoid it)";
            return null;
        }
        var h = RegisteredHostHandle.TryRegister(session.Context, (nint)mappedBase, (long)bytes, out var status);
        if (h == null)
            why = $"the driver refused to page-lock the mapped store ({Mib((long)bytes)}; cuMemHostRegister returned {status}): " +
                  "its states stream from pageable memory, each copy staged by the driver (slower)";
        return h;
    }

    private static string Mib(long bytes) => $"{bytes / (1024.0 * 1024):F0} MiB";

    /// <inheritdoc/>
    public override bool IsReadOnly => readOnly;

    /// <inheritdoc/>
    public override string? StreamWarning => warning;

    /// <inheritdoc/>
    public override bool Streams => true;

    /// <inheritdoc/>
    /// <remarks>The staging size: <see cref="CudaBackendOptions.StreamChunkDocuments"/> or sized by <see cref="HostStreaming"/>.</remarks>
    public override int MaxGather => chunk;

    // Written on the host, straight into the page-locked memory (no device work).
    protected override void WriteHost(int first, IReadOnlyList<ModelState> states)
    {
        for (int i = 0; i < states.Count; i++)
        {
            Store(states[i].Shift, shiftHost!, (first + i) * ShiftPerState);
            Store(states[i].Wkv, wkvHost!, (first + i) * WkvPerState);
        }
    }

    private void Store(float[] values, PinnedHostHandle host, long at)
    {
        if (Precision == StatePrecision.Float16)
        {
            var target = new Span<Half>((Half*)host.Value + at, values.Length);
            for (int i = 0; i < values.Length; i++) target[i] = (Half)values[i];
        }
        else
        {
            values.CopyTo(new Span<float>((float*)host.Value + at, values.Length));
        }
    }

    // A device state comes down once: scattered into a temporary [B, ...] buffer in the store's precision, then one copy per part.
    protected override void WriteState(int first, BackendState states)
    {
        lock (session.Gate)
        {
            var s = CudaState.Of(states, session, nameof(states));
            if (s.Batch == 0) return;
            using var scope = session.Enter();
            int l = Config.Layers;
            using var shift = DeviceBuffer.Allocate(session.Context, s.Batch * ShiftPerState * ElementBytes);
            using var wkv = DeviceBuffer.Allocate(session.Context, s.Batch * WkvPerState * ElementBytes);
            session.Kernels.StateStore.Scatter(s.Shift, shift.View<byte>(), Precision, 0, s.Batch, l, 2, Config.Channels);
            session.Kernels.StateStore.Scatter(s.Wkv, wkv.View<byte>(), Precision, 0, s.Batch, l, 1, WkvPerState / l);
            Download(shift, shiftHost!, first * ShiftPerState * ElementBytes);
            Download(wkv, wkvHost!, first * WkvPerState * ElementBytes);
            session.Stream.Synchronize(); // before the temporary buffers are freed
        }
    }

    private void Download(DeviceBuffer source, PinnedHostHandle host, long atByte)
    {
        CudaCheck.Driver(CudaDriver.MemcpyDtoHAsync((byte*)host.Value + atByte, source.View<byte>().Address, (nuint)source.Bytes, session.Stream.Value));
        session.Stream.Counters.DeviceToHost(source.Bytes);
    }

    protected override BackendState GatherStates(ReadOnlySpan<int> picked)
    {
        lock (session.Gate)
        {
            using var scope = session.Enter();
            int n = picked.Length, k = nextStage;
            nextStage ^= 1;
            var state = CudaState.Zero(session, Config, n);
            if (n == 0) return state;
            try
            {
                copy.Wait(consumed[k]); // the last gather from this staging buffer has read it
                CopyIn(picked, shiftStage[k], wkv: false);
                CopyIn(picked, wkvStage[k], wkv: true);
                staged[k].Record(copy);
                session.Stream.Wait(staged[k]);
                int l = Config.Layers;
                var which = slots.View<int>(n);
                session.Kernels.StateStore.Gather(shiftStage[k].View<byte>(), Precision, which, state.Shift, n, l, 2, Config.Channels);
                session.Kernels.StateStore.Gather(wkvStage[k].View<byte>(), Precision, which, state.Wkv, n, l, 1, WkvPerState / l);
                consumed[k].Record(session.Stream);
                state.IsZero = false;
                return state;
            }
            catch
            {
                state.Dispose();
                throw;
            }
        }
    }

    // One part (shift or wkv) of every picked slot into staging rows 0 .. n - 1: one asynchronous copy per run of slots
    // that lie back to back in host memory (consecutive slots of an own store; a mapped store's slots are records apart).
    private void CopyIn(ReadOnlySpan<int> picked, DeviceBuffer stage, bool wkv)
    {
        long bytesPerState = (wkv ? WkvPerState : ShiftPerState) * ElementBytes;
        for (int j = 0; j < picked.Length;)
        {
            byte* from = Address(picked[j], wkv);
            int run = 1;
            while (j + run < picked.Length && Address(picked[j + run], wkv) == from + run * bytesPerState) run++;
            long bytes = run * bytesPerState;
            var target = stage.View<byte>().Address + (ulong)(j * bytesPerState);
            CudaCheck.Driver(CudaDriver.MemcpyHtoDAsync(target, from, (nuint)bytes, copy.Value));
            copy.Counters.HostToDevice(bytes);
            j += run;
        }
    }

    // Host address of one part of slot `slot`.
    private byte* Address(int slot, bool wkv) => mapped != null
        ? mappedBase + mapped.OffsetOf(slot) + (wkv ? mapped.ShiftBytes : 0)
        : (byte*)(wkv ? wkvHost! : shiftHost!).Value + slot * (wkv ? WkvPerState : ShiftPerState) * ElementBytes;

    protected override void Dispose(bool disposing)
    {
        if (!disposing) return;
        lock (session.Gate)
        {
            using (session.Enter())
            {
                copy.Synchronize();
                if (!session.Stream.IsClosed) session.Stream.Synchronize();
            }
            slots.Dispose();
            for (int k = 0; k < 2; k++)
            {
                consumed[k].Dispose();
                staged[k].Dispose();
                wkvStage[k].Dispose();
                shiftStage[k].Dispose();
            }
            copy.Dispose();
            registered?.Dispose(); // unregistered before the mapping may go
            if (mapped != null) mapped.Memory!.ReleasePointer();
            wkvHost?.Dispose();
            shiftHost?.Dispose();
        }
        session.Dispose();
    }
}
