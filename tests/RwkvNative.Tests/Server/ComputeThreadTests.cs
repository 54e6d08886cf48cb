using RwkvNative.Cpu;

namespace RwkvNative.Tests.Server;

/// <summary>The CPU backend computes on its own threads, so a server's thread pool stays free for I/O during a batch.</summary>
[Collection(typeof(ThreadPoolQuietCollection))]
public sealed class ComputeThreadTests
{
    [Fact]
    public void A_large_cpu_batch_runs_its_parallel_loops_on_the_backend_threads_not_the_thread_pool()
    {
        if (Environment.ProcessorCount < 2) Assert.Skip("one processor: the backend runs every loop on the calling thread");
        var f = ServerHarness.Tiny;
        var seqs = Enumerable.Range(0, 16).Select(i => f.Model.Tokenizer.Encode(
            string.Join(' ', Enumerable.Range(0, 150).Select(k => $"t{(k * 13 + i) % 97}")), addEos: true)).ToArray();
        f.Model.EmbedTokens(seqs, EmbeddingTask.Retrieval); // warm up (lazy initialisation may use the pool once)

        long ours = CpuThreads.Executed;
        long pool = ThreadPool.CompletedWorkItemCount;
        var thread = new Thread(() => f.Model.EmbedTokens(seqs, EmbeddingTask.Retrieval)); // like the batcher: a dedicated caller
        thread.Start();
        thread.Join();
        long poolItems = ThreadPool.CompletedWorkItemCount - pool;
        long ourItems = CpuThreads.Executed - ours;

        Assert.True(ourItems >= 20, $"only {ourItems} work items ran on the backend's threads: the loops did not go parallel");
        Assert.True(poolItems < ourItems / 4, $"{poolItems} thread-pool work items during the batch (backend threads ran {ourItems})");
    }
}
