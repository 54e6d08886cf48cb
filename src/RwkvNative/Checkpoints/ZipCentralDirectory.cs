// Reads a zip's central directory (ZIP64 included) straight from the mapping, so stored entries can be used in place.
using System.Buffers.Binary;
using System.Text;

namespace RwkvNative.Checkpoints;

/// <summary>
/// The entries of a zip archive, every offset and size validated against the file; <see cref="GetStoredData"/> gives the
/// file range of a stored (uncompressed) entry's bytes, computed from its local header.
/// </summary>
internal sealed class ZipCentralDirectory
{
    private const uint EocdSignature = 0x06054b50;
    private const uint Zip64LocatorSignature = 0x07064b50;
    private const uint Zip64EocdSignature = 0x06064b50;
    private const uint CentralSignature = 0x02014b50;
    private const uint LocalSignature = 0x04034b50;
    private const int EocdSize = 22;
    private const int CentralSize = 46;
    private const int LocalSize = 30;

    private readonly MappedFile _file;
    private readonly Dictionary<string, ZipEntry> _entries;

    private ZipCentralDirectory(MappedFile file, Dictionary<string, ZipEntry> entries, long centralDirectoryOffset)
    {
        _file = file;
        _entries = entries;
        CentralDirectoryOffset = centralDirectoryOffset;
    }

    /// <summary>Start of the central directory: every entry's data must end before it.</summary>
    public long CentralDirectoryOffset { get; }

    /// <summary>Entries by name.</summary>
    public IReadOnlyDictionary<string, ZipEntry> Entries => _entries;

