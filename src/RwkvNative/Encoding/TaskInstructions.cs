using System.Text.Json;

namespace RwkvNative;

/// <summary>
/// Upstream's instructions and heads per MTEB task type (and per task where upstream lists one), read from the embedded data file
/// <c>task-instructions.json</c> (from <c>embedding/eval/src/task_instruct.py</c> and <c>task_tag.py</c>). Which texts get the
/// instruction follows upstream's <c>encode</c>: queries of types whose head is <c>[RETR]</c>, every text of the other types.
/// </summary>
public static class TaskInstructions
{
    private sealed record TypeEntry(EmbeddingTask Head, bool QueriesOnly, string Fallback, IReadOnlyDictionary<string, string> Tasks);

    private static readonly Lazy<(string Template, Dictionary<string, TypeEntry> Types)> Data = new(Load);

    /// <summary>The template, upstream's <c>"Instruct: {description}\nQuery: {query}"</c>.</summary>
    public static string Template => Data.Value.Template;

    /// <summary>The task types upstream's eval code knows, e.g. <c>Retrieval</c>, <c>STS</c>, <c>Classification</c>.</summary>
    public static IReadOnlyList<string> TaskTypes => Data.Value.Types.Keys.ToArray();

    /// <summary>
    /// The head and instruction upstream uses for a text of an MTEB task. Retrieval-like types instruct queries only.
    /// </summary>
    /// <param name="taskType">MTEB task type (case-insensitive), e.g. <c>Retrieval</c>.</param>
    /// <param name="taskName">MTEB task name for its own description (a version suffix <c>.v2</c> is dropped, as upstream does); null: the type's fallback.</param>
    /// <param name="isQuery">Whether the texts are queries (only matters for retrieval-like types).</param>
    public static TaskPrompt For(string taskType, string? taskName = null, bool isQuery = true)
    {
        var entry = Find(taskType);
        string? description = entry.Fallback;
        if (!string.IsNullOrEmpty(taskName))
        {
            string stem = taskName.Contains('.') ? taskName[..taskName.LastIndexOf('.')] : taskName;
            if (entry.Tasks.TryGetValue(stem, out var own)) description = own;
        }
        return new TaskPrompt(entry.Head, entry.QueriesOnly && !isQuery ? null : description);
    }

    /// <summary>
    /// The prompt a request asks for with the names embedding APIs use: <paramref name="promptName"/> an MTEB task type, optionally
    /// with its task name (<c>Retrieval</c>, <c>STS</c>, <c>Classification:Banking77Classification</c>), and
    /// <paramref name="inputType"/> <c>query</c>/<c>search_query</c> or <c>document</c>/<c>search_document</c>/<c>passage</c>.
    /// An input type alone means a retrieval query (instructed) or document (not). Null when neither is given.
    /// </summary>
    /// <exception cref="ArgumentException">An unknown name, or a retrieval-like prompt without an input type (which side is it?).</exception>
    public static TaskPrompt? ForRequest(string? promptName, string? inputType)
    {
        bool? isQuery = inputType?.Trim().ToLowerInvariant() switch
        {
            null => null,
            "query" or "search_query" => true,
            "document" or "search_document" or "passage" => false,
            _ => throw new ArgumentException($"unknown input type '{inputType}': use query or document", nameof(inputType)),
        };
        if (promptName == null) return isQuery is { } q ? For("Retrieval", null, q) : null;
        int colon = promptName.IndexOf(':');
        string type = colon < 0 ? promptName : promptName[..colon], name = colon < 0 ? "" : promptName[(colon + 1)..];
        if (isQuery == null && InstructsQueriesOnly(type))
            throw new ArgumentException($"prompt '{promptName}' instructs queries only: say whether the inputs are queries or documents (input type)", nameof(inputType));
        return For(type, name, isQuery ?? true);
    }

    /// <summary>Whether <paramref name="taskType"/> instructs queries only (Retrieval, Reranking, InstructionRetrieval).</summary>
    public static bool InstructsQueriesOnly(string taskType) => Find(taskType).QueriesOnly;

    /// <summary>
    /// The text the model reads: <c>"Instruct: {instruction}\nQuery: {text}"</c>, filled once, positionally (braces in either are
    /// kept). A null or empty instruction, or a text that already holds <c>Instruct:</c> (upstream avoids instructing twice),
    /// gives the text unchanged.
    /// </summary>
    public static string Apply(string? instruction, string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        if (string.IsNullOrEmpty(instruction) || text.Contains("Instruct:", StringComparison.Ordinal)) return text;
        const string slot = "{description}", query = "{query}";
        var t = Template;
        int d = t.IndexOf(slot, StringComparison.Ordinal), q = t.IndexOf(query, StringComparison.Ordinal);
        return new System.Text.StringBuilder(t.Length + instruction.Length + text.Length)
            .Append(t, 0, d).Append(instruction).Append(t, d + slot.Length, q - d - slot.Length).Append(text).Append(t, q + query.Length, t.Length - q - query.Length)
            .ToString();
    }

    private static TypeEntry Find(string taskType)
    {
        foreach (var (name, entry) in Data.Value.Types)
            if (string.Equals(name, taskType?.Trim(), StringComparison.OrdinalIgnoreCase)) return entry;
        throw new ArgumentException($"unknown task type '{taskType}': use one of {string.Join(", ", TaskTypes)}", nameof(taskType));
    }

    private static (string, Dictionary<string, TypeEntry>) Load()
    {
        const string resource = "RwkvNative.task-instructions.json";
        using var stream = typeof(TaskInstructions).Assembly.GetManifestResourceStream(resource)
            ?? throw new InvalidOperationException($"the embedded resource {resource} is missing from the RwkvNative assembly; rebuild it");
        using var doc = JsonDocument.Parse(stream);
        var root = doc.RootElement;
        var template = root.GetProperty("template").GetString()!;
        int d = template.IndexOf("{description}", StringComparison.Ordinal), q = template.IndexOf("{query}", StringComparison.Ordinal);
        if (d < 0 || q < d)
            throw new InvalidOperationException($"{resource}: the template must hold {{description}} before {{query}}");
        var types = new Dictionary<string, TypeEntry>(StringComparer.Ordinal);
        foreach (var t in root.GetProperty("types").EnumerateObject())
        {
            var tasks = new Dictionary<string, string>(StringComparer.Ordinal);
            foreach (var task in t.Value.GetProperty("tasks").EnumerateObject()) tasks[task.Name] = task.Value.GetString()!;
            var instruct = t.Value.GetProperty("instruct").GetString();
            types[t.Name] = new TypeEntry(EmbeddingTasks.Parse(t.Value.GetProperty("head").GetString()!),
                instruct switch
                {
                    "queries" => true,
                    "all" => false,
                    _ => throw new InvalidOperationException($"{resource}: type {t.Name}: \"instruct\" must be \"queries\" or \"all\", not '{instruct}'"),
                },
                t.Value.GetProperty("fallback").GetString()!, tasks);
        }
        return (template, types);
    }
}
