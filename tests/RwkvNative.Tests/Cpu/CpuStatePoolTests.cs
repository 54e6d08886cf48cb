using RwkvNative.Backends;
using RwkvNative.Cpu;
using RwkvNative.Model;
using RwkvNative.Tests.Reference;
using RwkvNative.Verification;

namespace RwkvNative.Tests.Cpu;

/// <summary>
/// The CPU backend's pool of zero states (batches of 1..4): a reused state starts from zeros, a disposed one can no
/// longer be read, two live states never share arrays, and results do not depend on what a pooled state held before.
/// </summary>
public sealed class CpuStatePoolTests : IDisposable
{
    // A model of its own: its backend's pool sees only this class's states, so reuse is deterministic.
    private readonly EmbeddingModel _model;

    public CpuStatePoolTests()
    {
        using var fixture = ReferenceFixture.Open(Fixtures.PathOf("tiny-bf16.cases.json"));
        _model = EmbeddingModel.Load(fixture.ModelPath, new ModelOptions { Device = "cpu" });
    }

    public void Dispose() => _model.Dispose();

    private IEmbeddingBackend Backend => _model.Backend;

    private static ModelState Host(BackendState state) => CpuState.Of(state, nameof(state)).Host;

    private static readonly int[][] Text = [[101, 2045, 33, 7, 65535]];

    private void Dirty(BackendState state)
    {
        var seqs = new int[state.Batch][];
        for (int b = 0; b < seqs.Length; b++) seqs[b] = [300 + b, 17, 4000 + b, 65535];
        Backend.ForwardState(PackedBatch.Pack(seqs), state);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(4)]
    public void A_reused_state_has_the_same_arrays_and_starts_from_zeros(int batch)
    {
        var first = Backend.CreateState(batch);
        var arrays = Host(first);
        Dirty(first);
        Assert.Contains(arrays.Wkv, v => v != 0f);
        Assert.Contains(arrays.Shift, v => v != 0f);
        first.Dispose();

        using var second = Backend.CreateState(batch);
        Assert.Same(arrays, Host(second)); // pooled, not allocated again
        Assert.All(Host(second).Wkv, v => Assert.Equal(0f, v));
        Assert.All(Host(second).Shift, v => Assert.Equal(0f, v));
        Assert.Equal(batch, second.Batch);
    }

    [Fact]
    public void A_disposed_pooled_state_cannot_be_read_or_computed_on()
    {
        var state = Backend.CreateState(1);
        state.Dispose();
        state.Dispose(); // a second dispose returns nothing to the pool twice
        Assert.Throws<ObjectDisposedException>(() => state.ToHost());
        Assert.Throws<ObjectDisposedException>(() => Backend.ForwardState(PackedBatch.Pack(Text), state));

        using var a = Backend.CreateState(1);
        using var b = Backend.CreateState(1);
        Assert.NotSame(Host(a), Host(b)); // the double dispose did not put one state in the pool twice
    }

    [Fact]
    public void Live_states_never_share_arrays()
    {
        var live = new List<BackendState>();
        for (int round = 0; round < 3; round++)
        {
            for (int i = 0; i < 5; i++) live.Add(Backend.CreateState(1 + i % 4));
            var hosts = live.Select(Host).ToList();
            Assert.Equal(hosts.Count, hosts.Distinct(ReferenceEqualityComparer.Instance).Count());
            foreach (var s in live.Take(3)) s.Dispose();
            live.RemoveRange(0, 3);
        }
        foreach (var s in live) s.Dispose();
    }

    [Fact]
    public void Concurrent_callers_get_distinct_zero_states()
    {
        var failures = 0;
        Parallel.For(0, 8, new ParallelOptions { MaxDegreeOfParallelism = 8 }, _ =>
        {
            for (int rep = 0; rep < 50; rep++)
            {
                using var st = Backend.CreateState(1);
                var host = Host(st);
                if (host.Wkv.Any(v => v != 0f) || host.Shift.Any(v => v != 0f)) Interlocked.Increment(ref failures);
                host.Wkv[rep] = 1f; // a state shared with another caller would show this mark there
                host.Shift[rep] = 1f;
            }
        });
        Assert.Equal(0, failures);
    }

    [Fact]
    public void Results_do_not_depend_on_what_a_pooled_state_held_before()
    {
        var before = _model.Forward(Text);
        using (var st = Backend.CreateState(1)) Dirty(st);
        var after = _model.Forward(Text);
        Assert.Equal(before.Embeddings[0], after.Embeddings[0]);
        Assert.Equal(before.State.Wkv, after.State.Wkv);
        Assert.Equal(before.State.Shift, after.State.Shift);

        // And they equal a fresh, never pooled state's.
        var fresh = new ModelState(_model.Config, 1);
        var sum = new float[_model.Config.Channels];
        var count = new int[1];
        Backend.Forward(PackedBatch.Pack(Text), fresh, sum, count);
        Assert.Equal(fresh.Wkv, after.State.Wkv);
        Assert.Equal(fresh.Shift, after.State.Shift);
    }

    [Fact]
    public void Batches_above_four_are_not_pooled()
    {
        var first = Backend.CreateState(5);
        var arrays = Host(first);
        first.Dispose();
        using var second = Backend.CreateState(5);
        Assert.NotSame(arrays, Host(second));
    }
}
