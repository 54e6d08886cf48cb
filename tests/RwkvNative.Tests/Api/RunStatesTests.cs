using RwkvNative.Backends;
using RwkvNative.Model;
using RwkvNative.Tests.Reference;

namespace RwkvNative.Tests.Api;

/// <summary>
/// The engine's state-only batching (<see cref="EmbeddingModel.RunStates"/>): batches capped by a store's gather size, and
/// streamed start states asked for one batch ahead so their copies overlap the current batch's compute.
/// </summary>
public class RunStatesTests
{
    private static LoadedFixtures.Loaded Tiny => LoadedFixtures.Get("tiny-bf16", "cpu");

    private static int[][] Sequences(int count) => Enumerable.Range(0, count).Select(i => new[] { 10 + i, 20 + i, 65535 }).ToArray();

    private static List<string> Order(int count, int maxSequences, bool prefetch, List<BackendState>? opened = null, int throwAt = -1)
    {
        var m = Tiny.Model;
        var log = new List<string>();
        m.RunStates(Sequences(count), (first, n) =>
            {
                log.Add($"start {first}+{n}");
                var st = m.Backend.CreateState(n);
                opened?.Add(st);
                return st;
            },
            (first, st) =>
            {
                log.Add($"consume {first}+{st.Batch}");
                if (first == throwAt) throw new InvalidOperationException("consumer failed");
            }, default, maxSequences, prefetch);
        return log;
    }

    [Fact]
    public void Batches_hold_at_most_max_sequences_and_the_next_start_state_is_opened_before_the_current_batch_is_consumed()
    {
        Assert.Equal(["start 0+3", "start 3+3", "consume 0+3", "start 6+1", "consume 3+3", "consume 6+1"], Order(7, 3, prefetch: true));
        Assert.Equal(["start 0+3", "consume 0+3", "start 3+3", "consume 3+3", "start 6+1", "consume 6+1"], Order(7, 3, prefetch: false));
        Assert.Equal(["start 0+7", "consume 0+7"], Order(7, int.MaxValue, prefetch: true));
        Assert.Empty(Order(0, 3, prefetch: true));
    }

    [Fact]
    public void A_failing_consumer_disposes_the_current_and_the_prefetched_state()
    {
        var opened = new List<BackendState>();
        var e = Assert.Throws<InvalidOperationException>(() => Order(7, 3, prefetch: true, opened, throwAt: 0));
        Assert.Equal("consumer failed", e.Message);
        Assert.Equal(2, opened.Count);
        Assert.All(opened, st => Assert.True(st.IsDisposed));
    }

    [Fact]
    public void Streamed_and_plain_batching_give_the_same_states()
    {
        var m = Tiny.Model;
        var seqs = Sequences(5);
        ModelState? plain = null;
        var streamed = new ModelState[5];
        m.RunStates(seqs, null, (_, st) => plain = st.ToHost(), default);
        m.RunStates(seqs, null, (first, st) =>
        {
            var host = st.ToHost();
            for (int b = 0; b < st.Batch; b++) streamed[first + b] = host.Slice(b);
        }, default, maxSequences: 2, prefetch: true);
        Assert.NotNull(plain);
        for (int b = 0; b < 5; b++)
        {
            Assert.Equal(plain.Slice(b).Wkv, streamed[b].Wkv);
            Assert.Equal(plain.Slice(b).Shift, streamed[b].Shift);
        }
    }
}
