using RwkvNative.Checkpoints;
using RwkvNative.Cli;
using RwkvNative.Cli.Commands;
using RwkvNative.Model;
using RwkvNative.Store;
using RwkvNative.Tokenizer;

namespace RwkvNative.Fuzz;

/// <summary>
/// The fuzz targets: every parser that reads bytes a user or another program hands to RwkvNative. Targets that need a
/// model use the small mini-fp16 fixture, loaded once per process.
/// </summary>
public static class FuzzTargets
{
    private static readonly Lazy<EmbeddingModel> Mini = new(() =>
        EmbeddingModel.Load(Path.Combine(FixturesDirectory, "mini-fp16.emb.pth"), new ModelOptions { Device = "cpu" }));

    private static readonly Lazy<string> Scratch = new(() =>
    {
        var dir = Path.Combine(Path.GetTempPath(), $"rwkv-fuzz-{Environment.ProcessId}");
        Directory.CreateDirectory(dir);
        return dir;
    });

    /// <summary>The library's bundled data beside the fuzz binary (the mini model).</summary>
    public static string FixturesDirectory => RwkvNative.Verification.BundledData.Exists ? RwkvNative.Verification.BundledData.Directory
        : throw new DirectoryNotFoundException($"{RwkvNative.Verification.BundledData.Directory} is missing: the build copies src/RwkvNative/Data there");

    public static readonly IReadOnlyList<FuzzTarget> All =
    [
        new("pth", "PyTorch zip checkpoint (.pth): zip directory, restricted pickle, tensor layout, model shape", Checkpoint_, IsCheckpointRefusal),
        new("safetensors", "safetensors checkpoint: header JSON, offsets, dtypes, model shape", Checkpoint_, IsCheckpointRefusal),
        new("jsonl", "the CLI's JSON Lines input (embed/index lines: text, tokens, id)", JsonLines_, e => e is InputException),
        new("tokenizer", "the RWKV world tokenizer on arbitrary bytes (must round-trip them exactly)", Tokenizer_, _ => false),
        new("docstate", "DocumentState.Save files (safetensors with state metadata)", DocumentState_, IsCheckpointRefusal),
        new("store", "the document-state store's log (states.log) under a valid manifest", Store_, IsStoreRefusal),
    ];

    public static FuzzTarget Get(string name) => All.FirstOrDefault(t => t.Name == name)
        ?? throw new ArgumentException($"unknown fuzz target '{name}': use one of {string.Join(", ", All.Select(t => t.Name))}");

    private static bool IsCheckpointRefusal(Exception e) => e is CheckpointException;

    private static bool IsStoreRefusal(Exception e) => e is CheckpointException or InvalidDataException;

    private static string WriteScratch(string name, ReadOnlySpan<byte> input)
    {
        var path = Path.Combine(Scratch.Value, name);
        File.WriteAllBytes(path, input.ToArray());
        return path;
    }

    /// <summary>Opens the bytes as a checkpoint, reads every tensor and the model / reranker shape from it.</summary>
    private static void Checkpoint_(ReadOnlySpan<byte> input)
    {
        using var ckpt = Checkpoint.Open(WriteScratch("input.ckpt", input));
        foreach (var t in ckpt.Tensors.Values)
            if (t.ElementCount <= 1 << 20) t.ToFloat32();
        try { ConfigReader.ReadEmbedding(ckpt); } catch (CheckpointException) { }
        ConfigReader.ReadReranker(ckpt);
    }

    /// <summary>Reads the bytes as JSON Lines the way embed and index do.</summary>
    private static void JsonLines_(ReadOnlySpan<byte> input)
    {
        using var io = new JsonLines(new MemoryStream(input.ToArray()), Stream.Null);
        while (io.Next() is { } doc)
            using (doc)
            {
                EmbedCommand.ReadSequence(io, doc.RootElement, Mini.Value, new TextEncoder(TextEncoding.Single, null, EmbeddingTask.Retrieval));
                IndexCommand.ReadId(io, doc.RootElement);
            }
    }

    /// <summary>Tokenizes arbitrary bytes; decoding the ids must give the same bytes back, and the string path must agree.</summary>
    private static void Tokenizer_(ReadOnlySpan<byte> input)
    {
        var tok = RwkvTokenizer.Default;
        var ids = tok.Encode(input);
        if (!tok.DecodeBytes(ids).AsSpan().SequenceEqual(input))
            throw new InvalidOperationException($"tokenizer round trip changed {input.Length} bytes");
        if (System.Text.Unicode.Utf8.IsValid(input))
        {
            var text = System.Text.Encoding.UTF8.GetString(input);
            if (!tok.Encode(text).AsSpan().SequenceEqual(ids))
                throw new InvalidOperationException("Encode(string) and Encode(UTF-8 bytes) disagree");
        }
    }

    /// <summary>Loads the bytes as saved document states for the mini model.</summary>
    private static void DocumentState_(ReadOnlySpan<byte> input)
    {
        DocumentState.Load(WriteScratch("input.states", input), Mini.Value);
    }

    /// <summary>Opens a store whose log holds the bytes (under a manifest made for the mini model) and reads every record.</summary>
    private static void Store_(ReadOnlySpan<byte> input)
    {
        var dir = Path.Combine(Scratch.Value, "store");
        if (!File.Exists(Path.Combine(dir, DocumentStateStore.ManifestFileName)))
            DocumentStateStore.OpenForWriting(dir, Mini.Value).Dispose();
        File.WriteAllBytes(Path.Combine(dir, DocumentStateStore.LogFileName), input.ToArray());
        using var store = DocumentStateStore.Open(dir, Mini.Value);
        for (int i = 0; i < store.Count; i++)
        {
            store.GetId(i);
            store.Get(i);
        }
    }
}
