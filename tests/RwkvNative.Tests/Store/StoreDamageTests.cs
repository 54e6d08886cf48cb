using RwkvNative.Checkpoints;
using RwkvNative.Model;
using RwkvNative.Store;
using RwkvNative.Tests.Reference;

namespace RwkvNative.Tests.Store;

/// <summary>
/// The store under damage: bytes flipped at every offset of every record header, the log cut at every record boundary,
/// pages zeroed, bytes inserted, the manifest lost or swapped. Readers keep every record that checks out, writers delete
/// nothing but a torn tail, and re-indexing replaces what was lost.
/// </summary>
public sealed class StoreDamageTests(ITestOutputHelper output)
{
    private static LoadedFixtures.Loaded Tiny => LoadedFixtures.Get("tiny-bf16", "cpu");
    private static readonly string[] Docs = DocumentStateStoreTests.Docs;
    private static readonly string[] Ids = DocumentStateStoreTests.Ids;
    private static readonly DocumentStateStoreOptions NoFlush = new() { FlushToDisk = false };

    private sealed class Fixture : IDisposable
    {
        public Fixture(int documents)
        {
            var f = Tiny;
            States = f.Reranker.IndexDocuments(Docs);
            Entries = DocumentStateStoreTests.Entries(f, States, 0, Docs.Length);
            using (var w = DocumentStateStore.OpenForWriting(Dir.Path, f.Model)) w.Append(Entries[..documents]);
            Log = File.ReadAllBytes(Dir.File(DocumentStateStore.LogFileName));
            Records = StateLog.Scan(Log).Records;
        }

        public TempDir Dir { get; } = new();
        public DocumentState[] States { get; }
        public DocumentStateEntry[] Entries { get; }
        public byte[] Log { get; }

        /// <summary>The intact log's records: the manifest, then one per document.</summary>
        public IReadOnlyList<StateLogRecord> Records { get; }

        public void Dispose() => Dir.Dispose();
    }

    private static void AssertServes(DocumentStateStore store, Fixture fx, IEnumerable<int> documents)
    {
        var expected = documents.ToArray();
        Assert.Equal(expected.Select(i => Ids[i]), store.GetIds());
        foreach (var i in expected)
        {
            Assert.Null(store.Verify(store.Find(Ids[i])!.Index));
            Assert.Equal(fx.States[i].State.Wkv, store.Get(Ids[i]).State.Wkv);
        }
    }

    [Fact]
    public void A_flipped_byte_anywhere_in_a_header_or_key_loses_only_that_record_and_a_writer_keeps_the_rest()
    {
        var f = Tiny;
        using var fx = new Fixture(4);
        int cases = 0;
        for (int r = 0; r < fx.Records.Count; r++)
        {
            var rec = fx.Records[r];
            long keyEnd = rec.Kind == StateLogRecordKind.Manifest ? rec.Size : rec.EmbeddingOffset - rec.Offset;
            bool last = r == fx.Records.Count - 1;
            for (long o = rec.Offset; o < rec.Offset + keyEnd; o++)
            {
                var damaged = (byte[])fx.Log.Clone();
                damaged[o] ^= 0xFF;
                File.WriteAllBytes(fx.Dir.File(DocumentStateStore.LogFileName), damaged);
                int[] survivors = [.. Enumerable.Range(0, 4).Where(i => i != r - 1)];
                using (var store = DocumentStateStore.Open(fx.Dir.Path, f.Model))
                {
                    AssertServes(store, fx, survivors);
                    if (last)
                    {
                        Assert.Equal(StateLogTail.Garbage, store.Tail);
                        Assert.Equal(new StateLogRegion(rec.Offset, rec.Size), store.TailRegion);
                    }
                    else
                    {
                        Assert.Equal([new StateLogRegion(rec.Offset, rec.Size)], store.DamagedRegions);
                    }
                    Assert.NotNull(store.DescribeSkipped());
                }
                // A writer keeps every byte it found and appends after them; re-indexing brings the lost document back.
                using (var w = DocumentStateStore.OpenForWriting(fx.Dir.Path, f.Model, NoFlush))
                {
                    Assert.Equal(survivors.Length, w.Count);
                    if (r > 0) w.Append([fx.Entries[r - 1]]);
                    w.Append([fx.Entries[4]]);
                }
                Assert.Equal(damaged, File.ReadAllBytes(fx.Dir.File(DocumentStateStore.LogFileName))[..damaged.Length]);
                using (var store = DocumentStateStore.Open(fx.Dir.Path, f.Model))
                {
                    int[] now = r > 0 ? [.. survivors, r - 1, 4] : [.. survivors, 4];
                    AssertServes(store, fx, now); // a re-indexed document takes the next position
                    Assert.Single(store.DamagedRegions);
                }
                cases++;
            }
        }
        output.WriteLine($"{cases} single-byte flips in {fx.Records.Count} record headers and keys");
    }

