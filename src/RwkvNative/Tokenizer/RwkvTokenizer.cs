using System.Buffers;
using System.Runtime.Intrinsics;
using System.Text;
using System.Text.Unicode;
using RwkvNative.Model;

namespace RwkvNative.Tokenizer;

/// <summary>
/// The RWKV "world" tokenizer (vocabulary v20230424): greedy longest match over the UTF-8 bytes of the text.
/// Immutable after loading, so one instance may be shared by any number of threads.
/// </summary>
/// <remarks>
/// Ids: 1..65529 are text tokens (every single byte is one, so any byte string encodes);
/// <see cref="PadToken"/> (0, <c>&lt;|endoftext|&gt;</c>) and <see cref="EosToken"/> (65535) carry no text.
/// </remarks>
public sealed class RwkvTokenizer
{
    /// <summary>End-of-sequence token (<see cref="ModelSchema.EosToken"/>), appended by <c>Encode(text, addEos: true)</c>; embeddings pool over it.</summary>
    public const int EosToken = ModelSchema.EosToken;

    /// <summary>Padding token (<see cref="ModelSchema.PadToken"/>: <c>&lt;|endoftext|&gt;</c>, not in the vocabulary file).</summary>
    public const int PadToken = ModelSchema.PadToken;

    /// <summary>Name of the embedded vocabulary resource that <see cref="Default"/> loads.</summary>
    internal const string EmbeddedVocabularyName = "RwkvNative.rwkv_vocab_v20230424.txt";

    // UTF-16 to UTF-8 needs at most 3 bytes per char; inputs up to this many bytes use the stack.
    private const int StackBytes = 1024;

    private static readonly Lazy<RwkvTokenizer> DefaultInstance =
        new(LoadEmbedded, LazyThreadSafetyMode.ExecutionAndPublication);

    private readonly Vocabulary _vocabulary;
    private readonly DoubleArrayTrie _trie;

    private RwkvTokenizer(Vocabulary vocabulary, DoubleArrayTrie trie)
    {
        _vocabulary = vocabulary;
        _trie = trie;
    }

    /// <summary>The world vocabulary v20230424, loaded from the library's embedded copy on first use (thread-safe).</summary>
    public static RwkvTokenizer Default => DefaultInstance.Value;

    /// <summary>
    /// Rows an embedding table needs for every id this tokenizer produces or accepts: <see cref="EosToken"/> + 1 = 65536.
    /// </summary>
    public int VocabularySize => EosToken + 1;

    /// <summary>Number of text tokens the vocabulary file defines (65529 for v20230424).</summary>
    internal int TokenCount => _vocabulary.Count;

    /// <summary>Number of cells in the matcher's double array (for diagnostics and tests).</summary>
    internal int TrieCellCount => _trie.CellCount;

    /// <summary>Loads a vocabulary in the <c>rwkv_vocab_v20230424.txt</c> format from a file.</summary>
    /// <param name="path">Path of the vocabulary file.</param>
    /// <exception cref="FormatException">A line is malformed (the message names the line), two ids share the same
    /// bytes, or some single byte has no token.</exception>
    public static RwkvTokenizer Load(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        return FromBytes(File.ReadAllBytes(path), path);
    }

    /// <summary>Loads a vocabulary in the <c>rwkv_vocab_v20230424.txt</c> format from a stream (read to its end, not disposed).</summary>
    /// <param name="stream">The vocabulary file's bytes.</param>
    /// <exception cref="FormatException">A line is malformed (the message names the line), two ids share the same
    /// bytes, or some single byte has no token.</exception>
    public static RwkvTokenizer Load(Stream stream)
    {
        ArgumentNullException.ThrowIfNull(stream);
        return FromStream(stream, "vocabulary stream");
    }

    internal static RwkvTokenizer FromBytes(ReadOnlySpan<byte> file, string source)
    {
        var vocabulary = VocabularyParser.Parse(file, source);
        return new RwkvTokenizer(vocabulary, DoubleArrayTrie.Build(vocabulary, source));
    }

    private static RwkvTokenizer LoadEmbedded()
    {
        using var stream = typeof(RwkvTokenizer).Assembly.GetManifestResourceStream(EmbeddedVocabularyName)
            ?? throw new InvalidOperationException($"Embedded resource {EmbeddedVocabularyName} is missing from {typeof(RwkvTokenizer).Assembly.FullName}; the library was built without its vocabulary.");
        return FromStream(stream, EmbeddedVocabularyName);
    }

