using RwkvNative.Backends;
using RwkvNative.Checkpoints;
using RwkvNative.Cpu;
using RwkvNative.Model;

namespace RwkvNative.Tests.Backends;

/// <summary>The backend contract on the CPU backend (always runs).</summary>
public sealed class CpuEmbeddingBackendContractTests : EmbeddingBackendContract
{
    protected override void RequireBackend() { }

    protected override IEmbeddingBackend Create(Checkpoint ckpt, ModelConfig config) => CpuBackendProvider.Instance.CreateEmbedding(ckpt, config, 0);
}
