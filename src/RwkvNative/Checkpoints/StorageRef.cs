namespace RwkvNative.Checkpoints;

/// <summary>A persistent id <c>('storage', StorageClass, key, location, numel)</c>: a storage record in the zip.</summary>
internal sealed record StorageRef(PickleGlobal Type, string Key, string Location, long ElementCount);
