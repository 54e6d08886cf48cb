using System.Collections.Concurrent;
using RwkvNative.Cpu;

namespace RwkvNative.Tests.Cpu;

/// <summary>CpuParallel.For: each item exactly once on any thread count, failures reach the caller, nesting cannot deadlock.</summary>
public class CpuParallelTests
{
    private readonly struct CountJob(int[] hits) : IItemJob
    {
        public void Run(int item) => Interlocked.Increment(ref hits[item]);
    }

    private readonly struct ThrowAtJob(int bad, int[] hits) : IItemJob
    {
        public void Run(int item)
        {
            Interlocked.Increment(ref hits[item]);
            if (item == bad) throw new InvalidOperationException("item " + item);
        }
    }

    private readonly struct NestedJob(int inner, int[] hits) : IItemJob
    {
        public void Run(int item) => CpuParallel.For(inner, new CountJob(hits), 4);
    }

    private readonly struct ThreadJob(ConcurrentDictionary<int, bool> threads) : IItemJob
    {
        public void Run(int item) => threads[Environment.CurrentManagedThreadId] = true;
    }

    private readonly struct RowsJob(int[] hits) : IRowJob
    {
        public void Rows(int start, int end)
        {
            for (int r = start; r < end; r++) Interlocked.Increment(ref hits[r]);
        }
    }

    [Theory]
    [InlineData(0, 4)]
    [InlineData(1, 4)]
    [InlineData(7, 2)]
    [InlineData(1000, 4)]
    [InlineData(1000, 1)]
    public void Every_item_runs_exactly_once(int count, int threads)
    {
        var hits = new int[count];
        CpuParallel.For(count, new CountJob(hits), threads);
        Assert.All(hits, h => Assert.Equal(1, h));
    }

    [Fact]
    public void One_thread_runs_everything_on_the_caller()
    {
        var seen = new ConcurrentDictionary<int, bool>();
        CpuParallel.For(500, new ThreadJob(seen), 1);
        Assert.Equal([Environment.CurrentManagedThreadId], seen.Keys);
    }

    [Fact]
    public void A_failing_item_reaches_the_caller_and_the_loop_still_ends()
    {
        var hits = new int[200];
        var e = Assert.Throws<InvalidOperationException>(() => CpuParallel.For(200, new ThrowAtJob(37, hits), 4));
        Assert.Equal("item 37", e.Message);
        Assert.Equal(1, hits[37]);
        Assert.All(hits, h => Assert.InRange(h, 0, 1)); // items after the failure may be skipped, never repeated
        // The pool is not left poisoned: the next loop does all its work.
        var again = new int[200];
        CpuParallel.For(200, new CountJob(again), 4);
        Assert.All(again, h => Assert.Equal(1, h));
    }

    [Fact]
    public void Nested_loops_finish_and_count_every_inner_item()
    {
        var hits = new int[64];
        CpuParallel.For(16, new NestedJob(64, hits), 4);
        Assert.All(hits, h => Assert.Equal(16, h));
    }

    [Fact]
    public void Concurrent_callers_each_get_all_their_items()
    {
        var results = new int[8][];
        Parallel.For(0, results.Length, new ParallelOptions { MaxDegreeOfParallelism = 8 }, k =>
        {
            var hits = new int[300 + k];
            for (int rep = 0; rep < 20; rep++) CpuParallel.For(hits.Length, new CountJob(hits), 4);
            results[k] = hits;
        });
        foreach (var hits in results) Assert.All(hits, h => Assert.Equal(20, h));
    }

    [Theory]
    [InlineData(1, 1 << 16, 4)]
    [InlineData(3, 1 << 16, 4)]
    [InlineData(257, 1024, 4)]
    [InlineData(257, 1024, 1)]
    [InlineData(10, 4, 4)]
    public void Row_loops_cover_every_row_once(int rows, int width, int threads)
    {
        var hits = new int[rows];
        CpuParallel.ForRows(rows, width, new RowsJob(hits), threads);
        Assert.All(hits, h => Assert.Equal(1, h));
    }
}
