using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;
using System.Text;
using System.Text.Json;
using RwkvNative.Backends;
using RwkvNative.Benchmarking;
using RwkvNative.Cpu;
using RwkvNative.Model;

namespace RwkvNative.Cli.Commands;

/// <summary>
/// <c>rwkv-emb bench</c>: throughput and latency of the engine on the workloads of the paper's Table 8, with the same
/// names and defaults as upstream's <c>bench_upstream.py</c> (prefill, offline and online reranking, latency) plus the
/// tokenizer. Figures are medians over iterations, with min and max.
/// </summary>
internal static class BenchCommand
{
    private static readonly string[] Workloads = ["prefill", "latency", "offline", "online", "tokenizer"];

    /// <summary>Workloads run only when named (not part of <c>all</c>): <c>memory</c> reads the process's peak RSS, so it needs a process of its own.</summary>
    private static readonly string[] NamedOnly = ["memory"];

    public static Command Create()
    {
        var model = CommonOptions.Model(required: false);
        var reranker = CommonOptions.Reranker(required: false);
        var preset = new Option<string>("--preset") { Description = "random weights of a real shape: tiny (0.1B), base (0.4B), large (1.4B); default tiny without --model" };
        var seed = new Option<int>("--seed") { Description = "seed of the random weights and tokens", DefaultValueFactory = _ => 1 };
        var weightsDir = new Option<string>("--weights-dir") { Description = "where random checkpoints are written and reused (default: <temp>/rwkv-bench)" };
        var workload = new Option<string>("--workload", "-w") { Description = "all, or a comma list of prefill,latency,offline,online,tokenizer; or memory (peak RSS of one sequence of --tokens, alone in its process)", DefaultValueFactory = _ => "all" };
        var passTokens = new Option<int?>("--pass-tokens") { Description = "most tokens per pass (ModelOptions.MaxBatchTokens; default: the backend's own pass size)" };
        var device = CommonOptions.Device();
        var batch = new Option<int>("--batch") { Description = "sequences per call", DefaultValueFactory = _ => 100 };
        var tokens = new Option<int>("--tokens") { Description = "document / sequence length", DefaultValueFactory = _ => 256 };
        var queryTokens = new Option<int>("--query-tokens") { Description = "query length (offline, online)", DefaultValueFactory = _ => 64 };
        var onlineDocs = new Option<int>("--online-docs") { Description = "documents scored by the online workload", DefaultValueFactory = _ => 512 };
        var warmup = new Option<int>("--warmup") { Description = "untimed iterations first", DefaultValueFactory = _ => 3 };
        var iters = new Option<int>("--iters") { Description = "timed iterations (latency: 20x as many single calls)", DefaultValueFactory = _ => 10 };
        var json = new Option<bool>("--json") { Description = "one JSON document on stdout (the table goes to stderr)" };
        var placement = CommonOptions.Placement(
            "offline with --resident fp32|fp16: auto (device memory when the documents fit, else host), device, or host (page-locked host memory streamed to the GPU per query)");
        var resident = new Option<string>("--resident")
        {
            Description = "offline: documents resident in the device's memory as fp32 or fp16 (each query moves only its tokens in and the logits out), or off (states cached on the host, uploaded per query)",
            DefaultValueFactory = _ => "fp32",
        };
        var cmd = new Command("bench", "measure throughput and latency (prefill, latency, offline/online reranking, tokenizer)")
        {
            model, reranker, preset, seed, weightsDir, workload, device, batch, tokens, queryTokens, onlineDocs, warmup, iters, json, passTokens, resident, placement,
        };
        cmd.SetAction(p => Run(new Settings(
            p.GetValue(model), p.GetValue(reranker), p.GetValue(preset), p.GetValue(seed), p.GetValue(weightsDir),
            ParseWorkloads(p.GetValue(workload)!), p.GetValue(device)!, Positive(p.GetValue(batch), "--batch"),
            Positive(p.GetValue(tokens), "--tokens"), Positive(p.GetValue(queryTokens), "--query-tokens"),
            Positive(p.GetValue(onlineDocs), "--online-docs"), NonNegative(p.GetValue(warmup), "--warmup"),
            Positive(p.GetValue(iters), "--iters"), p.GetValue(CommonOptions.Threads), p.GetValue(json), p.GetValue(passTokens) is { } pt ? Positive(pt, "--pass-tokens") : null,
            ParseResident(p.GetValue(resident)!), CommonOptions.ParsePlacement(p.GetValue(placement)!))));
        return cmd;
    }