    [Fact]
    public void A_log_cut_anywhere_keeps_every_complete_record_and_the_next_writer_resumes_after_them()
    {
        var f = Tiny;
        using var fx = new Fixture(4);
        var cuts = new SortedSet<long>();
        foreach (var rec in fx.Records)
        {
            for (long o = rec.Offset - 8; o <= rec.Offset + 100; o++) cuts.Add(o);
            for (long o = rec.End - 8; o <= rec.End; o++) cuts.Add(o);
        }
        for (long o = 0; o < fx.Log.Length; o += 4099) cuts.Add(o);
        cuts.RemoveWhere(c => c < fx.Records[0].End || c > fx.Log.Length); // the manifest record stays (its loss is tested below)
        foreach (var cut in cuts)
        {
            File.WriteAllBytes(fx.Dir.File(DocumentStateStore.LogFileName), fx.Log[..(int)cut]);
            int complete = fx.Records.Count(r => r.Kind == StateLogRecordKind.Document && r.End <= cut);
            long end = fx.Records.Where(r => r.End <= cut).Max(r => r.End);
            using (var store = DocumentStateStore.Open(fx.Dir.Path, f.Model))
            {
                AssertServes(store, fx, Enumerable.Range(0, complete));
                Assert.Empty(store.DamagedRegions);
                Assert.Equal(end == cut ? StateLogTail.None : StateLogTail.Torn, store.Tail);
                Assert.Equal(end, store.LogBytes);
            }
            using (var w = DocumentStateStore.OpenForWriting(fx.Dir.Path, f.Model, NoFlush))
            {
                Assert.Equal(end, new FileInfo(fx.Dir.File(DocumentStateStore.LogFileName)).Length);
                w.Append([fx.Entries[4]]);
            }
            using (var store = DocumentStateStore.Open(fx.Dir.Path, f.Model))
            {
                AssertServes(store, fx, [.. Enumerable.Range(0, complete), 4]);
                Assert.Empty(store.DamagedRegions);
                Assert.Equal(StateLogTail.None, store.Tail);
            }
        }
        output.WriteLine($"{cuts.Count} cuts");
    }

    [Fact]
    public void A_flipped_byte_in_an_embedding_or_state_names_that_document_only()
    {
        var f = Tiny;
        using var fx = new Fixture(4);
        foreach (var rec in fx.Records.Skip(1))
        {
            int doc = Array.IndexOf(Ids, rec.Key);
            long[] offsets = [rec.EmbeddingOffset, rec.EmbeddingOffset + 4L * rec.EmbeddingDimensions - 1, rec.StateOffset,
                rec.StateOffset + rec.StateBytes / 2, rec.End - 1];
            foreach (var o in offsets)
            {
                var damaged = (byte[])fx.Log.Clone();
                damaged[o] ^= 0x01;
                File.WriteAllBytes(fx.Dir.File(DocumentStateStore.LogFileName), damaged);
                using var store = DocumentStateStore.Open(fx.Dir.Path, f.Model);
                Assert.Equal(Ids[..4], store.GetIds());
                Assert.Empty(store.DamagedRegions);
                for (int i = 0; i < 4; i++)
                {
                    if (i == doc) continue;
                    Assert.Null(store.Verify(i));
                    Assert.Equal(fx.States[i].State.Wkv, store.Get(i).State.Wkv);
                }
                var problem = store.Verify(doc);
                Assert.NotNull(problem);
                Assert.Contains($"'{Ids[doc]}'", problem);
                bool inEmbedding = o < rec.StateOffset;
                Assert.Contains(inEmbedding ? "embedding" : "state", problem);
                if (inEmbedding)
                {
                    Assert.Throws<DamagedRecordException>(() => store.GetEmbedding(doc));
                    var damagedIds = new List<string>();
                    var listed = store.ReadEmbeddings(e => damagedIds.Add(e.DocumentId)).ToList();
                    Assert.Equal(3, listed.Count);
                    Assert.Equal([Ids[doc]], damagedIds);
                    Assert.Equal(fx.States[doc].State.Wkv, store.Get(doc).State.Wkv); // the state is intact
                }
                else
                {
                    Assert.Throws<DamagedRecordException>(() => store.Get(doc));
                    Assert.Equal(4, store.ReadEmbeddings().Count());
                }
                var check = DocumentStateStore.Check(fx.Dir.Path);
                Assert.False(check.IsClean);
                Assert.Equal([Ids[doc]], check.DamagedDocuments.Select(d => d.Id));
            }
        }
    }

