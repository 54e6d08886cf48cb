using RwkvNative.Backends;
using RwkvNative.Checkpoints;
using RwkvNative.Model;

namespace RwkvNative.Tests.Backends;

/// <summary>
/// What every <see cref="IEmbeddingBackend"/> must do whatever its device: refuse bad arguments before touching memory
/// (and keep working afterwards), leave empty sequences' states alone, and write its outputs only inside [B, C] / [B].
/// One subclass per backend runs the same tests.
/// </summary>
public abstract class EmbeddingBackendContract : IDisposable
{
    private const float Sentinel = 12345.5f;
    private readonly Lazy<(Checkpoint Ckpt, IEmbeddingBackend Backend)> loaded;

    protected EmbeddingBackendContract()
    {
        loaded = new(() =>
        {
            var ckpt = Checkpoint.Open(Fixtures.PathOf("mini-fp16.emb.pth"));
            return (ckpt, Create(ckpt, ConfigReader.ReadEmbedding(ckpt)));
        });
    }

    /// <summary>Skips the test (Assert.Skip, with the reason) where this backend cannot run here.</summary>
    protected abstract void RequireBackend();

    /// <summary>The backend under test on <paramref name="ckpt"/>.</summary>
    protected abstract IEmbeddingBackend Create(Checkpoint ckpt, ModelConfig config);

    private IEmbeddingBackend Backend
    {
        get
        {
            RequireBackend();
            return loaded.Value.Backend;
        }
    }

    [Fact]
    public void Bad_arguments_are_refused_and_the_backend_keeps_working()
    {
        var backend = Backend;
        var config = backend.Config;
        var state = new ModelState(config, 1);
        var sums = new float[config.Channels];
        var counts = new int[1];
        Assert.Throws<ArgumentOutOfRangeException>(() => backend.Forward(PackedBatch.FromPacked([1, 65536], [0, 2]), state, sums, counts));
        Assert.Throws<ArgumentOutOfRangeException>(() => backend.Forward(PackedBatch.FromPacked([-1, 2], [0, 2]), state, sums, counts));
        Assert.Throws<ArgumentException>(() => backend.Forward(PackedBatch.FromPacked([1, 2], [0, 3]), state, sums, counts));
        Assert.Throws<ArgumentException>(() => backend.Forward(PackedBatch.FromPacked([1, 2], [1, 2]), state, sums, counts));
        Assert.Throws<ArgumentException>(() => backend.Forward(PackedBatch.FromPacked([1, 2], [0, 2, 1, 2]), new ModelState(config, 3), sums, counts));
        Assert.Throws<ArgumentException>(() => backend.Forward(PackedBatch.FromPacked([1, 2], [0, 2]), new ModelState(config, 2), sums, counts));
        Assert.Throws<ArgumentException>(() => backend.Forward(PackedBatch.FromPacked([1, 2], [0, 2]), state, new float[config.Channels - 1], counts));
        Assert.Throws<ArgumentException>(() => backend.Forward(PackedBatch.FromPacked([1, 2], [0, 2]), state, sums, []));
        Assert.Throws<ArgumentNullException>(() => backend.Forward(null!, state, sums, counts));
        Assert.Throws<ArgumentNullException>(() => backend.Forward(PackedBatch.FromPacked([1, 2], [0, 2]), (ModelState)null!, sums, counts));
        Assert.Throws<ArgumentException>(() => backend.Head(EmbeddingTask.Retrieval, new float[config.Channels + 1], new float[2 * config.Channels]));
        Assert.Throws<ArgumentException>(() => backend.Head(EmbeddingTask.Retrieval, new float[config.Channels], new float[config.Channels - 1]));
        Assert.Throws<ArgumentOutOfRangeException>(() => backend.Head((EmbeddingTask)7, new float[config.Channels], new float[config.Channels]));
        Assert.All(state.Wkv, v => Assert.Equal(0f, v));

        // Still works afterwards.
        backend.Forward(PackedBatch.FromPacked([1, ModelSchema.EosToken], [0, 2]), state, sums, counts);
        Assert.Equal(1, counts[0]);
        Assert.Contains(state.Wkv, v => v != 0);
    }