    private sealed record Settings(string? Model, string? Reranker, string? Preset, int Seed, string? WeightsDir, HashSet<string> Work,
        string Device, int Batch, int Tokens, int QueryTokens, int OnlineDocs, int Warmup, int Iters, int Threads, bool Json, int? PassTokens,
        StatePrecision? Resident, StatePlacement Placement);

    private static StatePrecision? ParseResident(string value) => value switch
    {
        "fp32" => StatePrecision.Float32,
        "fp16" => StatePrecision.Float16,
        "off" => null,
        _ => throw new InputException($"--resident must be fp32, fp16 or off, not '{value}'"),
    };

    /// <summary>One measured figure: workload, unit-named value keys, and the parameters it ran with.</summary>
    private sealed record Figure(string Workload, IReadOnlyList<(string Key, double Value)> Values, IReadOnlyList<(string Key, string Value)> Params);

    private static int Run(Settings s)
    {
        if (s.Model != null && s.Preset != null) throw new InputException("give either --model (a checkpoint) or --preset (random weights), not both");
        if (s.Model == null && s.Reranker != null) throw new InputException("--reranker needs --model");
        TextWriter table = s.Json ? Console.Error : Console.Out;

        string modelPath, weights;
        string? rerankerPath = s.Reranker;
        string presetName;
        if (s.Model != null)
        {
            modelPath = s.Model;
            weights = "checkpoint " + Path.GetFileName(s.Model);
            presetName = "";
        }
        else
        {
            var preset = ModelPreset.Get(s.Preset ?? "tiny");
            string dir = s.WeightsDir ?? Path.Combine(Path.GetTempPath(), "rwkv-bench");
            table.WriteLine($"# random weights (bf16, seed {s.Seed}) with the real {preset.Name} shape: L={preset.Model.Layers} C={preset.Model.Channels}; " +
                            "figures measure speed only, the outputs mean nothing");
            var sw = Stopwatch.StartNew();
            modelPath = RandomCheckpoint.Embedding(preset, dir, s.Seed);
            rerankerPath = RandomCheckpoint.Reranker(preset, dir, s.Seed);
            table.WriteLine($"# checkpoints ready in {sw.Elapsed.TotalSeconds:F1} s: {modelPath}");
            weights = "random";
            presetName = preset.Name;
        }

        using var m = CommonOptions.LoadModel(modelPath, s.Device, s.PassTokens);
        using var rr = rerankerPath != null ? CommonOptions.LoadReranker(rerankerPath, m) : null;
        double flopsPerToken = ModelFlops.PerToken(m.Config);
        table.WriteLine($"# device {m.DeviceName}; cpu {CpuModel()}; threads {s.Threads}; GEMM kernels {Gemm.KernelName}; load average {LoadAverage()?.ToString(CultureInfo.InvariantCulture) ?? "?"}; " +
                        $"L={m.Config.Layers} C={m.Config.Channels}; {flopsPerToken / 1e6:F1} MFLOP per token in linear layers");
        var capacity = (Fp32: m.ResidentCapacity(StatePrecision.Float32), Fp16: m.ResidentCapacity(StatePrecision.Float16));
        table.WriteLine($"# resident document states that fit now: {capacity.Fp32:N0} fp32, {capacity.Fp16:N0} fp16 " +
                        $"({StateStore.BytesPerState(m.Config, StatePrecision.Float32):N0} / {StateStore.BytesPerState(m.Config, StatePrecision.Float16):N0} bytes each)");
        bool counted = m.Device.Kind == "cuda";

        var figures = new List<Figure>();
        var rng = new Random(s.Seed + 7);
        void Report(Figure f)
        {
            figures.Add(f);
            table.WriteLine($"{f.Workload,-16} " + string.Join("  ", f.Values.Select(v => $"{v.Key} {Format(v.Value)}")) +
                            "   (" + string.Join(", ", f.Params.Select(p => $"{p.Key}={p.Value}")) + ")");
        }

        if (s.Work.Contains("prefill")) Report(Prefill(m, s, rng, flopsPerToken, counted));
        if (s.Work.Contains("prefill") && CommonOptions.SelectedPrecision == Precision.Int8)
        {
            // The int8 figure means little without float32 beside it: same machine, same batch, alternating calls.
            using var reference = CommonOptions.LoadModel(modelPath, s.Device, s.PassTokens, precision: Precision.Float32);
            Report(PrefillAgainstFloat32(m, reference, s, rng));
        }
        if (s.Work.Contains("latency")) Report(Latency(m, s, rng, counted));
        foreach (var w in new[] { "offline", "online" })
        {
            if (!s.Work.Contains(w)) continue;
            if (rr == null) { table.WriteLine($"{w,-16} skipped: needs --reranker"); continue; }
            Report(w == "offline" ? Offline(m, rr, s, rng, counted) : Online(m, rr, s, rng, counted));
        }
        if (s.Work.Contains("tokenizer")) Report(Tokenizer(m, s));
        if (s.Work.Contains("memory")) Report(Memory(m, s, rng));

        if (s.Json) WriteJson(s, m, presetName, weights, flopsPerToken, figures, capacity);
        return ExitCodes.Ok;
    }

