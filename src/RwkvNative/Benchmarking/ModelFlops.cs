using RwkvNative.Model;

namespace RwkvNative.Benchmarking;

/// <summary>Arithmetic of the model's matrix products, the part a GEMM roofline covers.</summary>
public static class ModelFlops
{
    /// <summary>
    /// Floating-point operations (2 per multiply-add) of the linear layers for one token: per layer r, k, v, o (4 C²),
    /// the channel mix (8 C²) and the LoRA pairs (2 C D each; no value LoRA in layer 0). The wkv recurrence, norms and
    /// element-wise work (a few percent more) are not counted.
    /// </summary>
    public static double PerToken(ModelConfig config)
    {
        ArgumentNullException.ThrowIfNull(config);
        double c = config.Channels;
        double lora = 2 * c * (config.DecayLora + config.AlphaLora + config.GateLora);
        double perLayer = 12 * c * c + lora;
        return 2 * (config.Layers * perLayer + (config.Layers - 1) * 2 * c * config.ValueLora);
    }
}
