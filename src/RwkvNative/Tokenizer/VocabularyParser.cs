// Reads rwkv_vocab_v20230424.txt: one token a line, "<id> <python str or bytes literal> <byte length>".
using System.Runtime.CompilerServices;
using System.Text;
using System.Text.Unicode;

namespace RwkvNative.Tokenizer;

/// <summary>
/// Parses the vocabulary file straight from its UTF-8 bytes (no strings, no regex: it runs on every cold start).
/// Literals follow Python's rules: a <c>str</c> literal's characters are encoded as UTF-8 (so <c>'\x80'</c> is C2 80),
/// a <c>bytes</c> literal's escapes are raw bytes (so <c>b'\x80'</c> is 80).
/// </summary>
internal static class VocabularyParser
{
    /// <summary>Ids at or above this collide with <see cref="RwkvTokenizer.EosToken"/>.</summary>
    private const int MaxTokenId = RwkvTokenizer.EosToken - 1;

    /// <summary>Parses a whole vocabulary file; <paramref name="source"/> names it in error messages.</summary>
    /// <exception cref="FormatException">A line is malformed; the message names the line number.</exception>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static Vocabulary Parse(ReadOnlySpan<byte> file, string source)
    {
        if (!Utf8.IsValid(file)) ThrowFirstInvalidUtf8Line(file, source);

        // Decoded literals never outgrow their source text, so the file's length bounds the packed bytes.
        var bytes = GC.AllocateUninitializedArray<byte>(file.Length);
        int written = 0;
        var lineIds = new List<int>(65536);
        var lineStarts = new List<int>(65536);
        int maxId = 0;

        int pos = 0, lineNumber = 0;
        while (pos < file.Length)
        {
            lineNumber++;
            int newline = file[pos..].IndexOf((byte)'\n');
            int end = newline < 0 ? file.Length : pos + newline;
            var line = file[pos..end];
            pos = newline < 0 ? file.Length : end + 1;
            if (line.Length > 0 && line[^1] == (byte)'\r') line = line[..^1];

            int id = ParseLine(line, bytes.AsSpan(written), out int tokenLength, out string? error);
            if (error != null) throw LineError(source, lineNumber, line, error);
            lineIds.Add(id);
            lineStarts.Add(written);
            written += tokenLength;
            if (id > maxId) maxId = id;
        }
        lineStarts.Add(written);
        if (lineIds.Count == 0) throw FileError(source, "the vocabulary has no tokens");

        // Pack in id order (the upstream file is already in id order, then this is one copy).
        var lineOfId = new int[maxId + 1];
        for (int line = 0; line < lineIds.Count; line++)
        {
            int id = lineIds[line];
            if (lineOfId[id] != 0)
                throw DuplicateId(source, line + 1, id, lineOfId[id]);
            lineOfId[id] = line + 1;
        }
        var packed = GC.AllocateUninitializedArray<byte>(written);
        var offsets = new int[maxId + 2];
        int at = 0;
        for (int id = 0; id <= maxId; id++)
        {
            offsets[id] = at;
            int line = lineOfId[id] - 1;
            if (line < 0) continue;
            int start = lineStarts[line], length = lineStarts[line + 1] - start;
            bytes.AsSpan(start, length).CopyTo(packed.AsSpan(at));
            at += length;
        }
        offsets[maxId + 1] = at;
        return new Vocabulary(packed, offsets, lineIds.Count);
    }

    /// <summary>Creates the exception for a malformed line, quoting (a prefix of) the line.</summary>
    internal static FormatException LineError(string source, int lineNumber, ReadOnlySpan<byte> line, string error)
    {
        var shown = Encoding.UTF8.GetString(line.Length > 120 ? line[..120] : line);
        return new FormatException($"{source} line {lineNumber}: {error} (line: \"{shown}\").");
    }

    private static void ThrowFirstInvalidUtf8Line(ReadOnlySpan<byte> file, string source)
    {
        int pos = 0, lineNumber = 0;
        while (pos < file.Length)
        {
            lineNumber++;
            int newline = file[pos..].IndexOf((byte)'\n');
            int end = newline < 0 ? file.Length : pos + newline;
            if (!Utf8.IsValid(file[pos..end]))
                throw LineError(source, lineNumber, file[pos..end], "the line is not valid UTF-8");
            pos = end + 1;
        }
        throw FileError(source, "the file is not valid UTF-8");
    }

    /// <summary>
    /// Parses one line into <paramref name="output"/>; returns the id. On a malformed line sets <paramref name="error"/>
    /// (the caller adds the line number) instead of throwing, so the hot loop stays small.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static int ParseLine(ReadOnlySpan<byte> line, Span<byte> output, out int tokenLength, out string? error)
    {
        tokenLength = 0;
        int i = 0, id = 0;
        while (i < line.Length && IsDigit(line[i]))
        {
            if (i == 9) { error = "token id is too long"; return 0; }
            id = id * 10 + (line[i] - '0');
            i++;
        }
        if (i == 0) { error = line.IsEmpty ? "empty line" : "expected a decimal token id at the start of the line"; return 0; }
        if (id < 1 || id > MaxTokenId) { error = IdOutOfRange(id); return 0; }
        if (i >= line.Length || line[i] != (byte)' ') { error = "expected a space after the token id"; return 0; }
        i++;

        tokenLength = DecodeLiteral(line, ref i, output, out error);
        if (error != null) return 0;

        if (i >= line.Length || line[i] != (byte)' ') { error = "expected a space and the byte length after the literal"; return 0; }
        while (i < line.Length && line[i] == (byte)' ') i++;
        int lengthStart = i, stated = 0;
        while (i < line.Length && IsDigit(line[i]))
        {
            if (i - lengthStart == 9) { error = "byte length is too long"; return 0; }
            stated = stated * 10 + (line[i] - '0');
            i++;
        }
        if (i == lengthStart || i != line.Length) { error = "expected the decimal byte length at the end of the line"; return 0; }
        if (stated != tokenLength) { error = LengthMismatch(tokenLength, stated); return 0; }
        if (tokenLength == 0) { error = "empty tokens are not allowed"; return 0; }
        return id;
    }

