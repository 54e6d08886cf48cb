// The world tokenizer against upstream's output (src/RwkvNative/Data/tokenizer.cases.jsonl) and a brute-force greedy oracle.
using System.Text;
using System.Text.Json;
using RwkvNative.Tokenizer;

namespace RwkvNative.Tests.Tokenizer;

public class RwkvTokenizerTests
{
    private sealed record Case(int Line, string Text, int[] Ids);

    private static readonly Lazy<Case[]> Cases = new(() =>
    {
        var cases = new List<Case>();
        int line = 0;
        foreach (var json in File.ReadLines(Fixtures.PathOf("tokenizer.cases.jsonl")))
        {
            line++;
            using var doc = JsonDocument.Parse(json);
            var text = doc.RootElement.GetProperty("text").GetString()!;
            var ids = doc.RootElement.GetProperty("ids").EnumerateArray().Select(e => e.GetInt32()).ToArray();
            cases.Add(new Case(line, text, ids));
        }
        return cases.ToArray();
    });

    private static RwkvTokenizer Tokenizer => RwkvTokenizer.Default;

    [Fact]
    public void All_793_fixture_cases_encode_exactly_like_upstream()
    {
        Assert.Equal(793, Cases.Value.Length);
        var failures = new List<string>();
        foreach (var c in Cases.Value)
        {
            var utf8 = Encoding.UTF8.GetBytes(c.Text);
            var fromString = Tokenizer.Encode(c.Text);
            var fromBytes = Tokenizer.Encode(utf8);
            var span = new int[utf8.Length];
            int count = Tokenizer.EncodeTo(utf8, span);
            if (!fromString.AsSpan().SequenceEqual(c.Ids) || !fromBytes.AsSpan().SequenceEqual(c.Ids) || !span.AsSpan(0, count).SequenceEqual(c.Ids))
                failures.Add($"line {c.Line}: expected [{string.Join(",", c.Ids.Take(20))}...] got [{string.Join(",", fromString.Take(20))}...]");
        }
        Assert.True(failures.Count == 0, $"{failures.Count} cases differ:\n" + string.Join("\n", failures.Take(5)));
    }

    [Fact]
    public void Fixture_ids_decode_back_to_their_text()
    {
        foreach (var c in Cases.Value)
        {
            Assert.Equal(c.Text, Tokenizer.Decode(c.Ids));
            Assert.Equal(Encoding.UTF8.GetBytes(c.Text), Tokenizer.DecodeBytes(c.Ids));
        }
    }

    [Fact]
    public void Encoding_matches_a_brute_force_longest_match_on_random_bytes_and_mixed_text()
    {
        // Oracle: every token's bytes in a dictionary, try lengths 128..1 at each position.
        var byBytes = new Dictionary<string, int>();
        for (int id = 1; id <= 65529; id++) byBytes.Add(Convert.ToHexString(Tokenizer.DecodeBytes([id])), id);
        int[] Oracle(byte[] input)
        {
            var ids = new List<int>();
            for (int pos = 0; pos < input.Length;)
            {
                for (int length = Math.Min(128, input.Length - pos); length >= 1; length--)
                {
                    if (byBytes.TryGetValue(Convert.ToHexString(input, pos, length), out int id))
                    {
                        ids.Add(id);
                        pos += length;
                        break;
                    }
                }
            }
            return ids.ToArray();
        }

        var random = new Random(1234);
        for (int trial = 0; trial < 50; trial++)
        {
            var bytes = new byte[random.Next(1, 300)];
            random.NextBytes(bytes);
            if (trial % 2 == 0)
            {
                // Mostly ASCII/space runs so long tokens (indentation, words) get exercised too.
                for (int i = 0; i < bytes.Length; i++) bytes[i] = (byte)(bytes[i] < 64 ? ' ' : bytes[i] < 128 ? '-' : 'a' + bytes[i] % 26);
            }
            var ids = Tokenizer.Encode(bytes);
            Assert.Equal(Oracle(bytes), ids);
            Assert.Equal(bytes, Tokenizer.DecodeBytes(ids));
        }
        var mixed = Encoding.UTF8.GetBytes(string.Concat(Cases.Value.Take(40).Select(c => c.Text)) + " 你好，世界！😀👍🏽 \t\r\n" + new string(' ', 300));
        Assert.Equal(Oracle(mixed), Tokenizer.Encode(mixed));
    }

    [Fact]
    public void Add_eos_appends_65535_and_empty_text_gives_no_tokens()
    {
        Assert.Equal(65535, RwkvTokenizer.EosToken);
        var plain = Tokenizer.Encode("Hello world");
        Assert.Equal([.. plain, 65535], Tokenizer.Encode("Hello world", addEos: true));
        Assert.Empty(Tokenizer.Encode(""));
        Assert.Empty(Tokenizer.Encode(ReadOnlySpan<byte>.Empty));
        Assert.Equal(0, Tokenizer.EncodeTo(ReadOnlySpan<byte>.Empty, Span<int>.Empty));
        Assert.Equal([65535], Tokenizer.Encode("", addEos: true));
        Assert.Equal("", Tokenizer.Decode([]));
    }

    [Fact]
    public void Decode_skips_eos_and_pad()
    {
        var ids = Tokenizer.Encode("Hello world", addEos: true);
        Assert.Equal("Hello world", Tokenizer.Decode([0, 0, .. ids, 65535]));
        Assert.Equal(Encoding.UTF8.GetBytes("Hello world"), Tokenizer.DecodeBytes([0, .. ids]));
        Assert.Equal("", Tokenizer.Decode([0, 65535]));
    }

