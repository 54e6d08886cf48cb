// Checkpoints edited the ways a broken conversion or a hand edit would: blocks missing or added, tensors retyped.
using System.Text.Json;
using RwkvNative.Checkpoints;
using RwkvNative.Model;

namespace RwkvNative.Tests.Checkpoints;

public sealed class EditedCheckpointTests
{
    /// <summary>
    /// Copies a fixture checkpoint into a safetensors file, each tensor renamed (null: left out) and optionally restored
    /// as another dtype (the bytes are re-sized to that dtype's element size, contents irrelevant).
    /// </summary>
    private static string Rewrite(TempDir dir, string fixture, Func<string, string?> rename, Func<string, string?>? retype = null)
    {
        using var src = Checkpoint.Open(Fixtures.PathOf(fixture));
        var header = new Dictionary<string, object>();
        using var data = new MemoryStream();
        foreach (var t in src.Tensors.Values)
        {
            if (rename(t.Name) is not { } name) continue;
            string dtype = retype?.Invoke(t.Name) ?? t.DType switch
            {
                TensorDType.BFloat16 => "BF16",
                TensorDType.Float16 => "F16",
                _ => "F32",
            };
            byte[] bytes = dtype switch
            {
                "BF16" or "F16" or "F32" when dtype == (t.DType switch { TensorDType.BFloat16 => "BF16", TensorDType.Float16 => "F16", _ => "F32" }) => t.RawBytes.ToArray(),
                "F64" => new byte[t.ElementCount * 8],
                _ => new byte[t.ElementCount],
            };
            header[name] = new { dtype, shape = t.Shape, data_offsets = new[] { data.Length, data.Length + bytes.Length } };
            data.Write(bytes);
        }
        var path = dir.File("edited.safetensors");
        File.WriteAllBytes(path, RawSafeTensors.Build(JsonSerializer.Serialize(header), data.ToArray()));
        return path;
    }

    private static CheckpointException ReadFails(string path, bool reranker = false)
    {
        using var ck = Checkpoint.Open(path);
        return Assert.ThrowsAny<CheckpointException>(() =>
        {
            if (reranker) ConfigReader.ReadReranker(ck);
            else ConfigReader.ReadEmbedding(ck);
        });
    }

    [Fact]
    public void A_missing_middle_block_is_refused_naming_it_not_read_as_a_shorter_model()
    {
        using var dir = new TempDir();
        var e = ReadFails(Rewrite(dir, "tiny-bf16.emb.pth", k => k.StartsWith("rwkv.blocks.1.", StringComparison.Ordinal) ? null : k));
        Assert.Contains("block 1 is missing", e.Message);
        Assert.Contains("blocks up to 2", e.Message);
    }

    [Fact]
    public void An_extra_block_after_a_gap_is_refused_naming_the_first_missing_block()
    {
        using var dir = new TempDir();
        // Block 2 renamed to 5: blocks 0, 1 and 5, so 2, 3 and 4 are missing.
        var path = Rewrite(dir, "tiny-bf16.emb.pth", k => k.StartsWith("rwkv.blocks.2.", StringComparison.Ordinal) ? "rwkv.blocks.5." + k["rwkv.blocks.2.".Length..] : k);
        Assert.Contains("block 2 is missing", ReadFails(path).Message);

        using var dir2 = new TempDir();
        var reranker = Rewrite(dir2, "tiny-bf16.reranker.pth", k => k.StartsWith("reranker.blocks.0.", StringComparison.Ordinal) ? null : k);
        Assert.Contains("block 0 is missing", ReadFails(reranker, reranker: true).Message);
    }

    [Fact]
    public void A_block_key_without_a_block_number_is_refused()
    {
        using var dir = new TempDir();
        var path = Rewrite(dir, "tiny-bf16.emb.pth", k => k == "rwkv.blocks.1.ln1.weight" ? "rwkv.blocks.01.ln1.weight" : k);
        Assert.Contains("'rwkv.blocks.01.ln1.weight' does not name a block number", ReadFails(path).Message);
    }

    [Theory]
    [InlineData("rwkv.blocks.0.ln1.weight", "F64")]
    [InlineData("rwkv.blocks.1.ln1.weight", "F64")]
    [InlineData("rwkv.blocks.2.ln1.weight", "Q4_K")]
    [InlineData("rwkv.blocks.1.att.w1", "F64")]
    [InlineData("rwkv.emb.weight", "F64")]
    public void An_unsupported_dtype_is_reported_as_such_not_as_a_missing_key(string key, string dtype)
    {
        using var dir = new TempDir();
        var e = ReadFails(Rewrite(dir, "tiny-bf16.emb.pth", k => k, k => k == key ? dtype : null));
        Assert.IsType<UnsupportedDTypeException>(e);
        Assert.Contains($"'{key}' has unsupported dtype {dtype}", e.Message);
        Assert.DoesNotContain("missing", e.Message);
    }

    [Fact]
    public void A_reranker_whose_start_vector_has_an_unsupported_dtype_says_so()
    {
        using var dir = new TempDir();
        using (var ck = Checkpoint.Open(Fixtures.PathOf("tiny-bf16.reranker.pth")))
            Assert.True(ck.Tensors.ContainsKey("reranker.emb.weight") || ck.Tensors.ContainsKey("reranker.token.weight"));
        var e = ReadFails(Rewrite(dir, "tiny-bf16.reranker.pth", k => k,
            k => k is "reranker.emb.weight" or "reranker.token.weight" ? "F64" : null), reranker: true);
        Assert.Contains("unsupported dtype F64", e.Message);
    }
}
