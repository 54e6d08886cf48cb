using System.Buffers.Binary;
using System.Text;
using RwkvNative.Checkpoints;

namespace RwkvNative.Store;

/// <summary>
/// The record format of <c>states.log</c> (version 2) and its scanner: a pure function of the log's bytes, so that it can
/// be fuzzed (<see cref="Scan(ReadOnlyMemory{byte})"/>).
/// </summary>
/// <remarks>
/// <para>A record is a 40-byte header and a body (a multiple of 8 bytes), both little-endian, each record right after the previous one:</para>
/// <code>
/// header  0 u32 magic "RWST"      4 u16 version (2)        6 u16 kind (1 manifest, 2 document)
///         8 u64 body bytes (a multiple of 8)
///        16 u32 id bytes (manifest: JSON bytes)            20 u32 embedding floats (0: none)
///        24 u32 bytes per state value (4 f32, 2 f16; 0 for a manifest)
///        28 u32 CRC-32C of the embedding (padded)          32 u32 CRC-32C of the state (padded)
///        36 u32 CRC-32C of header bytes 0..36, the id (padded) and (documents) the content hash
/// body    id (UTF-8; manifest: JSON), zero-padded to 8
///         documents only: content hash (32 bytes, SHA-256 of the text), embedding (float32, zero-padded to 8),
///         state (Shift [L,2,C] then Wkv [L,H,64,64], in the store's precision, zero-padded to 8)
/// </code>
/// <para>The key checksum (header, id, hash) lets a scan trust a record's length and id without reading its body, and
/// find the next record after damage: it tries every following byte offset until a header and key check out. The embedding and state
/// carry their own checksums, checked when they are read, so that embeddings can be listed without reading states.
/// Every byte of a record is under one of the three checksums.</para>
/// </remarks>
public static class StateLog
{
    /// <summary>"RWST", little-endian.</summary>
    public const uint Magic = 0x54535752;

    /// <summary>The record version this code writes and reads.</summary>
    public const ushort Version = 2;

    /// <summary>Bytes of a record header.</summary>
    public const int HeaderSize = 40;

    /// <summary>Longest id, in UTF-8 bytes (and longest manifest JSON).</summary>
    public const int MaxIdBytes = 1 << 16;

    /// <summary>Most floats in one embedding.</summary>
    public const int MaxEmbeddingDimensions = 1 << 20;

    /// <summary>Largest body a record may claim (1 TiB): a bound that keeps offsets far from overflow.</summary>
    public const long MaxBodyBytes = 1L << 40;

    private const int ResyncChunk = 1 << 16;

    /// <summary>Scans a whole log held in memory: the fuzzing entry point; never throws for any input.</summary>
    public static StateLogScan Scan(ReadOnlyMemory<byte> log) => Scan(StateLogSource.FromMemory(log), 0, log.Length);

    /// <summary>
    /// Scans [<paramref name="start"/>, <paramref name="length"/>) of a log; <paramref name="start"/> must be where a record
    /// begins (0, or the <see cref="StateLogScan.End"/> of an earlier scan).
    /// </summary>
    internal static StateLogScan Scan(StateLogSource source, long start, long length)
    {
        var records = new List<StateLogRecord>();
        var damaged = new List<StateLogRegion>();
        Span<byte> header = stackalloc byte[HeaderSize];
        long pos = start;
        while (pos < length)
        {
            var probe = ProbeAt(source, pos, length, header, out var record);
            if (probe == Probe.Complete)
            {
                records.Add(record!);
                pos = record!.End;
                continue;
            }
            if (probe == Probe.Cut) return new StateLogScan(records, damaged, StateLogTail.Torn, new StateLogRegion(pos, length - pos));
            long next = FindNext(source, pos + 1, length, header);
            if (next < 0)
            {
                var tail = AllZero(source, pos, length) ? StateLogTail.Zeros : StateLogTail.Garbage;
                return new StateLogScan(records, damaged, tail, new StateLogRegion(pos, length - pos));
            }
            damaged.Add(new StateLogRegion(pos, next - pos));
            pos = next;
        }
        return new StateLogScan(records, damaged, StateLogTail.None, new StateLogRegion(Math.Max(pos, start), 0));
    }

