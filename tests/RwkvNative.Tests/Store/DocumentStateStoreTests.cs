using RwkvNative.Checkpoints;
using RwkvNative.Model;
using RwkvNative.Store;
using RwkvNative.Tests.Reference;

namespace RwkvNative.Tests.Store;

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

    /// <summary>Entries for documents [from, to) of <see cref="Docs"/>, with their content hashes and embeddings.</summary>
    internal static DocumentStateEntry[] Entries(LoadedFixtures.Loaded f, DocumentState[] states, int from, int to) =>
        [.. Enumerable.Range(from, to - from).Select(i => new DocumentStateEntry(Ids[i], ContentHash.Of(Docs[i]), states[i], f.Model.Embed(Docs[i])))];

    [Fact]
    public void Ids_and_states_round_trip_exactly_and_score_like_fresh_states()
    {
        var f = Tiny;
        using var dir = new TempDir();
        var states = f.Reranker.IndexDocuments(Docs);
        using (var w = DocumentStateStore.OpenForWriting(dir.Path, f.Model))
        {
            w.Append(Entries(f, states, 0, 2));
            for (int i = 2; i < Docs.Length; i++) w.Append(Ids[i], ContentHash.Of(Docs[i]), states[i], f.Model.Embed(Docs[i]));
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
            Assert.Equal(ContentHash.Of(Docs[i]), r.Find(Ids[i])!.Content);
            Assert.Equal(f.Model.Embed(Docs[i]), r.GetEmbedding(i));
        }
        Assert.Equal(f.Reranker.Score(Query, states), f.Reranker.Score(Query, r.GetRange(0, r.Count)));
        long manifestRecord = new FileInfo(dir.File(DocumentStateStore.LogFileName)).Length - r.Count * (r.BytesPerDocument + 4L * f.Model.Config.Channels)
            - Ids.Sum(id => (System.Text.Encoding.UTF8.GetByteCount(id) + 7) / 8 * 8);
        Assert.InRange(manifestRecord, StateLog.HeaderSize + 100, StateLog.HeaderSize + 1000);
        Assert.Equal(new FileInfo(dir.File(DocumentStateStore.LogFileName)).Length, r.LogBytes);
        Assert.Empty(r.DamagedRegions);
        Assert.Equal(StateLogTail.None, r.Tail);
        Assert.Null(r.DescribeSkipped());
    }

    [Fact]
    public void Fp16_store_halves_the_state_bytes_and_moves_scores_only_slightly()
    {
        foreach (var f in new[] { Tiny, Mini })
        {
            using var d32 = new TempDir();
            using var d16 = new TempDir();
            var states = f.Reranker.IndexDocuments(Docs);
            using (var w = DocumentStateStore.OpenForWriting(d32.Path, f.Model)) w.Append(Entries(f, states, 0, Ids.Length));
            using (var w = DocumentStateStore.OpenForWriting(d16.Path, f.Model, new DocumentStateStoreOptions { Precision = StatePrecision.Float16 }))
                w.Append(Entries(f, states, 0, Ids.Length));
            using var r32 = DocumentStateStore.Open(d32.Path, f.Model);
            using var r16 = DocumentStateStore.Open(d16.Path, f.Model);
            Assert.Equal(StatePrecision.Float16, r16.Precision);
            const int overhead = StateLog.HeaderSize + ContentHash.Size;
            Assert.Equal((r32.BytesPerDocument - overhead) / 2, r16.BytesPerDocument - overhead);
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
        using (var w = DocumentStateStore.OpenForWriting(dir.Path, Tiny.Model)) w.Append("a", ContentHash.Of("x"), Tiny.Reranker.IndexDocuments(["x"])[0]);
        var e = Assert.Throws<CheckpointException>(() => DocumentStateStore.Open(dir.Path, Mini.Model));
        Assert.Contains("another model", e.Message);
        Assert.Throws<CheckpointException>(() => DocumentStateStore.OpenForWriting(dir.Path, Mini.Model));
        // And a state of another model is refused by a writer.
        using var w2 = DocumentStateStore.OpenForWriting(dir.Path, Tiny.Model);
        var e2 = Assert.Throws<ArgumentException>(() => w2.Append("b", ContentHash.Of("x"), Mini.Reranker.IndexDocuments(["x"])[0]));
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
            for (int i = 0; i < 4; i++) { w.Append(Entries(f, states, i, i + 1)); ends[i] = w.LogBytes; }
        var full = File.ReadAllBytes(dir.File(DocumentStateStore.LogFileName));
        // Cut the last record at every kind of place: inside its header, its id, its payload, one byte short.
        long[] cuts = [ends[2] + 3, ends[2] + 20, ends[2] + 30, ends[2] + 45, ends[2] + 5000, ends[3] - 1];
        foreach (var cut in cuts)
        {
            File.WriteAllBytes(dir.File(DocumentStateStore.LogFileName), full[..(int)cut]);
            using (var r = DocumentStateStore.Open(dir.Path, f.Model))
            {
                Assert.Equal(3, r.Count);
                Assert.Equal(ends[2], r.LogBytes);
                Assert.Equal(StateLogTail.Torn, r.Tail);
                Assert.Empty(r.DamagedRegions);
                Assert.Null(r.DescribeSkipped()); // a torn tail is no damage: nothing acknowledged is in it
                for (int i = 0; i < 3; i++) Assert.Equal(states[i].State.Wkv, r.Get(i).State.Wkv);
            }
        }
        // A complete record followed by zeros (a file system that grew the file but lost the data): cut by the writer.
        File.WriteAllBytes(dir.File(DocumentStateStore.LogFileName), [.. full, .. new byte[4096]]);
        using (var r = DocumentStateStore.Open(dir.Path, f.Model))
        {
            Assert.Equal(4, r.Count);
            Assert.Equal(StateLogTail.Zeros, r.Tail);
        }
        using (DocumentStateStore.OpenForWriting(dir.Path, f.Model)) Assert.Equal(full.Length, new FileInfo(dir.File(DocumentStateStore.LogFileName)).Length);

        // A writer cuts the torn tail and appends after the last complete record.
        File.WriteAllBytes(dir.File(DocumentStateStore.LogFileName), full[..(int)(ends[2] + 5000)]);
        using (var w = DocumentStateStore.OpenForWriting(dir.Path, f.Model))
        {
            Assert.Equal(3, w.Count);
            Assert.Equal(ends[2], new FileInfo(dir.File(DocumentStateStore.LogFileName)).Length);
            w.Append(Entries(f, states, 3, 5));
        }
        using (var r = DocumentStateStore.Open(dir.Path, f.Model))
        {
            Assert.Equal(Ids[..5], r.GetIds());
            Assert.Empty(r.DamagedRegions);
            for (int i = 0; i < 5; i++) Assert.Equal(states[i].State.Wkv, r.Get(i).State.Wkv);
        }
    }

    [Fact]
    public void Garbage_after_the_last_record_is_kept_and_appended_after()
    {
        var f = Tiny;
        var states = f.Reranker.IndexDocuments(Docs);
        using var dir = new TempDir();
        using (var w = DocumentStateStore.OpenForWriting(dir.Path, f.Model)) w.Append(Entries(f, states, 0, 3));
        var full = File.ReadAllBytes(dir.File(DocumentStateStore.LogFileName));
        // 301 bytes that are no record (a damaged last record looks like this): a writer must not delete them.
        var garbage = new byte[301];
        new Random(3).NextBytes(garbage);
        File.WriteAllBytes(dir.File(DocumentStateStore.LogFileName), [.. full, .. garbage]);
        using (var r = DocumentStateStore.Open(dir.Path, f.Model))
        {
            Assert.Equal(3, r.Count);
            Assert.Equal(StateLogTail.Garbage, r.Tail);
            Assert.Equal(new StateLogRegion(full.Length, garbage.Length), r.TailRegion);
            Assert.Contains("unreadable bytes at the end", r.DescribeSkipped());
        }
        using (var w = DocumentStateStore.OpenForWriting(dir.Path, f.Model)) w.Append(Entries(f, states, 3, 4));
        var after = File.ReadAllBytes(dir.File(DocumentStateStore.LogFileName));
        Assert.Equal([.. full, .. garbage], after[..(full.Length + garbage.Length)]);
        using (var r = DocumentStateStore.Open(dir.Path, f.Model))
        {
            Assert.Equal(Ids[..4], r.GetIds());
            Assert.Equal(StateLogTail.None, r.Tail);
            var region = Assert.Single(r.DamagedRegions);
            Assert.Equal(full.Length, region.Offset);
            Assert.Equal(garbage.Length, region.Length);
            Assert.Equal(states[3].State.Wkv, r.Get(3).State.Wkv);
        }
    }

    [Fact]
    public void A_damaged_state_fails_its_checksum_naming_the_document_and_the_others_are_served()
    {
        var f = Tiny;
        using var dir = new TempDir();
        var states = f.Reranker.IndexDocuments(Docs[..3]);
        using (var w = DocumentStateStore.OpenForWriting(dir.Path, f.Model)) w.Append(Entries(f, states, 0, 3));
        var bytes = File.ReadAllBytes(dir.File(DocumentStateStore.LogFileName));
        long stateOfSecond = StateLog.Scan(bytes).Records[2].StateOffset; // records: manifest, doc 0, doc 1, ...
        bytes[stateOfSecond + 1000] ^= 0x40;
        File.WriteAllBytes(dir.File(DocumentStateStore.LogFileName), bytes);
        using (var r = DocumentStateStore.Open(dir.Path, f.Model))
        {
            Assert.Equal(3, r.Count);
            Assert.Equal(states[0].State.Wkv, r.Get(0).State.Wkv);
            Assert.Equal(states[2].State.Wkv, r.Get(2).State.Wkv);
            var e = Assert.Throws<DamagedRecordException>(() => r.Get(1));
            Assert.Equal(Ids[1], e.DocumentId);
            Assert.Contains(Ids[1], e.Message);
            Assert.Contains("checksum", e.Message);
            Assert.Equal(StateLookupStatus.Damaged, r.TryGet(Ids[1]).Status);
            Assert.NotNull(r.Verify(1));
            Assert.Null(r.Verify(0));
            // Its embedding has its own checksum and is intact.
            Assert.Equal(f.Model.Embed(Docs[1]), r.GetEmbedding(1));
        }
        // Indexing the document again replaces the damaged record.
        using (var w = DocumentStateStore.OpenForWriting(dir.Path, f.Model)) w.Append(Entries(f, states, 1, 2));
        using (var r = DocumentStateStore.Open(dir.Path, f.Model))
        {
            Assert.Equal(Ids[..3], r.GetIds());
            Assert.Equal(1, r.SupersededRecords);
            Assert.Equal(states[1].State.Wkv, r.Get(1).State.Wkv);
        }
    }

    [Fact]
    public void One_writer_at_a_time_ids_replace_and_readers_refresh()
    {
        var f = Tiny;
        using var dir = new TempDir();
        var states = f.Reranker.IndexDocuments(Docs[..3]);
        using var w = DocumentStateStore.OpenForWriting(dir.Path, f.Model);
        var busy = Assert.Throws<IOException>(() => DocumentStateStore.OpenForWriting(dir.Path, f.Model));
        Assert.Contains("another process is writing", busy.Message);

        w.Append("a", ContentHash.Of(Docs[0]), states[0]);
        Assert.Throws<ArgumentException>(() => w.Append([new DocumentStateEntry("b", ContentHash.Of(Docs[1]), states[1]), new DocumentStateEntry("b", ContentHash.Of(Docs[2]), states[2])]));
        Assert.Throws<ArgumentException>(() => w.Append("", ContentHash.Of(Docs[1]), states[1]));
        Assert.Equal(1, w.Count);

        using var r = DocumentStateStore.Open(dir.Path, f.Model);
        Assert.Equal(1, r.Count);
        Assert.Throws<InvalidOperationException>(() => r.Append("z", ContentHash.Of(Docs[2]), states[2]));
        w.Append([new DocumentStateEntry("b", ContentHash.Of(Docs[1]), states[1]), new DocumentStateEntry("c", ContentHash.Of(Docs[2]), states[2])]);
        Assert.Equal(1, r.Count);
        r.Refresh();
        Assert.Equal(["a", "b", "c"], r.GetIds());
        Assert.Equal(states[2].State.Wkv, r.Get("c").State.Wkv);
        Assert.Throws<KeyNotFoundException>(() => r.Get("nope"));
        Assert.Equal(StateLookupStatus.Missing, r.TryGet("nope").Status);

        // The same id again is a new version of the document: it replaces the old one and keeps its position.
        w.Append("a", ContentHash.Of(Docs[1]), states[1]);
        r.Refresh();
        Assert.Equal(["a", "b", "c"], r.GetIds());
        Assert.Equal(states[1].State.Wkv, r.Get("a").State.Wkv);
        Assert.Equal(1, r.SupersededRecords);

        // Precision is fixed at creation.
        w.Dispose();
        Assert.Throws<ArgumentException>(() => DocumentStateStore.OpenForWriting(dir.Path, f.Model, new DocumentStateStoreOptions { Precision = StatePrecision.Float16 }));
        Assert.Throws<DirectoryNotFoundException>(() => DocumentStateStore.Open(Path.Combine(dir.Path, "missing"), f.Model));
    }
}
