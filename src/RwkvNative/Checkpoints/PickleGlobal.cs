namespace RwkvNative.Checkpoints;

/// <summary>An allow-listed global (never resolved to anything executable).</summary>
/// <param name="QualifiedName">module.name as written in the pickle.</param>
/// <param name="Kind">What it stands for.</param>
/// <param name="StorageDType">For a storage class: the element type when supported.</param>
/// <param name="StorageElementSize">For a storage class: bytes per element (0 when unknown).</param>
internal sealed record PickleGlobal(string QualifiedName, PickleGlobalKind Kind, TensorDType? StorageDType = null, int StorageElementSize = 0);