    /// <summary>Bytes of a document record with an id of <paramref name="idBytes"/>, <paramref name="dimensions"/> embedding floats and <paramref name="stateBytes"/> of state.</summary>
    internal static long DocumentSize(int idBytes, int dimensions, long stateBytes) =>
        HeaderSize + Pad8(idBytes) + ContentHash.Size + Pad8(4L * dimensions) + Pad8(stateBytes);

    /// <summary>Offset of the embedding inside a document record.</summary>
    internal static int EmbeddingAt(int idBytes) => HeaderSize + Pad8(idBytes) + ContentHash.Size;

    /// <summary>Offset of the state inside a document record.</summary>
    internal static long StateAt(int idBytes, int dimensions) => EmbeddingAt(idBytes) + Pad8(4L * dimensions);

    /// <summary>
    /// Completes a record whose body is already in <paramref name="record"/> (zero padding included): writes the header
    /// with the checksums of the key, embedding and state.
    /// </summary>
    internal static void Seal(Span<byte> record, StateLogRecordKind kind, int idBytes, int dimensions, int stateElementBytes)
    {
        long body = record.Length - HeaderSize;
        BinaryPrimitives.WriteUInt32LittleEndian(record, Magic);
        BinaryPrimitives.WriteUInt16LittleEndian(record[4..], Version);
        BinaryPrimitives.WriteUInt16LittleEndian(record[6..], (ushort)kind);
        BinaryPrimitives.WriteUInt64LittleEndian(record[8..], (ulong)body);
        BinaryPrimitives.WriteUInt32LittleEndian(record[16..], (uint)idBytes);
        BinaryPrimitives.WriteUInt32LittleEndian(record[20..], (uint)dimensions);
        BinaryPrimitives.WriteUInt32LittleEndian(record[24..], (uint)stateElementBytes);
        uint embeddingCrc = 0, stateCrc = 0;
        var key = record.Slice(HeaderSize, Pad8(idBytes));
        ReadOnlySpan<byte> hash = default;
        if (kind == StateLogRecordKind.Document)
        {
            int e = EmbeddingAt(idBytes);
            int s = (int)StateAt(idBytes, dimensions);
            hash = record.Slice(e - ContentHash.Size, ContentHash.Size);
            embeddingCrc = Crc32C.Append(0, record.Slice(e, (int)Pad8(4L * dimensions)));
            stateCrc = Crc32C.Append(0, record[s..]);
        }
        BinaryPrimitives.WriteUInt32LittleEndian(record[28..], embeddingCrc);
        BinaryPrimitives.WriteUInt32LittleEndian(record[32..], stateCrc);
        BinaryPrimitives.WriteUInt32LittleEndian(record[36..], KeyCrc(record[..36], key, hash));
    }

    internal static int Pad8(int n) => (n + 7) & ~7;

    internal static long Pad8(long n) => (n + 7) & ~7L;

    private static uint KeyCrc(ReadOnlySpan<byte> header36, ReadOnlySpan<byte> id, ReadOnlySpan<byte> hash) =>
        Crc32C.Append(Crc32C.Append(Crc32C.Append(0, header36), id), hash);

    private enum Probe
    {
        /// <summary>No record starts here.</summary>
        Invalid,

        /// <summary>A record starts here and the log holds all of it.</summary>
        Complete,

        /// <summary>What is here could be the start of a record the end of the log cuts short.</summary>
        Cut,
    }