    private static unsafe RwkvTokenizer FromStream(Stream stream, string source)
    {
        // An embedded resource is an UnmanagedMemoryStream over the mapped assembly: parse it in place (the parser
        // copies what it keeps), saving a 1 MB copy on every cold start.
        if (stream is UnmanagedMemoryStream memory && memory.CanRead)
        {
            long remaining = memory.Length - memory.Position;
            if (remaining > Array.MaxLength) throw new ArgumentException("The vocabulary stream is too large.", nameof(stream));
            var tokenizer = FromBytes(new ReadOnlySpan<byte>(memory.PositionPointer, (int)remaining), source);
            memory.Seek(0, SeekOrigin.End);
            return tokenizer;
        }
        return FromBytes(ReadToEnd(stream), source);
    }

    private static byte[] ReadToEnd(Stream stream)
    {
        if (stream.CanSeek)
        {
            long remaining = stream.Length - stream.Position;
            if (remaining > Array.MaxLength) throw new ArgumentException("The vocabulary stream is too large.", nameof(stream));
            var data = new byte[remaining];
            stream.ReadExactly(data);
            return data;
        }
        using var copy = new MemoryStream();
        stream.CopyTo(copy);
        return copy.ToArray();
    }

    /// <summary>Tokenizes <paramref name="text"/> (as UTF-8) by greedy longest match.</summary>
    /// <param name="text">Any valid UTF-16 text; empty gives no tokens.</param>
    /// <param name="addEos">Append <see cref="EosToken"/>, as embedding inputs need.</param>
    /// <returns>The token ids, then EOS when <paramref name="addEos"/>.</returns>
    /// <exception cref="ArgumentException"><paramref name="text"/> holds a lone surrogate (the message gives its char index);
    /// it is never silently replaced.</exception>
    public int[] Encode(string text, bool addEos = false)
    {
        ArgumentNullException.ThrowIfNull(text);
        if (text.Length == 0) return addEos ? [EosToken] : [];

        byte[]? rentedBytes = null;
        int maxBytes = checked(text.Length * 3);
        Span<byte> utf8 = maxBytes <= StackBytes
            ? stackalloc byte[StackBytes]
            : (rentedBytes = ArrayPool<byte>.Shared.Rent(maxBytes));
        try
        {
            var status = Utf8.FromUtf16(text, utf8, out int charsRead, out int byteCount, replaceInvalidSequences: false);
            if (status != OperationStatus.Done) ThrowLoneSurrogate(text, charsRead);
            return EncodeToArray(utf8[..byteCount], addEos);
        }
        finally
        {
            if (rentedBytes != null) ArrayPool<byte>.Shared.Return(rentedBytes);
        }
    }

    /// <summary>Tokenizes UTF-8 bytes by greedy longest match. Any byte string is accepted (invalid UTF-8 included).</summary>
    /// <param name="utf8">The bytes to tokenize.</param>
    /// <returns>The token ids (no EOS).</returns>
    public int[] Encode(ReadOnlySpan<byte> utf8) => EncodeToArray(utf8, addEos: false);

    /// <summary>
    /// Tokenizes UTF-8 bytes into <paramref name="destination"/> without allocating: the hot-path form.
    /// A destination of <c>utf8.Length</c> ids always suffices (each token covers at least one byte).
    /// </summary>
    /// <param name="utf8">The bytes to tokenize (any byte string).</param>
    /// <param name="destination">Receives the ids (no EOS).</param>
    /// <returns>How many ids were written.</returns>
    /// <exception cref="ArgumentException"><paramref name="destination"/> is too short for the ids.</exception>
    public int EncodeTo(ReadOnlySpan<byte> utf8, Span<int> destination) => _trie.Encode(utf8, destination);

    private int[] EncodeToArray(ReadOnlySpan<byte> utf8, bool addEos)
    {
        int extra = addEos ? 1 : 0;
        int[] rented = ArrayPool<int>.Shared.Rent(utf8.Length + extra);
        try
        {
            int count = _trie.Encode(utf8, rented);
            if (addEos) rented[count++] = EosToken;
            return rented.AsSpan(0, count).ToArray();
        }
        finally
        {
            ArrayPool<int>.Shared.Return(rented);
        }
    }

