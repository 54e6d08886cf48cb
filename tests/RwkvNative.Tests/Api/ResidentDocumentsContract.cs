using RwkvNative.Backends;
using RwkvNative.Model;
using RwkvNative.Store;
using RwkvNative.Tests.Reference;

namespace RwkvNative.Tests.Api;

/// <summary>
/// States that live in the backend (<see cref="BackendState"/>, <see cref="StateStore"/>, <see cref="ResidentDocuments"/>)
/// give the results of the host-state paths, on every backend: the CPU subclass always runs, the CUDA one on a device
/// or the emulator. Tolerances are the backend's (see the subclasses).
/// </summary>
public abstract class ResidentDocumentsContract
{
    protected abstract string Device { get; }

    /// <summary>Same kernels, same shapes, same states: logits that must agree (absolute).</summary>
    protected virtual double SamePath => 1e-6;

    /// <summary>Logits from float16-resident states against float32 ones (absolute): every state value rounded once.</summary>
    protected virtual double HalfStates => 5e-2;

    protected virtual void RequireDevice() { }

    /// <summary>What <see cref="StatePlacement.Host"/> gives on this backend (the CPU computes in host memory: there it is the device).</summary>
    protected virtual StatePlacement HostPlacement => StatePlacement.Host;

    private LoadedFixtures.Loaded Tiny => LoadedFixtures.Get("tiny-bf16", Device);

    private static readonly string[] Docs =
    [
        "The Eiffel Tower is in Paris.", "Photosynthesis turns light into chemical energy.", "RWKV is a recurrent network.",
        "Bananas are rich in potassium.", "The Pacific is the largest ocean.", "", "Rust has no garbage collector.",
    ];

