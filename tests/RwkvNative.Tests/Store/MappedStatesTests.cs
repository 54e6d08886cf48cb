using RwkvNative.Model;
using RwkvNative.Store;
using RwkvNative.Tests.Reference;

namespace RwkvNative.Tests.Store;

/// <summary>
/// <see cref="DocumentStateStore.MapStates"/>: the store's states read in place, exactly what <see cref="DocumentStateStore.Get(int)"/>
/// reads, for every document or a chosen subset, and a mapping that outlives whoever let go of it first.
/// </summary>
public sealed class MappedStatesTests
{
    private static LoadedFixtures.Loaded Tiny => LoadedFixtures.Get("tiny-bf16", "cpu");
    private static readonly string[] Docs = DocumentStateStoreTests.Docs;
    private static readonly string[] Ids = DocumentStateStoreTests.Ids;

    private static TempDir Write(StatePrecision precision, DocumentState[] states, int count)
    {
        var dir = new TempDir();
        using var w = DocumentStateStore.OpenForWriting(dir.Path, Tiny.Model, new DocumentStateStoreOptions { Precision = precision, FlushToDisk = false });
        w.Append(DocumentStateStoreTests.Entries(Tiny, states, 0, count));
        return dir;
    }

    [Theory]
    [InlineData(StatePrecision.Float32)]
    [InlineData(StatePrecision.Float16)]
    public void Every_mapped_state_reads_as_the_store_reads_it(StatePrecision precision)
    {
        var states = Tiny.Reranker.IndexDocuments(Docs);
        using var dir = Write(precision, states, Docs.Length);
        using var store = DocumentStateStore.Open(dir.Path, Tiny.Model);
        using var mapped = store.MapStates();
        Assert.Equal(Ids, mapped.Ids);
        Assert.Equal(precision, mapped.Precision);
        Assert.Equal(Tiny.Model.Identity, mapped.ModelIdentity);
        Assert.Equal(StateStore(precision), mapped.BytesPerState);
        var batch = new ModelState(Tiny.Model.Config, 3);
        for (int i = 0; i < Docs.Length; i++)
        {
            var expected = store.Get(i).State;
            var one = new ModelState(Tiny.Model.Config, 1);
            mapped.Read(i, one);
            Assert.Equal(expected.Wkv, one.Wkv);
            Assert.Equal(expected.Shift, one.Shift);
            mapped.Read(i, batch, i % 3); // into any sequence of a batch
            var slice = batch.Slice(i % 3);
            Assert.Equal(expected.Wkv, slice.Wkv);
            Assert.Equal(expected.Shift, slice.Shift);
        }
        Assert.Throws<ArgumentOutOfRangeException>(() => mapped.Read(Docs.Length, batch));
        Assert.Throws<ArgumentOutOfRangeException>(() => mapped.Read(-1, batch));
        Assert.Throws<ArgumentException>(() => mapped.Read(0, new ModelState(Tiny.Model.Config.Layers + 1, 1, Tiny.Model.Config.Channels)));
    }

    private static long StateStore(StatePrecision precision) => RwkvNative.Backends.StateStore.BytesPerState(Tiny.Model.Config, precision);

    [Fact]
    public void A_subset_maps_in_the_order_asked_and_a_replaced_document_maps_its_newest_state()
    {
        var states = Tiny.Reranker.IndexDocuments(Docs);
        using var dir = Write(StatePrecision.Float32, states, 4);
        using (var w = DocumentStateStore.OpenForWriting(dir.Path, Tiny.Model, new DocumentStateStoreOptions { FlushToDisk = false }))
            w.Append(Ids[1], ContentHash.Of(Docs[5]), states[5]); // doc 1 now holds document 5's state
        using var store = DocumentStateStore.Open(dir.Path, Tiny.Model);
        using var mapped = store.MapStates([3, 1, 3]);
        Assert.Equal([Ids[3], Ids[1], Ids[3]], mapped.Ids);
        var s = new ModelState(Tiny.Model.Config, 1);
        mapped.Read(1, s);
        Assert.Equal(states[5].State.Wkv, s.Wkv);
        mapped.Read(2, s);
        Assert.Equal(states[3].State.Wkv, s.Wkv);
        Assert.Throws<ArgumentOutOfRangeException>(() => store.MapStates([4]));
        Assert.Throws<ArgumentOutOfRangeException>(() => store.MapStates([-1]));
    }

    [Fact]
    public void Resident_documents_keep_the_mapping_after_the_states_and_the_store_are_disposed()
    {
        var rr = Tiny.Reranker;
        var states = rr.IndexDocuments(Docs);
        using var dir = Write(StatePrecision.Float32, states, Docs.Length);
        var store = DocumentStateStore.Open(dir.Path, Tiny.Model);
        var mapped = store.MapStates();
        var resident = rr.MakeResident(mapped, StatePlacement.Host);
        store.Dispose();
        mapped.Dispose();
        Assert.Throws<ObjectDisposedException>(() => mapped.Read(0, new ModelState(Tiny.Model.Config, 1)));
        Assert.Throws<ObjectDisposedException>(() => rr.MakeResident(mapped));
        Assert.Equal(rr.Score("capital of France", states).Select(s => s.Logit), rr.Score("capital of France", resident).Select(s => s.Logit));
        resident.Dispose();
        Assert.Throws<ObjectDisposedException>(() => rr.Score("capital of France", resident));
    }

    [Fact]
    public void An_empty_store_maps_to_no_states_and_scores_nothing()
    {
        using var dir = new TempDir();
        using (DocumentStateStore.OpenForWriting(dir.Path, Tiny.Model)) { }
        using var store = DocumentStateStore.Open(dir.Path, Tiny.Model);
        using var mapped = store.MapStates();
        Assert.Equal(0, mapped.Count);
        Assert.Null(mapped.Memory);
        using var resident = Tiny.Reranker.MakeResident(mapped);
        Assert.Empty(Tiny.Reranker.Score("anything", resident));
    }
}