    [Fact]
    public void Mapping_the_states_checks_every_checksum_once_and_leaves_a_damaged_state_out_or_throws()
    {
        var f = Tiny;
        using var fx = new Fixture(4);
        foreach (int doc in new[] { 0, 2, 3 })
        {
            var rec = fx.Records[doc + 1];
            foreach (long o in new[] { rec.StateOffset, rec.StateOffset + rec.StateBytes / 2, rec.End - 1 })
            {
                var damaged = (byte[])fx.Log.Clone();
                damaged[o] ^= 0x10;
                File.WriteAllBytes(fx.Dir.File(DocumentStateStore.LogFileName), damaged);
                using var store = DocumentStateStore.Open(fx.Dir.Path, f.Model);
                var e = Assert.Throws<DamagedRecordException>(() => store.MapStates());
                Assert.Equal(Ids[doc], e.DocumentId);
                var reported = new List<string>();
                using var mapped = store.MapStates(onDamaged: d => reported.Add(d.DocumentId));
                Assert.Equal([Ids[doc]], reported);
                int[] intact = [.. Enumerable.Range(0, 4).Where(i => i != doc)];
                Assert.Equal(intact.Select(i => Ids[i]), mapped.Ids);
                for (int slot = 0; slot < intact.Length; slot++)
                {
                    var s = new ModelState(f.Model.Config, 1);
                    mapped.Read(slot, s);
                    Assert.Equal(fx.States[intact[slot]].State.Wkv, s.Wkv);
                    Assert.Equal(fx.States[intact[slot]].State.Shift, s.Shift);
                }
                // A damaged embedding does not concern the states.
            }
        }
        var embeddingDamaged = (byte[])fx.Log.Clone();
        embeddingDamaged[fx.Records[1].EmbeddingOffset] ^= 0x10;
        File.WriteAllBytes(fx.Dir.File(DocumentStateStore.LogFileName), embeddingDamaged);
        using (var store = DocumentStateStore.Open(fx.Dir.Path, f.Model))
        using (var mapped = store.MapStates())
            Assert.Equal(Ids[..4], mapped.Ids);
    }

    [Fact]
    public void A_log_truncated_under_an_open_store_is_refused_before_anything_is_mapped()
    {
        var f = Tiny;
        using var fx = new Fixture(4);
        using var store = DocumentStateStore.Open(fx.Dir.Path, f.Model);
        using (var log = new FileStream(fx.Dir.File(DocumentStateStore.LogFileName), FileMode.Open, FileAccess.Write, FileShare.ReadWrite))
            log.SetLength(fx.Records[3].End - 8); // the last document cut short by something outside the store
        var e = Assert.Throws<IOException>(() => store.MapStates());
        Assert.Contains("truncated", e.Message);
        using var first = store.MapStates([0, 1]); // what still lies inside the file maps
        Assert.Equal(Ids[..2], first.Ids);
    }