    /// <summary>
    /// The transfer and launch counts of one more (untimed) call, per <paramref name="units"/> (pairs or sequences), as
    /// the JSON fields host_to_device_bytes, device_to_host_bytes and kernel_launches; none when not counted (CPU).
    /// </summary>
    private static (string, double)[] PerUnit(EmbeddingModel m, bool counted, double units, Action call)
    {
        if (!counted) return [];
        var before = m.Counters;
        call();
        var d = m.Counters - before;
        return [("host_to_device_bytes", d.HostToDeviceBytes / units), ("device_to_host_bytes", d.DeviceToHostBytes / units),
                ("kernel_launches", d.KernelLaunches / units)];
    }

    private static Figure Prefill(EmbeddingModel m, Settings s, Random rng, double flopsPerToken, bool counted)
    {
        var batch = RandomSequences(rng, s.Batch, s.Tokens, eos: true);
        var t = Timing.Measure(() => m.EmbedTokens(batch), s.Warmup, s.Iters);
        double tokens = (double)s.Batch * s.Tokens;
        return new Figure("prefill",
            [("tokens_per_s", tokens / t.Median), ("sequences_per_s", s.Batch / t.Median), ("gflop_per_s", tokens * flopsPerToken / t.Median / 1e9),
             ("ms_median", t.Median * 1e3), ("ms_min", t.Min * 1e3), ("ms_max", t.Max * 1e3),
             .. PerUnit(m, counted, s.Batch, () => m.EmbedTokens(batch))],
            [("batch", Str(s.Batch)), ("tokens", Str(s.Tokens))]);
    }

    /// <summary>
    /// Peak memory of one sequence of <c>--tokens</c> tokens (EOS last) at batch 1, run once: the process's peak RSS after loading and
    /// after the run. Long sequences run in passes of <c>--pass-tokens</c> (default: the backend's), so the second figure should follow the pass size, not T.
    /// </summary>
    private static Figure Memory(EmbeddingModel m, Settings s, Random rng)
    {
        var seq = RandomSequences(rng, 1, s.Tokens, eos: true);
        GC.Collect();
        double loaded = PeakRssMiB();
        long t0 = Stopwatch.GetTimestamp();
        m.Forward(seq);
        double seconds = Stopwatch.GetElapsedTime(t0).TotalSeconds;
        return new Figure("memory_b1",
            [("rss_peak_mib", PeakRssMiB()), ("rss_peak_after_load_mib", loaded), ("tokens_per_s", s.Tokens / seconds)],
            [("batch", "1"), ("tokens", Str(s.Tokens)), ("pass_tokens", Str(m.PassTokens))]);
    }

