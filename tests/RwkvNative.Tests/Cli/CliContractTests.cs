using System.Text.Json;
using RwkvNative.Tests.Reference;

namespace RwkvNative.Tests.Cli;

/// <summary>shared/docs/CLI.md, checked through the real binary: JSON Lines in order, exit codes, one-line errors.</summary>
public sealed class CliContractTests
{
    private static string Model => Fixtures.PathOf("tiny-bf16.emb.pth");
    private static string Rr => Fixtures.PathOf("tiny-bf16.reranker.pth");

    private static float[] Floats(JsonElement e) => e.EnumerateArray().Select(v => v.GetSingle()).ToArray();

    [Fact]
    public void Tokenize_writes_one_ids_line_per_input_line()
    {
        var r = CliRunner.Run("{\"text\": \"Hello world\"}\n\n{\"text\": \"\"}\n", "tokenize", "--eos");
        Assert.Equal(0, r.ExitCode);
        Assert.Equal(2, r.Lines.Length);
        var ids = JsonDocument.Parse(r.Lines[0]).RootElement.GetProperty("ids").EnumerateArray().Select(e => e.GetInt32()).ToArray();
        Assert.Equal(RwkvNative.Tokenizer.RwkvTokenizer.Default.Encode("Hello world", addEos: true), ids);
        Assert.Equal("{\"ids\":[65535]}", r.Lines[1]);
    }

    [Fact]
    public void Embed_matches_the_api_bit_for_bit_whatever_the_batch_size()
    {
        string[] texts = ["The EOS token is used to mark the end of a sentence.", "x", "分词器 🦆"];
        var input = string.Join("\n", texts.Select(t => JsonSerializer.Serialize(new Dictionary<string, string> { ["text"] = t }))) +
                    "\n{\"tokens\": [1, 2, 65535]}\n";
        var expected = LoadedFixtures.Get("tiny-bf16", "cpu").Model.Embed(texts).Append(
            LoadedFixtures.Get("tiny-bf16", "cpu").Model.EmbedTokens([[1, 2, 65535]])[0]).ToArray();
        foreach (var batch in new[] { "1", "3", "64" })
        {
            var r = CliRunner.Run(input, "embed", "--model", Model, "--device", "cpu", "--batch-size", batch);
            Assert.True(r.ExitCode == 0, r.Stderr);
            Assert.Equal(expected.Length, r.Lines.Length);
            for (int i = 0; i < expected.Length; i++)
                Assert.Equal(expected[i], Floats(JsonDocument.Parse(r.Lines[i]).RootElement.GetProperty("embedding")));
        }
    }

    [Fact]
    public void A_bad_line_exits_2_naming_the_line_after_answering_the_lines_before_it()
    {
        var r = CliRunner.Run("{\"text\": \"ok\"}\n{\"text\": 5}\n{\"text\": \"never\"}\n", "embed", "--model", Model, "--device", "cpu");
        Assert.Equal(2, r.ExitCode);
        Assert.Single(r.Lines);
        Assert.StartsWith("error: line 2", r.Stderr.Trim());

        var bad = CliRunner.Run("not json\n", "embed", "--model", Model, "--device", "cpu");
        Assert.Equal(2, bad.ExitCode);
        Assert.Contains("line 1: malformed JSON", bad.Stderr);
        Assert.Empty(bad.Lines);

        var noEos = CliRunner.Run("{\"tokens\": [1, 2]}\n", "embed", "--model", Model, "--device", "cpu");
        Assert.Equal(2, noEos.ExitCode);
        Assert.Contains("no EOS", noEos.Stderr);

        var range = CliRunner.Run("{\"tokens\": [1, 70000, 65535]}\n", "embed", "--model", Model, "--device", "cpu");
        Assert.Equal(2, range.ExitCode);
        Assert.Contains("tokens[1]", range.Stderr);
    }

    [Fact]
    public void Usage_errors_and_missing_files_exit_2_with_one_error_line()
    {
        var unknown = CliRunner.Run("", "embed", "--model", Model, "--bogus");
        Assert.Equal(2, unknown.ExitCode);
        Assert.StartsWith("error: ", unknown.Stderr);

        var missing = CliRunner.Run("", "info", "--model", "/nonexistent/model.pth");
        Assert.Equal(2, missing.ExitCode);
        Assert.Contains("/nonexistent/model.pth", missing.Stderr);
        Assert.Single(missing.Stderr.Trim().Split('\n'));
    }

