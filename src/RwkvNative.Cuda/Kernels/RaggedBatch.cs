using RwkvNative.Cuda.Memory;

namespace RwkvNative.Cuda.Kernels;

/// <summary>
/// The device layout of one pass over a ragged batch: packed tokens plus offsets, the one representation of a batch.
/// </summary>
/// <param name="Tokens">T: packed tokens in the pass.</param>
/// <param name="Sequences">B: sequences (some may be empty in this pass).</param>
/// <param name="TokenIds">[T] token ids.</param>
/// <param name="Offsets">[B + 1] sequence b is rows Offsets[b] .. Offsets[b+1]-1.</param>
/// <param name="SequenceOf">[T] sequence index of each row.</param>
internal readonly record struct RaggedBatch(int Tokens, int Sequences, DeviceView<int> TokenIds, DeviceView<int> Offsets,
    DeviceView<int> SequenceOf);