    private static double PeakRssMiB()
    {
        using var p = Process.GetCurrentProcess();
        return p.PeakWorkingSet64 / (1024.0 * 1024.0);
    }

    /// <summary>
    /// Prefill of one batch by the int8 model and the float32 model, alternating call by call (so both see the same load),
    /// medians compared: ratio = float32 time / int8 time.
    /// </summary>
    private static Figure PrefillAgainstFloat32(EmbeddingModel int8, EmbeddingModel float32, Settings s, Random rng)
    {
        var batch = RandomSequences(rng, s.Batch, s.Tokens, eos: true);
        var t = Timing.MeasureAlternating(s.Warmup, s.Iters, () => int8.Forward(batch), () => float32.Forward(batch));
        double tokens = (double)s.Batch * s.Tokens, i8 = t[0].Median, f32 = t[1].Median;
        return new Figure("prefill_int8_vs_float32",
            [("int8_tokens_per_s", tokens / i8), ("float32_tokens_per_s", tokens / f32), ("speedup", f32 / i8),
             ("int8_ms_median", i8 * 1e3), ("float32_ms_median", f32 * 1e3)],
            [("batch", Str(s.Batch)), ("tokens", Str(s.Tokens)), ("int8_kernels", Gemm.Int8KernelName)]);
    }

    /// <summary>One sequence of 32 tokens per call (upstream: 20 untimed + 200 timed calls; here 7x warmup + 20x iters).</summary>
    private static Figure Latency(EmbeddingModel m, Settings s, Random rng, bool counted)
    {
        var q = RandomSequences(rng, 1, 32, eos: true);
        int n = 20 * s.Iters;
        var t = Timing.Measure(() => m.EmbedTokens(q), 7 * s.Warmup, n);
        return new Figure("latency_b1_t32",
            [("ms_p50", t.Median * 1e3), ("ms_p99", t.P99 * 1e3), ("ms_min", t.Min * 1e3), ("ms_max", t.Max * 1e3),
             .. PerUnit(m, counted, 1, () => m.EmbedTokens(q))],
            [("batch", "1"), ("tokens", "32"), ("calls", Str(n))]);
    }

    /// <summary>
    /// B cached document states (T tokens, no EOS); each iteration continues copies with a Q-token query + EOS and reranks.
    /// With --resident (default fp32) the states are resident in the backend's memory and each query moves only its
    /// tokens in and the logits out (--placement host: kept in host memory and streamed in per query); with --resident off they are host states uploaded per query (upstream's shape).
    /// </summary>
    private static Figure Offline(EmbeddingModel m, Reranker rr, Settings s, Random rng, bool counted)
    {
        var docs = RandomSequences(rng, s.Batch, s.Tokens, eos: false);
        var query = RandomSequences(rng, 1, s.QueryTokens, eos: true)[0];
        string mode = s.Resident switch { StatePrecision.Float32 => "fp32", StatePrecision.Float16 => "fp16", _ => "off" };
        if (s.Resident is { } precision)
        {
            using var resident = rr.IndexResidentTokens(docs, precision, placement: s.Placement); // indexed where the states live
            var all = Enumerable.Range(0, s.Batch).ToArray();
            var tr = Timing.Measure(() => rr.LogitsOfResident(query, resident, all), s.Warmup, s.Iters);
            return new Figure("offline_rerank",
                [("pairs_per_s", s.Batch / tr.Median), ("ms_median", tr.Median * 1e3), ("ms_min", tr.Min * 1e3), ("ms_max", tr.Max * 1e3),
                 .. PerUnit(m, counted, s.Batch, () => rr.LogitsOfResident(query, resident, all))],
                [("batch", Str(s.Batch)), ("doc_tokens", Str(s.Tokens)), ("query_tokens", Str(s.QueryTokens)), ("resident", mode),
                 ("placement", resident.Placement == StatePlacement.Host ? "host" : "device")]);
        }

        var cached = m.Forward(docs).State;
        var queries = Enumerable.Repeat(query, s.Batch).ToArray();
        var embed = new List<double>();
        var rerank = new List<double>();
        void Once()
        {
            long t0 = Stopwatch.GetTimestamp();
            var r = m.Forward(queries, cached); // the given state is not modified: every iteration starts from the cache
            long t1 = Stopwatch.GetTimestamp();
            rr.LogitsOf(r.State);
            embed.Add(Stopwatch.GetElapsedTime(t0, t1).TotalSeconds);
            rerank.Add(Stopwatch.GetElapsedTime(t1).TotalSeconds);
        }
        var t = Timing.Measure(Once, s.Warmup, s.Iters);
        double msEmbed = Timing.Of(embed.Skip(embed.Count - s.Iters)).Median * 1e3, msRerank = Timing.Of(rerank.Skip(rerank.Count - s.Iters)).Median * 1e3;
        return new Figure("offline_rerank",
            [("pairs_per_s", s.Batch / t.Median), ("ms_median", t.Median * 1e3), ("ms_embed", msEmbed),
             ("ms_rerank", msRerank), ("ms_min", t.Min * 1e3), ("ms_max", t.Max * 1e3), .. PerUnit(m, counted, s.Batch, Once)],
            [("batch", Str(s.Batch)), ("doc_tokens", Str(s.Tokens)), ("query_tokens", Str(s.QueryTokens)), ("resident", mode)]);
    }

