using System.CommandLine;
using RwkvNative.Tokenizer;

namespace RwkvNative.Cli.Commands;

/// <summary><c>rwkv-emb tokenize [--eos]</c>: {"text"} → {"ids"}.</summary>
internal static class TokenizeCommand
{
    public static Command Create()
    {
        var eos = new Option<bool>("--eos") { Description = "append the EOS token 65535" };
        var cmd = new Command("tokenize", "tokenize JSON Lines {\"text\": ...} from stdin into {\"ids\": [...]}") { eos };
        cmd.SetAction(p => Run(p.GetValue(eos)));
        return cmd;
    }

    private static int Run(bool addEos)
    {
        var tok = RwkvTokenizer.Default;
        using var io = JsonLines.Console();
        while (io.Next() is { } doc)
        {
            using (doc)
            {
                var text = io.String(doc.RootElement, "text") ?? throw new InputException($"line {io.LineNumber}: missing field \"text\"");
                int[] ids;
                try { ids = tok.Encode(text, addEos); }
                catch (ArgumentException e) { throw new InputException($"line {io.LineNumber}: {e.Message}"); }
                io.WriteObject(w =>
                {
                    w.WriteStartArray("ids");
                    foreach (var id in ids) w.WriteNumberValue(id);
                    w.WriteEndArray();
                });
            }
        }
        return ExitCodes.Ok;
    }
}
