using RwkvNative.Checkpoints;
using RwkvNative.Store;
using RwkvNative.Tests.Reference;

namespace RwkvNative.Tests.Store;

/// <summary>A temporary folder deleted at dispose.</summary>
internal sealed class TempDir : IDisposable
{
    public string Path { get; } = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "rwkv-store-" + Guid.NewGuid().ToString("N"));

    public string Log => System.IO.Path.Combine(Path, DocumentStateStore.LogFileName);

    public void Dispose()
    {
        try { Directory.Delete(Path, recursive: true); }
        catch (DirectoryNotFoundException) { }
    }
}

public sealed class DocumentStateStoreTests(ITestOutputHelper output)
{
    private static LoadedFixtures.Loaded Tiny => LoadedFixtures.Get("tiny-bf16", "cpu");
    private static LoadedFixtures.Loaded Mini => LoadedFixtures.Get("mini-fp16", "cpu");

    internal static readonly string[] Docs =
    [
        "The EOS token is used to mark the end of a sentence.",
        "Apples are red and delicious fruits.",
        "RWKV is a recurrent network with transformer-level quality.",
        "Paris is the capital of France.",
        "Ein kurzer deutscher Satz über Züge.",
        "数据库索引可以加快查询速度。",
    ];

    internal static readonly string[] Ids = ["doc-1", "Äpfel & Birnen", "🦀 rust", "a\"quote\"", "  spaced  ", "数据库"];

    private const string Query = "What represents the end of a sequence?";

    [Fact]
    public void Ids_and_states_round_trip_exactly_and_score_like_fresh_states()
    {
        var f = Tiny;
        using var dir = new TempDir();
        var states = f.Reranker.IndexDocuments(Docs);
        using (var w = DocumentStateStore.OpenForWriting(dir.Path, f.Model))
        {
            w.Append(Ids[..2], states[..2]);
            for (int i = 2; i < Docs.Length; i++) w.Append(Ids[i], states[i]);
            Assert.Equal(Docs.Length, w.Count);
            // The writer reads what it wrote.
            Assert.Equal(states[5].State.Wkv, w.Get(Ids[5]).State.Wkv);
        }
        using var r = DocumentStateStore.Open(dir.Path, f.Model);
        Assert.False(r.IsWritable);
        Assert.Equal(StatePrecision.Float32, r.Precision);
        Assert.Equal(Ids, r.GetIds());
        for (int i = 0; i < Ids.Length; i++)
        {
            Assert.True(r.TryGetIndex(Ids[i], out int at));
            Assert.Equal(i, at);
            var s = r.Get(i);
            Assert.Equal(f.Model.Identity, s.ModelIdentity);
            Assert.Equal(states[i].State.Shift, s.State.Shift);
            Assert.Equal(states[i].State.Wkv, s.State.Wkv);
        }
        Assert.Equal(f.Reranker.Score(Query, states), f.Reranker.Score(Query, r.GetRange(0, r.Count)));
        Assert.Equal(r.Count * r.BytesPerDocument + Ids.Sum(id => (System.Text.Encoding.UTF8.GetByteCount(id) + 7) / 8 * 8), r.LogBytes);
    }

