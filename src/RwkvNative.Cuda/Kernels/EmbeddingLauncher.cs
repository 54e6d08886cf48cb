using RwkvNative.Checkpoints;
using RwkvNative.Cuda.Memory;

namespace RwkvNative.Cuda.Kernels;

/// <summary>embedding.cu: x[t] = LN(table[tokens[t]]; ln0) for every packed token.</summary>
internal sealed unsafe class EmbeddingLauncher(LaunchContext launch)
{
    public static readonly KernelName F32 = new("embedding.cu", "embedding_layernorm_f32", LaunchContext.MaxRowBlock);
    public static readonly KernelName Bf16 = new("embedding.cu", "embedding_layernorm_bf16", LaunchContext.MaxRowBlock);
    public static readonly KernelName F16 = new("embedding.cu", "embedding_layernorm_f16", LaunchContext.MaxRowBlock);

    private readonly nint f32 = launch.Modules.Function(F32);
    private readonly nint bf16 = launch.Modules.Function(Bf16);
    private readonly nint f16 = launch.Modules.Function(F16);

    /// <summary>
    /// table: [V, C] as stored; tokens: [T] (each &lt; V, checked by the caller); weight, bias: [C]; y: [T, C] float32.
    /// </summary>
    public void Run(DeviceMatrix table, DeviceView<int> tokens, int count, DeviceVector weight, DeviceVector bias,
        DeviceView<float> y, float eps)
    {
        int channels = table.Inputs;
        tokens.Require(count, "embedding tokens");
        y.Require((long)count * channels, "embedding output");
        if (weight.Length != channels || bias.Length != channels) throw new ArgumentException("ln0 parameters must have C elements");
        var (name, function) = table.DType switch
        {
            TensorDType.Float32 => (F32, f32),
            TensorDType.BFloat16 => (Bf16, bf16),
            TensorDType.Float16 => (F16, f16),
            _ => throw new NotSupportedException($"embedding table dtype {table.DType}"),
        };
        ulong pTable = table.Buffer.View<byte>().Address, pTokens = tokens.Address, pW = weight.View.Address, pB = bias.View.Address, pY = y.Address;
        int c = channels;
        void** args = stackalloc void*[] { &pTable, &pTokens, &pW, &pB, &pY, &c, &eps };
        launch.Launch(name, function, (uint)count, LaunchContext.RowBlock(channels), args);
    }
}
