namespace RwkvNative.Store;

/// <summary>What a record of <c>states.log</c> holds.</summary>
public enum StateLogRecordKind : ushort
{
    /// <summary>The store's manifest (the JSON of <c>store.json</c>), written first in every log so the log describes itself.</summary>
    Manifest = 1,

    /// <summary>One document: id, content hash, optional embedding, state.</summary>
    Document = 2,
}