    [Fact]
    public void Fp16_store_halves_the_state_bytes_and_moves_scores_only_slightly()
    {
        foreach (var f in new[] { Tiny, Mini })
        {
            using var d32 = new TempDir();
            using var d16 = new TempDir();
            var states = f.Reranker.IndexDocuments(Docs);
            using (var w = DocumentStateStore.OpenForWriting(d32.Path, f.Model)) w.Append(Ids, states);
            using (var w = DocumentStateStore.OpenForWriting(d16.Path, f.Model, new DocumentStateStoreOptions { Precision = StatePrecision.Float16 }))
                w.Append(Ids, states);
            using var r32 = DocumentStateStore.Open(d32.Path, f.Model);
            using var r16 = DocumentStateStore.Open(d16.Path, f.Model);
            Assert.Equal(StatePrecision.Float16, r16.Precision);
            Assert.Equal((r32.BytesPerDocument - 24) / 2, r16.BytesPerDocument - 24);
            Assert.InRange((double)r16.LogBytes / r32.LogBytes, 0.49, 0.52);

            var exact = f.Reranker.Score(Query, states);
            var half = f.Reranker.Score(Query, r16.GetRange(0, r16.Count));
            double maxLogit = 0, maxScore = 0, maxState = 0;
            for (int i = 0; i < exact.Length; i++)
            {
                maxLogit = Math.Max(maxLogit, Math.Abs(exact[i].Logit - half[i].Logit));
                maxScore = Math.Max(maxScore, Math.Abs(exact[i].Score - half[i].Score));
                var a = states[i].State.Wkv;
                var b = r16.Get(i).State.Wkv;
                for (int j = 0; j < a.Length; j++) maxState = Math.Max(maxState, Math.Abs(a[j] - b[j]) / Math.Max(1e-3, Math.Abs(a[j])));
            }
            output.WriteLine($"{f.Fixture.Name}: fp16 store, {Docs.Length} docs: max |Δlogit| = {maxLogit:E3}, max |Δscore| = {maxScore:E3}, max relative state error = {maxState:E3}, bytes {r16.LogBytes} vs {r32.LogBytes}");
            // Rounding to fp16 changes each state value by at most 2^-11 relative (values above 1e-3), and scores a little.
            Assert.True(maxState <= 1.0 / 2048 + 1e-6, $"relative state error {maxState}");
            Assert.True(maxLogit > 0, "fp16 rounding should change something");
            Assert.True(maxLogit < 0.05, $"fp16 moved a logit by {maxLogit}");
        }
    }

    [Fact]
    public void A_store_of_another_model_is_refused_for_reading_and_writing()
    {
        using var dir = new TempDir();
        using (var w = DocumentStateStore.OpenForWriting(dir.Path, Tiny.Model)) w.Append("a", Tiny.Reranker.IndexDocuments(["x"])[0]);
        var e = Assert.Throws<CheckpointException>(() => DocumentStateStore.Open(dir.Path, Mini.Model));
        Assert.Contains("another model", e.Message);
        Assert.Throws<CheckpointException>(() => DocumentStateStore.OpenForWriting(dir.Path, Mini.Model));
        // And a state of another model is refused by a writer.
        using var w2 = DocumentStateStore.OpenForWriting(dir.Path, Tiny.Model);
        var e2 = Assert.Throws<ArgumentException>(() => w2.Append("b", Mini.Reranker.IndexDocuments(["x"])[0]));
        Assert.Contains("another model", e2.Message);
        Assert.Equal(1, w2.Count);
    }