    /// <summary>Reads and validates the central directory of <paramref name="file"/>.</summary>
    public static ZipCentralDirectory Read(MappedFile file)
    {
        long eocd = FindEndOfCentralDirectory(file);
        var e = file.Slice(eocd, EocdSize, "end of central directory");
        int diskNumber = BinaryPrimitives.ReadUInt16LittleEndian(e[4..]);
        int cdDisk = BinaryPrimitives.ReadUInt16LittleEndian(e[6..]);
        long count = BinaryPrimitives.ReadUInt16LittleEndian(e[10..]);
        long cdSize = BinaryPrimitives.ReadUInt32LittleEndian(e[12..]);
        long cdOffset = BinaryPrimitives.ReadUInt32LittleEndian(e[16..]);
        long cdEnd = eocd;

        // A ZIP64 locator sits right before the classic record; when present its record is authoritative.
        if (eocd >= 20 && BinaryPrimitives.ReadUInt32LittleEndian(file.Slice(eocd - 20, 4, "ZIP64 locator")) == Zip64LocatorSignature)
        {
            var loc = file.Slice(eocd - 20, 20, "ZIP64 locator");
            long recordOffset = checked((long)BinaryPrimitives.ReadUInt64LittleEndian(loc[8..]));
            if (recordOffset < 0 || recordOffset > eocd - 20 - 56)
                throw Corrupt(file, $"ZIP64 end-of-central-directory offset {recordOffset} is outside the file");
            var z = file.Slice(recordOffset, 56, "ZIP64 end of central directory");
            if (BinaryPrimitives.ReadUInt32LittleEndian(z) != Zip64EocdSignature)
                throw Corrupt(file, $"no ZIP64 end-of-central-directory record at offset {recordOffset}");
            diskNumber = checked((int)BinaryPrimitives.ReadUInt32LittleEndian(z[16..]));
            cdDisk = checked((int)BinaryPrimitives.ReadUInt32LittleEndian(z[20..]));
            count = ReadInt64(file, z[32..], "ZIP64 entry count");
            cdSize = ReadInt64(file, z[40..], "ZIP64 central directory size");
            cdOffset = ReadInt64(file, z[48..], "ZIP64 central directory offset");
            cdEnd = recordOffset;
        }
        else if (count == 0xFFFF || cdSize == 0xFFFFFFFF || cdOffset == 0xFFFFFFFF)
        {
            throw Corrupt(file, "the end-of-central-directory record needs ZIP64 values but there is no ZIP64 locator");
        }

        if (diskNumber != 0 || cdDisk != 0) throw Corrupt(file, "multi-disk (split) archives are not supported");
        if (cdOffset < 0 || cdSize < 0 || cdOffset > cdEnd || cdSize > cdEnd - cdOffset)
            throw Corrupt(file, $"central directory [{cdOffset}, +{cdSize}) lies outside the file before offset {cdEnd}; the file is truncated or corrupt");
        if (count > cdSize / CentralSize)
            throw Corrupt(file, $"{count} entries cannot fit in a central directory of {cdSize} bytes");

        var entries = new Dictionary<string, ZipEntry>((int)count, StringComparer.Ordinal);
        long pos = cdOffset, end = cdOffset + cdSize;
        for (long i = 0; i < count; i++)
        {
            if (end - pos < CentralSize) throw Corrupt(file, $"central directory ends inside entry {i}");
            var h = file.Slice(pos, CentralSize, "central directory entry");
            if (BinaryPrimitives.ReadUInt32LittleEndian(h) != CentralSignature)
                throw Corrupt(file, $"bad central directory signature at offset {pos} (entry {i})");
            int flags = BinaryPrimitives.ReadUInt16LittleEndian(h[8..]);
            int method = BinaryPrimitives.ReadUInt16LittleEndian(h[10..]);
            long compressed = BinaryPrimitives.ReadUInt32LittleEndian(h[20..]);
            long uncompressed = BinaryPrimitives.ReadUInt32LittleEndian(h[24..]);
            int nameLength = BinaryPrimitives.ReadUInt16LittleEndian(h[28..]);
            int extraLength = BinaryPrimitives.ReadUInt16LittleEndian(h[30..]);
            int commentLength = BinaryPrimitives.ReadUInt16LittleEndian(h[32..]);
            int startDisk = BinaryPrimitives.ReadUInt16LittleEndian(h[34..]);
            long localOffset = BinaryPrimitives.ReadUInt32LittleEndian(h[42..]);
            long recordLength = CentralSize + (long)nameLength + extraLength + commentLength;
            if (recordLength > end - pos) throw Corrupt(file, $"central directory entry {i} runs past the central directory");

            string name = Encoding.UTF8.GetString(file.Slice(pos + CentralSize, nameLength, "entry name"));
            var extra = file.Slice(pos + CentralSize + nameLength, extraLength, "entry extra field");
            if (compressed == 0xFFFFFFFF || uncompressed == 0xFFFFFFFF || localOffset == 0xFFFFFFFF || startDisk == 0xFFFF)
                ApplyZip64Extra(file, name, extra, ref uncompressed, ref compressed, ref localOffset, ref startDisk);

            if (startDisk != 0) throw Corrupt(file, $"entry '{name}' starts on disk {startDisk}; split archives are not supported");
            if ((flags & 1) != 0) throw Corrupt(file, $"entry '{name}' is encrypted");
            if (localOffset < 0 || localOffset > cdOffset - LocalSize || compressed < 0 || uncompressed < 0)
                throw Corrupt(file, $"entry '{name}': local header offset {localOffset} is outside the archive data (central directory at {cdOffset})");
            if (!entries.TryAdd(name, new ZipEntry(name, method, flags, compressed, uncompressed, localOffset)))
                throw Corrupt(file, $"entry '{name}' appears twice");
            pos += recordLength;
        }
        return new ZipCentralDirectory(file, entries, cdOffset);
    }

