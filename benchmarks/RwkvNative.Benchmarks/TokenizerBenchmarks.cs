using System.Text;
using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Columns;
using BenchmarkDotNet.Configs;
using RwkvNative.Tokenizer;
using RwkvNative.Benchmarking;

namespace RwkvNative.Benchmarks;

/// <summary>
/// World tokenizer throughput on 4 MiB of <see cref="MixedText"/> (seed 42), and vocabulary load time (warm: the
/// process has already loaded it once; the cold first call is measured by <c>tokenizer-cold-start</c>, see <see cref="TokenizerProbes"/>).
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

    /// <summary>Size of each document in <see cref="EncodeDocuments"/> (UTF-8 bytes, cut at character boundaries).</summary>
    public const int DocumentBytes = 1024;

    private RwkvTokenizer _tokenizer = null!;
    private string _text = null!;
    private byte[] _utf8 = null!;
    private int[] _destination = null!;
    private int[] _ids = null!;
    private string[] _documents = null!;

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
        _tokenizer = RwkvTokenizer.Default;
        _text = MixedText.Generate(TextBytes, Seed);
        _utf8 = Encoding.UTF8.GetBytes(_text);
        _destination = new int[_utf8.Length];
        _ids = _tokenizer.Encode(_utf8);
        _documents = Split(_text, DocumentBytes);
    }

    /// <summary>Cuts <paramref name="text"/> into pieces of about <paramref name="bytes"/> UTF-8 bytes, never inside a character.</summary>
    private static string[] Split(string text, int bytes)
    {
        var pieces = new List<string>();
        int start = 0, size = 0;
        for (int i = 0; i < text.Length;)
        {
            var rune = System.Text.Rune.GetRuneAt(text, i);
            size += rune.Utf8SequenceLength;
            i += rune.Utf16SequenceLength;
            if (size >= bytes || i == text.Length)
            {
                pieces.Add(text[start..i]);
                start = i;
                size = 0;
            }
        }
        return pieces.ToArray();
    }

    /// <summary>The hot path: UTF-8 in, ids into a caller's buffer, no allocation.</summary>
    [Benchmark(Baseline = true)]
    public int EncodeToUtf8() => _tokenizer.EncodeTo(_utf8, _destination);

    /// <summary>From one 4 MiB .NET string: UTF-16 validation and transcoding, matching, and the 4 MB result array.</summary>
    [Benchmark]
    public int[] EncodeString() => _tokenizer.Encode(_text);

    /// <summary>
    /// The per-request path: <c>Encode(text, addEos: true)</c> on each 1 KiB document of the same text (transcoding,
    /// matching and a small result array per call; large results instead pay for a fresh large-object-heap array).
    /// </summary>
    [Benchmark]
    public int EncodeDocuments()
    {
        int total = 0;
        foreach (var document in _documents) total += _tokenizer.Encode(document, addEos: true).Length;
        return total;
    }

    /// <summary>Ids back to a string (bytes joined, then UTF-8 decoded).</summary>
    [Benchmark]
    public string Decode() => _tokenizer.Decode(_ids);

    /// <summary>Parse the embedded vocabulary and build the matcher, as <see cref="RwkvTokenizer.Default"/> does.</summary>
    [Benchmark]
    public RwkvTokenizer LoadVocabulary()
    {
        using var stream = typeof(RwkvTokenizer).Assembly.GetManifestResourceStream("RwkvNative.rwkv_vocab_v20230424.txt")!;
        return RwkvTokenizer.Load(stream);
    }
}
