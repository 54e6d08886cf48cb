using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json;
using RwkvNative.Store;
using RwkvNative.Tests.Cli;
using RwkvNative.Tests.Reference;

namespace RwkvNative.Tests.Store;

/// <summary><c>rwkv-emb index</c> and <c>rwkv-emb rerank --store</c> as child processes, including a writer killed mid-run.</summary>
public sealed class StoreCliTests(ITestOutputHelper output)
{
    private static LoadedFixtures.Loaded Tiny => LoadedFixtures.Get("tiny-bf16", "cpu");
    private static readonly string Model = Fixtures.PathOf("tiny-bf16.emb.pth");
    private static readonly string Rr = Fixtures.PathOf("tiny-bf16.reranker.pth");

    private static string Jsonl(IEnumerable<(string Id, string Text)> docs)
    {
        var sb = new StringBuilder();
        foreach (var (id, text) in docs) sb.Append(JsonSerializer.Serialize(new Dictionary<string, string> { ["id"] = id, ["text"] = text })).Append('\n');
        return sb.ToString();
    }

    [Fact]
    public void Index_then_rerank_from_the_store_matches_the_api_and_returns_the_ids()
    {
        var f = Tiny;
        using var dir = new TempDir();
        var docs = DocumentStateStoreTests.Ids.Zip(DocumentStateStoreTests.Docs).ToArray();
        // Integer ids are accepted and kept as their decimal text.
        var input = Jsonl(docs[..4]) + "{\"id\": 42, \"text\": \"" + docs[4].Second + "\"}\n";
        var idx = CliRunner.Run(input, "index", "--model", Model, "--reranker", Rr, "--out", dir.Path, "--device", "cpu", "--batch-size", "2");
        Assert.True(idx.ExitCode == 0, idx.Stderr);
        Assert.Equal(5, idx.Lines.Length);
        Assert.Equal(docs[0].First, JsonDocument.Parse(idx.Lines[0]).RootElement.GetProperty("id").GetString());
        Assert.True(JsonDocument.Parse(idx.Lines[0]).RootElement.GetProperty("stored").GetBoolean());

        // Re-running with one more document stores only the new one.
        var again = CliRunner.Run(Jsonl(docs[..4]) + Jsonl([docs[5]]), "index", "--model", Model, "--reranker", Rr, "--out", dir.Path, "--device", "cpu");
        Assert.True(again.ExitCode == 0, again.Stderr);
        Assert.Equal([false, false, false, false, true], again.Lines.Select(l => JsonDocument.Parse(l).RootElement.GetProperty("stored").GetBoolean()));

        const string query = "What represents the end of a sequence?";
        var rr = CliRunner.Run("", "rerank", "--model", Model, "--reranker", Rr, "--mode", "offline", "--store", dir.Path, "--query", query, "--device", "cpu", "--batch-size", "4");
        Assert.True(rr.ExitCode == 0, rr.Stderr);
        string[] expectedIds = [.. docs[..4].Select(d => d.First), "42", docs[5].First];
        string[] texts = [.. docs[..5].Select(d => d.Second), docs[5].Second];
        var expected = f.Reranker.Score(query, f.Reranker.IndexDocuments(texts));
        Assert.Equal(6, rr.Lines.Length);
        for (int i = 0; i < 6; i++)
        {
            var o = JsonDocument.Parse(rr.Lines[i]).RootElement;
            Assert.Equal(i, o.GetProperty("index").GetInt32());
            Assert.Equal(expectedIds[i], o.GetProperty("id").GetString());
            Assert.Equal(expected[i].Logit, o.GetProperty("logit").GetSingle());
            Assert.Equal(expected[i].Score, o.GetProperty("score").GetSingle());
        }

        // --store with --mode online is a usage error; a store of another model is refused (exit 2).
        var online = CliRunner.Run("", "rerank", "--model", Model, "--reranker", Rr, "--mode", "online", "--store", dir.Path, "--query", query);
        Assert.Equal(2, online.ExitCode);
        Assert.StartsWith("error: ", online.Stderr);
        var other = CliRunner.Run("", "rerank", "--model", Fixtures.PathOf("mini-fp16.emb.pth"), "--reranker", Fixtures.PathOf("mini-fp16.reranker.pth"),
            "--store", dir.Path, "--query", query, "--device", "cpu");
        Assert.Equal(2, other.ExitCode);
        Assert.Contains("another model", other.Stderr);
        // A repeated id in one input is a bad line: exit 2, the lines before it are stored.
        using var dir2 = new TempDir();
        var dup = CliRunner.Run(Jsonl([docs[0], docs[1], docs[0]]), "index", "--model", Model, "--reranker", Rr, "--out", dir2.Path, "--device", "cpu");
        Assert.Equal(2, dup.ExitCode);
        Assert.Contains("line 3", dup.Stderr);
        using var st = DocumentStateStore.Open(dir2.Path, f.Model);
        Assert.Equal(2, st.Count);
    }

