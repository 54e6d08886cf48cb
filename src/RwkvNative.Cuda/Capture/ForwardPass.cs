using RwkvNative.Cuda.Kernels;
using RwkvNative.Cuda.Memory;

namespace RwkvNative.Cuda.Capture;

/// <summary>
/// Enqueues one whole forward pass on the capturing stream (no host synchronisation, no allocation): the backend's
/// pass, handed to <see cref="ForwardGraphCache"/> so the capture layer never sees the backend.
/// </summary>
/// <param name="batch">The pass's ragged layout, in device buffers.</param>
/// <param name="shift">[L, 2, B, C] token-shift state, read and written.</param>
/// <param name="wkv">[L, B, H, 64, 64] wkv state, read and written.</param>
/// <param name="eosSum">[B, C] pooled sums, added to.</param>
/// <param name="eosCount">[B] pooled counts, added to.</param>
internal delegate void ForwardPass(RaggedBatch batch, DeviceView<float> shift, DeviceView<float> wkv,
    DeviceView<float> eosSum, DeviceView<int> eosCount);