    [Fact]
    public void A_zeroed_page_and_inserted_bytes_are_skipped_and_reading_resumes_at_the_next_record()
    {
        var f = Tiny;
        using var fx = new Fixture(4);
        // A lost 4 KiB page across the boundary of documents 1 and 2: 1's state fails its checksum, 2 is unreadable.
        var zeroed = (byte[])fx.Log.Clone();
        var boundary = fx.Records[3].Offset;
        Array.Clear(zeroed, (int)boundary - 2048, 4096);
        File.WriteAllBytes(fx.Dir.File(DocumentStateStore.LogFileName), zeroed);
        using (var store = DocumentStateStore.Open(fx.Dir.Path, f.Model))
        {
            Assert.Equal([Ids[0], Ids[1], Ids[3]], store.GetIds());
            Assert.Equal([new StateLogRegion(boundary, fx.Records[3].Size)], store.DamagedRegions);
            Assert.Throws<DamagedRecordException>(() => store.Get(Ids[1]));
            Assert.Equal(fx.States[3].State.Wkv, store.Get(Ids[3]).State.Wkv);
        }
        // Three bytes inserted before document 2 shift everything after them; the scan still finds every record.
        byte[] inserted = [.. fx.Log.AsSpan(0, (int)boundary), 1, 2, 3, .. fx.Log.AsSpan((int)boundary)];
        File.WriteAllBytes(fx.Dir.File(DocumentStateStore.LogFileName), inserted);
        using (var store = DocumentStateStore.Open(fx.Dir.Path, f.Model))
        {
            AssertServes(store, fx, Enumerable.Range(0, 4));
            Assert.Equal([new StateLogRegion(boundary, 3)], store.DamagedRegions);
        }
        // ... and the writer appends after them.
        using (var w = DocumentStateStore.OpenForWriting(fx.Dir.Path, f.Model, NoFlush)) w.Append([fx.Entries[4]]);
        using (var store = DocumentStateStore.Open(fx.Dir.Path, f.Model)) AssertServes(store, fx, Enumerable.Range(0, 5));
    }

    [Fact]
    public void A_lost_store_json_is_rebuilt_from_the_log_and_a_mismatched_writer_is_refused_without_touching_it()
    {
        var f = Tiny;
        using var fx = new Fixture(4);
        var manifestPath = Path.Combine(fx.Dir.Path, DocumentStateStore.ManifestFileName);
        var manifest = File.ReadAllBytes(manifestPath);
        File.Delete(manifestPath);
        // Readers read the manifest from the log.
        using (var store = DocumentStateStore.Open(fx.Dir.Path, f.Model)) AssertServes(store, fx, Enumerable.Range(0, 4));
        // Another precision or another model is refused, and the log is left as it was (the reported bug: cut to 1 record).
        var e = Assert.Throws<ArgumentException>(() => DocumentStateStore.OpenForWriting(fx.Dir.Path, f.Model, new DocumentStateStoreOptions { Precision = StatePrecision.Float16 }));
        Assert.Contains("f32", e.Message);
        var other = Assert.Throws<CheckpointException>(() => DocumentStateStore.OpenForWriting(fx.Dir.Path, LoadedFixtures.Get("mini-fp16", "cpu").Model));
        Assert.Contains("another model", other.Message);
        Assert.Equal(fx.Log, File.ReadAllBytes(fx.Dir.File(DocumentStateStore.LogFileName)));
        Assert.False(File.Exists(manifestPath));
        // The right writer rebuilds store.json from the log and appends.
        using (var w = DocumentStateStore.OpenForWriting(fx.Dir.Path, f.Model)) w.Append([fx.Entries[4]]);
        Assert.Equal(System.Text.Encoding.UTF8.GetString(manifest).Split('\n').Where(l => !l.Contains("created")),
            System.Text.Encoding.UTF8.GetString(File.ReadAllBytes(manifestPath)).Split('\n').Where(l => !l.Contains("created")));
        using (var store = DocumentStateStore.Open(fx.Dir.Path, f.Model)) AssertServes(store, fx, Enumerable.Range(0, 5));

        // With the log's manifest record damaged as well, nothing says which model made the log: refused, nothing written.
        File.Delete(manifestPath);
        var log = File.ReadAllBytes(fx.Dir.File(DocumentStateStore.LogFileName));
        log[10] ^= 0xFF;
        File.WriteAllBytes(fx.Dir.File(DocumentStateStore.LogFileName), log);
        var unknown = Assert.Throws<CheckpointException>(() => DocumentStateStore.OpenForWriting(fx.Dir.Path, f.Model));
        Assert.Contains("restore store.json", unknown.Message);
        Assert.Throws<CheckpointException>(() => DocumentStateStore.Open(fx.Dir.Path, f.Model));
        Assert.Equal(log, File.ReadAllBytes(fx.Dir.File(DocumentStateStore.LogFileName)));
        // Putting store.json back makes it readable again (the manifest record's loss is then a damaged region).
        File.WriteAllBytes(manifestPath, manifest);
        using (var store = DocumentStateStore.Open(fx.Dir.Path, f.Model))
        {
            AssertServes(store, fx, Enumerable.Range(0, 5));
            Assert.Equal(0, Assert.Single(store.DamagedRegions).Offset);
        }
    }

