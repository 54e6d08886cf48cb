namespace RwkvNative.Store;

/// <summary>What <see cref="DocumentStateStore.Check"/> found (and <see cref="DocumentStateStore.Repair"/> found before it rewrote the log).</summary>
/// <param name="Log">Path of the log.</param>
/// <param name="Store">The manifest in words (model, L, C, precision).</param>
/// <param name="Documents">Documents (ids) found, damaged ones included.</param>
/// <param name="SupersededRecords">Older records replaced by a newer record of the same id.</param>
/// <param name="ForeignRecords">Records that check out but are not of this store's state shape (kept by writers and by repair).</param>
/// <param name="DamagedRegions">Regions skipped because no record there checks out.</param>
/// <param name="Tail">What follows the last complete record.</param>
/// <param name="TailRegion">Where the tail lies.</param>
/// <param name="DamagedDocuments">Documents whose embedding or state fails its checksum.</param>
public sealed record StoreCheckReport(string Log, string Store, int Documents, int SupersededRecords, IReadOnlyList<StateLogRecord> ForeignRecords,
    IReadOnlyList<StateLogRegion> DamagedRegions, StateLogTail Tail, StateLogRegion TailRegion, IReadOnlyList<DamagedDocument> DamagedDocuments)
{
    /// <summary>
    /// True when every byte of the log belongs to a readable record, or to a torn or zero tail that the next writer cuts
    /// (what a killed writer leaves; nothing acknowledged is in it).
    /// </summary>
    public bool IsClean => DamagedRegions.Count == 0 && DamagedDocuments.Count == 0 && Tail != StateLogTail.Garbage && ForeignRecords.Count == 0;
}
