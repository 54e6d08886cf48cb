using System.Globalization;
using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Columns;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Reports;
using BenchmarkDotNet.Running;
using RwkvNative.Cpu;

namespace RwkvNative.Benchmarks;

/// <summary>
/// CPU GEMM y[M, N] = x[M, K] · W[N, K]ᵀ on the model's weight shapes (width C, all cores), float32 and bf16-stored
/// weights (warm caches: the same weight every call).
/// <c>--filter '*GemmBenchmarks*' --job short --inProcess</c> (96 cases, about 15 minutes on 2 cores).
/// </summary>
[Config(typeof(GflopsConfig))]
public class GemmBenchmarks
{
    private float[] _x = null!;
    private float[] _y = null!;
    private LinearWeight _single = null!;
    private LinearWeight _half = null!;

    /// <summary>Model width.</summary>
    [Params(768, 1024, 2048)]
    public int C { get; set; }

    /// <summary>Which weight: att (C x C), ffn.key (4C x C), ffn.value (C x 4C), lora.down (C -> Dg).</summary>
    [Params("att", "ffn.key", "ffn.value", "lora.down")]
    public string Shape { get; set; } = "att";

    /// <summary>Tokens per call.</summary>
    [Params(1, 32, 256, 2048)]
    public int M { get; set; }

    /// <summary>(N, K) of a case.</summary>
    internal static (int N, int K) Size(int c, string shape) => shape switch
    {
        "att" => (c, c),
        "ffn.key" => (4 * c, c),
        "ffn.value" => (c, 4 * c),
        "lora.down" => (c >= 2048 ? 256 : 128, c),
        _ => throw new ArgumentException($"unknown shape {shape}", nameof(shape)),
    };

    /// <summary>Random inputs and both weight formats.</summary>
    [GlobalSetup]
    public void Setup()
    {
        var (n, k) = Size(C, Shape);
        var rng = new Random(42);
        _x = new float[M * k];
        for (int i = 0; i < _x.Length; i++) _x[i] = (float)(rng.NextDouble() * 2 - 1);
        var rows = new float[n * k];
        var bits = new ushort[n * k];
        for (int i = 0; i < rows.Length; i++)
        {
            rows[i] = (float)(rng.NextDouble() * 2 - 1) / MathF.Sqrt(k);
            bits[i] = (ushort)(BitConverter.SingleToUInt32Bits(rows[i]) >> 16);
        }
        _single = LinearWeight.FromRows(rows, n, k);
        _half = LinearWeight.FromBFloat16Rows(bits, n, k);
        _y = new float[M * n];
    }

    /// <summary>float32 weights.</summary>
    [Benchmark(Baseline = true)]
    public void Float32() => Gemm.Linear(_x, M, _single, _y);

    /// <summary>bf16 weights, widened in the kernel.</summary>
    [Benchmark]
    public void BFloat16() => Gemm.Linear(_x, M, _half, _y);

    /// <summary>Adds the GFLOP/s column.</summary>
    private sealed class GflopsConfig : ManualConfig
    {
        public GflopsConfig() => AddColumn(new GflopsColumn());
    }

    /// <summary>"GFLOP/s" = 2·M·N·K / mean time.</summary>
    private sealed class GflopsColumn : IColumn
    {
        public string Id => nameof(GflopsColumn);
        public string ColumnName => "GFLOP/s";
        public bool AlwaysShow => true;
        public ColumnCategory Category => ColumnCategory.Statistics;
        public int PriorityInCategory => 100;
        public bool IsNumeric => true;
        public UnitType UnitType => UnitType.Dimensionless;
        public string Legend => "2*M*N*K / mean time / 10^9";
        public bool IsAvailable(Summary summary) => true;
        public bool IsDefault(Summary summary, BenchmarkCase benchmarkCase) => false;
        public string GetValue(Summary summary, BenchmarkCase benchmarkCase) => GetValue(summary, benchmarkCase, SummaryStyle.Default);

        public string GetValue(Summary summary, BenchmarkCase benchmarkCase, SummaryStyle style)
        {
            var statistics = summary[benchmarkCase]?.ResultStatistics;
            if (statistics is null || statistics.Mean <= 0) return "-";
            int c = (int)benchmarkCase.Parameters[nameof(C)], m = (int)benchmarkCase.Parameters[nameof(M)];
            var (n, k) = Size(c, (string)benchmarkCase.Parameters[nameof(Shape)]);
            double flops = 2.0 * m * n * k;
            return (flops / statistics.Mean).ToString("F1", CultureInfo.InvariantCulture); // mean is in ns
        }
    }
}
