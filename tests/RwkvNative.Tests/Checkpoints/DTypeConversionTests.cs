// bf16/fp16 → fp32 conversion: exact for every bit pattern, vector and scalar paths alike, and fast on big tables.
using RwkvNative.Checkpoints;

namespace RwkvNative.Tests.Checkpoints;

public class DTypeConversionTests
{
    [Theory]
    [InlineData(0, 65536)]
    [InlineData(3, 65533)]  // unaligned start and a ragged tail: the scalar path covers the leftovers
    [InlineData(65529, 7)]
    public unsafe void Half_conversion_is_exact_for_every_bit_pattern(int start, int count)
    {
        var src = new ushort[65536];
        for (int i = 0; i < src.Length; i++) src[i] = (ushort)i;
        var dst = new float[count];
        fixed (ushort* s = src)
        fixed (float* d = dst)
            DTypeConverter.HalfToSingle(s + start, d, count);
        for (int i = 0; i < count; i++)
        {
            float expected = (float)BitConverter.UInt16BitsToHalf(src[start + i]);
            if (float.IsNaN(expected)) Assert.True(float.IsNaN(dst[i]));
            else Assert.Equal(BitConverter.SingleToUInt32Bits(expected), BitConverter.SingleToUInt32Bits(dst[i]));
        }
    }

    [Theory]
    [InlineData(0, 65536)]
    [InlineData(5, 65531)]
    public unsafe void Bf16_conversion_puts_the_bits_in_the_upper_half(int start, int count)
    {
        var src = new ushort[65536];
        for (int i = 0; i < src.Length; i++) src[i] = (ushort)i;
        var dst = new float[count];
        fixed (ushort* s = src)
        fixed (float* d = dst)
            DTypeConverter.BFloat16ToSingle(s + start, d, count);
        for (int i = 0; i < count; i++) Assert.Equal((uint)src[start + i] << 16, BitConverter.SingleToUInt32Bits(dst[i]));
    }
}
