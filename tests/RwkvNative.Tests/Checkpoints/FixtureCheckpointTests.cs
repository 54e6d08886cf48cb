// The reference checkpoints open with the right keys, dtypes and shapes; values match numbers computed independently
// with python3 (zipfile + struct + pickle with a stub find_class; see the report for the script).
using RwkvNative.Checkpoints;

namespace RwkvNative.Tests.Checkpoints;

public class FixtureCheckpointTests
{
    private static double SequentialSum(float[] v)
    {
        double s = 0;
        foreach (var x in v) s += x;
        return s;
    }

    [Fact]
    public void Tiny_bf16_embedding_checkpoint_has_expected_keys_dtypes_and_shapes()
    {
        using var ck = Checkpoint.Open(Fixtures.PathOf("tiny-bf16.emb.pth"));
        Assert.Equal(CheckpointFormat.PyTorchZip, ck.Format);
        Assert.Equal(113, ck.Tensors.Count);
        Assert.Empty(ck.Values);
        Assert.Empty(ck.Metadata);
        Assert.Empty(ck.UnsupportedTensors);
        Assert.All(ck.Tensors.Values, t => Assert.Equal(TensorDType.BFloat16, t.DType));
        var emb = ck.Get("rwkv.emb.weight", 65536, 128);
        Assert.Equal(65536L * 128, emb.ElementCount);
        Assert.Equal(65536 * 128 * 2, emb.RawBytes.Length);
        Assert.Equal([128], ck.Get("rwkv.blocks.0.ln0.weight").Shape);
        Assert.Equal([128, 32], ck.Get("rwkv.blocks.1.att.w1").Shape);
        Assert.Equal([2, 64], ck.Get("rwkv.blocks.2.att.r_k").Shape);
        Assert.Equal([512, 128], ck.Get("rwkv.blocks.0.ffn.key.weight").Shape);
        Assert.Equal([1, 1, 128], ck.Get("rwkv.blocks.1.att.v0").Shape);
        Assert.False(ck.Tensors.ContainsKey("rwkv.blocks.0.att.v0"));
        Assert.Equal([128], ck.Get("head.retr_head.norm.bias").Shape);
    }

    [Fact]
    public void Tiny_bf16_embedding_values_match_python()
    {
        using var ck = Checkpoint.Open(Fixtures.PathOf("tiny-bf16.emb.pth"));
        var emb = ck.Get("rwkv.emb.weight").ToFloat32();
        Assert.Equal(-0.703125f, emb[0]);
        Assert.Equal(0.48046875f, emb[^1]);
        Assert.Equal(0.9765625f, emb[2089 * 128 + 5]);
        Assert.Equal(-0.2373046875f, emb[2089 * 128 + 127]);
        Assert.Equal(534912, emb.Count(x => x != 0));
        Assert.Equal(560.557874083519, SequentialSum(emb), 9);

        var w1 = ck.Get("rwkv.blocks.1.att.w1").ToFloat32();
        Assert.Equal(0.10791015625f, w1[0]);
        Assert.Equal(0.07666015625f, w1[1365]);
        Assert.Equal(0.11669921875f, w1[^1]);
        Assert.Equal(-4.19819463789463, SequentialSum(w1), 12);

        var rk = ck.Get("rwkv.blocks.2.att.r_k").ToFloat32();
        Assert.Equal(0.37890625f, rk[42]);
        Assert.Equal(-0.240692138671875, SequentialSum(rk), 12);

        var ffnKey = ck.Get("rwkv.blocks.0.ffn.key.weight").ToFloat32();
        Assert.Equal(0.048828125f, ffnKey[21845]);
        Assert.Equal(-42.557031989097595, SequentialSum(ffnKey), 10);
    }

    [Fact]
    public void Tiny_bf16_reranker_has_layer_indices_and_bf16_weights()
    {
        using var ck = Checkpoint.Open(Fixtures.PathOf("tiny-bf16.reranker.pth"));
        Assert.Equal(71, ck.Tensors.Count);
        var idx = Assert.IsType<long[]>(ck.Values["reranker_layer_idx"]);
        Assert.Equal([0L, 2L], idx);
        Assert.All(ck.Tensors.Values, t => Assert.Equal(TensorDType.BFloat16, t.DType));
        var emb = ck.Get("reranker.emb.weight", 1, 128).ToFloat32();
        Assert.Equal(0.047607421875f, emb[0]);
        Assert.Equal(-0.84375f, emb[42]);
        Assert.Equal(0.1982421875f, emb[127]);
        Assert.Equal(-4.1033935546875, SequentialSum(emb), 12);
        var v2 = ck.Get("reranker.blocks.1.att.v2", 32, 128).ToFloat32();
        Assert.Equal(0.435546875f, v2[1365]);
        Assert.Equal(-10.474679946899414, SequentialSum(v2), 12);
        Assert.Equal([1, 128], ck.Get("reranker.head.2.weight").Shape);
        Assert.Equal([128], ck.Get("reranker.head.0.bias").Shape);
    }

    [Fact]
    public void Mini_fp16_embedding_values_match_python()
    {
        using var ck = Checkpoint.Open(Fixtures.PathOf("mini-fp16.emb.pth"));
        Assert.Equal(80, ck.Tensors.Count);
        Assert.All(ck.Tensors.Values, t => Assert.Equal(TensorDType.Float16, t.DType));
        var emb = ck.Get("rwkv.emb.weight", 65536, 64).ToFloat32();
        Assert.Equal(-0.068603515625f, emb[0]);
        Assert.Equal(-0.810546875f, emb[^1]);
        Assert.Equal(-0.77587890625f, emb[2089 * 64 + 5]);
        Assert.Equal(0.55615234375f, emb[2089 * 64 + 63]);
        Assert.Equal(267456, emb.Count(x => x != 0));
        Assert.Equal(176.13587760925293, SequentialSum(emb), 9);
        var a1 = ck.Get("rwkv.blocks.1.att.a1", 64, 32).ToFloat32();
        Assert.Equal(0.19970703125f, a1[682]);
        Assert.Equal(3.2509419918060303, SequentialSum(a1), 12);
        var bias = ck.Get("rwkv.ln_out.bias", 64).ToFloat32();
        Assert.Equal(-0.0926513671875f, bias[21]);
        Assert.Equal(-0.5206432342529297, SequentialSum(bias), 12);
    }

