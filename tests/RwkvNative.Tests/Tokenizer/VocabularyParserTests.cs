// Vocabulary file parsing: Python literal semantics (expected bytes checked against CPython's ast.literal_eval) and
// errors that name the offending line.
using System.Text;
using RwkvNative.Tokenizer;

namespace RwkvNative.Tests.Tokenizer;

public class VocabularyParserTests
{
    /// <summary>Lines 1..256: one token per single byte (b'\xNN' 1, id = byte + 1), which every vocabulary needs.</summary>
    private static string SingleByteLines(int except = -1)
    {
        var sb = new StringBuilder();
        for (int b = 0; b < 256; b++)
            if (b != except) sb.Append($"{b + 1} b'\\x{b:x2}' 1\n");
        return sb.ToString();
    }

    private static RwkvTokenizer LoadText(string text) => RwkvTokenizer.Load(new MemoryStream(Encoding.UTF8.GetBytes(text)));

    [Theory]
    [InlineData(@"'\x80'", "c2 80")]              // str: \x80 is U+0080, two UTF-8 bytes
    [InlineData(@"b'\x80'", "80")]                // bytes: \x80 is the byte
    [InlineData(@"'\u00e9'", "c3 a9")]
    [InlineData(@"'\U0001F600'", "f0 9f 98 80")]
    [InlineData(@"'\101\0\7'", "41 00 07")]       // octal escapes
    [InlineData(@"'\777'", "c7 bf")]              // octal U+01FF in a str
    [InlineData(@"'\q\$'", "5c 71 5c 24")]        // unknown escapes keep the backslash
    [InlineData(@"b'\u00e9'", "5c 75 30 30 65 39")] // \u is not an escape in bytes
    [InlineData(@"'\a\b\f\v'", "07 08 0c 0b")]
    [InlineData(@"""it\'s \""q\""""", "69 74 27 73 20 22 71 22")]
    [InlineData(@"'\\\''", "5c 27")]
    [InlineData("'é😀'", "c3 a9 f0 9f 98 80")]      // raw UTF-8 characters in a str
    [InlineData(@"b'\xff\x00\\'", "ff 00 5c")]
    [InlineData(@"'\8'", "5c 38")]
    [InlineData(@"b'\101\0'", "41 00")]
    [InlineData(@"'\x41\x7F'", "41 7f")]
    public void Literal_decodes_like_python(string literal, string expectedHex)
    {
        var expected = Convert.FromHexString(expectedHex.Replace(" ", ""));
        // A one-byte literal takes that byte's place (two ids may not share bytes).
        var singles = SingleByteLines(except: expected.Length == 1 ? expected[0] : -1);
        var tokenizer = LoadText(singles + $"300 {literal} {expected.Length}\n");

        Assert.Equal(expected, tokenizer.DecodeBytes([300]));
        Assert.Equal([300], tokenizer.Encode(expected));
    }

    [Fact]
    public void Greedy_match_takes_the_longest_token_and_backs_off_to_the_last_complete_one()
    {
        var tokenizer = LoadText(SingleByteLines() + "300 'ab' 2\n301 'abcd' 4\n302 'abcdef' 6\n");
        // "abcde": the walk reaches "abcde" (prefix of 302) but the longest complete token is "abcd".
        Assert.Equal([301, 'e' + 1], tokenizer.Encode("abcde"u8));
        Assert.Equal([302, 300], tokenizer.Encode("abcdefab"u8));
        Assert.Equal([300, 'c' + 1], tokenizer.Encode("abc"u8));
    }

    [Fact]
    public void Ids_may_come_in_any_order_and_undefined_ids_do_not_decode()
    {
        var lines = SingleByteLines().TrimEnd('\n').Split('\n').Reverse().Append("300 'hello' 5").Reverse();
        var tokenizer = LoadText(string.Join("\n", lines) + "\n");
        Assert.Equal([300, ' ' + 1, 'x' + 1], tokenizer.Encode("hello x"u8));
        Assert.Equal("hello x", tokenizer.Decode([300, ' ' + 1, 'x' + 1]));
        var error = Assert.Throws<ArgumentOutOfRangeException>(() => tokenizer.Decode([280]));
        Assert.Contains("ids[0] = 280", error.Message);
    }

    [Fact]
    public void Crlf_line_endings_and_a_missing_final_newline_are_accepted()
    {
        var text = SingleByteLines().Replace("\n", "\r\n") + "300 'xyz' 3";
        Assert.Equal([300], LoadText(text).Encode("xyz"u8));
    }

    [Theory]
    [InlineData("300 'abc' 4", "the literal is 3 bytes but the line states 4")]
    [InlineData(@"300 '\x80' 1", "the literal is 2 bytes but the line states 1")]
    [InlineData("300 'abc 3", "unterminated literal")]
    [InlineData("300 'abc'", "expected a space and the byte length")]
    [InlineData("300 'abc' 3x", "expected the decimal byte length")]
    [InlineData("x300 'abc' 3", "expected a decimal token id")]
    [InlineData("", "empty line")]
    [InlineData("300 abc 3", "expected a Python str literal")]
    [InlineData(@"300 '\x4' 1", "\\x escape needs exactly 2 hex digits")]
    [InlineData(@"300 '\ud800' 3", "surrogate U+D800")]
    [InlineData(@"300 '\N{BULLET}' 3", "\\N{name} escapes are not supported")]
    [InlineData("300 b'é' 2", "a bytes literal may only contain ASCII characters")]
    [InlineData("300 '' 0", "empty tokens are not allowed")]
    [InlineData("0 'abc' 3", "token id 0 is outside 1..65534")]
    [InlineData("65535 'abc' 3", "token id 65535 is outside 1..65534")]
    public void Malformed_line_is_rejected_with_its_line_number(string line, string reason)
    {
        var text = SingleByteLines() + "257 'ok' 2\n" + line + "\n258 'fine' 4\n";
        var error = Assert.Throws<FormatException>(() => LoadText(text));
        Assert.Contains("line 258:", error.Message);
        Assert.Contains(reason, error.Message);
    }

    [Fact]
    public void Duplicate_id_names_both_lines()
    {
        var error = Assert.Throws<FormatException>(() => LoadText(SingleByteLines() + "300 'ab' 2\n300 'cd' 2\n"));
        Assert.Contains("line 258: token id 300 is already defined on line 257", error.Message);
    }

    [Fact]
    public void Duplicate_token_bytes_are_rejected()
    {
        var error = Assert.Throws<FormatException>(() => LoadText(SingleByteLines() + "300 'ab' 2\n301 b'ab' 2\n"));
        Assert.Contains("token ids 300 and 301 have the same bytes", error.Message);
    }

    [Fact]
    public void Missing_single_byte_token_is_rejected()
    {
        var text = SingleByteLines().Replace("66 b'\\x41' 1\n", "");
        var error = Assert.Throws<FormatException>(() => LoadText(text));
        Assert.Contains("no token for the single byte 0x41", error.Message);
    }

    [Fact]
    public void Invalid_utf8_in_the_file_names_the_line()
    {
        var bytes = Encoding.UTF8.GetBytes(SingleByteLines() + "300 'ab' 2\n").Concat(new byte[] { (byte)'3', (byte)'0', (byte)'1', (byte)' ', (byte)'\'', 0xC3, (byte)'\'', (byte)' ', (byte)'1', (byte)'\n' }).ToArray();
        var error = Assert.Throws<FormatException>(() => RwkvTokenizer.Load(new MemoryStream(bytes)));
        Assert.Contains("line 258: the line is not valid UTF-8", error.Message);
    }

    [Fact]
    public void World_vocabulary_has_every_id_from_1_to_65529_with_its_stated_length()
    {
        // Re-parse the shipped file and check ids, count and total bytes (sum of the file's third column: 373358).
        using var stream = typeof(RwkvTokenizer).Assembly.GetManifestResourceStream(RwkvTokenizer.EmbeddedVocabularyName)!;
        var file = new byte[stream.Length];
        stream.ReadExactly(file);
        var vocabulary = VocabularyParser.Parse(file, "world");
        Assert.Equal(65529, vocabulary.Count);
        Assert.Equal(65529, vocabulary.MaxId);
        Assert.Equal(373358, vocabulary.Bytes.Length);
        for (int id = 1; id <= 65529; id++) Assert.NotEqual(0, vocabulary.TokenBytes(id).Length);
        Assert.Equal([0x00], vocabulary.TokenBytes(1).ToArray());
        Assert.Equal([0xFF], vocabulary.TokenBytes(256).ToArray());
        Assert.Equal(Enumerable.Repeat((byte)' ', 128).ToArray(), vocabulary.TokenBytes(65529).ToArray());
    }
}
