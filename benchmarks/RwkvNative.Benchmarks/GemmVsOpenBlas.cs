using System.Diagnostics;
using System.Globalization;
using RwkvNative.Benchmarking;
using RwkvNative.Cpu;

namespace RwkvNative.Benchmarks;

/// <summary>
/// <c>gemm-vs-openblas</c>: GFLOP/s of <see cref="Gemm.Linear(ReadOnlySpan{float}, int, LinearWeight, Span{float}, bool, int)"/>
/// (float32 and bf16-stored weights) against OpenBLAS <c>cblas_sgemm</c> with the same thread count, for every model
/// weight shape. BenchmarkDotNet is not used: the two libraries are timed alternately in rounds on the same buffers,
/// and the best round of each is kept, which is what survives a busy shared machine.
/// </summary>
internal static class GemmVsOpenBlas
{
    /// <summary>Command-line verb.</summary>
    public const string Command = "gemm-vs-openblas";

    private const string Usage = """
        gemm-vs-openblas [--c 768,1024,2048] [--m 1,32,256,2048] [--threads 1,2] [--shape TEXT] [--rounds 5]
                         [--min-ms 40] [--no-bf16] [--stream] [--roofline PRESET [--batch 8] [--tokens 256] [--iters 3] [--int8]]
          --shape     only shapes whose name contains TEXT (att, ffn, lora)
          --stream    instead: M = 1, 8, 32 against weights that do not fit in cache (a new copy each call)
          --roofline  instead: end-to-end CPU prefill of a random-weight preset (tiny, base, large) against the time
                      OpenBLAS sgemm alone needs for the model's linear layers at M = batch x tokens (first --threads value)
          --int8      with --roofline: also the int8 engine (Precision.Int8) and our int8 GEMM per shape, in the same rounds
        OpenBLAS picks its kernels from the CPU; OPENBLAS_CORETYPE=SkylakeX (or Haswell, ...) overrides it.
        """;

    /// <summary>Runs the comparison; returns the process exit code.</summary>
    public static int Run(string[] args)
    {
        var o = new Options();
        try
        {
            o.Parse(args);
        }
        catch (FormatException e)
        {
            Console.Error.WriteLine(e.Message);
            Console.Error.WriteLine(Usage);
            return 2;
        }
        var blas = OpenBlas.TryLoad(out var failure);
        if (blas == null)
        {
            Console.Error.WriteLine(failure);
            return 1;
        }
        Console.WriteLine($"# OpenBLAS: {blas.Config}, core {blas.CoreName} ({blas.Path})");
        Console.WriteLine($"# ours: {Gemm.KernelName} kernels; {Environment.ProcessorCount} logical CPUs; .NET {Environment.Version}; " +
                          $"load average at start {LoadAverage()}");
        if (o.Roofline != null) RunRoofline(blas, o);
        else if (o.Stream) RunStream(blas, o);
        else RunShapes(blas, o);
        Console.WriteLine($"# load average at end {LoadAverage()}");
        return 0;
    }

