using System.Text.Json;

namespace RwkvNative.Cli;

/// <summary>Reads a JSON Lines file object by object; errors name the file and the line.</summary>
internal static class JsonFiles
{
    public static void ForEach(string path, Action<JsonLines, JsonElement> read)
    {
        if (!File.Exists(path)) throw new InputException($"file not found: {path}");
        using var input = File.OpenRead(path);
        using var io = new JsonLines(input, Stream.Null);
        try
        {
            while (io.Next() is { } doc)
                using (doc) read(io, doc.RootElement);
        }
        catch (InputException e) when (!e.Message.StartsWith(path, StringComparison.Ordinal))
        {
            throw new InputException($"{path}: {e.Message}");
        }
    }
}