    [Fact]
    public void Torn_tail_is_ignored_by_readers_and_cut_by_the_next_writer()
    {
        var f = Tiny;
        var states = f.Reranker.IndexDocuments(Docs);
        using var dir = new TempDir();
        long[] ends = new long[4];
        using (var w = DocumentStateStore.OpenForWriting(dir.Path, f.Model))
            for (int i = 0; i < 4; i++) { w.Append(Ids[i], states[i]); ends[i] = w.LogBytes; }
        var full = File.ReadAllBytes(dir.Log);
        // Cut the last record at every kind of place: inside its header, its id, its payload, one byte short; and a
        // complete record followed by zeros or garbage (a filesystem that grew the file but lost the data).
        long[] cuts = [ends[2] + 3, ends[2] + 20, ends[2] + 30, ends[2] + 5000, ends[3] - 1];
        foreach (var cut in cuts)
        {
            File.WriteAllBytes(dir.Log, full[..(int)cut]);
            using (var r = DocumentStateStore.Open(dir.Path, f.Model))
            {
                Assert.Equal(3, r.Count);
                Assert.Equal(ends[2], r.LogBytes);
                for (int i = 0; i < 3; i++) Assert.Equal(states[i].State.Wkv, r.Get(i).State.Wkv);
            }
        }
        File.WriteAllBytes(dir.Log, [.. full, .. new byte[4096]]);
        using (var r = DocumentStateStore.Open(dir.Path, f.Model)) Assert.Equal(4, r.Count);
        File.WriteAllBytes(dir.Log, [.. full, .. full.AsSpan(8, 300).ToArray()]);
        using (var r = DocumentStateStore.Open(dir.Path, f.Model)) Assert.Equal(4, r.Count);

        // A writer cuts the torn tail and appends after the last complete record.
        File.WriteAllBytes(dir.Log, full[..(int)(ends[2] + 5000)]);
        using (var w = DocumentStateStore.OpenForWriting(dir.Path, f.Model))
        {
            Assert.Equal(3, w.Count);
            Assert.Equal(ends[2], new FileInfo(dir.Log).Length);
            w.Append(Ids[3], states[3]);
            w.Append(Ids[4], states[4]);
        }
        using (var r = DocumentStateStore.Open(dir.Path, f.Model))
        {
            Assert.Equal(Ids[..5], r.GetIds());
            for (int i = 0; i < 5; i++) Assert.Equal(states[i].State.Wkv, r.Get(i).State.Wkv);
        }
    }

    [Fact]
    public void A_damaged_record_fails_its_checksum_naming_the_document()
    {
        var f = Tiny;
        using var dir = new TempDir();
        using (var w = DocumentStateStore.OpenForWriting(dir.Path, f.Model)) w.Append(Ids[..2], f.Reranker.IndexDocuments(Docs[..2]));
        var bytes = File.ReadAllBytes(dir.Log);
        bytes[^100] ^= 0x40; // inside the second record's wkv payload
        File.WriteAllBytes(dir.Log, bytes);
        using var r = DocumentStateStore.Open(dir.Path, f.Model);
        Assert.Equal(2, r.Count);
        r.Get(0);
        var e = Assert.Throws<CheckpointFormatException>(() => r.Get(1));
        Assert.Contains(Ids[1], e.Message);
        Assert.Contains("checksum", e.Message);
    }

    [Fact]
    public void One_writer_at_a_time_unique_ids_and_readers_refresh()
    {
        var f = Tiny;
        using var dir = new TempDir();
        var states = f.Reranker.IndexDocuments(Docs[..3]);
        using var w = DocumentStateStore.OpenForWriting(dir.Path, f.Model);
        var busy = Assert.Throws<IOException>(() => DocumentStateStore.OpenForWriting(dir.Path, f.Model));
        Assert.Contains("another process is writing", busy.Message);

        w.Append("a", states[0]);
        Assert.Throws<ArgumentException>(() => w.Append("a", states[1]));
        Assert.Throws<ArgumentException>(() => w.Append(["b", "b"], [states[1], states[2]]));
        Assert.Throws<ArgumentException>(() => w.Append("", states[1]));
        Assert.Equal(1, w.Count);

        using var r = DocumentStateStore.Open(dir.Path, f.Model);
        Assert.Equal(1, r.Count);
        Assert.Throws<InvalidOperationException>(() => r.Append("z", states[2]));
        w.Append(["b", "c"], [states[1], states[2]]);
        Assert.Equal(1, r.Count);
        r.Refresh();
        Assert.Equal(["a", "b", "c"], r.GetIds());
        Assert.Equal(states[2].State.Wkv, r.Get("c").State.Wkv);
        Assert.Throws<KeyNotFoundException>(() => r.Get("nope"));

        // Precision is fixed at creation.
        w.Dispose();
        Assert.Throws<ArgumentException>(() => DocumentStateStore.OpenForWriting(dir.Path, f.Model, new DocumentStateStoreOptions { Precision = StatePrecision.Float16 }));
        Assert.Throws<DirectoryNotFoundException>(() => DocumentStateStore.Open(Path.Combine(dir.Path, "missing"), f.Model));
    }
}
