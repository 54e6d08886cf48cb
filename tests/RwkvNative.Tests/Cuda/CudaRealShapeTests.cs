using RwkvNative.Backends;
using RwkvNative.Checkpoints;
using RwkvNative.Cpu;
using RwkvNative.Cuda.Memory;
using RwkvNative.Cuda;
using RwkvNative.Model;

namespace RwkvNative.Tests.Cuda;

/// <summary>
/// The real 0.1B shape (L=12, C=768, LoRA 64/64/32/128) with random weights, a few hundred tokens, batch 1 and a ragged
/// batch of 16. Float32 precision is compared with the CPU backend at 1e-4 relative to each tensor's largest magnitude
/// (12 layers of 768-wide sums in another order); fp16 weights at their stored precision by cosine ≥ 0.999.
/// </summary>
public sealed class CudaRealShapeTests
{
    private static readonly ModelConfig Tiny = new(Layers: 12, Channels: 768, DecayLora: 64, AlphaLora: 64, ValueLora: 32, GateLora: 128);
    private static readonly string Folder = Path.Combine(Path.GetTempPath(), "rwkvnative-cuda-tests");
    private static readonly Lazy<string> F32 = new(() => RandomModel.Write(Folder, Tiny, half: false, seed: 7));
    private static readonly Lazy<string> F16 = new(() => RandomModel.Write(Folder, Tiny, half: true, seed: 7));

    private static void RequireDevice()
    {
        CudaTestDevice.RequireOrSkip();
    }

    [Fact]
    public void Random_model_writer_gives_a_checkpoint_of_the_asked_shape_that_the_cpu_backend_runs()
    {
        var small = new ModelConfig(Layers: 2, Channels: 128, DecayLora: 32, AlphaLora: 32, ValueLora: 32, GateLora: 64);
        var path = RandomModel.Write(Folder, small, half: true, seed: 3);
        using var ckpt = Checkpoint.Open(path);
        Assert.Equal(small, ConfigReader.ReadEmbedding(ckpt));
        Assert.Equal(TensorDType.Float16, ckpt.Get("rwkv.blocks.1.att.key.weight").DType);
        using var cpu = CpuBackendProvider.Instance.CreateEmbedding(ckpt, small, 0);
        var state = new ModelState(small, 1);
        var sums = new float[small.Channels];
        var counts = new int[1];
        cpu.Forward(PackedBatch.FromPacked([5, 77, 1000, ModelConfig.EosToken], [0, 4]), state, sums, counts);
        Assert.Equal(1, counts[0]);
        Assert.All(sums, v => Assert.True(float.IsFinite(v) && Math.Abs(v) < 20, $"pooled value {v}"));
        Assert.Contains(state.Wkv, v => v != 0);
    }

    public static TheoryData<string, bool> Cases() => new() { { "batch1", false }, { "batch16", false }, { "batch1", true }, { "batch16", true } };

    [Theory]
    [MemberData(nameof(Cases))]
    public void Real_shape_random_weights_match_the_cpu_backend(string shape, bool half)
    {
        RequireDevice();
        int[] lengths = shape == "batch1" ? [300] : [40, 3, 17, 0, 25, 1, 31, 12, 22, 9, 35, 5, 28, 14, 19, 30];
        using var ckpt = Checkpoint.Open(half ? F16.Value : F32.Value);
        Assert.Equal(Tiny, ConfigReader.ReadEmbedding(ckpt));
        var precision = half ? CudaWeightPrecision.AsStored : CudaWeightPrecision.Float32;
        CudaBackendTests.CompareForward(ckpt, precision, lengths, seed: 5, randomStart: false);
    }
}
