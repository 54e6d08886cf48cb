namespace RwkvNative.Benchmarks;

/// <summary>The weight shapes of the upstream model sizes (MODEL.md; LoRA widths from the upstream presets).</summary>
internal static class GemmShapes
{
    /// <summary>Token counts per call: one token, a short query, a document, a batch of documents.</summary>
    public static readonly int[] Rows = [1, 32, 256, 2048];

    /// <summary>Model widths: Tiny, Base, Large.</summary>
    public static readonly int[] Widths = [768, 1024, 2048];

    /// <summary>The shapes of a model of width <paramref name="c"/>.</summary>
    public static GemmShape[] For(int c)
    {
        // Decay LoRA width Dw and gate LoRA width Dg (Tiny/Base: 64, 128; Large: 96, 256).
        int dw = c >= 2048 ? 96 : 64, dg = c >= 2048 ? 256 : 128;
        return
        [
            new("att CxC", c, c),
            new("ffn.key 4CxC", 4 * c, c),
            new("ffn.value Cx4C", c, 4 * c),
            new($"lora w1 C->{dw}", dw, c),
            new($"lora w2 {dw}->C", c, dw),
            new($"lora g1 C->{dg}", dg, c),
            new($"lora g2 {dg}->C", c, dg),
        ];
    }
}
