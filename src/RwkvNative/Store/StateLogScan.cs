namespace RwkvNative.Store;

/// <summary>
/// What a scan of <c>states.log</c> found: the records whose header and key check out, in log order; the damaged regions
/// it skipped to reach the next record; and what follows the last complete record.
/// </summary>
/// <param name="Records">Complete records, in log order.</param>
/// <param name="Damaged">Regions between records that hold no readable record (skipped; the records after them are kept).</param>
/// <param name="Tail">What follows the last complete record.</param>
/// <param name="TailRegion">Where that tail lies (length 0 when <paramref name="Tail"/> is None).</param>
public sealed record StateLogScan(IReadOnlyList<StateLogRecord> Records, IReadOnlyList<StateLogRegion> Damaged, StateLogTail Tail,
    StateLogRegion TailRegion)
{
    /// <summary>Offset just past the last complete record or damaged region: where a later scan of a longer log resumes.</summary>
    public long End => TailRegion.Offset;
}
