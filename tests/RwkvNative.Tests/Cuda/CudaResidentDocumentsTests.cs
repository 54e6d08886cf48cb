using RwkvNative.Backends;
using RwkvNative.Checkpoints;
using RwkvNative.Cuda;
using RwkvNative.Model;
using RwkvNative.Store;
using RwkvNative.Tests.Api;

namespace RwkvNative.Tests.Cuda;

/// <summary>
/// The resident-state contract on CUDA (default options: weights as stored), and what it is for: scoring a query
/// against resident documents moves only the query's tokens in and the logits out.
/// </summary>
public sealed class CudaResidentDocumentsTests : ResidentDocumentsContract
{
    static CudaResidentDocumentsTests() => BackendRegistryHook.EnsureRegistered();

    protected override string Device => "cuda";

    // Gathered and uploaded states are the same float32 values run through the same GEMM shapes on one handle.
    protected override double SamePath => CudaTolerance.GraphVersusEager;

    protected override void RequireDevice() => CudaTestDevice.RequireOrSkip();

    [Fact]
    public void Offline_scoring_against_resident_documents_moves_only_the_query_in_and_the_logits_out()
    {
        RequireDevice();
        // A model of its own: the counters must not see other test classes' calls.
        using var model = EmbeddingModel.Load(Fixtures.PathOf("tiny-bf16.emb.pth"), new ModelOptions { Device = "cuda" });
        using var rr = Reranker.Load(Fixtures.PathOf("tiny-bf16.reranker.pth"), model);
        string[] docs = ["first document", "a second, longer document about oceans", "third", "fourth one", "fifth"];
        using var resident = rr.IndexResident(docs);
        var query = model.Tokenizer.Encode(Reranker.QueryText("which ocean?"), addEos: true);
        int n = docs.Length, q = query.Length;

        var before = model.Counters;
        var logits = rr.LogitsOfResident(query, resident, Enumerable.Range(0, n).ToArray());
        var moved = model.Counters - before;

        Assert.Equal(n, logits.Length);
        Assert.Equal(4L * n, moved.DeviceToHostBytes); // the logits, nothing else
        // In: the packed query batch (n copies of the query's ids, their row→sequence map, n + 1 offsets) and the
        // reranker's one-token layout (n + 1 offsets, n rows); no slot indices (all documents), no state.
        long expectedIn = 4L * (2 * n * q + (n + 1)) + 4L * ((n + 1) + n);
        Assert.Equal(expectedIn, moved.HostToDeviceBytes);
        Assert.True(moved.HostToDeviceBytes < StateStore.BytesPerState(model.Config, StatePrecision.Float32) / 100,
            $"{moved.HostToDeviceBytes} bytes in: more than the query");
        Assert.True(moved.KernelLaunches > 0);

        // The same scores come from the host-cached path, which moves every state.
        var cachedBefore = model.Counters;
        var host = rr.Score("which ocean?", rr.IndexDocuments(docs));
        var hostMoved = model.Counters - cachedBefore;
        for (int i = 0; i < n; i++) Assert.True(Math.Abs(host[i].Logit - logits[i]) <= CudaTolerance.GraphVersusEager, $"document {i}");
        Assert.True(hostMoved.HostToDeviceBytes >= n * StateStore.BytesPerState(model.Config, StatePrecision.Float32));
    }

    [Fact]
    public void Embedding_model_and_reranker_share_one_session_and_its_counters()
    {
        RequireDevice();
        using var model = EmbeddingModel.Load(Fixtures.PathOf("tiny-bf16.emb.pth"), new ModelOptions { Device = "cuda" });
        using var rr = Reranker.Load(Fixtures.PathOf("tiny-bf16.reranker.pth"), model);
        var before = model.Counters;
        rr.LogitsOfTokens([[1, 2, 3, ModelConfig.EosToken]]);
        var d = model.Counters - before;
        Assert.Equal(4L, d.DeviceToHostBytes); // one logit; the state never left the device
        Assert.True(d.KernelLaunches > 0);
    }

    [Fact]
    public void A_query_against_host_memory_documents_moves_each_state_in_once_and_the_logits_out()
    {
        RequireDevice();
        using var model = EmbeddingModel.Load(Fixtures.PathOf("tiny-bf16.emb.pth"), new ModelOptions { Device = "cuda" });
        using var rr = Reranker.Load(Fixtures.PathOf("tiny-bf16.reranker.pth"), model);
        string[] docs = ["first document", "a second, longer document about oceans", "third", "fourth one", "fifth"];
        using var resident = rr.IndexResident(docs, placement: StatePlacement.Device);
        using var host = rr.IndexResident(docs, StatePrecision.Float16, placement: StatePlacement.Host);
        Assert.Equal(StatePlacement.Host, host.Placement);
        var query = model.Tokenizer.Encode(Reranker.QueryText("which ocean?"), addEos: true);
        int n = docs.Length, q = query.Length;
        int[] all = Enumerable.Range(0, n).ToArray();

        var before = model.Counters;
        var logits = rr.LogitsOfResident(query, host, all);
        var moved = model.Counters - before;

        Assert.Equal(4L * n, moved.DeviceToHostBytes); // the logits
        // In: each fp16 state once (one copy per part: the slots are consecutive), then what a resident query moves.
        long query_in = 4L * (2 * n * q + (n + 1)) + 4L * ((n + 1) + n);
        Assert.Equal(n * StateStore.BytesPerState(model.Config, StatePrecision.Float16) + query_in, moved.HostToDeviceBytes);
        var expected = rr.LogitsOfResident(query, resident, all);
        for (int i = 0; i < n; i++) Assert.True(Math.Abs(expected[i] - logits[i]) <= 5e-2, $"document {i}: {expected[i]} vs {logits[i]} (fp16 states)");
    }

