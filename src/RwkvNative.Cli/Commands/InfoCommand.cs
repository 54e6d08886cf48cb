using System.CommandLine;
using System.Text.Json;
using RwkvNative.Checkpoints;
using RwkvNative.Model;

namespace RwkvNative.Cli.Commands;

/// <summary><c>rwkv-emb info --model EMB [--reranker RR] [--json]</c>: the shape read from the checkpoints.</summary>
internal static class InfoCommand
{
    public static Command Create()
    {
        var model = CommonOptions.Model();
        var reranker = CommonOptions.Reranker(required: false);
        var json = new Option<bool>("--json") { Description = "one JSON document on stdout" };
        var cmd = new Command("info", "print a model's shape (layers, width, heads, LoRA widths, dtypes, parameters, reranker layers)") { model, reranker, json };
        cmd.SetAction(p => Run(p.GetValue(model)!, p.GetValue(reranker), p.GetValue(json)));
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

    private static int Run(string modelPath, string? rerankerPath, bool json)
    {
        var m = Read(modelPath, reranker: false, out _);
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