    [Fact]
    public void Decode_replaces_invalid_utf8_with_replacement_characters_but_DecodeBytes_keeps_them()
    {
        // Token id = byte + 1 for single bytes; C3 alone is half of "é".
        Assert.Equal("\uFFFD", Tokenizer.Decode([0xC3 + 1]));
        Assert.Equal("\uFFFDa", Tokenizer.Decode([0xC3 + 1, 'a' + 1]));
        Assert.Equal([0xC3, (byte)'a'], Tokenizer.DecodeBytes([0xC3 + 1, 'a' + 1]));
        Assert.Equal("é", Tokenizer.Decode([0xC3 + 1, 0xA9 + 1]));
    }

    // Lone surrogates cannot live in attribute strings (metadata stores them as UTF-8), so the text is built here.
    [Theory]
    [InlineData("ab", 0xD800, "c", 2)]
    [InlineData("x", 0xDC00, "", 1)]
    [InlineData("abc", 0xD83D, "", 3)]
    [InlineData("", 0xDE00, "\uD83D\uDE00", 0)]
    [InlineData("😀 ", 0xD83D, " x", 3)]
    public void Lone_surrogate_is_rejected_with_its_char_index(string before, int surrogate, string after, int index)
    {
        var text = before + (char)surrogate + after;
        var error = Assert.Throws<ArgumentException>(() => Tokenizer.Encode(text));
        Assert.Equal("text", error.ParamName);
        Assert.Contains($"at char index {index}", error.Message);
        Assert.Contains($"U+{surrogate:X4}", error.Message);
    }

    [Fact]
    public void Surrogate_pairs_encode_as_their_utf8_bytes()
    {
        var text = "😀 ok " + new string('x', 2000) + "👍"; // long enough to take the pooled-buffer path
        Assert.Equal(Tokenizer.Encode(Encoding.UTF8.GetBytes(text)), Tokenizer.Encode(text));
        Assert.Equal(text, Tokenizer.Decode(Tokenizer.Encode(text)));
    }

    [Theory]
    [InlineData(65530)]
    [InlineData(65534)]
    [InlineData(65536)]
    [InlineData(-1)]
    public void Decode_rejects_ids_outside_the_vocabulary(int bad)
    {
        var error = Assert.Throws<ArgumentOutOfRangeException>(() => Tokenizer.Decode([72, bad]));
        Assert.Contains($"ids[1] = {bad}", error.Message);
        Assert.Throws<ArgumentOutOfRangeException>(() => Tokenizer.DecodeBytes([bad]));
    }

    [Fact]
    public void EncodeTo_fills_an_exact_destination_and_rejects_a_short_one()
    {
        var utf8 = "The quick brown fox jumps over the lazy dog."u8.ToArray();
        var expected = Tokenizer.Encode(utf8);
        var exact = new int[expected.Length];
        Assert.Equal(expected.Length, Tokenizer.EncodeTo(utf8, exact));
        Assert.Equal(expected, exact);
        // Sentinels past the written ids stay untouched.
        var roomy = Enumerable.Repeat(-7, utf8.Length + 8).ToArray();
        Assert.Equal(expected.Length, Tokenizer.EncodeTo(utf8, roomy));
        Assert.Equal(expected, roomy[..expected.Length]);
        Assert.All(roomy[expected.Length..], x => Assert.Equal(-7, x));
        var error = Assert.Throws<ArgumentException>(() => Tokenizer.EncodeTo(utf8, new int[expected.Length - 1]));
        Assert.Equal("destination", error.ParamName);
    }

    [Fact]
    public void Default_is_one_instance_and_equals_loading_the_file_from_a_path_or_stream()
    {
        Assert.Same(RwkvTokenizer.Default, RwkvTokenizer.Default);
        Assert.Equal(65536, Tokenizer.VocabularySize);
        Assert.Equal(65529, Tokenizer.TokenCount);

        using var temp = new TempDir();
        var path = temp.File("rwkv_vocab.txt");
        using (var resource = typeof(RwkvTokenizer).Assembly.GetManifestResourceStream(RwkvTokenizer.EmbeddedVocabularyName)!)
        using (var file = File.Create(path))
            resource.CopyTo(file);
        var fromPath = RwkvTokenizer.Load(path);
        var fromStream = RwkvTokenizer.Load(new NonSeekableStream(File.ReadAllBytes(path)));
        // The resource is an UnmanagedMemoryStream, parsed in place and then left at its end.
        using var resourceStream = typeof(RwkvTokenizer).Assembly.GetManifestResourceStream(RwkvTokenizer.EmbeddedVocabularyName)!;
        Assert.IsType<UnmanagedMemoryStream>(resourceStream, exactMatch: false);
        var fromResource = RwkvTokenizer.Load(resourceStream);
        Assert.Equal(resourceStream.Length, resourceStream.Position);
        foreach (var c in Cases.Value.Take(100))
        {
            Assert.Equal(c.Ids, fromPath.Encode(c.Text));
            Assert.Equal(c.Ids, fromStream.Encode(c.Text));
            Assert.Equal(c.Ids, fromResource.Encode(c.Text));
        }
    }

    [Fact]
    public void Concurrent_encoding_from_many_threads_gives_the_same_ids()
    {
        var cases = Cases.Value;
        var wrong = 0;
        Parallel.For(0, cases.Length * 4, new ParallelOptions { MaxDegreeOfParallelism = 8 }, i =>
        {
            var c = cases[i % cases.Length];
            if (!Tokenizer.Encode(c.Text).AsSpan().SequenceEqual(c.Ids)) Interlocked.Increment(ref wrong);
        });
        Assert.Equal(0, wrong);
    }

    private sealed class NonSeekableStream(byte[] data) : MemoryStream(data)
    {
        public override bool CanSeek => false;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
    }
}