    [Fact]
    public void Rerank_online_and_offline_agree_and_keep_input_order()
    {
        const string query = "What represents the end of a sequence?";
        var input = "{\"text\": \"The EOS token is used to mark the end of a sentence.\"}\n{\"text\": \"Apples are red and delicious fruits.\"}\n";
        var on = CliRunner.Run(input, "rerank", "--model", Model, "--reranker", Rr, "--query", query, "--device", "cpu");
        var off = CliRunner.Run(input, "rerank", "--model", Model, "--reranker", Rr, "--query", query, "--device", "cpu", "--mode", "offline");
        Assert.True(on.ExitCode == 0, on.Stderr);
        Assert.True(off.ExitCode == 0, off.Stderr);
        var expected = LoadedFixtures.Get("tiny-bf16", "cpu").Reranker.Score(query,
            ["The EOS token is used to mark the end of a sentence.", "Apples are red and delicious fruits."]);
        for (int i = 0; i < 2; i++)
        {
            var a = JsonDocument.Parse(on.Lines[i]).RootElement;
            var b = JsonDocument.Parse(off.Lines[i]).RootElement;
            Assert.Equal(i, a.GetProperty("index").GetInt32());
            Assert.Equal(expected[i].Logit, a.GetProperty("logit").GetSingle());
            Assert.Equal(expected[i].Score, a.GetProperty("score").GetSingle());
            Assert.Equal(a.GetProperty("logit").GetSingle(), b.GetProperty("logit").GetSingle(), 1e-5f);
        }
    }

    [Fact]
    public void Rerank_fills_its_template_once_so_a_document_holding_a_placeholder_is_scored_as_written()
    {
        const string query = "What represents the end of a sequence?";
        string[] docs = ["Write {query} here.", "A {document} and a {query}."];
        var input = string.Join("\n", docs.Select(d => JsonSerializer.Serialize(new Dictionary<string, string> { ["text"] = d }))) + "\n";
        var on = CliRunner.Run(input, "rerank", "--model", Model, "--reranker", Rr, "--query", query, "--device", "cpu");
        var off = CliRunner.Run(input, "rerank", "--model", Model, "--reranker", Rr, "--query", query, "--device", "cpu", "--mode", "offline");
        Assert.True(on.ExitCode == 0, on.Stderr);
        Assert.True(off.ExitCode == 0, off.Stderr);
        // Offline never put the query into the document text, so the two modes disagree when online pastes it in.
        Assert.Equal("Instruct: Given a query, retrieve documents that answer the query\nDocument: Write {query} here.\nQuery: " + query,
            Reranker.OnlineText(query, docs[0]));
        for (int i = 0; i < docs.Length; i++)
        {
            var a = JsonDocument.Parse(on.Lines[i]).RootElement.GetProperty("logit").GetSingle();
            var b = JsonDocument.Parse(off.Lines[i]).RootElement.GetProperty("logit").GetSingle();
            Assert.Equal(a, b, 1e-5f);
        }
    }

    [Fact]
    public void Info_reports_the_shape_as_json()
    {
        var r = CliRunner.Run("", "info", "--model", Model, "--reranker", Rr, "--json");
        Assert.True(r.ExitCode == 0, r.Stderr);
        var j = JsonDocument.Parse(r.Stdout).RootElement;
        Assert.Equal(3, j.GetProperty("model").GetProperty("layers").GetInt32());
        Assert.Equal(128, j.GetProperty("model").GetProperty("n_embd").GetInt32());
        Assert.Equal(2, j.GetProperty("model").GetProperty("n_head").GetInt32());
        Assert.Equal([0, 2], j.GetProperty("reranker_layers").EnumerateArray().Select(e => e.GetInt32()));
    }

    [Fact]
    public void Demo_runs_on_the_bundled_model_and_says_the_weights_are_random()
    {
        var r = CliRunner.Run("", "demo", "--device", "cpu");
        Assert.True(r.ExitCode == 0, r.Stderr);
        Assert.Contains("RANDOM TEST WEIGHTS", r.Stdout);
        Assert.Contains("online scores", r.Stdout);
        Assert.Contains("offline scores", r.Stdout);
    }

    [Fact]
    public void Verify_passes_every_bundled_case()
    {
        var r = CliRunner.Run("", "verify", "--device", "cpu", "--fixtures", Fixtures.Directory);
        Assert.True(r.ExitCode == 0, r.Stdout + r.Stderr);
        Assert.Contains("38 passed, 0 failed", r.Stdout);
    }
}
