using System.Text;

namespace RwkvNative.Tests.Checkpoints;

/// <summary>
/// A hand-rolled zip writer for layouts System.IO.Compression does not produce: ZIP64 records on small files,
/// local extra fields that differ from the central ones (torch's 64-byte alignment padding), data-descriptor flags.
/// </summary>
internal static class RawZipWriter
{
    public static byte[] Build(IEnumerable<(string Name, byte[] Data)> entries, bool zip64, int alignTo = 64, bool dataDescriptorFlag = true)
    {
        var o = new MemoryStream();
        WriteTo(o, entries.Select(e => (e.Name, (long)e.Data.Length, (byte[]?)e.Data)), zip64, alignTo, dataDescriptorFlag);
        return o.ToArray();
    }

    /// <summary>Writes the archive; an entry with null data is <c>Length</c> zero bytes left as a sparse hole (CRC 0).</summary>
    public static void WriteTo(Stream o, IEnumerable<(string Name, long Length, byte[]? Data)> entries, bool zip64, int alignTo = 64, bool dataDescriptorFlag = true)
    {
        var w = new BinaryWriter(o, Encoding.UTF8, leaveOpen: true);
        var central = new List<(string Name, long Length, long Offset, uint Crc)>();
        foreach (var (name, length, data) in entries)
        {
            long offset = o.Position;
            var nameBytes = Encoding.UTF8.GetBytes(name);
            uint crc = data is null ? 0 : Crc32(data);
            var extra = new MemoryStream();
            var ew = new BinaryWriter(extra);
            if (zip64) { ew.Write((ushort)1); ew.Write((ushort)16); ew.Write(length); ew.Write(length); }
            long dataStart = offset + 30 + nameBytes.Length + extra.Length + 4;
            int pad = (int)((alignTo - dataStart % alignTo) % alignTo);
            ew.Write((ushort)0x4246); ew.Write((ushort)pad); ew.Write(new byte[pad]); // torch's "FB" padding field
            ushort flags = (ushort)(dataDescriptorFlag ? 0x0808 : 0x0800);
            w.Write(0x04034b50u); w.Write((ushort)45); w.Write(flags); w.Write((ushort)0); w.Write(0u);
            w.Write(dataDescriptorFlag ? 0u : crc);
            w.Write(zip64 ? 0xFFFFFFFFu : dataDescriptorFlag ? 0u : (uint)length);
            w.Write(zip64 ? 0xFFFFFFFFu : dataDescriptorFlag ? 0u : (uint)length);
            w.Write((ushort)nameBytes.Length); w.Write((ushort)extra.Length);
            w.Write(nameBytes); w.Write(extra.ToArray());
            w.Flush();
            if (data is null) o.Seek(length, SeekOrigin.Current); else o.Write(data);
            if (dataDescriptorFlag)
            {
                w.Write(0x08074b50u); w.Write(crc);
                if (zip64) { w.Write(length); w.Write(length); }
                else { w.Write((uint)length); w.Write((uint)length); }
            }
            central.Add((name, length, offset, crc));
        }
        long cdOffset = o.Position;
        foreach (var (name, length, offset, crc) in central)
        {
            var nameBytes = Encoding.UTF8.GetBytes(name);
            w.Write(0x02014b50u); w.Write((ushort)45); w.Write((ushort)45); w.Write((ushort)(dataDescriptorFlag ? 0x0808 : 0x0800));
            w.Write((ushort)0); w.Write(0u); w.Write(crc);
            w.Write(zip64 ? 0xFFFFFFFFu : (uint)length); w.Write(zip64 ? 0xFFFFFFFFu : (uint)length);
            w.Write((ushort)nameBytes.Length); w.Write((ushort)(zip64 ? 28 : 0)); w.Write((ushort)0);
            w.Write((ushort)0); w.Write((ushort)0); w.Write(0u); w.Write(zip64 ? 0xFFFFFFFFu : (uint)offset);
            w.Write(nameBytes);
            if (zip64) { w.Write((ushort)1); w.Write((ushort)24); w.Write(length); w.Write(length); w.Write(offset); }
        }
        w.Flush();
        long cdSize = o.Position - cdOffset;
        if (zip64)
        {
            long recordOffset = o.Position;
            w.Write(0x06064b50u); w.Write(44L); w.Write((ushort)45); w.Write((ushort)45); w.Write(0u); w.Write(0u);
            w.Write((long)central.Count); w.Write((long)central.Count); w.Write(cdSize); w.Write(cdOffset);
            w.Write(0x07064b50u); w.Write(0u); w.Write(recordOffset); w.Write(1u);
        }
        w.Write(0x06054b50u); w.Write((ushort)0); w.Write((ushort)0);
        w.Write(zip64 ? (ushort)0xFFFF : (ushort)central.Count); w.Write(zip64 ? (ushort)0xFFFF : (ushort)central.Count);
        w.Write(zip64 ? 0xFFFFFFFFu : (uint)cdSize); w.Write(zip64 ? 0xFFFFFFFFu : (uint)cdOffset); w.Write((ushort)0);
        w.Flush();
    }

    private static uint Crc32(byte[] data)
    {
        uint c = 0xFFFFFFFF;
        foreach (byte b in data)
        {
            c ^= b;
            for (int k = 0; k < 8; k++) c = (c & 1) != 0 ? (c >> 1) ^ 0xEDB88320 : c >> 1;
        }
        return ~c;
    }
}
