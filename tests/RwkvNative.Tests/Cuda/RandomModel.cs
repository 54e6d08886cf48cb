using RwkvNative.Checkpoints;
using RwkvNative.Model;

namespace RwkvNative.Tests.Cuda;

/// <summary>
/// Writes embedding checkpoints with random weights of any shape (real key names and layouts), as safetensors. Scales
/// follow upstream's initialisation closely enough that activations stay O(1) through many layers.
/// </summary>
internal static class RandomModel
{
    public static string Write(string directory, ModelConfig config, bool half, int seed)
    {
        var rng = new Random(seed);
        int c = config.Channels, h = config.Heads, f = config.FfnWidth;
        var tensors = new List<(string Name, int[] Shape, float[] Data)>();
        void Add(string name, int[] shape, Func<float> value)
        {
            var data = new float[shape.Aggregate(1, (a, b) => a * b)];
            for (int i = 0; i < data.Length; i++) data[i] = value();
            tensors.Add((name, shape, data));
        }
        float U(double scale) => (float)((rng.NextDouble() * 2 - 1) * scale);
        Func<float> Around(double center, double spread) => () => (float)center + U(spread);

        Add("rwkv.emb.weight", [ModelConfig.VocabSize, c], () => U(1));
        Add("rwkv.blocks.0.ln0.weight", [c], Around(1, 0.1));
        Add("rwkv.blocks.0.ln0.bias", [c], Around(0, 0.1));
        for (int l = 0; l < config.Layers; l++)
        {
            string p = $"rwkv.blocks.{l}.";
            foreach (var ln in new[] { "ln1", "ln2" })
            {
                Add(p + ln + ".weight", [c], Around(1, 0.1));
                Add(p + ln + ".bias", [c], Around(0, 0.1));
            }
            foreach (var x in new[] { "x_r", "x_w", "x_k", "x_v", "x_a", "x_g" })
                Add(p + "att." + x, [1, 1, c], () => (float)rng.NextDouble());
            Add(p + "att.w0", [1, 1, c], Around(-3, 2.5));
            Add(p + "att.a0", [1, 1, c], Around(0, 0.5));
            Add(p + "att.w1", [c, config.DecayLora], () => U(1 / Math.Sqrt(c)));
            Add(p + "att.w2", [config.DecayLora, c], () => U(0.5 / Math.Sqrt(config.DecayLora)));
            Add(p + "att.a1", [c, config.AlphaLora], () => U(1 / Math.Sqrt(c)));
            Add(p + "att.a2", [config.AlphaLora, c], () => U(0.5 / Math.Sqrt(config.AlphaLora)));
            Add(p + "att.g1", [c, config.GateLora], () => U(1 / Math.Sqrt(c)));
            Add(p + "att.g2", [config.GateLora, c], () => U(0.5 / Math.Sqrt(config.GateLora)));
            if (l > 0)
            {
                Add(p + "att.v0", [1, 1, c], Around(1, 0.2));
                Add(p + "att.v1", [c, config.ValueLora], () => U(1 / Math.Sqrt(c)));
                Add(p + "att.v2", [config.ValueLora, c], () => U(0.5 / Math.Sqrt(config.ValueLora)));
            }
            Add(p + "att.k_k", [1, 1, c], Around(0.85, 0.1));
            Add(p + "att.k_a", [1, 1, c], Around(1, 0.1));
            Add(p + "att.r_k", [h, ModelConfig.HeadSize], () => U(0.2));
            foreach (var m in new[] { "receptance", "key", "value" })
                Add(p + $"att.{m}.weight", [c, c], () => U(1 / Math.Sqrt(c)));
            Add(p + "att.output.weight", [c, c], () => U(0.5 / Math.Sqrt(c)));
            Add(p + "att.ln_x.weight", [c], Around(1, 0.1));
            Add(p + "att.ln_x.bias", [c], Around(0, 0.1));
            Add(p + "ffn.x_k", [1, 1, c], () => (float)rng.NextDouble());
            Add(p + "ffn.key.weight", [f, c], () => U(1 / Math.Sqrt(c)));
            Add(p + "ffn.value.weight", [c, f], () => U(0.5 / Math.Sqrt(f)));
        }
        Add("rwkv.ln_out.weight", [c], Around(1, 0.1));
        Add("rwkv.ln_out.bias", [c], Around(0, 0.1));
        foreach (var head in new[] { "cls_head", "sts_head", "retr_head" })
        {
            Add($"head.{head}.fc1.weight", [c, c], () => U(1 / Math.Sqrt(c)));
            Add($"head.{head}.fc2.weight", [c, c], () => U(1 / Math.Sqrt(c)));
            Add($"head.{head}.norm.weight", [c], Around(1, 0.1));
            Add($"head.{head}.norm.bias", [c], Around(0, 0.1));
        }

        Directory.CreateDirectory(directory);
        var path = Path.Combine(directory, $"random-L{config.Layers}-C{c}-{(half ? "f16" : "f32")}-{seed}.safetensors");
        if (half) SafeTensorsWriter.Write(path, tensors.Select(t => (t.Name, t.Shape, Array.ConvertAll(t.Data, v => (Half)v))));
        else SafeTensorsWriter.Write(path, tensors);
        return path;
    }
}