    [Fact]
    public void A_store_json_of_another_store_is_refused()
    {
        var f = Tiny;
        using var fx = new Fixture(2);
        using var other = new TempDir();
        var mini = LoadedFixtures.Get("mini-fp16", "cpu");
        using (var w = DocumentStateStore.OpenForWriting(other.Path, mini.Model)) w.Append("x", ContentHash.Of("x"), mini.Reranker.IndexDocuments(["x"])[0]);
        File.Copy(Path.Combine(other.Path, DocumentStateStore.ManifestFileName), Path.Combine(fx.Dir.Path, DocumentStateStore.ManifestFileName), overwrite: true);
        var e = Assert.Throws<CheckpointException>(() => DocumentStateStore.OpenForWriting(fx.Dir.Path, f.Model));
        Assert.Contains("does not describe", e.Message);
        Assert.Throws<CheckpointException>(() => DocumentStateStore.Open(fx.Dir.Path, f.Model));
        Assert.Equal(fx.Log, File.ReadAllBytes(fx.Dir.File(DocumentStateStore.LogFileName)));
    }

    [Fact]
    public void Repair_drops_damage_and_superseded_records_swaps_the_log_and_open_readers_follow()
    {
        var f = Tiny;
        using var fx = new Fixture(4);
        var damaged = (byte[])fx.Log.Clone();
        damaged[fx.Records[2].Offset + 5] ^= 0xFF;           // document 1: header
        damaged[fx.Records[3].StateOffset + 77] ^= 0xFF;     // document 2: state
        File.WriteAllBytes(fx.Dir.File(DocumentStateStore.LogFileName), [.. damaged, 9, 9, 9]); // and garbage at the end
        using (var w = DocumentStateStore.OpenForWriting(fx.Dir.Path, f.Model)) w.Append([fx.Entries[0], fx.Entries[4]]); // 0 superseded
        using var reader = DocumentStateStore.Open(fx.Dir.Path, f.Model);
        Assert.Equal([Ids[0], Ids[2], Ids[3], Ids[4]], reader.GetIds());

        var found = DocumentStateStore.Repair(fx.Dir.Path);
        Assert.False(found.IsClean);
        Assert.Equal([Ids[2]], found.DamagedDocuments.Select(d => d.Id));
        Assert.Equal(2, found.DamagedRegions.Count);
        Assert.Equal(1, found.SupersededRecords);

        using (var store = DocumentStateStore.Open(fx.Dir.Path, f.Model)) AssertServes(store, fx, [0, 3, 4]);
        var after = DocumentStateStore.Check(fx.Dir.Path);
        Assert.True(after.IsClean);
        Assert.Equal(3, after.Documents);
        reader.Refresh();
        AssertServes(reader, fx, [0, 3, 4]);
        Assert.Empty(reader.DamagedRegions);
        Assert.False(File.Exists(fx.Dir.File(DocumentStateStore.LogFileName) + ".repair.tmp"));
    }

