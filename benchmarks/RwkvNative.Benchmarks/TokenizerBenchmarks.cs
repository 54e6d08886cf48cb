using System.Text;
using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Columns;
using BenchmarkDotNet.Configs;
using RwkvNative.Tokenizer;

namespace RwkvNative.Benchmarks;

/// <summary>
/// World tokenizer throughput on 4 MiB of <see cref="MixedText"/> (seed 42), and vocabulary load time (warm: the
/// process has already loaded it once; the cold first call is measured by <c>cold-start</c>, see <see cref="ColdStartProbe"/>).
/// </summary>
[ShortRunJob]
[MemoryDiagnoser]
[Config(typeof(ThroughputConfig))]
public class TokenizerBenchmarks
{
    /// <summary>UTF-8 size of the benchmark text.</summary>
    public const int TextBytes = 4 << 20;

    /// <summary>Seed of the benchmark text.</summary>
    public const int Seed = 42;

    private RwkvTokenizer tokenizer = null!;
    private string text = null!;
    private byte[] utf8 = null!;
    private int[] destination = null!;
    private int[] ids = null!;

    /// <summary>Adds the MB/s column: every benchmark but the vocabulary load processes <see cref="TextBytes"/>.</summary>
    private sealed class ThroughputConfig : ManualConfig
    {
        public ThroughputConfig() =>
            AddColumn(
                StatisticColumn.Median,
                StatisticColumn.Min,
                new ThroughputColumn(c => c.Descriptor.WorkloadMethod.Name == nameof(LoadVocabulary) ? null : TextBytes));
    }

    /// <summary>Builds the text and loads the tokenizer once.</summary>
    [GlobalSetup]
    public void Setup()
    {
        tokenizer = RwkvTokenizer.Default;
        text = MixedText.Generate(TextBytes, Seed);
        utf8 = Encoding.UTF8.GetBytes(text);
        destination = new int[utf8.Length];
        ids = tokenizer.Encode(utf8);
    }

    /// <summary>The hot path: UTF-8 in, ids into a caller's buffer, no allocation.</summary>
    [Benchmark(Baseline = true)]
    public int EncodeToUtf8() => tokenizer.EncodeTo(utf8, destination);

    /// <summary>From a .NET string: UTF-16 validation and transcoding, matching, and the result array.</summary>
    [Benchmark]
    public int[] EncodeString() => tokenizer.Encode(text);

    /// <summary>Ids back to a string (bytes joined, then UTF-8 decoded).</summary>
    [Benchmark]
    public string Decode() => tokenizer.Decode(ids);

    /// <summary>Parse the embedded vocabulary and build the matcher, as <see cref="RwkvTokenizer.Default"/> does.</summary>
    [Benchmark]
    public RwkvTokenizer LoadVocabulary()
    {
        using var stream = typeof(RwkvTokenizer).Assembly.GetManifestResourceStream("RwkvNative.rwkv_vocab_v20230424.txt")!;
        return RwkvTokenizer.Load(stream);
    }
}
