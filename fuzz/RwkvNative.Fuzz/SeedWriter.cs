using RwkvNative.Checkpoints;
using RwkvNative.Model;
using RwkvNative.Store;

namespace RwkvNative.Fuzz;

/// <summary>
/// <c>rwkv-fuzz seeds DIR</c>: writes the library-made seeds of the committed corpus (safetensors, saved states, a store
/// log) into DIR/&lt;target&gt;/, so they can be remade when a format changes. The .pth, JSON Lines and tokenizer seeds are
/// small hand-made files committed as they are.
/// </summary>
internal static class SeedWriter
{
    public static int Write(string root)
    {
        var model = EmbeddingModel.Load(Path.Combine(FuzzTargets.FixturesDirectory, "mini-fp16.emb.pth"), new ModelOptions { Device = "cpu" });
        using var _ = model;
        using var rr = Reranker.Load(Path.Combine(FuzzTargets.FixturesDirectory, "mini-fp16.reranker.pth"), model);

        var st = Directory.CreateDirectory(Path.Combine(root, "safetensors")).FullName;
        SafeTensorsWriter.Write(Path.Combine(st, "two-tensors.safetensors"),
            [("reranker.emb.weight", new[] { 1, 4 }, new[] { 1f, 2f, 3f, 4f }), ("reranker.blocks.0.ln1.weight", new[] { 4 }, new[] { 0.5f, -1f, 0f, 8f })],
            new Dictionary<string, string> { ["format"] = "pt" });
        SafeTensorsWriter.Write(Path.Combine(st, "half.safetensors"), [("rwkv.emb.weight", new[] { 2, 2 }, new Half[] { (Half)1, (Half)(-2), (Half)0.5, Half.MaxValue })]);

        var states = rr.IndexDocuments(["a"]);
        var ds = Directory.CreateDirectory(Path.Combine(root, "docstate")).FullName;
        DocumentState.Save(Path.Combine(ds, "one.states"), states);

        var storeDir = Path.Combine(Path.GetTempPath(), $"rwkv-fuzz-seed-{Environment.ProcessId}");
        using (var store = DocumentStateStore.OpenForWriting(storeDir, model, new DocumentStateStoreOptions { Precision = StatePrecision.Float16 }))
            store.Append("d1", ContentHash.Of("a"), states[0]);
        var sd = Directory.CreateDirectory(Path.Combine(root, "store")).FullName;
        File.Copy(Path.Combine(storeDir, DocumentStateStore.LogFileName), Path.Combine(sd, "one-record.log"), overwrite: true);
        Directory.Delete(storeDir, recursive: true);
        foreach (var f in Directory.EnumerateFiles(root, "*", SearchOption.AllDirectories))
            Console.Error.WriteLine($"{f}: {new FileInfo(f).Length} bytes");
        return 0;
    }
}
