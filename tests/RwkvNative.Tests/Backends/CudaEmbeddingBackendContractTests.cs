using RwkvNative.Backends;
using RwkvNative.Checkpoints;
using RwkvNative.Cuda;
using RwkvNative.Model;
using RwkvNative.Tests.Cuda;

namespace RwkvNative.Tests.Backends;

/// <summary>The backend contract on the CUDA backend (skips without a device; runs on the CPU emulator).</summary>
public sealed class CudaEmbeddingBackendContractTests : EmbeddingBackendContract
{
    protected override void RequireBackend() => CudaTestDevice.RequireOrSkip();

    protected override IEmbeddingBackend Create(Checkpoint ckpt, ModelConfig config) => new CudaEmbeddingBackend(ckpt, config, 0);
}
