namespace RwkvNative.Checkpoints;

/// <summary>Where a loader found one tensor: element type, shape and the file offset of its dense data.</summary>
internal sealed record TensorEntry(string Name, TensorDType DType, int[] Shape, long ElementCount, long FileOffset);
