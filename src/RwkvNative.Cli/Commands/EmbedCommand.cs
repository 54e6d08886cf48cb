using System.CommandLine;
using System.Text.Json;
using RwkvNative.Backends;
using RwkvNative.Model;

namespace RwkvNative.Cli.Commands;

/// <summary>
/// <c>rwkv-emb embed</c>: streams JSON Lines {"text"} or {"tokens"} → {"embedding"}, batch by batch, in input order.
/// Every line is its own sequence from the zero state, so results do not depend on batching.
/// </summary>
internal static class EmbedCommand
{
    public static Command Create()
    {
        var model = CommonOptions.Model();
        var task = new Option<string?>("--task", "-t") { Description = "retr|cls|sts (default retr, or the head of --task-type)" };
        var device = CommonOptions.Device();
        var batch = CommonOptions.BatchSize(32);
        var encoding = new EncodingOptions();
        var cmd = new Command("embed", "embed JSON Lines {\"text\"} or {\"tokens\"} from stdin into {\"embedding\": [...]}") { model, task, device, batch };
        foreach (var o in encoding.All) cmd.Add(o);
        cmd.SetAction((p, ct) => Task.FromResult(Run(p.GetValue(model)!, p.GetValue(task), p.GetValue(device)!, p.GetValue(batch), encoding, p, ct)));
        return cmd;
    }

    private static int Run(string modelPath, string? taskName, string device, int batchSize, EncodingOptions encodingOptions, ParseResult parse,
        CancellationToken ct)
    {
        if (batchSize <= 0) throw new InputException($"--batch-size must be positive, got {batchSize}");
        var encoder = encodingOptions.Read(parse, ParseTask(taskName));
        var task = encoder.Head;
        using var model = CommonOptions.LoadModel(modelPath, device);
        using var io = JsonLines.Console();
        var progress = new Progress("embed");
        var pending = new List<int[]>(batchSize);
        int done = 0, tokens = 0;

        void Flush()
        {
            if (pending.Count == 0) return;
            var embs = model.EmbedTokens(pending, task, ct);
            foreach (var e in embs) io.WriteObject(w => JsonLines.WriteFloats(w, "embedding", e));
            io.Flush();
            done += pending.Count;
            foreach (var p in pending) tokens += p.Length;
            pending.Clear();
            progress.Report(done, tokens);
        }

        try
        {
            while (io.Next() is { } doc)
            {
                using (doc) pending.Add(ReadSequence(io, doc.RootElement, model, encoder));
                if (pending.Count >= batchSize) Flush();
            }
        }
        finally
        {
            // Lines read before a bad one are still answered, in order; the bad line gets no output.
            Flush();
        }
        progress.Done(done, tokens);
        return ExitCodes.Ok;
    }

    /// <summary>The head <c>--task</c> names, or null when it was not given.</summary>
    internal static EmbeddingTask? ParseTask(string? name)
    {
        if (name == null) return null;
        try { return EmbeddingTasks.Parse(name); }
        catch (ArgumentException e) { throw new InputException("--task: " + e.Message); }
    }

    /// <summary>
    /// {"text"}: instruction applied, tokenized and encoded (default: EOS appended); {"tokens"}: used exactly, must be ids in
    /// 0..65535 holding at least one EOS.
    /// </summary>
    internal static int[] ReadSequence(JsonLines io, JsonElement obj, EmbeddingModel model, TextEncoder encoder)
    {
        int line = io.LineNumber;
        if (obj.TryGetProperty("tokens", out var t))
        {
            if (t.ValueKind != JsonValueKind.Array) throw new InputException($"line {line}: field \"tokens\" must be an array of token ids");
            var ids = new int[t.GetArrayLength()];
            int i = 0;
            foreach (var e in t.EnumerateArray())
            {
                if (e.ValueKind != JsonValueKind.Number || !e.TryGetInt32(out var id) || (uint)id >= ModelConfig.VocabSize)
                    throw new InputException($"line {line}: tokens[{i}] = {JsonLines.Snippet(e)} is not a token id in 0..65535");
                ids[i++] = id;
            }
            if (Array.IndexOf(ids, ModelConfig.EosToken) < 0)
                throw new InputException($"line {line}: the tokens hold no EOS (65535), so there is no embedding; append 65535");
            return ids;
        }
        var text = io.String(obj, "text") ?? throw new InputException($"line {line}: expected a field \"text\" or \"tokens\"");
        try { return encoder.Tokens(model, text); }
        catch (ArgumentException e) { throw new InputException($"line {line}: {e.Message}"); }
    }
}
