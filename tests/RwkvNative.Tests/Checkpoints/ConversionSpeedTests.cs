using System.Diagnostics;
using System.Reflection;
using System.Runtime.InteropServices;
using RwkvNative.Checkpoints;

namespace RwkvNative.Tests.Checkpoints;

[Collection(nameof(ConversionSpeedCollection))]
public class ConversionSpeedTests(ITestOutputHelper output)
{
    [Theory]
    [InlineData("BF16")]
    [InlineData("F16")]
    public void Large_table_converts_exactly(string dtype)
    {
        // 4096 rows of a Large model's width (2048): every vector path and tail of the converter over a multi-MB mapping.
        // Speed is measured by benchmarks (docs/benchmarks.md), never asserted here.
        const int rows = 4096, cols = 2048;
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
        var process = Process.GetCurrentProcess();
        TimeSpan best = TimeSpan.MaxValue, bestCpu = TimeSpan.MaxValue;
        for (int rep = 0; rep < 5; rep++)
        {
            process.Refresh();
            var cpu0 = process.TotalProcessorTime;
            var sw = Stopwatch.StartNew();
            t.CopyTo(dst);
            sw.Stop();
            process.Refresh();
            var cpu = process.TotalProcessorTime - cpu0;
            if (sw.Elapsed < best) best = sw.Elapsed;
            if (cpu < bestCpu) bestCpu = cpu;
        }
        bool optimized = typeof(Checkpoint).Assembly.GetCustomAttribute<DebuggableAttribute>()?.IsJITOptimizerDisabled != true;
        output.WriteLine($"{dtype} {rows}x{cols}: CopyTo best of 5 = {best.TotalMilliseconds:F1} ms wall, {bestCpu.TotalMilliseconds:F1} ms CPU; " +
                         $"{Environment.ProcessorCount} cores; library JIT-optimized: {optimized}");

        // Every element: 1.0 + (j % 64) steps of the format's unit in the last place.
        float step = dtype == "BF16" ? 1f / 128 : 1f / 1024;
        Array.Fill(dst, float.NaN);
        t.CopyTo(dst);
        for (long i = 0; i < n; i++)
        {
            float expected = 1f + (i % cols % 64) * step;
            if (dst[i] != expected) Assert.Fail($"element {i}: {dst[i]}, expected {expected}");
        }
    }
}
