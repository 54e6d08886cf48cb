using System.Text;
using RwkvNative.Tests.Checkpoints;

namespace RwkvNative.Tests.Cli;

/// <summary>
/// Hostile JSON Lines on every command that reads them (tokenize, embed, rerank, index): each bad line exits 2 with one
/// <c>error: line N: ...</c> line that names the problem in words, after the lines before it were answered.
/// </summary>
public sealed class CliInputTests
{
    private static string Model => Fixtures.PathOf("tiny-bf16.emb.pth");
    private static string Rr => Fixtures.PathOf("tiny-bf16.reranker.pth");

    public static readonly TheoryData<string> Commands = new() { "tokenize", "embed", "rerank", "index" };

    /// <summary>Runs <paramref name="command"/> on <paramref name="stdin"/>; index writes into a store that is removed afterwards.</summary>
    private static CliRunner.Result Run(string command, byte[] stdin)
    {
        using var dir = new TempDir();
        string[] args = command switch
        {
            "tokenize" => ["tokenize"],
            "embed" => ["embed", "--model", Model, "--device", "cpu"],
            "rerank" => ["rerank", "--model", Model, "--reranker", Rr, "--query", "q", "--device", "cpu"],
            "index" => ["index", "--model", Model, "--reranker", Rr, "--out", dir.File("store"), "--device", "cpu"],
            _ => throw new ArgumentOutOfRangeException(nameof(command)),
        };
        return CliRunner.Run(stdin, args);
    }

    private static byte[] Utf8(string s) => Encoding.UTF8.GetBytes(s);

    /// <summary>One good line, then <paramref name="bad"/> on line 2, then a line that must never be read.</summary>
    private static byte[] GoodThen(byte[] bad) =>
        [.. Utf8("{\"id\": \"a\", \"text\": \"ok\"}\n"), .. bad, .. Utf8("\n{\"id\": \"b\", \"text\": \"never\"}\n")];

    private static void AssertRefusedAtLine2(CliRunner.Result r, string expected)
    {
        Assert.True(r.ExitCode == 2, $"exit {r.ExitCode}, stderr: {r.Stderr}");
        var errors = r.Stderr.Split('\n').Where(l => l.StartsWith("error: ", StringComparison.Ordinal)).ToArray();
        var error = Assert.Single(errors);
        Assert.StartsWith("error: line 2: ", error);
        Assert.Contains(expected, error);
        Assert.DoesNotContain("Exception", r.Stderr);
        Assert.Single(r.Lines); // the good first line was answered, nothing for the bad one
    }

    [Theory]
    [MemberData(nameof(Commands))]
    public void A_json_line_that_is_not_an_object_exits_2_naming_the_line(string command)
    {
        foreach (var (line, kind) in new[] { ("[1]", "an array"), ("5", "a number"), ("null", "null"), ("\"\"", "a string"), ("true", "a boolean") })
            AssertRefusedAtLine2(Run(command, GoodThen(Utf8(line))), "expected a JSON object");
    }

    [Theory]
    [MemberData(nameof(Commands))]
    public void A_lone_surrogate_escape_exits_2_naming_the_line(string command)
    {
        AssertRefusedAtLine2(Run(command, GoodThen(Utf8("{\"id\": \"x\", \"text\": \"a\\ud800b\"}"))), "lone surrogate");
        AssertRefusedAtLine2(Run(command, GoodThen(Utf8("{\"id\": \"x\", \"text\": \"\\udc00\"}"))), "lone surrogate");
    }

    [Fact]
    public void A_lone_surrogate_in_an_index_id_exits_2_naming_the_line()
    {
        AssertRefusedAtLine2(Run("index", GoodThen(Utf8("{\"id\": \"\\ud800\", \"text\": \"x\"}"))), "field \"id\"");
    }

    [Theory]
    [MemberData(nameof(Commands))]
    public void Invalid_utf8_is_refused_with_the_line_number_not_replaced(string command)
    {
        // 0xFF never occurs in UTF-8; C3 alone is a truncated sequence; ED A0 80 is an encoded surrogate (CESU-8).
        foreach (var bytes in new byte[][] { [0xFF], [0xC3], [0xED, 0xA0, 0x80], [0xC0, 0xAF] })
        {
            byte[] line = [.. Utf8("{\"id\": \"x\", \"text\": \"a"), .. bytes, .. Utf8("\"}")];
            var r = Run(command, GoodThen(line));
            AssertRefusedAtLine2(r, "invalid UTF-8 at byte 23");
        }
    }

    [Fact]
    public void A_byte_order_mark_before_the_first_line_is_accepted()
    {
        var r = CliRunner.Run([0xEF, 0xBB, 0xBF, .. Utf8("{\"text\": \"Hello\"}\r\n{\"text\": \"x\"}")], "tokenize");
        Assert.True(r.ExitCode == 0, r.Stderr);
        Assert.Equal(2, r.Lines.Length);
        Assert.Equal(RwkvNative.Tokenizer.RwkvTokenizer.Default.Encode("Hello"),
            System.Text.Json.JsonDocument.Parse(r.Lines[0]).RootElement.GetProperty("ids").EnumerateArray().Select(e => e.GetInt32()));
    }
}