    [Fact]
    public async Task A_writer_killed_mid_run_leaves_every_completed_document_readable()
    {
        var f = Tiny;
        using var dir = new TempDir();
        const int total = 3000;
        var rng = new Random(7);
        var docs = new (string Id, string Text)[total];
        for (int i = 0; i < total; i++)
        {
            var sb = new StringBuilder();
            int words = 5 + rng.Next(60);
            for (int w = 0; w < words; w++) sb.Append(CultureInfo.InvariantCulture, $"word{rng.Next(1000)} ");
            docs[i] = ($"doc-{i}", sb.ToString());
        }
        var input = Jsonl(docs);
        var fresh = new List<DocumentState>();
        int acknowledged = 0;
        // Three rounds: each starts a writer on the whole input (it skips what is stored), lets it acknowledge a few
        // documents, and kills it at a random moment while it keeps computing and appending.
        for (int round = 0; round < 3; round++)
        {
            var psi = new ProcessStartInfo("dotnet")
            {
                RedirectStandardInput = true,
                RedirectStandardOutput = true,
                RedirectStandardError = true,
                UseShellExecute = false,
            };
            foreach (var a in new[] { CliRunner.Dll, "index", "--model", Model, "--reranker", Rr, "--out", dir.Path, "--device", "cpu", "--batch-size", "3" })
                psi.ArgumentList.Add(a);
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(120));
            using var p = Process.Start(psi)!;
            var feeding = Task.Run(async () =>
            {
                try
                {
                    await p.StandardInput.WriteAsync(input.AsMemory(), timeout.Token);
                    p.StandardInput.Close();
                }
                catch (IOException) { } // the pipe breaks when the writer is killed
            });
            var stderr = p.StandardError.ReadToEndAsync();
            int target = 3 + rng.Next(15), freshAcks = 0;
            while (freshAcks < target && await p.StandardOutput.ReadLineAsync(timeout.Token) is { } line)
                if (JsonDocument.Parse(line).RootElement.GetProperty("stored").GetBoolean()) freshAcks++;
            await Task.Delay(rng.Next(0, 40), timeout.Token);
            p.Kill(entireProcessTree: true);
            await p.WaitForExitAsync(timeout.Token);
            await feeding;
            acknowledged += freshAcks;

            long fileBytes = new FileInfo(dir.Log).Length;
            using var r = DocumentStateStore.Open(dir.Path, f.Model);
            output.WriteLine($"round {round}: killed after {acknowledged} acknowledged documents: {r.Count} complete, log {fileBytes} bytes, torn tail {fileBytes - r.LogBytes} bytes; writer stderr: {(await stderr).Trim()}");
            Assert.True(r.Count >= acknowledged, $"{r.Count} stored < {acknowledged} acknowledged");
            Assert.True(r.Count < total, "the writer finished before it was killed; the test proved nothing");
            var ids = r.GetIds();
            // Exactly a prefix of the input, each document once, in order.
            Assert.Equal(docs.Take(ids.Length).Select(d => d.Id), ids);
            // Every completed document is intact: equal to its state computed afresh (checksums verified on read).
            if (fresh.Count < ids.Length) fresh.AddRange(f.Reranker.IndexDocuments(docs[fresh.Count..ids.Length].Select(d => d.Text).ToArray()));
            for (int i = 0; i < ids.Length; i++)
            {
                var st = r.Get(i);
                Assert.Equal(fresh[i].State.Shift, st.State.Shift);
                Assert.Equal(fresh[i].State.Wkv, st.State.Wkv);
            }
            acknowledged = ids.Length;
        }
    }
}
