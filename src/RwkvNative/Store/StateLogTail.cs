namespace RwkvNative.Store;

/// <summary>What follows the last complete record of <c>states.log</c>.</summary>
public enum StateLogTail
{
    /// <summary>Nothing: the log ends with a complete record (or is empty).</summary>
    None,

    /// <summary>
    /// The start of a record cut short by the end of the file: a write in progress (seen by a reader while a writer
    /// appends) or a writer killed mid-record. Never acknowledged; the next writer cuts it off.
    /// </summary>
    Torn,

    /// <summary>Zero bytes only (a file system that grew the file but lost the data in a crash); the next writer cuts them off.</summary>
    Zeros,

    /// <summary>Bytes that are no record (damage); kept by writers, which append after them; <c>rwkv-emb store repair</c> drops them.</summary>
    Garbage,
}