    /// <summary>N documents scored from scratch: (T + Q)-token pairs with EOS, B per call, states only (no pooling, no head) + reranker.</summary>
    private static Figure Online(EmbeddingModel m, Reranker rr, Settings s, Random rng, bool counted)
    {
        var pairs = RandomSequences(rng, s.OnlineDocs, s.Tokens + s.QueryTokens, eos: true);
        void All()
        {
            for (int i = 0; i < pairs.Length; i += s.Batch)
                rr.LogitsOfTokens(pairs[i..Math.Min(pairs.Length, i + s.Batch)]);
        }
        var t = Timing.Measure(All, Math.Min(1, s.Warmup), Math.Max(1, s.Iters / 3));
        return new Figure("online_rerank",
            [("ms_median", t.Median * 1e3), ("pairs_per_s", s.OnlineDocs / t.Median), ("ms_min", t.Min * 1e3), ("ms_max", t.Max * 1e3),
             .. PerUnit(m, counted, s.OnlineDocs, All)],
            [("docs", Str(s.OnlineDocs)), ("pair_tokens", Str(s.Tokens + s.QueryTokens)), ("batch", Str(s.Batch))]);
    }

    /// <summary>Encoding 4 MB of mixed text (English, code, CJK, emoji) to token ids.</summary>
    private static Figure Tokenizer(EmbeddingModel m, Settings s)
    {
        string text = MixedText.Generate(4 << 20, s.Seed);
        int bytes = Encoding.UTF8.GetByteCount(text);
        var t = Timing.Measure(() => m.Tokenizer.Encode(text), Math.Min(1, s.Warmup), s.Iters);
        return new Figure("tokenizer",
            [("mb_per_s", bytes / t.Median / 1e6), ("ms_median", t.Median * 1e3), ("ms_min", t.Min * 1e3), ("ms_max", t.Max * 1e3)],
            [("bytes", Str(bytes))]);
    }

    private static int[][] RandomSequences(Random rng, int count, int length, bool eos)
    {
        var seqs = new int[count][];
        for (int i = 0; i < count; i++)
        {
            seqs[i] = new int[length];
            for (int j = 0; j < length; j++) seqs[i][j] = rng.Next(1, 65530);
            if (eos) seqs[i][^1] = ModelConfig.EosToken;
        }
        return seqs;
    }

