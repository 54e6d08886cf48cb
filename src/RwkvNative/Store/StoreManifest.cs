using System.Globalization;
using System.Text.Json;
using RwkvNative.Checkpoints;
using RwkvNative.Model;

namespace RwkvNative.Store;

/// <summary>
/// What a store holds: the model's identity, L, C, the state precision, and the id of its log. Kept twice: in
/// <c>store.json</c> (for people and tools) and as the first record of <c>states.log</c>, so that a log describes itself
/// and a lost <c>store.json</c> is rebuilt from it instead of guessed.
/// </summary>
internal sealed record StoreManifest(string ModelIdentity, int Layers, int Channels, StatePrecision Precision, string LogId)
{
    /// <summary>Value of <c>format</c>.</summary>
    public const string FormatName = "rwkvnative.document-state-store.v2";

    private const string FormatV1 = "rwkvnative.document-state-store.v1";

    public static string PrecisionName(StatePrecision p) => p == StatePrecision.Float32 ? "f32" : "f16";

    public int ElementBytes => Precision == StatePrecision.Float32 ? 4 : 2;

    /// <summary>Bytes of one state: Shift [L,2,C] and Wkv [L,H,64,64].</summary>
    public long StateBytes => ((long)Layers * 2 * Channels + (long)Layers * Channels * Model.ModelConfig.HeadSize) * ElementBytes;

    /// <summary>True when both describe states of the same model, shape and precision (the log id and creation time aside).</summary>
    public bool SameStates(StoreManifest other) =>
        ModelIdentity == other.ModelIdentity && Layers == other.Layers && Channels == other.Channels && Precision == other.Precision;

    public static StoreManifest ReadFile(string path) => Parse(File.ReadAllBytes(path), path);

    /// <summary>Parses the JSON of <c>store.json</c> or of a manifest record; <paramref name="where"/> names it in errors.</summary>
    public static StoreManifest Parse(ReadOnlySpan<byte> json, string where)
    {
        try
        {
            using var doc = JsonDocument.Parse(json.ToArray());
            var root = doc.RootElement;
            var format = root.GetProperty("format").GetString();
            if (format == FormatV1)
                throw new CheckpointException(
                    $"{where}: this store was made by an earlier version of RwkvNative (format v1, records without content hashes or embeddings); index the documents again into a new folder");
            if (format != FormatName)
                throw new CheckpointException($"{where}: format is '{format}', expected '{FormatName}' (a newer RwkvNative may read it)");
            var precision = root.GetProperty("precision").GetString() switch
            {
                "f32" => StatePrecision.Float32,
                "f16" => StatePrecision.Float16,
                var other => throw new CheckpointException($"{where}: unknown precision '{other}' (f32 or f16)"),
            };
            int layers = root.GetProperty("layers").GetInt32(), channels = root.GetProperty("channels").GetInt32();
            if (layers <= 0 || layers > 1024 || channels <= 0 || channels % Model.ModelConfig.HeadSize != 0 || channels > 1 << 16)
                throw new CheckpointException($"{where}: layers {layers} and channels {channels} are not a model's shape");
            return new StoreManifest(root.GetProperty("model_identity").GetString() ?? "", layers, channels, precision,
                root.GetProperty("log_id").GetString() ?? "");
        }
        catch (Exception e) when (e is JsonException or KeyNotFoundException or InvalidOperationException or FormatException)
        {
            throw new CheckpointException($"{where}: not a valid store manifest: {e.Message}", e);
        }
    }

    public void CheckModel(string dir, EmbeddingModel model)
    {
        if (ModelIdentity != model.Identity || Layers != model.Config.Layers || Channels != model.Config.Channels)
            throw new CheckpointException(
                $"{dir}: this store holds states computed by another model ({Short(ModelIdentity)}, L={Layers}, C={Channels}), not by this one ({Short(model.Identity)}, L={model.Config.Layers}, C={model.Config.Channels}); index the documents again with this model into a new store");
    }

    public byte[] ToJson()
    {
        using var buffer = new MemoryStream();
        using (var w = new Utf8JsonWriter(buffer, new JsonWriterOptions { Indented = true }))
        {
            w.WriteStartObject();
            w.WriteString("format", FormatName);
            w.WriteString("model_identity", ModelIdentity);
            w.WriteNumber("layers", Layers);
            w.WriteNumber("channels", Channels);
            w.WriteString("precision", PrecisionName(Precision));
            w.WriteString("log_id", LogId);
            w.WriteString("created", DateTime.UtcNow.ToString("O", CultureInfo.InvariantCulture));
            w.WriteEndObject();
        }
        return buffer.ToArray();
    }

    /// <summary>Writes <c>store.json</c> atomically (a temporary file renamed over it).</summary>
    public void WriteFile(string path)
    {
        var temp = path + "." + Guid.NewGuid().ToString("N") + ".tmp";
        try
        {
            using (var f = new FileStream(temp, FileMode.CreateNew, FileAccess.Write))
            {
                f.Write(ToJson());
                f.Flush(flushToDisk: true);
            }
            File.Move(temp, path, overwrite: true);
        }
        finally
        {
            if (File.Exists(temp)) File.Delete(temp);
        }
    }

    /// <summary>A complete manifest record for the start of a log.</summary>
    public byte[] ToRecord()
    {
        var json = ToJson();
        var record = new byte[StateLog.HeaderSize + StateLog.Pad8(json.Length)];
        json.CopyTo(record.AsSpan(StateLog.HeaderSize));
        StateLog.Seal(record, StateLogRecordKind.Manifest, json.Length, 0, 0);
        return record;
    }

    public string Describe() => $"{Short(ModelIdentity)}, L={Layers}, C={Channels}, {PrecisionName(Precision)}";

    internal static string Short(string id) => id.Length > 12 ? id[..12] + "…" : id;

}