    [Fact]
    public void Mini_fp16_reranker_is_fp32_with_token_key_and_no_layer_indices()
    {
        using var ck = Checkpoint.Open(Fixtures.PathOf("mini-fp16.reranker.pth"));
        Assert.Equal(71, ck.Tensors.Count);
        Assert.Empty(ck.Values);
        Assert.All(ck.Tensors.Values, t => Assert.Equal(TensorDType.Float32, t.DType));
        Assert.False(ck.Tensors.ContainsKey("reranker.emb.weight"));
        var token = ck.Get("reranker.token.weight", 1, 64).ToFloat32();
        Assert.Equal(-0.8236891031265259f, token[0]);
        Assert.Equal(-0.47592055797576904f, token[21]);
        Assert.Equal(0.34519708156585693f, token[63]);
        Assert.Equal(-2.2134867906570435, SequentialSum(token), 12);
        var head = ck.Get("reranker.head.0.weight", 64, 64).ToFloat32();
        Assert.Equal(-0.10520971566438675f, head[1365]);
        Assert.Equal(-0.21569335460662842, SequentialSum(head), 12);
    }

    [Theory]
    [InlineData("tiny-bf16.ref.safetensors", 128, 0.7937940955162048f, 1.8412641286849976f, 4.258225933648646, 1.3555721044540405f, 5.7418343282770365, 0.4223148822784424f, 1.4276564121246338)]
    [InlineData("mini-fp16.ref.safetensors", 64, -1.233543038368225f, -1.5277835130691528f, -0.5076193520799279, -1.4782975912094116f, 3.2032773790415376, 0.2823394536972046f, 0.7385255098342896)]
    public void Reference_safetensors_open_with_metadata_and_values(string name, int c, float emb0, float embLast, double embSum,
        float state0First, double state0Sum, float score0, double scoreSum)
    {
        using var ck = Checkpoint.Open(Fixtures.PathOf(name));
        Assert.Equal(CheckpointFormat.SafeTensors, ck.Format);
        Assert.Equal(64, ck.Tensors.Count);
        Assert.Equal("upstream rwkv_emb, float32 CPU", ck.Metadata["generator"]);
        Assert.All(ck.Tensors.Values, t => Assert.Equal(TensorDType.Float32, t.DType));
        var emb = ck.Get("single00/embedding", 1, c).ToFloat32();
        Assert.Equal(emb0, emb[0]);
        Assert.Equal(embLast, emb[^1]);
        Assert.Equal(embSum, SequentialSum(emb), 12);
        var state0 = ck.Get("single00/state0").ToFloat32();
        Assert.Equal(state0First, state0[0]);
        Assert.Equal(state0Sum, SequentialSum(state0), 12);
        var scores = ck.Get("rerank_offline/scores", 3).ToFloat32();
        Assert.Equal(score0, scores[0]);
        Assert.Equal(scoreSum, SequentialSum(scores), 12);
    }

    [Fact]
    public void Reading_from_many_threads_gives_identical_results()
    {
        using var ck = Checkpoint.Open(Fixtures.PathOf("tiny-bf16.emb.pth"));
        var keys = ck.Tensors.Keys.ToArray();
        var expected = keys.Select(k => SequentialSum(ck.Tensors[k].ToFloat32())).ToArray();
        var results = new double[8][];
        Parallel.For(0, 8, new ParallelOptions { MaxDegreeOfParallelism = 8 }, t =>
        {
            var r = new double[keys.Length];
            for (int i = 0; i < keys.Length; i++)
            {
                int k = (i + t * 13) % keys.Length; // each thread walks the keys in a different order
                r[k] = SequentialSum(ck.Tensors[keys[k]].ToFloat32());
            }
            results[t] = r;
        });
        Assert.All(results, r => Assert.Equal(expected, r));
    }

    [Fact]
    public async Task Dispose_during_concurrent_reads_lets_running_reads_finish_and_fails_later_ones_cleanly()
    {
        var ck = Checkpoint.Open(Fixtures.PathOf("tiny-bf16.emb.pth"));
        var emb = ck.Get("rwkv.emb.weight");
        double expected = SequentialSum(emb.ToFloat32());
        int completed = 0, refused = 0;
        using var started = new CountdownEvent(4);
        using var readOnce = new CountdownEvent(4); // four full reads have completed
        var readers = Enumerable.Range(0, 4).Select(_ => Task.Run(() =>
        {
            started.Signal();
            var buffer = new float[emb.ElementCount];
            while (true)
            {
                try
                {
                    emb.CopyTo(buffer);
                }
                catch (ObjectDisposedException)
                {
                    Interlocked.Increment(ref refused);
                    return;
                }
                Assert.Equal(expected, SequentialSum(buffer));
                if (Interlocked.Increment(ref completed) <= 4) readOnce.Signal();
            }
        })).ToArray();
        started.Wait(TestContext.Current.CancellationToken);
        readOnce.Wait(TestContext.Current.CancellationToken); // reads are running: dispose under them
        ck.Dispose();
        await Task.WhenAll(readers);
        Assert.Equal(4, refused);
        Assert.True(completed > 0);
    }
}
