namespace RwkvNative.Cpu;

/// <summary>A piece of row-wise work: rows [start, end) of a [T, C] batch, independent of every other row.</summary>
internal interface IRowJob
{
    /// <summary>Processes rows start..end-1.</summary>
    void Rows(int start, int end);
}
