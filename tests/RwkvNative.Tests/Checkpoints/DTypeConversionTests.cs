// bf16/fp16 → fp32 conversion: exact for every bit pattern, vector and scalar paths alike, and fast on big tables.
using System.Diagnostics;
using System.Runtime.InteropServices;
using RwkvNative.Checkpoints;

namespace RwkvNative.Tests.Checkpoints;

public class DTypeConversionTests(ITestOutputHelper output)
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

    [Theory]
    [InlineData("BF16")]
    [InlineData("F16")]
    public void Large_embedding_table_converts_well_under_a_second(string dtype)
    {
        // 65536 x 2048 (a Large model's embedding table), 268 MB stored, 537 MB as float32.
        const int rows = 65536, cols = 2048;
        long n = (long)rows * cols;
        using var dir = new TempDir();
        var path = dir.File("big.safetensors");
        var header = $$$"""{"emb":{"dtype":"{{{dtype}}}","shape":[{{{rows}}},{{{cols}}}],"data_offsets":[0,{{{n * 2}}}]}}""";
        var row = new ushort[cols];
        for (int j = 0; j < cols; j++) row[j] = dtype == "BF16" ? (ushort)(0x3F80 + j % 64) : (ushort)(0x3C00 + j % 64); // 1.0 + small steps
        using (var fs = new FileStream(path, FileMode.CreateNew))
        {
            fs.Write(RawSafeTensors.Build(header, []));
            var rowBytes = MemoryMarshal.AsBytes(row.AsSpan()).ToArray();
            for (int r = 0; r < rows; r++) fs.Write(rowBytes);
        }
        using var ck = Checkpoint.Open(path);
        var t = ck.Get("emb", rows, cols);
        var dst = new float[n];
        var best = TimeSpan.MaxValue;
        for (int rep = 0; rep < 3; rep++)
        {
            var sw = Stopwatch.StartNew();
            t.CopyTo(dst);
            sw.Stop();
            if (sw.Elapsed < best) best = sw.Elapsed;
        }
        var fresh = Stopwatch.StartNew();
        var allocated = t.ToFloat32();
        fresh.Stop();
        output.WriteLine($"{dtype} {rows}x{cols}: CopyTo best of 3 = {best.TotalMilliseconds:F1} ms, ToFloat32 (new array) = {fresh.Elapsed.TotalMilliseconds:F1} ms, {Environment.ProcessorCount} cores");

        // Every element, in both results: 1.0 + (j % 64) steps of the format's unit in the last place.
        float step = dtype == "BF16" ? 1f / 128 : 1f / 1024;
        Array.Fill(dst, float.NaN);
        t.CopyTo(dst);
        for (long i = 0; i < n; i++)
        {
            float expected = 1f + (i % cols % 64) * step;
            if (dst[i] != expected || allocated[i] != expected) Assert.Fail($"element {i}: {dst[i]} / {allocated[i]}, expected {expected}");
        }
        Assert.True(best < TimeSpan.FromSeconds(1), $"conversion took {best.TotalMilliseconds} ms");
    }
}