    /// <summary>
    /// Decodes the Python literal starting at <paramref name="i"/> into <paramref name="output"/>, leaving
    /// <paramref name="i"/> just past the closing quote. Returns the decoded byte count.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static int DecodeLiteral(ReadOnlySpan<byte> line, ref int i, Span<byte> output, out string? error)
    {
        error = null;
        bool isBytes = false;
        if (i < line.Length && (line[i] == (byte)'b' || line[i] == (byte)'B')) { isBytes = true; i++; }
        if (i >= line.Length || (line[i] != (byte)'\'' && line[i] != (byte)'"'))
        {
            error = "expected a Python str literal '...' or bytes literal b'...'";
            return 0;
        }
        byte quote = line[i++];
        if (i + 1 < line.Length && line[i] == quote && line[i + 1] == quote)
        {
            error = "triple-quoted literals are not supported";
            return 0;
        }

        int n = 0;
        while (true)
        {
            if (i >= line.Length) { error = "unterminated literal"; return 0; }
            byte c = line[i++];
            if (c == quote) return n;
            if (c != (byte)'\\')
            {
                // A str literal's non-ASCII characters are already UTF-8 in the file; Python rejects them in bytes literals.
                if (isBytes && c >= 0x80) { error = "a bytes literal may only contain ASCII characters"; return 0; }
                output[n++] = c;
                continue;
            }
            if (i >= line.Length) { error = "unterminated literal"; return 0; }
            byte e = line[i++];
            int value;
            switch (e)
            {
                case (byte)'\\': output[n++] = (byte)'\\'; continue;
                case (byte)'\'': output[n++] = (byte)'\''; continue;
                case (byte)'"': output[n++] = (byte)'"'; continue;
                case (byte)'a': output[n++] = 0x07; continue;
                case (byte)'b': output[n++] = 0x08; continue;
                case (byte)'f': output[n++] = 0x0C; continue;
                case (byte)'n': output[n++] = 0x0A; continue;
                case (byte)'r': output[n++] = 0x0D; continue;
                case (byte)'t': output[n++] = 0x09; continue;
                case (byte)'v': output[n++] = 0x0B; continue;
                case >= (byte)'0' and <= (byte)'7':
                    value = e - '0';
                    for (int k = 0; k < 2 && i < line.Length && line[i] >= (byte)'0' && line[i] <= (byte)'7'; k++)
                        value = value * 8 + (line[i++] - '0');
                    break;
                case (byte)'x':
                    if (!TryHex(line, ref i, 2, out value)) { error = "\\x escape needs exactly 2 hex digits"; return 0; }
                    break;
                case (byte)'u' when !isBytes:
                    if (!TryHex(line, ref i, 4, out value)) { error = "\\u escape needs exactly 4 hex digits"; return 0; }
                    break;
                case (byte)'U' when !isBytes:
                    if (!TryHex(line, ref i, 8, out value) || value > 0x10FFFF) { error = "\\U escape needs 8 hex digits of a code point up to 10FFFF"; return 0; }
                    break;
                case (byte)'N' when !isBytes:
                    error = "\\N{name} escapes are not supported";
                    return 0;
                default:
                    // Python keeps an unrecognised escape as the backslash and the character.
                    output[n++] = (byte)'\\';
                    i--;
                    continue;
            }

            if (isBytes)
            {
                if (value > 0xFF) { error = "octal escape above \\377 in a bytes literal"; return 0; }
                output[n++] = (byte)value;
            }
            else
            {
                if (value is >= 0xD800 and <= 0xDFFF) { error = SurrogateEscape(value); return 0; }
                n += new Rune(value).EncodeToUtf8(output[n..]);
            }
        }
    }

    // Error messages are built in separate methods so the hot parsing methods stay small (they are JIT-compiled
    // fully optimized on every cold start; these only when a file is bad).
    private static FormatException FileError(string source, string error) => new($"{source}: {error}.");

    private static FormatException DuplicateId(string source, int lineNumber, int id, int firstLine) =>
        new($"{source} line {lineNumber}: token id {id} is already defined on line {firstLine}.");

    private static string IdOutOfRange(int id) =>
        $"token id {id} is outside 1..{MaxTokenId} (0 is <|endoftext|>, {RwkvTokenizer.EosToken} is EOS)";

    private static string LengthMismatch(int actual, int stated) => $"the literal is {actual} bytes but the line states {stated}";

    private static string SurrogateEscape(int value) => $"surrogate U+{value:X4} cannot be encoded as UTF-8";

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static bool TryHex(ReadOnlySpan<byte> line, ref int i, int digits, out int value)
    {
        value = 0;
        if (i + digits > line.Length) return false;
        for (int k = 0; k < digits; k++)
        {
            int d = HexValue(line[i + k]);
            if (d < 0) return false;
            value = value * 16 + d;
        }
        i += digits;
        return true;
    }

    private static int HexValue(byte c) => c switch
    {
        >= (byte)'0' and <= (byte)'9' => c - '0',
        >= (byte)'a' and <= (byte)'f' => c - 'a' + 10,
        >= (byte)'A' and <= (byte)'F' => c - 'A' + 10,
        _ => -1,
    };

    private static bool IsDigit(byte c) => (uint)(c - '0') <= 9;
}
