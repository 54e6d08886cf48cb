using System.Collections.Concurrent;
using RwkvNative.Model;

namespace RwkvNative.Cpu;

/// <summary>
/// Activation buffers of one <see cref="CpuGraph.RunBlocks"/> call, pooled so steady-state calls allocate nothing.
/// Every buffer is [T, C] unless named otherwise; arrays only grow.
/// </summary>
internal sealed class CpuWorkspace
{
    private static readonly ConcurrentBag<CpuWorkspace> Pool = new();
    private const int MaxPooled = 16;

    public float[] A = [], R = [], K = [], V = [], Decay = [], Ag = [], G = [], KK = [], Y = [], VFirst = [], Hidden = [], Lora = [];
    public readonly float[][] Mix = [[], [], [], [], [], []];

    public static CpuWorkspace Rent(int tokens, ModelConfig config)
    {
        if (!Pool.TryTake(out var ws)) ws = new CpuWorkspace();
        int tc = tokens * config.Channels;
        int lora = Math.Max(Math.Max(config.DecayLora, config.AlphaLora), Math.Max(config.GateLora, config.ValueLora));
        Grow(ref ws.A, tc); Grow(ref ws.R, tc); Grow(ref ws.K, tc); Grow(ref ws.V, tc); Grow(ref ws.Decay, tc);
        Grow(ref ws.Ag, tc); Grow(ref ws.G, tc); Grow(ref ws.KK, tc); Grow(ref ws.Y, tc); Grow(ref ws.VFirst, tc);
        Grow(ref ws.Hidden, tokens * config.FfnWidth);
        Grow(ref ws.Lora, tokens * lora);
        for (int i = 0; i < ws.Mix.Length; i++) Grow(ref ws.Mix[i], tc);
        return ws;
    }

    public static void Return(CpuWorkspace ws)
    {
        if (Pool.Count < MaxPooled) Pool.Add(ws);
    }

    private static void Grow(ref float[] a, int n)
    {
        if (a.Length < n) a = new float[n];
    }
}
