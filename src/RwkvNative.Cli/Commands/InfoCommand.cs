using System.CommandLine;
using System.Text.Json;
using RwkvNative.Backends;
using RwkvNative.Checkpoints;
using RwkvNative.Model;

namespace RwkvNative.Cli.Commands;

/// <summary>
/// <c>rwkv-emb info --model EMB [--reranker RR] [--device D] [--json]</c>: the shape read from the checkpoints, the bytes
/// of one cached document state, and with <c>--device</c> how many document states fit resident on that device now.
/// </summary>
internal static class InfoCommand
{
    public static Command Create()
    {
        var model = CommonOptions.Model();
        var reranker = CommonOptions.Reranker(required: false);
        var json = new Option<bool>("--json") { Description = "one JSON document on stdout" };
        var device = new Option<string>("--device", "-d") { Description = "also load the model there (cpu, cuda, cuda:N) and report how many document states fit resident" };
        var cmd = new Command("info", "print a model's shape (layers, width, heads, LoRA widths, dtypes, parameters, reranker layers)") { model, reranker, device, json };
        cmd.SetAction(p => Run(p.GetValue(model)!, p.GetValue(reranker), p.GetValue(device), p.GetValue(json)));
        return cmd;
    }

    private sealed record Shape(string File, ModelConfig Config, IReadOnlyDictionary<string, long> Dtypes, long Parameters);

    private static Shape Read(string path, bool reranker, out RerankerConfig? rc)
    {
        CommonOptions.RequireFile(path, reranker ? "reranker" : "model");
        using var ckpt = Checkpoint.Open(path);
        ModelConfig config;
        rc = null;
        if (reranker) { rc = ConfigReader.ReadReranker(ckpt); config = rc.Blocks; }
        else config = ConfigReader.ReadEmbedding(ckpt);
        var dtypes = new SortedDictionary<string, long>(StringComparer.Ordinal);
        long parameters = 0;
        foreach (var t in ckpt.Tensors.Values)
        {
            dtypes[t.DType.ToString()] = dtypes.GetValueOrDefault(t.DType.ToString()) + t.ElementCount;
            parameters += t.ElementCount;
        }
        return new Shape(Path.GetFullPath(path), config, dtypes, parameters);
    }

    private static int Run(string modelPath, string? rerankerPath, string? device, bool json)
    {
        var m = Read(modelPath, reranker: false, out _);
        long stateFp32 = StateStore.BytesPerState(m.Config, StatePrecision.Float32), stateFp16 = StateStore.BytesPerState(m.Config, StatePrecision.Float16);
        (string Device, long Fp32, long Fp16)? capacity = null;
        if (device != null)
        {
            using var loaded = CommonOptions.LoadModel(modelPath, device);
            capacity = (loaded.DeviceName, loaded.ResidentCapacity(StatePrecision.Float32), loaded.ResidentCapacity(StatePrecision.Float16));
        }
        Shape? r = null;
        RerankerConfig? rc = null;
        if (rerankerPath != null)
        {
            r = Read(rerankerPath, reranker: true, out rc);
            ConfigReader.CheckPairing(m.Config, rc!);
        }
        if (json)
        {
            using var stdout = Console.OpenStandardOutput();
            using var w = new Utf8JsonWriter(stdout, new JsonWriterOptions { Indented = true });
            w.WriteStartObject();
            WriteShape(w, "model", m);
            if (r != null)
            {
                WriteShape(w, "reranker", r);
                w.WriteStartArray("reranker_layers");
                foreach (var l in rc!.LayerIndices) w.WriteNumberValue(l);
                w.WriteEndArray();
                w.WriteString("reranker_start_key", rc.KeyName);
            }
            w.WriteStartObject("document_state_bytes");
            w.WriteNumber("float32", stateFp32);
            w.WriteNumber("float16", stateFp16);
            w.WriteEndObject();
            if (capacity is { } cap)
            {
                w.WriteString("device", cap.Device);
                w.WriteStartObject("resident_capacity");
                w.WriteNumber("float32", cap.Fp32);
                w.WriteNumber("float16", cap.Fp16);
                w.WriteEndObject();
            }
            w.WriteEndObject();
            w.Flush();
            stdout.Write("\n"u8);
            return ExitCodes.Ok;
        }
        Print("model", m);
        if (r != null)
        {
            Print("reranker", r);
            Console.WriteLine($"  reads layers   [{string.Join(", ", rc!.LayerIndices)}]");
            Console.WriteLine($"  start vector   {rc.KeyName}");
        }
        Console.WriteLine($"document state   {stateFp32:N0} bytes float32, {stateFp16:N0} bytes float16");
        if (capacity is { } fit)
            Console.WriteLine($"resident fit     {fit.Fp32:N0} documents float32, {fit.Fp16:N0} float16, in the memory free now on {fit.Device}");
        return ExitCodes.Ok;
    }

    private static void Print(string what, Shape s)
    {
        var c = s.Config;
        Console.WriteLine($"{what}: {s.File}");
        Console.WriteLine($"  layers         {c.Layers}");
        Console.WriteLine($"  width (C)      {c.Channels}");
        Console.WriteLine($"  heads          {c.Heads} x {ModelConfig.HeadSize}");
        Console.WriteLine($"  LoRA w/a/v/g   {c.DecayLora}/{c.AlphaLora}/{c.ValueLora}/{c.GateLora}");
        Console.WriteLine($"  ffn width      {c.FfnWidth}");
        Console.WriteLine($"  dtypes         {string.Join(", ", s.Dtypes.Select(kv => $"{kv.Key} ({kv.Value:N0} values)"))}");
        Console.WriteLine($"  parameters     {s.Parameters:N0}");
    }

    private static void WriteShape(Utf8JsonWriter w, string name, Shape s)
    {
        var c = s.Config;
        w.WriteStartObject(name);
        w.WriteString("file", s.File);
        w.WriteNumber("layers", c.Layers);
        w.WriteNumber("n_embd", c.Channels);
        w.WriteNumber("n_head", c.Heads);
        w.WriteNumber("head_size", ModelConfig.HeadSize);
        w.WriteStartObject("lora");
        w.WriteNumber("decay", c.DecayLora);
        w.WriteNumber("alpha", c.AlphaLora);
        w.WriteNumber("value", c.ValueLora);
        w.WriteNumber("gate", c.GateLora);
        w.WriteEndObject();
        w.WriteNumber("ffn_width", c.FfnWidth);
        w.WriteStartObject("dtypes");
        foreach (var kv in s.Dtypes) w.WriteNumber(kv.Key, kv.Value);
        w.WriteEndObject();
        w.WriteNumber("parameters", s.Parameters);
        w.WriteEndObject();
    }
}