    [Fact]
    public void Empty_sequences_keep_their_state_and_pool_nothing()
    {
        var backend = Backend;
        var config = backend.Config;
        var start = new ModelState(config, 3);
        var rng = new Random(5);
        for (int i = 0; i < start.Shift.Length; i++) start.Shift[i] = (float)(rng.NextDouble() - 0.5);
        for (int i = 0; i < start.Wkv.Length; i++) start.Wkv[i] = (float)(rng.NextDouble() - 0.5);
        var state = start.Clone();
        var sums = new float[3 * config.Channels];
        var counts = new int[3];
        backend.Forward(PackedBatch.Pack([[5, 6, ModelSchema.EosToken], [], [7, ModelSchema.EosToken]]), state, sums, counts);

        Assert.Equal([1, 0, 1], counts);
        Assert.All(sums.AsSpan(config.Channels, config.Channels).ToArray(), v => Assert.Equal(0f, v));
        Assert.Equal(start.Slice(1).Wkv, state.Slice(1).Wkv);
        Assert.Equal(start.Slice(1).Shift, state.Slice(1).Shift);
        Assert.NotEqual(start.Slice(0).Wkv, state.Slice(0).Wkv);

        // A batch of no sequences, or of empty ones only, changes nothing.
        backend.Forward(PackedBatch.Empty, new ModelState(config, 0), [], []);
        var untouched = start.Clone();
        Array.Clear(counts);
        backend.Forward(PackedBatch.Pack([[], [], []]), untouched, sums, counts);
        Assert.Equal(start.Wkv, untouched.Wkv);
        Assert.Equal(start.Shift, untouched.Shift);
        Assert.Equal([0, 0, 0], counts);
    }

    [Fact]
    public void Outputs_are_added_to_only_inside_B_by_C()
    {
        var backend = Backend;
        var config = backend.Config;
        int c = config.Channels;
        var state = new ModelState(config, 2);
        var sums = new float[3 * c + 7];
        var counts = new int[4];
        Array.Fill(sums, Sentinel);
        Array.Fill(counts, -7);
        // The contract adds (so a sequence fed in passes sums as if fed at once): sequence 1 has no EOS, so its sum stays as it was.
        backend.Forward(PackedBatch.Pack([[9, ModelSchema.EosToken, 4, ModelSchema.EosToken], [3, 4]]), state, sums, counts);

        Assert.Equal([-5, -7, -7, -7], counts);
        Assert.All(sums[..c], v => Assert.True(float.IsFinite(v), $"sum {v}"));
        Assert.Contains(sums[..c], v => v != Sentinel);
        Assert.All(sums[c..], v => Assert.Equal(Sentinel, v));

        // From zeroed outputs: the sum itself, and zero where a sequence has no EOS.
        Array.Clear(sums);
        Array.Clear(counts);
        backend.Forward(PackedBatch.Pack([[9, ModelSchema.EosToken, 4, ModelSchema.EosToken], [3, 4]]), new ModelState(config, 2), sums, counts);
        Assert.Equal([2, 0, 0, 0], counts);
        Assert.Contains(sums[..c], v => v != 0);
        Assert.All(sums[c..], v => Assert.Equal(0f, v));

        var features = new float[2 * c];
        var embeddings = new float[3 * c];
        Array.Fill(embeddings, Sentinel);
        for (int i = 0; i < c; i++) features[i] = sums[i] / 2;
        backend.Head(EmbeddingTask.Retrieval, features, embeddings);
        Assert.All(embeddings[..(2 * c)], v => Assert.True(float.IsFinite(v) && v != Sentinel, $"embedding {v}"));
        Assert.All(embeddings[(2 * c)..], v => Assert.Equal(Sentinel, v));
    }

    public void Dispose()
    {
        if (!loaded.IsValueCreated) return;
        loaded.Value.Backend.Dispose();
        loaded.Value.Ckpt.Dispose();
        GC.SuppressFinalize(this);
    }
}