    private static void WriteJson(Settings s, EmbeddingModel m, string preset, string weights, double flopsPerToken, List<Figure> figures,
        (long Fp32, long Fp16) capacity)
    {
        using var stdout = Console.OpenStandardOutput();
        using (var w = new Utf8JsonWriter(stdout, new JsonWriterOptions { Indented = true }))
        {
            w.WriteStartObject();
            w.WriteString("tool", "rwkv-emb bench");
            w.WriteString("version", typeof(EmbeddingModel).Assembly.GetName().Version?.ToString() ?? "?");
            w.WriteString("date", DateTime.UtcNow.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture));
            w.WriteString("device", m.DeviceName);
            w.WriteString("cpu", CpuModel());
            w.WriteNumber("threads", s.Threads);
            w.WriteString("gemm_kernels", Gemm.KernelName);
            w.WriteString("dtype", CommonOptions.SelectedPrecision == Precision.Int8
                ? "int8 FFN matrices (per-channel int8 weights, per-row int8 activations, int32 accumulation), the rest as float32"
                : "weights as stored (bf16 kept 16-bit), float32 compute");
            w.WriteString("precision", PrecisionOption.Name(CommonOptions.SelectedPrecision));
            w.WriteString("preset", preset);
            w.WriteString("weights", weights);
            w.WriteNumber("layers", m.Config.Layers);
            w.WriteNumber("channels", m.Config.Channels);
            w.WriteNumber("linear_flop_per_token", flopsPerToken);
            w.WriteString("runtime", RuntimeInformation.FrameworkDescription);
            if (LoadAverage() is double load) w.WriteNumber("load_average_1min", load); // other work on the machine skews every figure
            w.WriteStartObject("resident_capacity"); // document states that fit in the device's free memory at start
            w.WriteNumber("float32", capacity.Fp32);
            w.WriteNumber("float16", capacity.Fp16);
            w.WriteEndObject();
            JsonLines.WriteObjects(w, "figures", figures, static (w, f) =>
            {
                w.WriteString("workload", f.Workload);
                foreach (var (k, v) in f.Values) w.WriteNumber(k, Math.Round(v, 4));
                foreach (var (k, v) in f.Params)
                {
                    if (int.TryParse(v, NumberStyles.Integer, CultureInfo.InvariantCulture, out int i)) w.WriteNumber(k, i);
                    else w.WriteString(k, v);
                }
            });
            w.WriteEndObject();
        }
        stdout.Write("\n"u8);
    }

    /// <summary>The processor's model name (Linux /proc/cpuinfo), else the architecture.</summary>
    internal static string CpuModel()
    {
        try
        {
            if (File.Exists("/proc/cpuinfo"))
                foreach (var line in File.ReadLines("/proc/cpuinfo"))
                    if (line.StartsWith("model name", StringComparison.Ordinal) && line.Contains(':'))
                        return line[(line.IndexOf(':') + 1)..].Trim();
        }
        catch (IOException) { }
        catch (UnauthorizedAccessException) { }
        return RuntimeInformation.ProcessArchitecture.ToString();
    }

    /// <summary>The 1-minute load average (Linux), or null.</summary>
    private static double? LoadAverage()
    {
        try
        {
            if (!File.Exists("/proc/loadavg")) return null;
            var first = File.ReadAllText("/proc/loadavg").Split(' ')[0];
            return double.TryParse(first, NumberStyles.Float, CultureInfo.InvariantCulture, out var v) ? v : null;
        }
        catch (IOException) { return null; }
        catch (UnauthorizedAccessException) { return null; }
    }

    private static HashSet<string> ParseWorkloads(string text)
    {
        if (text == "all") return [.. Workloads];
        var set = new HashSet<string>(StringComparer.Ordinal);
        foreach (var w in text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            if (Array.IndexOf(Workloads, w) < 0 && Array.IndexOf(NamedOnly, w) < 0)
                throw new InputException($"unknown workload '{w}' (known: all, {string.Join(", ", Workloads.Concat(NamedOnly))})");
            set.Add(w);
        }
        if (set.Count == 0) throw new InputException("--workload is empty");
        return set;
    }

    private static int Positive(int v, string name) => v > 0 ? v : throw new InputException($"{name} must be positive, got {v}");

    private static int NonNegative(int v, string name) => v >= 0 ? v : throw new InputException($"{name} must not be negative, got {v}");

    private static string Str(int v) => v.ToString(CultureInfo.InvariantCulture);

    private static string Format(double v) => v.ToString(v >= 100 ? "F1" : "F3", CultureInfo.InvariantCulture);
}