    /// <summary>
    /// File offset and length of a stored entry's bytes. The data starts after the local header, whose extra field may
    /// differ in length from the central one (PyTorch pads it to align data to 64 bytes).
    /// </summary>
    public (long Offset, long Length) GetStoredData(ZipEntry entry)
    {
        if (entry.Method != 0)
            throw Corrupt(_file, $"entry '{entry.Name}' is compressed (method {entry.Method}); checkpoint entries must be stored uncompressed so they can be memory-mapped (save with torch.save)");
        if (entry.CompressedSize != entry.UncompressedSize)
            throw Corrupt(_file, $"stored entry '{entry.Name}' has compressed size {entry.CompressedSize} but uncompressed size {entry.UncompressedSize}");
        var h = _file.Slice(entry.LocalHeaderOffset, LocalSize, $"local header of '{entry.Name}'");
        if (BinaryPrimitives.ReadUInt32LittleEndian(h) != LocalSignature)
            throw Corrupt(_file, $"no local header for '{entry.Name}' at offset {entry.LocalHeaderOffset}");
        int localMethod = BinaryPrimitives.ReadUInt16LittleEndian(h[8..]);
        int nameLength = BinaryPrimitives.ReadUInt16LittleEndian(h[26..]);
        int extraLength = BinaryPrimitives.ReadUInt16LittleEndian(h[28..]);
        if (localMethod != entry.Method)
            throw Corrupt(_file, $"entry '{entry.Name}': local header method {localMethod} differs from the central directory's {entry.Method}");
        var localName = _file.Slice(entry.LocalHeaderOffset + LocalSize, nameLength, $"local name of '{entry.Name}'");
        if (!localName.SequenceEqual(Encoding.UTF8.GetBytes(entry.Name)))
            throw Corrupt(_file, $"entry '{entry.Name}': the local header names '{Encoding.UTF8.GetString(localName)}'");
        long dataOffset = entry.LocalHeaderOffset + LocalSize + nameLength + extraLength;
        if (dataOffset > CentralDirectoryOffset || entry.CompressedSize > CentralDirectoryOffset - dataOffset)
            throw Corrupt(_file, $"entry '{entry.Name}': data [{dataOffset}, +{entry.CompressedSize}) runs past the archive data (central directory at {CentralDirectoryOffset}); the file is truncated or corrupt");
        return (dataOffset, entry.CompressedSize);
    }

    private static long FindEndOfCentralDirectory(MappedFile file)
    {
        if (file.Length < EocdSize) throw Corrupt(file, $"only {file.Length} bytes: too short for a zip archive (truncated?)");
        long lowest = Math.Max(0, file.Length - EocdSize - 0xFFFF);
        for (long p = file.Length - EocdSize; p >= lowest; p--)
        {
            var s = file.Slice(p, EocdSize, "end of central directory");
            if (BinaryPrimitives.ReadUInt32LittleEndian(s) != EocdSignature) continue;
            int commentLength = BinaryPrimitives.ReadUInt16LittleEndian(s[20..]);
            if (p + EocdSize + commentLength <= file.Length) return p;
        }
        throw Corrupt(file, "no end-of-central-directory record: the zip is truncated or not a zip");
    }

    private static void ApplyZip64Extra(MappedFile file, string name, ReadOnlySpan<byte> extra,
        ref long uncompressed, ref long compressed, ref long localOffset, ref int startDisk)
    {
        while (extra.Length >= 4)
        {
            int id = BinaryPrimitives.ReadUInt16LittleEndian(extra);
            int size = BinaryPrimitives.ReadUInt16LittleEndian(extra[2..]);
            if (size > extra.Length - 4) throw Corrupt(file, $"entry '{name}': extra field runs past its end");
            var body = extra.Slice(4, size);
            extra = extra[(4 + size)..];
            if (id != 0x0001) continue;
            // Only the fields whose classic value is saturated are present, in this order.
            if (uncompressed == 0xFFFFFFFF) uncompressed = Take64(file, name, ref body);
            if (compressed == 0xFFFFFFFF) compressed = Take64(file, name, ref body);
            if (localOffset == 0xFFFFFFFF) localOffset = Take64(file, name, ref body);
            if (startDisk == 0xFFFF)
            {
                if (body.Length < 4) throw Corrupt(file, $"entry '{name}': ZIP64 extra field too short");
                startDisk = checked((int)BinaryPrimitives.ReadUInt32LittleEndian(body));
            }
            return;
        }
        throw Corrupt(file, $"entry '{name}' needs ZIP64 sizes but has no ZIP64 extra field");
    }

    private static long Take64(MappedFile file, string name, ref ReadOnlySpan<byte> body)
    {
        if (body.Length < 8) throw Corrupt(file, $"entry '{name}': ZIP64 extra field too short");
        long v = ReadInt64(file, body, $"ZIP64 value of '{name}'");
        body = body[8..];
        return v;
    }

    private static long ReadInt64(MappedFile file, ReadOnlySpan<byte> s, string what)
    {
        ulong v = BinaryPrimitives.ReadUInt64LittleEndian(s);
        if (v > long.MaxValue) throw Corrupt(file, $"{what} {v} is out of range");
        return (long)v;
    }

    private static CheckpointFormatException Corrupt(MappedFile file, string message) => new($"{file.Path}: zip: {message}");
}
