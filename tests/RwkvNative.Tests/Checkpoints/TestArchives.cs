// Builders for hand-made checkpoints: pickles opcode by opcode, torch-style zips, raw zips (ZIP64), raw safetensors.
using System.Buffers.Binary;
using System.IO.Compression;
using System.Text;

namespace RwkvNative.Tests.Checkpoints;

/// <summary>Emits pickle opcodes one by one (protocol 2 unless told otherwise).</summary>
internal sealed class PickleBuilder
{
    private readonly MemoryStream _s = new();

    public PickleBuilder Raw(params byte[] bytes) { _s.Write(bytes); return this; }
    public PickleBuilder Op(char op) => Raw((byte)op);
    public PickleBuilder Proto(int v = 2) => Raw(0x80, (byte)v);
    public PickleBuilder Mark() => Op('(');
    public PickleBuilder Stop() => Op('.');
    public PickleBuilder EmptyDict() => Op('}');
    public PickleBuilder EmptyList() => Op(']');
    public PickleBuilder EmptyTuple() => Op(')');
    public PickleBuilder Tuple() => Op('t');
    public PickleBuilder Tuple1() => Raw(0x85);
    public PickleBuilder Tuple2() => Raw(0x86);
    public PickleBuilder Tuple3() => Raw(0x87);
    public PickleBuilder SetItems() => Op('u');
    public PickleBuilder SetItem() => Op('s');
    public PickleBuilder Appends() => Op('e');
    public PickleBuilder Append() => Op('a');
    public PickleBuilder Reduce() => Op('R');
    public PickleBuilder Build() => Op('b');
    public PickleBuilder PersId() => Op('Q');
    public PickleBuilder False() => Raw(0x89);
    public PickleBuilder True() => Raw(0x88);
    public PickleBuilder None() => Op('N');
    public PickleBuilder Put(byte i) => Raw((byte)'q', i);
    public PickleBuilder Get(byte i) => Raw((byte)'h', i);
    public PickleBuilder LongGet(uint i) { Op('j'); Span<byte> b = stackalloc byte[4]; BinaryPrimitives.WriteUInt32LittleEndian(b, i); return Raw(b.ToArray()); }
    public PickleBuilder Global(string module, string name) => Op('c').Raw(Encoding.ASCII.GetBytes(module + "\n" + name + "\n"));

    public PickleBuilder Str(string s)
    {
        var b = Encoding.UTF8.GetBytes(s);
        Op('X');
        Span<byte> n = stackalloc byte[4];
        BinaryPrimitives.WriteInt32LittleEndian(n, b.Length);
        return Raw(n.ToArray()).Raw(b);
    }

    public PickleBuilder Int(long v)
    {
        if (v is >= 0 and < 256) return Raw((byte)'K', (byte)v);
        if (v is >= 0 and < 65536) return Raw((byte)'M', (byte)v, (byte)(v >> 8));
        if (v is >= int.MinValue and <= int.MaxValue)
        {
            Span<byte> b = stackalloc byte[4];
            BinaryPrimitives.WriteInt32LittleEndian(b, (int)v);
            return Op('J').Raw(b.ToArray());
        }
        Span<byte> l = stackalloc byte[8];
        BinaryPrimitives.WriteInt64LittleEndian(l, v);
        return Raw(0x8a, 8).Raw(l.ToArray());
    }

    public PickleBuilder Float(double v)
    {
        Span<byte> b = stackalloc byte[8];
        BinaryPrimitives.WriteDoubleBigEndian(b, v);
        return Op('G').Raw(b.ToArray());
    }

    public PickleBuilder IntTuple(params long[] values)
    {
        Mark();
        foreach (var v in values) Int(v);
        return Tuple();
    }

    /// <summary>A persistent id ('storage', torch.{storageClass}, key, 'cpu', numel), loaded with BINPERSID.</summary>
    public PickleBuilder Storage(string storageClass, string key, long numel) =>
        Mark().Str("storage").Global("torch", storageClass).Str(key).Str("cpu").Int(numel).Tuple().PersId();

    /// <summary>_rebuild_tensor_v2(storage, offset, size, stride, False, OrderedDict()) as torch writes it.</summary>
    public PickleBuilder Tensor(string storageClass, string key, long numel, long offset, long[] size, long[] stride) =>
        Global("torch._utils", "_rebuild_tensor_v2").Mark().Storage(storageClass, key, numel).Int(offset)
            .IntTuple(size).IntTuple(stride).False().Global("collections", "OrderedDict").EmptyTuple().Reduce().Tuple().Reduce();

    public byte[] ToArray() => _s.ToArray();
}

/// <summary>A state dict for <see cref="PthWriter"/>: key → pickle fragment that pushes the value.</summary>
internal static class StateDictPickle
{
    public static byte[] Of(params (string Key, Action<PickleBuilder> Value)[] entries)
    {
        var p = new PickleBuilder().Proto().EmptyDict().Put(0).Mark();
        foreach (var (key, value) in entries)
        {
            p.Str(key);
            value(p);
        }
        return p.SetItems().Stop().ToArray();
    }
}

/// <summary>Writes torch-style .pth zips with System.IO.Compression (stored entries unless told otherwise).</summary>
internal static class PthWriter
{
    public static void Write(string path, byte[] pickle, IEnumerable<(string Key, byte[] Data)> storages,
        string prefix = "archive", CompressionLevel storageCompression = CompressionLevel.NoCompression)
    {
        using var fs = new FileStream(path, FileMode.Create);
        using var zip = new ZipArchive(fs, ZipArchiveMode.Create);
        Add(zip, prefix + "/data.pkl", pickle, CompressionLevel.NoCompression);
        foreach (var (key, data) in storages) Add(zip, prefix + "/data/" + key, data, storageCompression);
        Add(zip, prefix + "/version", "3\n"u8.ToArray(), CompressionLevel.NoCompression);
    }

    private static void Add(ZipArchive zip, string name, byte[] data, CompressionLevel level)
    {
        var e = zip.CreateEntry(name, level);
        using var s = e.Open();
        s.Write(data);
    }

    public static byte[] Floats(params float[] v)
    {
        var b = new byte[v.Length * 4];
        for (int i = 0; i < v.Length; i++) BinaryPrimitives.WriteSingleLittleEndian(b.AsSpan(i * 4), v[i]);
        return b;
    }

    public static byte[] Halves(params float[] v)
    {
        var b = new byte[v.Length * 2];
        for (int i = 0; i < v.Length; i++) BinaryPrimitives.WriteHalfLittleEndian(b.AsSpan(i * 2), (Half)v[i]);
        return b;
    }

    /// <summary>bf16 by truncation (the test values are exactly representable).</summary>
    public static byte[] BFloat16s(params float[] v)
    {
        var b = new byte[v.Length * 2];
        for (int i = 0; i < v.Length; i++) BinaryPrimitives.WriteUInt16LittleEndian(b.AsSpan(i * 2), (ushort)(BitConverter.SingleToUInt32Bits(v[i]) >> 16));
        return b;
    }
}

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

/// <summary>Raw safetensors bytes from a header string and a data region, for malformed-file tests.</summary>
internal static class RawSafeTensors
{
    public static byte[] Build(string headerJson, byte[] data, ulong? headerLengthOverride = null)
    {
        var h = Encoding.UTF8.GetBytes(headerJson);
        var r = new byte[8 + h.Length + data.Length];
        BinaryPrimitives.WriteUInt64LittleEndian(r, headerLengthOverride ?? (ulong)h.Length);
        h.CopyTo(r, 8);
        data.CopyTo(r, 8 + h.Length);
        return r;
    }
}
