using RwkvNative.Checkpoints;

namespace RwkvNative.Cpu;

/// <summary>The token embedding table kept in its stored dtype (a copy of the checkpoint bytes); rows converted on gather.</summary>
internal sealed class EmbeddingTable
{
    private readonly ushort[]? _half;
    private readonly float[]? _full;
    private readonly TensorDType _dtype;
    private readonly int _c;

    public EmbeddingTable(CheckpointTensor t)
    {
        _dtype = t.DType;
        _c = t.Shape[1];
        if (_dtype == TensorDType.Float32) _full = t.ToFloat32();
        else _half = System.Runtime.InteropServices.MemoryMarshal.Cast<byte, ushort>(t.RawBytes).ToArray();
    }

    /// <summary>Row <paramref name="token"/> as float32 into <paramref name="dst"/> [C].</summary>
    public void Row(int token, Span<float> dst)
    {
        int o = token * _c;
        if (_full != null) { _full.AsSpan(o, _c).CopyTo(dst); return; }
        var src = _half.AsSpan(o, _c);
        if (_dtype == TensorDType.BFloat16)
            for (int i = 0; i < _c; i++) dst[i] = BitConverter.Int32BitsToSingle(src[i] << 16);
        else
            for (int i = 0; i < _c; i++) dst[i] = (float)BitConverter.UInt16BitsToHalf(src[i]);
    }
}