    [Fact]
    public void A_lookup_with_the_content_hash_refuses_a_stale_state_and_a_changed_document_replaces_it()
    {
        var f = Tiny;
        using var fx = new Fixture(3);
        var changed = Docs[0] + " (edited)";
        using (var store = DocumentStateStore.Open(fx.Dir.Path, f.Model))
        {
            Assert.Equal(StateLookupStatus.Found, store.TryGet(Ids[0], ContentHash.Of(Docs[0])).Status);
            var stale = store.TryGet(Ids[0], ContentHash.Of(changed));
            Assert.Equal(StateLookupStatus.Stale, stale.Status);
            Assert.Null(stale.State);
            Assert.Contains("re-index", stale.Problem);
            var e = Assert.Throws<StaleDocumentStateException>(() => store.Get(Ids[0], ContentHash.Of(changed)));
            Assert.Equal(ContentHash.Of(Docs[0]), e.Stored);
            var many = store.TryGetMany([Ids[1], "nope", Ids[0]], [ContentHash.Of(Docs[1]), ContentHash.Of("x"), ContentHash.Of(changed)]);
            Assert.Equal([StateLookupStatus.Found, StateLookupStatus.Missing, StateLookupStatus.Stale], many.Select(m => m.Status));
            Assert.Equal(fx.States[1].State.Wkv, many[0].State!.State.Wkv);
        }
        var newState = f.Reranker.IndexDocuments([changed])[0];
        using (var w = DocumentStateStore.OpenForWriting(fx.Dir.Path, f.Model)) w.Append(Ids[0], ContentHash.Of(changed), newState, f.Model.Embed(changed));
        using (var store = DocumentStateStore.Open(fx.Dir.Path, f.Model))
        {
            Assert.Equal(Ids[..3], store.GetIds());
            Assert.Equal(newState.State.Wkv, store.Get(Ids[0], ContentHash.Of(changed)).State.Wkv);
            Assert.Equal(StateLookupStatus.Stale, store.TryGet(Ids[0], ContentHash.Of(Docs[0])).Status);
            var listed = store.ReadEmbeddings().ToList();
            Assert.Equal(Ids[..3], listed.Select(x => x.Id));
            Assert.Equal(ContentHash.Of(changed), listed[0].Content);
            Assert.Equal(f.Model.Embed(changed), listed[0].Embedding);
            Assert.Equal(ContentHash.Of(changed), ContentHash.Parse(listed[0].Content.ToString()));
        }
    }

    [Fact]
    public async Task A_reader_refreshing_while_a_writer_appends_sees_only_complete_records()
    {
        var f = Tiny;
        using var fx = new Fixture(1);
        const int appends = 40;
        using var reader = DocumentStateStore.Open(fx.Dir.Path, f.Model);
        using var done = new CancellationTokenSource();
        var seen = new List<int>();
        int torn = 0;
        var readerTask = Task.Run(() =>
        {
            while (!done.IsCancellationRequested)
            {
                reader.Refresh();
                Assert.Empty(reader.DamagedRegions);
                if (reader.Tail == StateLogTail.Torn) torn++;
                Assert.NotEqual(StateLogTail.Garbage, reader.Tail);
                int n = reader.Count;
                seen.Add(n);
                for (int i = 0; i < n; i++) Assert.Null(reader.Verify(i));
            }
        });
        using (var w = DocumentStateStore.OpenForWriting(fx.Dir.Path, f.Model, NoFlush))
            for (int i = 0; i < appends; i++)
                w.Append([new DocumentStateEntry($"appended-{i}", ContentHash.Of(Docs[i % Docs.Length]), fx.States[i % Docs.Length])]);
        done.Cancel();
        await readerTask;
        reader.Refresh();
        Assert.Equal(1 + appends, reader.Count);
        Assert.Equal(seen.Order(), seen); // counts only grow
        output.WriteLine($"{seen.Count} refreshes while appending, {torn} saw a record being written");
    }

    [Fact]
    public void The_scanner_accepts_any_bytes_and_finds_records_among_them()
    {
        using var fx = new Fixture(2);
        var rng = new Random(15);
        for (int round = 0; round < 300; round++)
        {
            var bytes = new byte[rng.Next(0, 2000)];
            rng.NextBytes(bytes);
            var scan = StateLog.Scan(bytes);
            Assert.Empty(scan.Records);
            Assert.Equal(bytes.Length, scan.TailRegion.End);
            // Mutations of a real log: the scan never throws and every record it returns lies inside the input.
            var log = (byte[])fx.Log.Clone();
            for (int k = 0; k < 1 + rng.Next(8); k++) log[rng.Next(log.Length)] = (byte)rng.Next(256);
            var cut = log[..rng.Next(log.Length)];
            var mutated = StateLog.Scan(cut);
            foreach (var r in mutated.Records) Assert.InRange(r.End, r.Offset + StateLog.HeaderSize, cut.Length);
            Assert.True(mutated.TailRegion.End == cut.Length);
        }
    }
}
