using RwkvNative.Backends;
using RwkvNative.Cuda.Memory;
using RwkvNative.Model;

namespace RwkvNative.Cuda;

/// <summary>
/// Document states resident in device memory: shift [N, L, 2, C] and wkv [N, L, H·64·64] in float32 or fp16, plus the
/// slot numbers 0..N-1 on the device (so scoring every document uploads no indices). A gather builds a batch state on
/// the device with one kernel per part; nothing crosses PCIe after the states are written.
/// </summary>
internal sealed class CudaStateStore : StateStore
{
    private readonly CudaSession session;
    private readonly DeviceBuffer shift, wkv, slots;
    private readonly ScratchBuffer indices;

    public CudaStateStore(CudaSession session, ModelConfig config, int count, StatePrecision precision) : base(config, count, precision)
    {
        this.session = session.AddRef();
        var owned = new List<IDisposable>();
        try
        {
            lock (session.Gate)
            {
                using var scope = session.Enter();
                shift = Own(DeviceBuffer.Allocate(session.Context, Math.Max(1, count * ShiftPerState * ElementBytes)));
                wkv = Own(DeviceBuffer.Allocate(session.Context, Math.Max(1, count * WkvPerState * ElementBytes)));
                slots = Own(DeviceBuffer.Allocate(session.Context, Math.Max(1, count) * sizeof(int)));
                indices = Own(new ScratchBuffer(session.Context, session.Stream));
                DeviceCopy.Upload<int>(session.Stream, Enumerable.Range(0, count).ToArray(), slots.View<int>(count));
            }
        }
        catch
        {
            for (int i = owned.Count - 1; i >= 0; i--) owned[i].Dispose();
            this.session.Dispose();
            throw;
        }

        T Own<T>(T item) where T : IDisposable { owned.Add(item); return item; }
    }

    protected override void WriteHost(int first, IReadOnlyList<ModelState> states)
    {
        if (states.Count == 0) return;
        int n = states.Count;
        // One contiguous host copy per part ([n, L, 2, C] and [n, L, H·64·64]: a batch-1 state's arrays are exactly one
        // document's slot), in the store's precision, then one upload each.
        var shiftHost = new float[n * ShiftPerState];
        var wkvHost = new float[n * WkvPerState];
        for (int i = 0; i < n; i++)
        {
            states[i].Shift.CopyTo(shiftHost, i * ShiftPerState);
            states[i].Wkv.CopyTo(wkvHost, i * WkvPerState);
        }
        lock (session.Gate)
        {
            using var scope = session.Enter();
            Upload(shiftHost, shift, first * ShiftPerState);
            Upload(wkvHost, wkv, first * WkvPerState);
        }
    }

    private void Upload(float[] values, DeviceBuffer target, long at)
    {
        var bytes = target.View<byte>();
        if (Precision == StatePrecision.Float16)
        {
            var half = new Half[values.Length];
            for (int i = 0; i < values.Length; i++) half[i] = (Half)values[i];
            DeviceCopy.Upload<Half>(session.Stream, half, new DeviceView<Half>(bytes.Address + (ulong)(at * 2), values.Length));
        }
        else
        {
            DeviceCopy.Upload<float>(session.Stream, values, new DeviceView<float>(bytes.Address + (ulong)(at * 4), values.Length));
        }
    }

    protected override void WriteState(int first, BackendState states)
    {
        lock (session.Gate)
        {
            var s = CudaState.Of(states, session, nameof(states));
            using var scope = session.Enter();
            int l = Config.Layers;
            session.Kernels.StateStore.Scatter(s.Shift, shift.View<byte>(), Precision, first, s.Batch, l, 2, Config.Channels);
            session.Kernels.StateStore.Scatter(s.Wkv, wkv.View<byte>(), Precision, first, s.Batch, l, 1, WkvPerState / l);
        }
    }

    protected override BackendState GatherStates(ReadOnlySpan<int> picked)
    {
        lock (session.Gate)
        {
            using var scope = session.Enter();
            var state = CudaState.Zero(session, Config, picked.Length);
            try
            {
                var which = SlotsView(picked);
                int l = Config.Layers;
                session.Kernels.StateStore.Gather(shift.View<byte>(), Precision, which, state.Shift, picked.Length, l, 2, Config.Channels);
                session.Kernels.StateStore.Gather(wkv.View<byte>(), Precision, which, state.Wkv, picked.Length, l, 1, WkvPerState / l);
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

    // A run of consecutive slots is read from the resident 0..N-1 list; any other selection is uploaded.
    private DeviceView<int> SlotsView(ReadOnlySpan<int> picked)
    {
        bool consecutive = true;
        for (int i = 1; i < picked.Length && consecutive; i++) consecutive = picked[i] == picked[0] + i;
        if (picked.Length == 0) return slots.View<int>(0);
        if (consecutive) return slots.View<int>().Slice(picked[0], picked.Length);
        var view = indices.Get<int>(picked.Length);
        DeviceCopy.Upload(session.Stream, picked, view);
        return view;
    }

    protected override void Dispose(bool disposing)
    {
        if (!disposing) return;
        lock (session.Gate)
        {
            if (!session.Stream.IsClosed)
            {
                using var scope = session.Enter();
                session.Stream.Synchronize();
            }
            indices.Dispose();
            slots.Dispose();
            wkv.Dispose();
            shift.Dispose();
        }
        session.Dispose();
    }
}
