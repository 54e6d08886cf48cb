using System.Globalization;
using System.Runtime.InteropServices;
using System.Text;
using RwkvNative.Checkpoints;
using RwkvNative.Model;

namespace RwkvNative;

/// <summary>
/// A document's cached state for offline reranking: the embedding model's full state (batch 1) after the document
/// template, tagged with the identity of the model that computed it.
/// </summary>
public sealed class DocumentState
{
    // v2 adds "crc32c": CRC-32C of the model identity (UTF-8), then state0's and state1's float32 bytes. v1 files (no
    // checksum) are still read.
    private const string Format = "rwkvnative.document-states.v2";
    private const string FormatV1 = "rwkvnative.document-states.v1";

    /// <summary>Wraps a batch-1 state computed by the model whose <see cref="EmbeddingModel.Identity"/> is <paramref name="modelIdentity"/>.</summary>
    public DocumentState(ModelState state, string modelIdentity)
    {
        ArgumentNullException.ThrowIfNull(state);
        ArgumentException.ThrowIfNullOrEmpty(modelIdentity);
        if (state.Batch != 1) throw new ArgumentException($"a document state has batch 1, got {state.Batch}", nameof(state));
        State = state;
        ModelIdentity = modelIdentity;
    }

    /// <summary>[L,2,1,C] + [L,1,H,64,64].</summary>
    public ModelState State { get; }

    /// <summary>Identity of the model that computed the state.</summary>
    public string ModelIdentity { get; }

    /// <summary>
    /// Writes states to a safetensors file (atomically): tensors <c>state0</c> [N,L,2,C] and <c>state1</c> [N,L,H,64,64],
    /// with a checksum in the metadata that <see cref="Load"/> verifies.
    /// </summary>
    public static void Save(string path, IReadOnlyList<DocumentState> states)
    {
        ArgumentNullException.ThrowIfNull(states);
        if (states.Count == 0) throw new ArgumentException("no states to save", nameof(states));
        var first = states[0];
        int l = first.State.Layers, c = first.State.Channels;
        foreach (var s in states)
            if (s.ModelIdentity != first.ModelIdentity || s.State.Layers != l || s.State.Channels != c)
                throw new ArgumentException("all states in one file must come from the same model", nameof(states));
        int n = states.Count, s0 = l * 2 * c, s1 = first.State.Wkv.Length;
        var shift = new float[(long)n * s0];
        var wkv = new float[(long)n * s1];
        for (int i = 0; i < n; i++)
        {
            states[i].State.Shift.CopyTo(shift, (long)i * s0);
            states[i].State.Wkv.CopyTo(wkv, (long)i * s1);
        }
        var meta = new Dictionary<string, string>
        {
            ["format"] = Format,
            ["model_identity"] = first.ModelIdentity,
            ["layers"] = l.ToString(CultureInfo.InvariantCulture),
            ["channels"] = c.ToString(CultureInfo.InvariantCulture),
            ["count"] = n.ToString(CultureInfo.InvariantCulture),
            ["crc32c"] = Checksum(first.ModelIdentity, shift, wkv).ToString("x8", CultureInfo.InvariantCulture),
        };
        SafeTensorsWriter.Write(path, [("state0", [n, l, 2, c], shift), ("state1", [n, l, c / 64, 64, 64], wkv)], meta);
    }

    /// <summary>
    /// Reads states saved by <see cref="Save"/>, refusing states of another model than <paramref name="model"/> and a file
    /// whose checksum does not match (files of the first format, without a checksum, are read unchecked).
    /// </summary>
    /// <exception cref="CheckpointFormatException">The file was damaged (its checksum does not match).</exception>
    public static DocumentState[] Load(string path, EmbeddingModel model)
    {
        ArgumentNullException.ThrowIfNull(model);
        using var ckpt = Checkpoint.Open(path);
        if (!ckpt.Metadata.TryGetValue("format", out var f) || (f != Format && f != FormatV1))
            throw new CheckpointException($"{path}: not a document-state file (metadata 'format' is not {Format})");
        var id = ckpt.Metadata.GetValueOrDefault("model_identity") ?? "";
        if (id != model.Identity)
            throw new CheckpointException($"{path}: these document states were computed by another model ({Short(id)}), not by this one ({Short(model.Identity)}); re-index the documents with this model");
        int l = model.Config.Layers, c = model.Config.Channels;
        var t0 = ckpt.Get("state0");
        if (t0.Shape.Count != 4) throw new CheckpointException($"{path}: 'state0' has shape [{string.Join(", ", t0.Shape)}], expected [N, {l}, 2, {c}]");
        int n = t0.Shape[0];
        ckpt.Get("state0", n, l, 2, c);
        ckpt.Get("state1", n, l, c / 64, 64, 64);
        var shift = ckpt.Get("state0").ToFloat32();
        var wkv = ckpt.Get("state1").ToFloat32();
        if (f == Format)
        {
            var stored = ckpt.Metadata.GetValueOrDefault("crc32c");
            if (stored == null || !uint.TryParse(stored, NumberStyles.HexNumber, CultureInfo.InvariantCulture, out uint crc) || crc != Checksum(id, shift, wkv))
                throw new CheckpointFormatException($"{path}: the document states fail their checksum (the file was damaged); save them again (Reranker.IndexDocuments, then DocumentState.Save)");
        }
        var result = new DocumentState[n];
        for (int i = 0; i < n; i++)
        {
            var s = new ModelState(l, 1, c);
            shift.AsSpan(i * s.Shift.Length, s.Shift.Length).CopyTo(s.Shift);
            wkv.AsSpan(i * s.Wkv.Length, s.Wkv.Length).CopyTo(s.Wkv);
            result[i] = new DocumentState(s, id);
        }
        return result;
    }

    private static uint Checksum(string modelIdentity, float[] shift, float[] wkv) =>
        Crc32C.Append(Crc32C.Append(Crc32C.Append(0, Encoding.UTF8.GetBytes(modelIdentity)), MemoryMarshal.AsBytes(shift.AsSpan())),
            MemoryMarshal.AsBytes(wkv.AsSpan()));

    private static string Short(string id) => id.Length > 12 ? id[..12] + "…" : id;
}