    // Decides whether a record starts at `pos`, reading only its header and key.
    private static Probe ProbeAt(StateLogSource source, long pos, long length, Span<byte> header, out StateLogRecord? record)
    {
        record = null;
        int n = source.Read(pos, header[..(int)Math.Min(HeaderSize, length - pos)]);
        Span<byte> magic = stackalloc byte[4];
        BinaryPrimitives.WriteUInt32LittleEndian(magic, Magic);
        if (n < 4) return header[..n].SequenceEqual(magic[..n]) ? Probe.Cut : Probe.Invalid;
        if (BinaryPrimitives.ReadUInt32LittleEndian(header) != Magic) return Probe.Invalid;
        if (n < HeaderSize) return Probe.Cut;
        ushort version = BinaryPrimitives.ReadUInt16LittleEndian(header[4..]);
        var kind = (StateLogRecordKind)BinaryPrimitives.ReadUInt16LittleEndian(header[6..]);
        ulong body = BinaryPrimitives.ReadUInt64LittleEndian(header[8..]);
        uint idBytes = BinaryPrimitives.ReadUInt32LittleEndian(header[16..]);
        uint dims = BinaryPrimitives.ReadUInt32LittleEndian(header[20..]);
        uint element = BinaryPrimitives.ReadUInt32LittleEndian(header[24..]);
        if (version != Version || body % 8 != 0 || body > MaxBodyBytes || idBytes == 0 || idBytes > MaxIdBytes) return Probe.Invalid;
        long keyEnd; // bytes of body up to the end of the key (id, hash)
        long stateBytes;
        switch (kind)
        {
            case StateLogRecordKind.Manifest:
                if (dims != 0 || element != 0 || (ulong)Pad8((int)idBytes) != body) return Probe.Invalid;
                keyEnd = idBytes;
                stateBytes = 0;
                break;
            case StateLogRecordKind.Document:
                if (dims > MaxEmbeddingDimensions || (element != 2 && element != 4)) return Probe.Invalid;
                long meta = Pad8((int)idBytes) + ContentHash.Size + Pad8(4L * dims);
                if ((ulong)meta > body) return Probe.Invalid;
                stateBytes = (long)body - meta;
                keyEnd = Pad8((int)idBytes) + ContentHash.Size;
                break;
            default:
                return Probe.Invalid;
        }
        if (pos + HeaderSize + keyEnd > length) return Probe.Cut;
        var id = new byte[Pad8((int)idBytes)];
        Span<byte> hash = stackalloc byte[ContentHash.Size];
        if (source.Read(pos + HeaderSize, id) < id.Length) return Probe.Cut;
        bool document = kind == StateLogRecordKind.Document;
        if (document && source.Read(pos + HeaderSize + Pad8((int)idBytes), hash) < hash.Length) return Probe.Cut;
        uint keyCrc = BinaryPrimitives.ReadUInt32LittleEndian(header[36..]);
        if (KeyCrc(header[..36], id, document ? hash : default) != keyCrc) return Probe.Invalid;
        string key;
        try { key = new UTF8Encoding(false, true).GetString(id, 0, (int)idBytes); }
        catch (DecoderFallbackException) { return Probe.Invalid; } // only a writer bug gets here: the checksum passed
        long size = HeaderSize + (long)body;
        if (pos + size > length) return Probe.Cut;
        record = new StateLogRecord(pos, size, kind, key, document ? ContentHash.FromBytes(hash) : default, (int)dims, (int)element,
            stateBytes, BinaryPrimitives.ReadUInt32LittleEndian(header[28..]), BinaryPrimitives.ReadUInt32LittleEndian(header[32..]));
        return Probe.Complete;
    }

    // The first offset at or after `from` where a record (complete or cut by the end) starts; -1 if none. Every byte
    // offset is tried, not only multiples of 8, so that damage which shifted the bytes after it still finds them.
    private static long FindNext(StateLogSource source, long from, long length, Span<byte> header)
    {
        var chunk = new byte[ResyncChunk + 3];
        for (long at = from; at < length; at += ResyncChunk)
        {
            int want = (int)Math.Min(ResyncChunk + 3, length - at);
            int n = source.Read(at, chunk.AsSpan(0, want));
            if (n < want) return -1; // the log got shorter while it was read
            for (int i = 0; i < Math.Min(n, ResyncChunk); i++)
            {
                bool candidate = i + 4 <= n ? BinaryPrimitives.ReadUInt32LittleEndian(chunk.AsSpan(i)) == Magic : chunk[i] == unchecked((byte)Magic);
                if (candidate && ProbeAt(source, at + i, length, header, out _) != Probe.Invalid) return at + i;
            }
        }
        return -1;
    }

    private static bool AllZero(StateLogSource source, long from, long length)
    {
        var chunk = new byte[(int)Math.Min(ResyncChunk, Math.Max(0, length - from))];
        for (long at = from; at < length; at += chunk.Length)
        {
            int n = source.Read(at, chunk.AsSpan(0, (int)Math.Min(chunk.Length, length - at)));
            if (chunk.AsSpan(0, n).ContainsAnyExcept((byte)0)) return false;
            if (n == 0) break;
        }
        return true;
    }
}
