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

        // The mapped states copied into the backend's own store (--placement device) or read in place (host): the same bytes out.
        foreach (var placement in new[] { "device", "host" })
        {
            var placed = CliRunner.Run("", "rerank", "--model", Model, "--reranker", Rr, "--store", dir.Path, "--query", query, "--device", "cpu",
                "--batch-size", "5", "--placement", placement);
            Assert.True(placed.ExitCode == 0, placed.Stderr);
            Assert.Equal(rr.Lines, placed.Lines);
        }
        var badPlacement = CliRunner.Run("", "rerank", "--model", Model, "--reranker", Rr, "--store", dir.Path, "--query", query, "--placement", "disk");
        Assert.Equal(2, badPlacement.ExitCode);
        Assert.Contains("--placement must be auto, device or host", badPlacement.Stderr);

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

            long fileBytes = new FileInfo(dir.File(DocumentStateStore.LogFileName)).Length;
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

    private static CliRunner.Result Index(string input, string store, params string[] more) =>
        CliRunner.Run(input, ["index", "--model", Model, "--reranker", Rr, "--out", store, "--device", "cpu", .. more]);

    private static CliRunner.Result RerankStore(string store) =>
        CliRunner.Run("", "rerank", "--model", Model, "--reranker", Rr, "--store", store, "--query", "What represents the end of a sequence?", "--device", "cpu");

    private static string[] IdsOf(CliRunner.Result r) => [.. r.Lines.Select(l => JsonDocument.Parse(l).RootElement.GetProperty("id").GetString()!)];

    private static bool[] StoredOf(CliRunner.Result r) => [.. r.Lines.Select(l => JsonDocument.Parse(l).RootElement.GetProperty("stored").GetBoolean())];

    [Fact]
    public void Damage_is_served_around_named_checked_repaired_and_healed_by_indexing_again()
    {
        using var dir = new TempDir();
        var docs = DocumentStateStoreTests.Ids.Zip(DocumentStateStoreTests.Docs).ToArray()[..4];
        var input = Jsonl(docs);
        Assert.Equal(0, Index(input, dir.Path).ExitCode);
        var clean = RerankStore(dir.Path);
        Assert.Equal(0, clean.ExitCode);
        var log = File.ReadAllBytes(dir.File(DocumentStateStore.LogFileName));
        var records = StateLog.Scan(log).Records; // manifest, then the 4 documents
        var damaged = (byte[])log.Clone();
        damaged[records[2].Offset + 1] ^= 0xFF;          // document 1: its header (the reported bug: readers stopped here)
        damaged[records[3].StateOffset + 99] ^= 0xFF;    // document 2: its state (the reported bug: the whole store failed)
        File.WriteAllBytes(dir.File(DocumentStateStore.LogFileName), damaged);

        // rerank scores every intact document, names the damaged one, warns about the skipped region, and exits 1.
        var rr = RerankStore(dir.Path);
        Assert.Equal(1, rr.ExitCode);
        Assert.Equal([docs[0].First, docs[3].First], IdsOf(rr));
        Assert.Equal(clean.Lines[0], rr.Lines[0]);
        Assert.Contains("damaged region", rr.Stderr);
        Assert.Contains($"'{docs[2].First}'", rr.Stderr);
        Assert.Contains("error: ", rr.Stderr);

        // store check changes nothing, reports both, exits 1.
        var check = CliRunner.Run("", "store", "check", dir.Path);
        Assert.Equal(1, check.ExitCode);
        var report = JsonDocument.Parse(check.Stdout).RootElement;
        Assert.False(report.GetProperty("clean").GetBoolean());
        Assert.Equal(1, report.GetProperty("damaged_regions").GetArrayLength());
        Assert.Equal(docs[2].First, report.GetProperty("damaged_documents")[0].GetProperty("id").GetString());
        Assert.Equal(damaged, File.ReadAllBytes(dir.File(DocumentStateStore.LogFileName)));

        // index of the same input appends; it re-indexes exactly the two lost documents and deletes nothing.
        var again = Index(input, dir.Path);
        Assert.True(again.ExitCode == 0, again.Stderr);
        Assert.Equal([false, true, true, false], StoredOf(again));
        Assert.Contains("1 new documents stored, 0 changed and 1 damaged", again.Stderr);
        Assert.Equal(damaged, File.ReadAllBytes(dir.File(DocumentStateStore.LogFileName))[..damaged.Length]);
        var healed = RerankStore(dir.Path);
        Assert.Equal(0, healed.ExitCode);
        Assert.Equal(4, healed.Lines.Length);
        Assert.Contains("damaged region", healed.Stderr); // the old bytes are still there until a repair

        // store repair drops the damage; afterwards check is clean and the scores are the same.
        var repair = CliRunner.Run("", "store", "repair", dir.Path);
        Assert.True(repair.ExitCode == 0, repair.Stderr);
        Assert.True(JsonDocument.Parse(repair.Stdout).RootElement.GetProperty("repaired").GetBoolean());
        var recheck = CliRunner.Run("", "store", "check", dir.Path);
        Assert.True(recheck.ExitCode == 0, recheck.Stderr);
        Assert.True(JsonDocument.Parse(recheck.Stdout).RootElement.GetProperty("clean").GetBoolean());
        var after = RerankStore(dir.Path);
        Assert.Equal(0, after.ExitCode);
        Assert.DoesNotContain("warning", after.Stderr);
        Assert.Equal(healed.Lines, after.Lines); // repair keeps the store order
    }

    [Fact]
    public void A_changed_text_is_indexed_again_and_an_unchanged_one_is_not()
    {
        using var dir = new TempDir();
        var docs = DocumentStateStoreTests.Ids.Zip(DocumentStateStoreTests.Docs).ToArray()[..3];
        Assert.Equal(0, Index(Jsonl(docs), dir.Path).ExitCode);
        var edited = docs.Select((d, i) => i == 1 ? (d.First, d.Second + " Now edited.") : (d.First, d.Second)).ToArray();
        var again = Index(Jsonl(edited), dir.Path);
        Assert.True(again.ExitCode == 0, again.Stderr);
        Assert.Equal([false, true, false], StoredOf(again));
        Assert.Contains("1 changed", again.Stderr);
        using var store = DocumentStateStore.Open(dir.Path, Tiny.Model);
        Assert.Equal(docs.Select(d => d.First), store.GetIds());
        Assert.Equal(ContentHash.Of(edited[1].Item2), store.Find(docs[1].First)!.Content);
        Assert.Equal(Tiny.Reranker.IndexDocuments([edited[1].Item2])[0].State.Wkv, store.Get(docs[1].First).State.Wkv);
        Assert.Equal(Tiny.Model.Embed(edited[1].Item2), store.GetEmbedding(1));
    }

    [Fact]
    public void A_lost_store_json_with_fp16_is_refused_and_the_log_is_kept()
    {
        using var dir = new TempDir();
        var docs = DocumentStateStoreTests.Ids.Zip(DocumentStateStoreTests.Docs).ToArray();
        Assert.Equal(0, Index(Jsonl(docs), dir.Path).ExitCode);
        var log = File.ReadAllBytes(dir.File(DocumentStateStore.LogFileName));
        File.Delete(Path.Combine(dir.Path, DocumentStateStore.ManifestFileName));
        var fp16 = Index(Jsonl(docs[..1]), dir.Path, "--fp16");
        Assert.Equal(2, fp16.ExitCode);
        Assert.Contains("f32", fp16.Stderr);
        Assert.Equal(log, File.ReadAllBytes(dir.File(DocumentStateStore.LogFileName)));
        // Without --fp16 the manifest is rebuilt from the log and nothing is recomputed.
        var plain = Index(Jsonl(docs), dir.Path);
        Assert.True(plain.ExitCode == 0, plain.Stderr);
        Assert.All(StoredOf(plain), Assert.False);
        Assert.True(File.Exists(Path.Combine(dir.Path, DocumentStateStore.ManifestFileName)));
        Assert.Equal(6, RerankStore(dir.Path).Lines.Length);
    }
}