    private static void RunShapes(OpenBlas blas, Options o)
    {
        Console.WriteLine("| C | shape (N x K) | M | threads | ours f32 GFLOP/s | ours bf16 GFLOP/s | OpenBLAS GFLOP/s | f32 / OpenBLAS | bf16 / OpenBLAS |");
        Console.WriteLine("|---|---|---|---|---|---|---|---|---|");
        var rng = new Random(1);
        foreach (int c in o.Widths)
            foreach (var shape in GemmShapes.For(c))
            {
                if (o.ShapeFilter != null && !shape.Name.Contains(o.ShapeFilter, StringComparison.OrdinalIgnoreCase)) continue;
                var (wRows, w32, w16) = MakeWeight(rng, shape.N, shape.K);
                foreach (int m in o.Rows)
                {
                    var x = RandomArray(rng, m * shape.K, 1f);
                    var yOurs = new float[m * shape.N];
                    var yBlas = new float[m * shape.N];
                    foreach (int threads in o.Threads)
                    {
                        blas.SetThreads(threads);
                        var ours32 = new Timed(() => Gemm.Linear(x, m, w32, yOurs, false, threads));
                        var ours16 = o.BFloat16 ? new Timed(() => Gemm.Linear(x, m, w16, yOurs, false, threads)) : null;
                        var gemm = new Timed(() => blas.Linear(x, m, wRows, shape.N, shape.K, yBlas));
                        // OpenBLAS 0.3.21's sgemm does not forward M = 1 to its gemv kernels: time both, keep the better.
                        var gemv = m == 1 ? new Timed(() => blas.MatVec(x, wRows, shape.N, shape.K, yBlas)) : null;
                        for (int round = 0; round < o.Rounds; round++)
                        {
                            ours32.Measure(o.MinMs);
                            ours16?.Measure(o.MinMs);
                            gemm.Measure(o.MinMs);
                            gemv?.Measure(o.MinMs);
                        }
                        double flops = 2.0 * m * shape.N * shape.K;
                        double blasBest = Math.Min(gemm.Best, gemv?.Best ?? double.MaxValue);
                        string via = gemv != null && gemv.Best < gemm.Best ? " (sgemv)" : "";
                        Gemm.Linear(x, m, w32, yOurs, false, threads);
                        blas.Linear(x, m, wRows, shape.N, shape.K, yBlas);
                        CheckAgreement(yOurs, yBlas, shape, m);
                        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                            $"| {c} | {shape.Name} ({shape.N}x{shape.K}) | {m} | {threads} | {flops / ours32.Best / 1e9:F1} | " +
                            $"{(ours16 == null ? "-" : (flops / ours16.Best / 1e9).ToString("F1", CultureInfo.InvariantCulture))} | " +
                            $"{flops / blasBest / 1e9:F1}{via} | {blasBest / ours32.Best:F2} | " +
                            $"{(ours16 == null ? "-" : (blasBest / ours16.Best).ToString("F2", CultureInfo.InvariantCulture))} |"));
                    }
                }
            }
    }

    /// <summary>
    /// Memory-bound regime: each call uses the next of enough weight copies (≥ 768 MB of float32) that none is still
    /// cached, as in a model whose layers are each used once per token. Reports GB/s of weight read as well.
    /// </summary>
    private static void RunStream(OpenBlas blas, Options o)
    {
        Console.WriteLine("| C | shape (N x K) | M | threads | ours f32 ms | ours bf16 ms | OpenBLAS ms | ours f32 GB/s | ours bf16 GB/s | OpenBLAS GB/s |");
        Console.WriteLine("|---|---|---|---|---|---|---|---|---|---|");
        var rng = new Random(2);
        foreach (int c in o.Widths)
        {
            var shape = GemmShapes.For(c)[0];
            long bytes = 4L * shape.N * shape.K;
            int copies = (int)Math.Max(8, (768L << 20) / bytes);
            var (wRows, _, _) = MakeWeight(rng, shape.N, shape.K);
            var rows = new float[copies][];
            var w32 = new LinearWeight[copies];
            var w16 = new LinearWeight[copies];
            var bits = ToBFloat16(wRows);
            for (int i = 0; i < copies; i++)
            {
                rows[i] = (float[])wRows.Clone();
                w32[i] = LinearWeight.FromRows(wRows, shape.N, shape.K);
                w16[i] = LinearWeight.FromBFloat16Rows(bits, shape.N, shape.K);
            }
            foreach (int m in o.Rows.Any(r => r > 32) ? new[] { 1, 8, 32 } : o.Rows)
            {
                var x = RandomArray(rng, m * shape.K, 1f);
                var y = new float[m * shape.N];
                foreach (int threads in o.Threads)
                {
                    blas.SetThreads(threads);
                    int next = 0;
                    var ours32 = new Timed(() => Gemm.Linear(x, m, w32[next++ % copies], y, false, threads));
                    var ours16 = new Timed(() => Gemm.Linear(x, m, w16[next++ % copies], y, false, threads));
                    var other = new Timed(() =>
                    {
                        var w = rows[next++ % copies];
                        if (m == 1) blas.MatVec(x, w, shape.N, shape.K, y);
                        else blas.Linear(x, m, w, shape.N, shape.K, y);
                    });
                    for (int round = 0; round < o.Rounds; round++)
                    {
                        ours32.Measure(o.MinMs);
                        ours16.Measure(o.MinMs);
                        other.Measure(o.MinMs);
                    }
                    Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                        $"| {c} | {shape.Name} ({shape.N}x{shape.K}) | {m} | {threads} | {ours32.Best * 1e3:F3} | {ours16.Best * 1e3:F3} | " +
                        $"{other.Best * 1e3:F3}{(m == 1 ? " (sgemv)" : "")} | {bytes / ours32.Best / 1e9:F1} | {bytes / 2 / ours16.Best / 1e9:F1} | " +
                        $"{bytes / other.Best / 1e9:F1} |"));
                }
            }
        }
    }

    /// <summary>
    /// Roofline of the prefill workload: the model's linear layers (every weight of every layer, LoRA included) timed
    /// through OpenBLAS sgemm at M = batch × tokens give the shortest time a forward could take if everything else were
    /// free; the engine's measured prefill on the same machine, threads and run is compared with it.
    /// </summary>
    private static void RunRoofline(OpenBlas blas, Options o)
    {
        var preset = ModelPreset.Get(o.Roofline!);
        var cfg = preset.Model;
        int threads = o.Threads[0], m = o.Batch * o.Tokens, c = cfg.Channels;
        blas.SetThreads(threads);
        CpuBackendProvider.Register(new CpuBackendOptions { Threads = threads });
        Console.WriteLine($"# roofline: preset {preset.Name} (L={cfg.Layers} C={c}, random bf16 weights), prefill B={o.Batch} T={o.Tokens} (M={m}), {threads} thread(s)");

        // (N, K, how many per forward) of every linear layer.
        var shapes = new List<(string Name, int N, int K, int Count)>
        {
            ("att r/k/v/o", c, c, 4 * cfg.Layers), ("ffn.key", 4 * c, c, cfg.Layers), ("ffn.value", c, 4 * c, cfg.Layers),
            ("lora w1", cfg.DecayLora, c, cfg.Layers), ("lora w2", c, cfg.DecayLora, cfg.Layers),
            ("lora a1", cfg.AlphaLora, c, cfg.Layers), ("lora a2", c, cfg.AlphaLora, cfg.Layers),
            ("lora g1", cfg.GateLora, c, cfg.Layers), ("lora g2", c, cfg.GateLora, cfg.Layers),
            ("lora v1", cfg.ValueLora, c, cfg.Layers - 1), ("lora v2", c, cfg.ValueLora, cfg.Layers - 1),
        };
        var rng = new Random(3);
        double blasSeconds = 0, oursSeconds = 0, flops = 0;
        Console.WriteLine("| weight (N x K) | per forward | OpenBLAS GFLOP/s | ours (bf16) GFLOP/s |" + (o.Int8 ? " ours int8 GFLOP/s (equivalent) |" : ""));
        Console.WriteLine("|---|---|---|---|" + (o.Int8 ? "---|" : ""));
        foreach (var (name, n, k, count) in shapes)
        {
            var (rows, _, w16) = MakeWeight(rng, n, k);
            var x = RandomArray(rng, m * k, 1f);
            var y = new float[m * n];
            var theirs = new Timed(() => blas.Linear(x, m, rows, n, k, y));
            var ours = new Timed(() => Gemm.Linear(x, m, w16, y, false, threads));
            var w8 = o.Int8 ? LinearWeight.FromInt8(Int8Weight.FromRows(rows, n, k, Int8Gemm.WeightLevels)) : null;
            var oursInt8 = new Timed(() => Gemm.Linear(x, m, w8!, y, false, threads));
            for (int round = 0; round < o.Rounds; round++)
            {
                theirs.Measure(o.MinMs);
                ours.Measure(o.MinMs);
                if (o.Int8) oursInt8.Measure(o.MinMs);
            }
            double f = 2.0 * m * n * k;
            blasSeconds += count * theirs.Best;
            oursSeconds += count * ours.Best;
            flops += count * f;
            string int8Column = o.Int8 ? string.Create(CultureInfo.InvariantCulture, $" {f / oursInt8.Best / 1e9:F1} |") : "";
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"| {name} ({n}x{k}) | {count} | {f / theirs.Best / 1e9:F1} | {f / ours.Best / 1e9:F1} |") + int8Column);
        }

        // The roofline forward: every linear layer of every block through OpenBLAS, in model order, each layer with its
        // own weights (as many bytes as the real model), timed like the engine's forward and alternating with it.
        var layers = new List<(float[] W, int N, int K)>();
        for (int l = 0; l < cfg.Layers; l++)
            foreach (var (_, n, k, count) in shapes)
            {
                int perLayer = count / cfg.Layers + (count % cfg.Layers != 0 && l > 0 ? 1 : 0);
                for (int i = 0; i < perLayer; i++) layers.Add((RandomArray(rng, n * k, 1f / MathF.Sqrt(k)), n, k));
            }
        var xs = RandomArray(rng, m * 4 * c, 1f);
        var ys = new float[m * 4 * c];
        void BlasForward()
        {
            foreach (var (w, n, k) in layers) blas.Linear(xs, m, w, n, k, ys);
        }

        string dir = Path.Combine(Path.GetTempPath(), "rwkv-bench");
        using var model = EmbeddingModel.Load(RandomCheckpoint.Embedding(preset, dir), new ModelOptions { Device = "cpu" });
        var batch = new int[o.Batch][];
        for (int b = 0; b < o.Batch; b++)
        {
            batch[b] = new int[o.Tokens];
            for (int t = 0; t < o.Tokens; t++) batch[b][t] = rng.Next(1, 65530);
            batch[b][^1] = 65535;
        }
        using var model8 = o.Int8 ? EmbeddingModel.Load(RandomCheckpoint.Embedding(preset, dir), new ModelOptions { Device = "cpu", Precision = Precision.Int8 }) : null;
        Action[] calls = model8 == null
            ? [() => model.EmbedTokens(batch), BlasForward]
            : [() => model.EmbedTokens(batch), BlasForward, () => model8.EmbedTokens(batch)];
        var timings = Timing.MeasureAlternating(1, o.Iters, calls);
        Timing engineTiming = timings[0], blasTiming = timings[1];
        double engine = engineTiming.Median, roof = blasTiming.Median;
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"# per shape (best windows): {flops / 1e9:F1} GFLOP of linear layers per forward; OpenBLAS {flops / blasSeconds / 1e9:F1} GFLOP/s, " +
            $"our GEMM {flops / oursSeconds / 1e9:F1} GFLOP/s"));
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"# roofline forward (OpenBLAS, all {layers.Count} linear layers) median {roof * 1e3:F0} ms = {m / roof:F0} tokens/s " +
            $"({flops / roof / 1e9:F1} GFLOP/s); engine prefill median {engine * 1e3:F0} ms = {m / engine:F0} tokens/s " +
            $"({flops / engine / 1e9:F1} GFLOP/s in linear layers)"));
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"# engine / roofline = {roof / engine:F2} (medians of {o.Iters} alternating runs; best runs {blasTiming.Min / engineTiming.Min:F2})"));
        Breakdown(model, batch, o.Iters);
        if (model8 == null) return;
        double int8 = timings[2].Median;
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"# int8 engine ({Gemm.Int8KernelName} kernels) prefill median {int8 * 1e3:F0} ms = {m / int8:F0} tokens/s; " +
            $"int8 / float32 engine = {engine / int8:F2}x; int8 engine / float32 roofline = {roof / int8:F2}"));
    }

    /// <summary>
    /// Where the engine's forward spends its time outside the matrix products (issue 17's fixed costs), over
    /// <paramref name="iters"/> more calls on this thread: GEMM and recurrence clocks (<see cref="CpuProfile"/>), bytes
    /// allocated by every thread, work items run by the backend's worker threads (each one a worker taking part in a
    /// parallel loop: a wake-up when it was idle) and garbage collections.
    /// </summary>
    private static void Breakdown(EmbeddingModel model, int[][] batch, int iters)
    {
        CpuProfile.Reset();
        CpuProfile.Enabled = true;
        long bytes = GC.GetTotalAllocatedBytes(precise: true), items = CpuThreads.Executed;
        int gen0 = GC.CollectionCount(0), gen2 = GC.CollectionCount(2);
        long t0 = Stopwatch.GetTimestamp();
        for (int i = 0; i < iters; i++) model.EmbedTokens(batch);
        double total = Stopwatch.GetElapsedTime(t0).TotalSeconds / iters;
        CpuProfile.Enabled = false;
        bytes = GC.GetTotalAllocatedBytes(precise: true) - bytes;
        items = CpuThreads.Executed - items;
        double gemm = CpuProfile.GemmSeconds / iters, rec = CpuProfile.RecurrenceSeconds / iters;
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"# breakdown per engine forward (mean of {iters}): {total * 1e3:F2} ms = GEMM {gemm * 1e3:F2} ms ({CpuProfile.GemmCalls / iters} calls, " +
            $"{gemm / total:P0}) + recurrence {rec * 1e3:F2} ms ({rec / total:P0}) + everything else {(total - gemm - rec) * 1e3:F2} ms " +
            $"({(total - gemm - rec) / total:P0}); allocated {bytes / (double)iters / 1024:F1} KiB; worker items {items / (double)iters:F1}; " +
            $"GCs gen0 {GC.CollectionCount(0) - gen0}, gen2 {GC.CollectionCount(2) - gen2}"));
    }

    /// <summary>The best seconds-per-call over rounds; each round is one <see cref="Timing.Window"/> of at least the given time.</summary>
    private sealed class Timed(Action call)
    {
        private readonly List<double> _windows = [];

        public double Best => _windows.Count == 0 ? double.MaxValue : Timing.Of(_windows).Min;

        public void Measure(double minMs)
        {
            if (_windows.Count == 0) { call(); call(); }
            _windows.Add(Timing.Window(call, minMs / 1e3));
        }
    }

    private static (float[] Rows, LinearWeight Single, LinearWeight BFloat16) MakeWeight(Random rng, int n, int k)
    {
        var rows = RandomArray(rng, n * k, 1f / MathF.Sqrt(k));
        return (rows, LinearWeight.FromRows(rows, n, k), LinearWeight.FromBFloat16Rows(ToBFloat16(rows), n, k));
    }

    /// <summary>bf16 bit patterns of <paramref name="values"/>, rounded to nearest even.</summary>
    private static ushort[] ToBFloat16(float[] values)
    {
        var bits = new ushort[values.Length];
        for (int i = 0; i < values.Length; i++)
        {
            uint u = BitConverter.SingleToUInt32Bits(values[i]);
            bits[i] = (ushort)((u + 0x7FFF + ((u >> 16) & 1)) >> 16);
        }
        return bits;
    }

    private static float[] RandomArray(Random rng, int count, float scale)
    {
        var a = new float[count];
        for (int i = 0; i < count; i++) a[i] = (float)(rng.NextDouble() * 2 - 1) * scale;
        return a;
    }

    /// <summary>Guards the comparison itself: both libraries must compute the same product.</summary>
    private static void CheckAgreement(float[] ours, float[] theirs, GemmShape shape, int m)
    {
        double worst = 0;
        for (int i = 0; i < ours.Length; i++) worst = Math.Max(worst, Math.Abs(ours[i] - theirs[i]));
        if (worst > 1e-3) Console.WriteLine($"# WARNING {shape.Name} M={m}: results differ by {worst:E2}");
    }

    private static string LoadAverage()
    {
        try { return File.ReadAllText("/proc/loadavg").Split(' ')[0]; }
        catch (IOException) { return "?"; }
        catch (UnauthorizedAccessException) { return "?"; }
    }

    private sealed class Options
    {
        public int[] Widths = GemmShapes.Widths;
        public int[] Rows = GemmShapes.Rows;
        public int[] Threads = [1, 2];
        public string? ShapeFilter;
        public int Rounds = 5;
        public double MinMs = 40;
        public bool BFloat16 = true;
        public bool Stream;
        public string? Roofline;
        public int Batch = 8, Tokens = 256, Iters = 3;
        public bool Int8;

        public void Parse(string[] args)
        {
            for (int i = 0; i < args.Length; i++)
            {
                string Value() => i + 1 < args.Length ? args[++i] : throw new FormatException($"{args[i]} needs a value");
                switch (args[i])
                {
                    case "--c": Widths = Ints(Value()); break;
                    case "--m": Rows = Ints(Value()); break;
                    case "--threads": Threads = Ints(Value()); break;
                    case "--shape": ShapeFilter = Value(); break;
                    case "--rounds": Rounds = Ints(Value())[0]; break;
                    case "--min-ms": MinMs = double.Parse(Value(), CultureInfo.InvariantCulture); break;
                    case "--no-bf16": BFloat16 = false; break;
                    case "--stream": Stream = true; break;
                    case "--roofline": Roofline = Value(); break;
                    case "--batch": Batch = Ints(Value())[0]; break;
                    case "--tokens": Tokens = Ints(Value())[0]; break;
                    case "--iters": Iters = Ints(Value())[0]; break;
                    case "--int8": Int8 = true; break;
                    default: throw new FormatException($"unknown option {args[i]}");
                }
            }
        }

        private static int[] Ints(string text) =>
            text.Split(',').Select(s => int.TryParse(s, out var v) && v > 0 ? v : throw new FormatException($"not a positive integer: {s}")).ToArray();
    }
}
