// Small integer tensors (e.g. a layer-index list saved as a LongTensor) are decoded into Checkpoint.Values as long[].
using System.Buffers.Binary;

namespace RwkvNative.Checkpoints;

/// <summary>Decodes small dense integer tensors (I64/I32/I16/I8/U8/U16/U32) to <c>long[]</c>, row-major.</summary>
internal static class IntegerTensorValues
{
    /// <summary>Larger integer tensors are not decoded (they are data, not settings).</summary>
    public const long MaxElements = 1 << 16;

    /// <summary>The safetensors-style name of a torch integer storage class, or null.</summary>
    public static string? FromTorchStorage(string qualifiedName) => qualifiedName switch
    {
        "torch.LongStorage" => "I64",
        "torch.IntStorage" => "I32",
        "torch.ShortStorage" => "I16",
        "torch.CharStorage" => "I8",
        "torch.ByteStorage" => "U8",
        _ => null,
    };

    /// <summary>The values of <paramref name="count"/> elements of integer type <paramref name="dtype"/> at <paramref name="offset"/>, or null when not an integer type or too large.</summary>
    public static long[]? TryRead(MappedFile file, string? dtype, long offset, long count)
    {
        int size = dtype switch { "I64" => 8, "I32" or "U32" => 4, "I16" or "U16" => 2, "I8" or "U8" => 1, _ => 0 };
        if (size == 0 || count > MaxElements) return null;
        var bytes = file.Slice(offset, count * size, "integer tensor");
        var r = new long[count];
        for (int i = 0; i < r.Length; i++)
        {
            var b = bytes[(i * size)..];
            r[i] = dtype switch
            {
                "I64" => BinaryPrimitives.ReadInt64LittleEndian(b),
                "I32" => BinaryPrimitives.ReadInt32LittleEndian(b),
                "U32" => BinaryPrimitives.ReadUInt32LittleEndian(b),
                "I16" => BinaryPrimitives.ReadInt16LittleEndian(b),
                "U16" => BinaryPrimitives.ReadUInt16LittleEndian(b),
                "I8" => (sbyte)b[0],
                _ => b[0],
            };
        }
        return r;
    }
}