    [Fact]
    public void A_query_against_mapped_store_documents_streams_each_state_from_the_page_locked_mapping()
    {
        RequireDevice();
        using var model = EmbeddingModel.Load(Fixtures.PathOf("tiny-bf16.emb.pth"), new ModelOptions { Device = "cuda" });
        using var rr = Reranker.Load(Fixtures.PathOf("tiny-bf16.reranker.pth"), model);
        string[] docs = ["first document", "a second, longer document about oceans", "third", "fourth one", "fifth"];
        using var dir = new TempDir();
        using (var w = DocumentStateStore.OpenForWriting(dir.Path, model, new DocumentStateStoreOptions { Precision = StatePrecision.Float16, FlushToDisk = false }))
            w.Append(rr.IndexDocuments(docs).Select((d, i) => new DocumentStateEntry($"d{i}", ContentHash.Of(docs[i]), d)).ToArray());
        using var resident = rr.IndexResident(docs, StatePrecision.Float16, placement: StatePlacement.Device);
        long? registeredBefore = CudaTestDevice.EmulatorCount("rwkv_emu_registered_host_bytes");
        var query = model.Tokenizer.Encode(Reranker.QueryText("which ocean?"), addEos: true);
        int n = docs.Length, q = query.Length;
        int[] all = Enumerable.Range(0, n).ToArray();
        float[] logits;
        using (var store = DocumentStateStore.Open(dir.Path, model))
        using (var mapped = rr.MakeResident(store.MapStates(), StatePlacement.Host))
        {
            Assert.True(mapped.IsMapped);
            Assert.Equal(StatePlacement.Host, mapped.Placement);
            Assert.Null(mapped.StreamWarning); // page-locked in place
            if (registeredBefore is { } r0) Assert.True(CudaTestDevice.EmulatorCount("rwkv_emu_registered_host_bytes") > r0, "the mapping was not registered");

            var before = model.Counters;
            logits = rr.LogitsOfResident(query, mapped, all);
            var moved = model.Counters - before;
            Assert.Equal(4L * n, moved.DeviceToHostBytes); // the logits
            // In: each fp16 state once (records lie apart: one copy per part and document), then what a resident query moves.
            long queryIn = 4L * (2 * n * q + (n + 1)) + 4L * ((n + 1) + n);
            Assert.Equal(n * StateStore.BytesPerState(model.Config, StatePrecision.Float16) + queryIn, moved.HostToDeviceBytes);
            Assert.Throws<InvalidOperationException>(() => mapped.Store.Write(0, [new ModelState(model.Config, 1)]));
        }
        // Unregistered when the resident documents went, before the mapping was unmapped.
        if (registeredBefore is { } r1) Assert.Equal(r1, CudaTestDevice.EmulatorCount("rwkv_emu_registered_host_bytes"));
        var expected = rr.LogitsOfResident(query, resident, all);
        for (int i = 0; i < n; i++) Assert.True(Math.Abs(expected[i] - logits[i]) <= SamePath, $"document {i}: {expected[i]} vs {logits[i]}");
    }

    [Fact]
    public void A_host_store_gathers_in_chunks_of_its_staging_size_and_gives_back_what_was_written()
    {
        RequireDevice();
        using var ckpt = Checkpoint.Open(Fixtures.PathOf("tiny-bf16.emb.pth"));
        var config = ConfigReader.ReadEmbedding(ckpt);
        using var gpu = new CudaEmbeddingBackend(ckpt, config, 0, new CudaBackendOptions { StreamChunkDocuments = 3 });
        var states = Enumerable.Range(0, 7).Select(i => CudaTestDevice.RandomState(config, 1, 40 + i)).ToArray();
        using var store = gpu.CreateHostStore(states.Length, StatePrecision.Float32);
        Assert.True(store.Streams);
        Assert.Equal(3, store.MaxGather);
        store.Write(0, states);
        foreach (int[] picked in new[] { new[] { 0, 1, 2 }, [6, 3, 4], [5] })
        {
            using var got = store.Gather(picked);
            var host = got.ToHost();
            var want = ModelState.Concat(picked.Select(i => states[i]).ToArray());
            Assert.Equal(want.Shift, host.Shift);
            Assert.Equal(want.Wkv, host.Wkv);
        }
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => store.Gather([0, 1, 2, 3]));
        Assert.Contains("at most 3", e.Message);
        // A device state written into host memory comes back unchanged.
        using (var batch = gpu.Upload(ModelState.Concat([states[5], states[6]]))) store.Write(0, batch);
        using var back = store.Gather([1, 0]);
        Assert.Equal(ModelState.Concat([states[6], states[5]]).Wkv, back.ToHost().Wkv);
    }
}
