using System.Buffers.Binary;
using System.Text;

namespace RwkvNative.Tests.Checkpoints;

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
