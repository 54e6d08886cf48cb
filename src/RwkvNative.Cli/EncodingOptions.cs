using System.CommandLine;

namespace RwkvNative.Cli;

/// <summary>
/// The text-encoding options of <c>embed</c> and <c>eval</c>: <c>--encoding single-eos|multi-eos [--ctx-len N] [--eos-chunk-size N]
/// [--no-pad16] [--instruction TEXT | --task-type TYPE [--task-name NAME] [--input-type query|document]]</c>, defined once.
/// </summary>
internal sealed class EncodingOptions
{
    private readonly Option<string> _encoding = new("--encoding")
    {
        Description = "single-eos (default: one EOS appended) or multi-eos (upstream's evaluation encoding, behind the paper's MTEB scores)",
        DefaultValueFactory = _ => "single-eos",
    };
    private readonly Option<int?> _ctxLen = new("--ctx-len") { Description = "multi-eos: upstream's --ctx-len (default 2048)" };
    private readonly Option<int?> _chunk = new("--eos-chunk-size") { Description = "multi-eos: upstream's --eos-chunk-size (default 512); ctx-len / eos-chunk-size EOS per piece" };
    private readonly Option<bool> _noPad = new("--no-pad16") { Description = "multi-eos: no left pad with token 261 to a multiple of 16 (upstream pads; the paper's scores include it)" };
    private readonly Option<string?> _instruction = new("--instruction") { Description = "instruction for every text: \"Instruct: TEXT\\nQuery: {text}\"" };
    private readonly Option<string?> _taskType = new("--task-type") { Description = $"MTEB task type: upstream's instruction and head ({string.Join(", ", TaskInstructions.TaskTypes)})" };
    private readonly Option<string?> _taskName = new("--task-name") { Description = "with --task-type: the MTEB task name, for upstream's own description of it" };
    private readonly Option<string?> _inputType = new("--input-type") { Description = "with a retrieval-like --task-type: query (instructed) or document (not)" };

    /// <summary>Every option, to add to a command.</summary>
    public IEnumerable<Option> All => [_encoding, _ctxLen, _chunk, _noPad, _instruction, _taskType, _taskName, _inputType];

    /// <summary>
    /// What the options ask for. <paramref name="head"/>: the head <c>--task</c> named (null: not given), else --task-type's, else
    /// <paramref name="fallbackHead"/>. <paramref name="isQuery"/>: which side of a retrieval task the texts are, when the command
    /// knows (eval); null: from <c>--input-type</c>.
    /// </summary>
    public TextEncoder Read(ParseResult p, EmbeddingTask? head, EmbeddingTask fallbackHead = EmbeddingTask.Retrieval, bool? isQuery = null)
    {
        TextEncoding encoding;
        try { encoding = TextEncoding.Parse(p.GetValue(_encoding)!); }
        catch (ArgumentException e) { throw new InputException("--encoding: " + FirstLine(e.Message)); }
        int? ctx = p.GetValue(_ctxLen), chunk = p.GetValue(_chunk);
        bool noPad = p.GetValue(_noPad);
        if (encoding is MultiEos multi)
        {
            multi = multi with { ContextLength = ctx ?? multi.ContextLength, EosChunkSize = chunk ?? multi.EosChunkSize, Pad16 = !noPad };
            try { multi.Validate(); }
            catch (ArgumentOutOfRangeException e) { throw new InputException($"--ctx-len {multi.ContextLength} --eos-chunk-size {multi.EosChunkSize}: {FirstLine(e.Message)}"); }
            encoding = multi;
        }
        else if (ctx != null || chunk != null || noPad)
            throw new InputException("--ctx-len, --eos-chunk-size and --no-pad16 apply to --encoding multi-eos only");

        string? instruction = p.GetValue(_instruction), type = p.GetValue(_taskType), name = p.GetValue(_taskName), input = p.GetValue(_inputType);
        if (instruction != null && type != null) throw new InputException("give either --instruction or --task-type, not both");
        if (type == null && (name != null || input != null)) throw new InputException("--task-name and --input-type need --task-type");
        if (isQuery != null && input != null) throw new InputException("--input-type does not apply here: queries and documents are told apart by the files");
        if (type == null) return new TextEncoder(encoding, instruction, head ?? fallbackHead);

        bool queriesOnly;
        try { queriesOnly = TaskInstructions.InstructsQueriesOnly(type); }
        catch (ArgumentException e) { throw new InputException("--task-type: " + FirstLine(e.Message)); }
        bool query = isQuery ?? input switch
        {
            "query" => true,
            "document" => false,
            null when !queriesOnly => true,
            null => throw new InputException($"--task-type {type} instructs queries only: add --input-type query or --input-type document"),
            _ => throw new InputException($"--input-type must be query or document, not '{input}'"),
        };
        var prompt = TaskInstructions.For(type, name, query);
        return new TextEncoder(encoding, prompt.Instruction, head ?? prompt.Head);
    }

    // ArgumentException messages end with " (Parameter 'x')", which is not for users.
    private static string FirstLine(string message)
    {
        int i = message.IndexOf(" (Parameter '", StringComparison.Ordinal);
        return i < 0 ? message : message[..i];
    }
}
