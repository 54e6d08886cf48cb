using System.Buffers.Binary;
using System.IO.Compression;

namespace RwkvNative.Tests.Checkpoints;

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
