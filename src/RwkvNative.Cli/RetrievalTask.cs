using System.Globalization;

namespace RwkvNative.Cli;

/// <summary>
/// A retrieval task in the BEIR/MTEB layout: <c>corpus.jsonl</c> (<c>{"_id", "title"?, "text"}</c>), <c>queries.jsonl</c>
/// (<c>{"_id", "text"}</c>) and <c>qrels/SPLIT.tsv</c> (<c>query-id, corpus-id, score</c>, a header line first). Only queries with
/// judgements are scored. A document's text is <c>(title + " " + text).strip()</c>, as upstream's <c>encode_corpus</c> makes it.
/// </summary>
internal sealed class RetrievalTask
{
    /// <summary>[D] document texts, in corpus order.</summary>
    public required string[] DocumentTexts { get; init; }

    /// <summary>[Q] texts of the judged queries, in queries.jsonl order.</summary>
    public required string[] QueryTexts { get; init; }

    /// <summary>Per judged query: graded relevance by document index (documents of the corpus only).</summary>
    public required Dictionary<int, int>[] Relevance { get; init; }

    /// <summary>Per judged query: every judged relevance, also of documents missing from the corpus (the ideal DCG uses them).</summary>
    public required List<int>[] Judged { get; init; }

    public static RetrievalTask Read(string folder, string split)
    {
        string corpusPath = Path.Combine(folder, "corpus.jsonl"), queriesPath = Path.Combine(folder, "queries.jsonl");
        string qrelsPath = Path.Combine(folder, "qrels", split + ".tsv");
        foreach (var p in new[] { corpusPath, queriesPath, qrelsPath })
            if (!File.Exists(p)) throw new InputException($"{p} is missing: a retrieval folder holds corpus.jsonl, queries.jsonl and qrels/{split}.tsv (BEIR/MTEB layout)");

        var docIndex = new Dictionary<string, int>(StringComparer.Ordinal);
        var docs = new List<string>();
        JsonFiles.ForEach(corpusPath, (io, o) =>
        {
            string id = Id(io, o);
            string text = ((io.String(o, "title") ?? "") + " " + (io.String(o, "text") ?? throw new InputException($"line {io.LineNumber}: missing string field \"text\""))).Trim();
            if (!docIndex.TryAdd(id, docs.Count)) throw new InputException($"line {io.LineNumber}: document id \"{id}\" appears twice");
            docs.Add(text);
        });
        if (docs.Count == 0) throw new InputException($"{corpusPath}: the corpus is empty");

        var judged = new Dictionary<string, (Dictionary<int, int> Rel, List<int> All)>(StringComparer.Ordinal);
        int lineNo = 0;
        foreach (var line in File.ReadLines(qrelsPath))
        {
            lineNo++;
            if (string.IsNullOrWhiteSpace(line)) continue;
            var f = line.Split('\t');
            if (lineNo == 1 && f.Length >= 3 && !int.TryParse(f[2], NumberStyles.Integer, CultureInfo.InvariantCulture, out _)) continue; // header
            if (f.Length < 3 || !int.TryParse(f[2].Trim(), NumberStyles.Integer, CultureInfo.InvariantCulture, out var score))
                throw new InputException($"{qrelsPath}: line {lineNo}: expected query-id<TAB>corpus-id<TAB>integer score");
            if (!judged.TryGetValue(f[0], out var q)) judged[f[0]] = q = (new Dictionary<int, int>(), new List<int>());
            q.All.Add(score);
            if (docIndex.TryGetValue(f[1], out var d)) q.Rel[d] = score;
        }
        if (judged.Count == 0) throw new InputException($"{qrelsPath}: no judgements");

        var queryTexts = new List<string>();
        var rel = new List<Dictionary<int, int>>();
        var all = new List<List<int>>();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        JsonFiles.ForEach(queriesPath, (io, o) =>
        {
            string id = Id(io, o);
            if (!judged.TryGetValue(id, out var q) || !seen.Add(id)) return;
            queryTexts.Add(io.String(o, "text") ?? throw new InputException($"line {io.LineNumber}: missing string field \"text\""));
            rel.Add(q.Rel);
            all.Add(q.All);
        });
        var missing = judged.Keys.FirstOrDefault(k => !seen.Contains(k));
        if (missing != null) throw new InputException($"{qrelsPath}: query \"{missing}\" is judged but not in {queriesPath}");
        return new RetrievalTask { DocumentTexts = docs.ToArray(), QueryTexts = queryTexts.ToArray(), Relevance = rel.ToArray(), Judged = all.ToArray() };
    }

    private static string Id(JsonLines io, System.Text.Json.JsonElement o)
    {
        if (!o.TryGetProperty("_id", out var v)) throw new InputException($"line {io.LineNumber}: missing field \"_id\"");
        return v.ValueKind switch
        {
            System.Text.Json.JsonValueKind.String => v.GetString()!,
            System.Text.Json.JsonValueKind.Number => v.GetRawText(),
            _ => throw new InputException($"line {io.LineNumber}: field \"_id\" must be a string or a number"),
        };
    }
}