    private static void ThrowLoneSurrogate(string text, int index) =>
        throw new ArgumentException(
            $"Text has a lone UTF-16 surrogate U+{(int)text[index]:X4} at char index {index}; it has no UTF-8 form, so it cannot be tokenized. Remove or replace it (e.g. with U+FFFD) before encoding.",
            nameof(text));

    /// <summary>
    /// Joins the tokens' bytes and decodes them as UTF-8. <see cref="PadToken"/> and <see cref="EosToken"/> add no text.
    /// Bytes that are not valid UTF-8 (e.g. a multi-byte character cut between token lists) each become the replacement
    /// character U+FFFD; use <see cref="DecodeBytes"/> for the exact bytes.
    /// </summary>
    /// <param name="ids">Token ids.</param>
    /// <returns>The decoded text.</returns>
    /// <exception cref="ArgumentOutOfRangeException">An id is not pad, EOS or a token of this vocabulary.</exception>
    public string Decode(ReadOnlySpan<int> ids)
    {
        int length = DecodedLength(ids);
        if (length == 0) return string.Empty;
        byte[] rented = ArrayPool<byte>.Shared.Rent(length);
        try
        {
            CopyTokenBytes(ids, rented); // the whole rented array: room for 16-byte copies
            return Encoding.UTF8.GetString(rented, 0, length);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(rented);
        }
    }

    /// <summary>Joins the tokens' bytes exactly (no UTF-8 decoding). <see cref="PadToken"/> and <see cref="EosToken"/> add nothing.</summary>
    /// <param name="ids">Token ids.</param>
    /// <returns>The concatenated token bytes.</returns>
    /// <exception cref="ArgumentOutOfRangeException">An id is not pad, EOS or a token of this vocabulary.</exception>
    public byte[] DecodeBytes(ReadOnlySpan<int> ids)
    {
        var result = new byte[DecodedLength(ids)];
        CopyTokenBytes(ids, result);
        return result;
    }

    private int DecodedLength(ReadOnlySpan<int> ids)
    {
        var offsets = _vocabulary.Offsets;
        int maxId = _vocabulary.MaxId;
        long length = 0;
        for (int i = 0; i < ids.Length; i++)
        {
            int id = ids[i];
            if ((uint)id <= (uint)maxId)
            {
                int n = offsets[id + 1] - offsets[id];
                if (n == 0 && id != PadToken) ThrowBadId(ids, i, maxId);
                length += n;
            }
            else if (id != EosToken)
            {
                ThrowBadId(ids, i, maxId);
            }
        }
        if (length > Array.MaxLength) throw new ArgumentException("The decoded text would be too large.", nameof(ids));
        return (int)length;
    }

    // Ids were validated by DecodedLength. Most tokens are short, so each is copied as one 16-byte vector when both
    // sides have room (the bytes past its end are overwritten by the next token or lie past the decoded length).
    private unsafe void CopyTokenBytes(ReadOnlySpan<int> ids, Span<byte> destination)
    {
        var bytes = _vocabulary.Bytes;
        uint maxId = (uint)_vocabulary.MaxId;
        int sourceLength = bytes.Length, destinationLength = destination.Length;
        int at = 0;
        fixed (byte* src = bytes)
        fixed (byte* dst = destination)
        fixed (int* offsets = _vocabulary.Offsets)
        {
            foreach (int id in ids)
            {
                if ((uint)id > maxId) continue;
                int start = offsets[id], n = offsets[id + 1] - start;
                if (n <= 16 && start + 16 <= sourceLength && at + 16 <= destinationLength)
                    Vector128.Store(Vector128.Load(src + start), dst + at);
                else
                    Buffer.MemoryCopy(src + start, dst + at, destinationLength - at, n);
                at += n;
            }
        }
    }

    private static void ThrowBadId(ReadOnlySpan<int> ids, int index, int maxId) =>
        throw new ArgumentOutOfRangeException(
            nameof(ids),
            ids[index],
            $"ids[{index}] = {ids[index]} is not a token of this vocabulary (text tokens 1..{maxId}, pad {PadToken}, EOS {EosToken}).");
}