    private static void AssertLogits(RerankScore[] expected, RerankScore[] actual, double tol, string what)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < expected.Length; i++)
        {
            Assert.Equal(expected[i].Index, actual[i].Index);
            Assert.True(Math.Abs(expected[i].Logit - actual[i].Logit) <= tol,
                $"{what}: document {expected[i].Index}: {expected[i].Logit} vs {actual[i].Logit} (tolerance {tol})");
        }
    }

    [Fact]
    public void Resident_float32_documents_score_as_the_host_cached_states_do_for_all_and_for_a_subset()
    {
        RequireDevice();
        var rr = Tiny.Reranker;
        var cached = rr.IndexDocuments(Docs);
        var expected = rr.Score("where is the tower?", cached);
        using var resident = rr.MakeResident(cached);
        Assert.Equal(StatePrecision.Float32, resident.Precision);
        Assert.Equal(Docs.Length, resident.Count);
        Assert.Equal(Docs.Length * StateStore.BytesPerState(Tiny.Model.Config, StatePrecision.Float32), resident.Bytes);
        AssertLogits(expected, rr.Score("where is the tower?", resident), SamePath, "all documents");

        int[] subset = [4, 0, 4, 2]; // any order, repeats allowed
        var some = rr.Score("where is the tower?", resident, subset);
        Assert.Equal(subset, some.Select(s => s.Index));
        for (int i = 0; i < subset.Length; i++)
            Assert.True(Math.Abs(expected[subset[i]].Logit - some[i].Logit) <= SamePath, $"subset item {i}");
    }

    [Theory]
    [InlineData(StatePrecision.Float32)]
    [InlineData(StatePrecision.Float16)]
    public void Documents_kept_in_host_memory_score_as_device_resident_ones(StatePrecision precision)
    {
        RequireDevice();
        var rr = Tiny.Reranker;
        var cached = rr.IndexDocuments(Docs);
        using var device = rr.MakeResident(cached, precision, placement: StatePlacement.Device);
        using var host = rr.MakeResident(cached, precision, placement: StatePlacement.Host);
        using var indexed = rr.IndexResident(Docs, precision, placement: StatePlacement.Host); // device states written to host memory
        Assert.Equal(StatePlacement.Device, device.Placement);
        Assert.Equal(HostPlacement, host.Placement);
        Assert.Equal(HostPlacement, indexed.Placement);
        Assert.Equal(device.Bytes, host.Bytes);
        Assert.Equal(precision, host.Precision);
        var expected = rr.Score("which ocean is largest?", device);
        AssertLogits(expected, rr.Score("which ocean is largest?", host), SamePath, "streamed from host memory");
        AssertLogits(expected, rr.Score("which ocean is largest?", indexed), SamePath, "indexed into host memory");
        int[] subset = [5, 1, 2, 3, 1, 6]; // runs of consecutive slots, a repeat, a gap
        AssertLogits(rr.Score("which ocean is largest?", device, subset), rr.Score("which ocean is largest?", host, subset), SamePath, "a subset");
    }

    /// <summary>Whether <see cref="StatePlacement.Auto"/> reads mapped states in place on this backend (the CPU) rather than copying them to the device.</summary>
    protected virtual bool MappedAutoInPlace => false;

    [Theory]
    [InlineData(StatePrecision.Float32, StatePlacement.Host)]
    [InlineData(StatePrecision.Float16, StatePlacement.Host)]
    [InlineData(StatePrecision.Float32, StatePlacement.Device)]
    [InlineData(StatePrecision.Float16, StatePlacement.Device)]
    [InlineData(StatePrecision.Float32, StatePlacement.Auto)]
    public void States_mapped_from_a_document_store_score_as_the_same_states_resident(StatePrecision precision, StatePlacement placement)
    {
        RequireDevice();
        var rr = Tiny.Reranker;
        var cached = rr.IndexDocuments(Docs);
        var ids = Docs.Select((_, i) => $"doc-{i}").ToArray();
        using var dir = new TempDir();
        using (var writer = DocumentStateStore.OpenForWriting(dir.Path, Tiny.Model, new DocumentStateStoreOptions { Precision = precision, FlushToDisk = false }))
            writer.Append(Docs.Select((d, i) => new DocumentStateEntry(ids[i], ContentHash.Of(d), cached[i])).ToArray());
        using var expectedDocs = rr.MakeResident(cached, precision, ids, StatePlacement.Device);
        var expected = rr.Score("which ocean is largest?", expectedDocs);

        ResidentDocuments mapped;
        using (var store = DocumentStateStore.Open(dir.Path, Tiny.Model))
        using (var states = store.MapStates())
        {
            Assert.Equal(ids, states.Ids);
            Assert.Equal(precision, states.Precision);
            mapped = rr.MakeResident(states, placement);
        } // the mapping outlives the store and the MappedStates: the resident documents hold it
        using (mapped)
        {
            bool inPlace = placement == StatePlacement.Host || (placement == StatePlacement.Auto && MappedAutoInPlace);
            Assert.Equal(inPlace, mapped.IsMapped);
            Assert.Equal(inPlace ? HostPlacement : StatePlacement.Device, mapped.Placement);
            Assert.Equal(precision, mapped.Precision);
            Assert.Equal(ids, mapped.Ids);
            AssertLogits(expected, rr.Score("which ocean is largest?", mapped), SamePath, $"mapped {precision}, {placement}");
            int[] subset = [5, 1, 2, 3, 1, 6]; // runs, a repeat, a gap
            AssertLogits(rr.Score("which ocean is largest?", expectedDocs, subset), rr.Score("which ocean is largest?", mapped, subset), SamePath, "a subset");
            var byId = rr.Score("which ocean is largest?", mapped, ["doc-6", "doc-0"]);
            Assert.Equal([6, 0], byId.Select(s => s.Index));
            if (mapped.IsMapped)
                Assert.Throws<InvalidOperationException>(() => mapped.Store.Write(0, [cached[0].State])); // read in place: never written
        }
    }

    [Fact]
    public void Mapped_states_of_another_model_or_shape_are_refused()
    {
        RequireDevice();
        var rr = Tiny.Reranker;
        using var dir = new TempDir();
        using (var writer = DocumentStateStore.OpenForWriting(dir.Path, Tiny.Model, new DocumentStateStoreOptions { FlushToDisk = false }))
            writer.Append("a", ContentHash.Of("a"), rr.IndexDocuments(["a"])[0]);
        using var store = DocumentStateStore.Open(dir.Path, Tiny.Model);
        using var states = store.MapStates();
        var other = LoadedFixtures.Get("mini-fp16", Device);
        Assert.Throws<ArgumentException>(() => other.Reranker.MakeResident(states));
        Assert.Throws<ArgumentOutOfRangeException>(() => rr.MakeResident(states, (StatePlacement)7));
    }

    [Fact]
    public void Auto_placement_keeps_documents_on_the_device_when_they_fit()
    {
        RequireDevice();
        var rr = Tiny.Reranker;
        Assert.True(Tiny.Model.ResidentCapacity(StatePrecision.Float32) >= Docs.Length);
        using var auto = rr.MakeResident(rr.IndexDocuments(Docs));
        Assert.Equal(StatePlacement.Device, auto.Placement);
        using var indexed = rr.IndexResident(Docs);
        Assert.Equal(StatePlacement.Device, indexed.Placement);
        Assert.Throws<ArgumentOutOfRangeException>(() => rr.IndexResident(Docs, placement: (StatePlacement)7));
    }

    [Fact]
    public void Documents_indexed_on_the_backend_match_documents_made_resident_from_the_host()
    {
        RequireDevice();
        var rr = Tiny.Reranker;
        using var fromHost = rr.MakeResident(rr.IndexDocuments(Docs));
        using var onBackend = rr.IndexResident(Docs, ids: Docs.Select((_, i) => $"doc-{i}").ToArray());
        AssertLogits(rr.Score("ocean", fromHost), rr.Score("ocean", onBackend), SamePath, "indexed where the states live");
        var byId = rr.Score("ocean", onBackend, ["doc-4", "doc-1"]);
        Assert.Equal([4, 1], byId.Select(s => s.Index));
        Assert.Throws<KeyNotFoundException>(() => rr.Score("ocean", onBackend, ["doc-99"]));
        Assert.Throws<InvalidOperationException>(() => rr.Score("ocean", fromHost, ["doc-1"]));
        Assert.Throws<ArgumentOutOfRangeException>(() => rr.Score("ocean", fromHost, [Docs.Length]));
        Assert.Throws<ArgumentOutOfRangeException>(() => rr.Score("ocean", fromHost, [-1]));
    }

    [Fact]
    public void Float16_resident_documents_are_recorded_as_such_and_score_close_to_float32()
    {
        RequireDevice();
        var rr = Tiny.Reranker;
        var cached = rr.IndexDocuments(Docs);
        using var full = rr.MakeResident(cached);
        using var half = rr.MakeResident(cached, StatePrecision.Float16);
        Assert.Equal(StatePrecision.Float16, half.Precision);
        Assert.Equal(full.Bytes / 2, half.Bytes);
        AssertLogits(rr.Score("recurrent network", full), rr.Score("recurrent network", half), HalfStates, "fp16 states");
    }

    [Fact]
    public void A_store_gives_back_what_was_written_from_the_host_or_from_a_backend_state()
    {
        RequireDevice();
        var m = Tiny.Model;
        var host = Tiny.Reranker.IndexDocuments(Docs).Select(d => d.State).ToArray();
        using var store = m.Backend.CreateStore(Docs.Length + 2, StatePrecision.Float32);
        store.Write(0, host);
        using (var batch = m.Backend.Upload(ModelState.Concat(host[..2])))
            store.Write(Docs.Length, batch); // device to device
        using var back = store.Gather([Docs.Length + 1, 3, 0]);
        var got = back.ToHost();
        Assert.Equal(ModelState.Concat([host[1], host[3], host[0]]).Wkv, got.Wkv);
        Assert.Equal(ModelState.Concat([host[1], host[3], host[0]]).Shift, got.Shift);

        using var half = m.Backend.CreateStore(1, StatePrecision.Float16);
        half.Write(0, [host[2]]);
        using var h = half.Gather([0]);
        var rounded = h.ToHost();
        for (int i = 0; i < rounded.Wkv.Length; i++) Assert.Equal((float)(Half)host[2].Wkv[i], rounded.Wkv[i]);
        Assert.Throws<ArgumentOutOfRangeException>(() => store.Write(Docs.Length + 1, host[..2]));
        Assert.Throws<ArgumentException>(() => store.Write(0, [new ModelState(m.Config, 2)]));
    }

    [Fact]
    public void A_backend_state_is_updated_where_it_lives_and_copied_out_only_by_ToHost()
    {
        RequireDevice();
        var m = Tiny.Model;
        int[] tokens = [11, 22, 33, ModelConfig.EosToken, 5, 6, ModelConfig.EosToken];
        int[] offsets = [0, 4, 4, 7];
        var batch = PackedBatch.FromPacked(tokens, offsets);
        var start = new ModelState(m.Config, 3);
        for (int i = 0; i < start.Wkv.Length; i++) start.Wkv[i] = (i % 7 - 3) * 0.01f;
        var hostRun = start.Clone();
        var sums = new float[3 * m.Config.Channels];
        var counts = new int[3];
        m.Backend.Forward(batch, hostRun, sums, counts);

        using var st = m.Backend.Upload(start);
        for (int i = 0; i < start.Wkv.Length; i++) start.Wkv[i] = float.NaN; // the backend holds its own copy
        var sums2 = new float[sums.Length];
        var counts2 = new int[3];
        m.Backend.Forward(batch, st, sums2, counts2);
        Assert.Equal(counts, counts2);
        var after = st.ToHost();
        Assert.Equal(hostRun.Wkv, after.Wkv);
        Assert.Equal(hostRun.Shift, after.Shift);
        Assert.Equal(sums, sums2);
        after.Wkv[0] = 1234f; // a host copy: the backend state does not change
        Assert.NotEqual(1234f, st.ToHost().Wkv[0]);

        // The state-only forward leaves the same state without pooling.
        using var st2 = m.Backend.Upload(ModelState.Concat([hostRun.Slice(0), hostRun.Slice(1), hostRun.Slice(2)]));
        using var st3 = m.Backend.Upload(hostRun);
        m.Backend.ForwardState(batch, st2);
        m.Backend.Forward(batch, st3, new float[sums.Length], new int[3]);
        Assert.Equal(st3.ToHost().Wkv, st2.ToHost().Wkv);
        Assert.Throws<ArgumentException>(() => m.Backend.ForwardState(PackedBatch.FromPacked(tokens, [0, 7]), st2)); // batch 1 for a state of 3
    }
}
