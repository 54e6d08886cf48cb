using BenchmarkDotNet.Columns;
using BenchmarkDotNet.Reports;
using BenchmarkDotNet.Running;

namespace RwkvNative.Benchmarks;

/// <summary>
/// A summary column "MB/s" = bytes one operation processes / its median time (10^6 bytes per second; the median
/// resists the outliers a shared machine produces).
/// The byte count comes from a function of the benchmark case, since the summary is computed in the host process.
/// </summary>
public sealed class ThroughputColumn(Func<BenchmarkCase, long?> bytesPerOperation) : IColumn
{
    /// <inheritdoc/>
    public string Id => nameof(ThroughputColumn);

    /// <inheritdoc/>
    public string ColumnName => "MB/s";

    /// <inheritdoc/>
    public bool AlwaysShow => true;

    /// <inheritdoc/>
    public ColumnCategory Category => ColumnCategory.Statistics;

    /// <inheritdoc/>
    public int PriorityInCategory => 100;

    /// <inheritdoc/>
    public bool IsNumeric => true;

    /// <inheritdoc/>
    public UnitType UnitType => UnitType.Dimensionless;

    /// <inheritdoc/>
    public string Legend => "Throughput: bytes per second / 10^6, from the median time";

    /// <inheritdoc/>
    public string GetValue(Summary summary, BenchmarkCase benchmarkCase) => GetValue(summary, benchmarkCase, SummaryStyle.Default);

    /// <inheritdoc/>
    public string GetValue(Summary summary, BenchmarkCase benchmarkCase, SummaryStyle style)
    {
        var bytes = bytesPerOperation(benchmarkCase);
        var statistics = summary[benchmarkCase]?.ResultStatistics;
        if (bytes is null || statistics is null || statistics.Median <= 0) return "-";
        return (bytes.Value / (statistics.Median * 1e-9) / 1e6).ToString("F1", System.Globalization.CultureInfo.InvariantCulture);
    }

    /// <inheritdoc/>
    public bool IsAvailable(Summary summary) => true;

    /// <inheritdoc/>
    public bool IsDefault(Summary summary, BenchmarkCase benchmarkCase) => false;
}
