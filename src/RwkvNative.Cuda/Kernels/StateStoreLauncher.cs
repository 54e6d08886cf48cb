using RwkvNative.Cuda.Memory;
using RwkvNative.Model;

namespace RwkvNative.Cuda.Kernels;

/// <summary>state_store.cu: copies between a store [N, L, P, E] (float32 or fp16) and the batch layout [L, P, B, E].</summary>
internal sealed unsafe class StateStoreLauncher(LaunchContext launch)
{
    public static readonly KernelName GatherF32 = new("state_store.cu", "state_gather_f32", LaunchContext.ElementwiseBlock);
    public static readonly KernelName GatherF16 = new("state_store.cu", "state_gather_f16", LaunchContext.ElementwiseBlock);
    public static readonly KernelName ScatterF32 = new("state_store.cu", "state_scatter_f32", LaunchContext.ElementwiseBlock);
    public static readonly KernelName ScatterF16 = new("state_store.cu", "state_scatter_f16", LaunchContext.ElementwiseBlock);

    private readonly nint gatherF32 = launch.Modules.Function(GatherF32);
    private readonly nint gatherF16 = launch.Modules.Function(GatherF16);
    private readonly nint scatterF32 = launch.Modules.Function(ScatterF32);
    private readonly nint scatterF16 = launch.Modules.Function(ScatterF16);

    /// <summary>
    /// batch[l, p, b, e] = store[indices[b], l, p, e]. store: [N, L, P, E] bytes of <paramref name="precision"/>;
    /// indices: [B]; batch: [L, P, B, E] float32.
    /// </summary>
    public void Gather(DeviceView<byte> store, StatePrecision precision, DeviceView<int> indices, DeviceView<float> batch,
        int sequences, int layers, int parts, long elements)
    {
        long total = (long)sequences * layers * parts * elements;
        indices.Require(sequences, "gather indices");
        batch.Require(total, "gathered states");
        if (total == 0) return;
        ulong ps = store.Address, pi = indices.Address, pb = batch.Address;
        int b = sequences, l = layers, p = parts;
        long e = elements;
        void** args = stackalloc void*[] { &ps, &pi, &pb, &b, &l, &p, &e };
        var (name, function) = precision == StatePrecision.Float16 ? (GatherF16, gatherF16) : (GatherF32, gatherF32);
        launch.Launch(name, function, launch.GridFor(total), LaunchContext.ElementwiseBlock, args);
    }

    /// <summary>store[first + b, l, p, e] = batch[l, p, b, e], rounded to the store's precision.</summary>
    public void Scatter(DeviceView<float> batch, DeviceView<byte> store, StatePrecision precision, int first,
        int sequences, int layers, int parts, long elements)
    {
        long total = (long)sequences * layers * parts * elements;
        batch.Require(total, "states to store");
        if (total == 0) return;
        ulong pb = batch.Address, ps = store.Address;
        int f = first, b = sequences, l = layers, p = parts;
        long e = elements;
        void** args = stackalloc void*[] { &pb, &ps, &f, &b, &l, &p, &e };
        var (name, function) = precision == StatePrecision.Float16 ? (ScatterF16, scatterF16) : (ScatterF32, scatterF32);
        launch.Launch(name, function, launch.GridFor(total), LaunchContext.ElementwiseBlock, args);
    }
}
