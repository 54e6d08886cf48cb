namespace RwkvNative.Checkpoints;

/// <summary>The result of <c>torch._utils._rebuild_tensor_v2(storage, offset, size, stride, ...)</c>; counts in elements.</summary>
internal sealed record TensorRef(StorageRef Storage, long Offset, long[] Size, long[] Stride);
