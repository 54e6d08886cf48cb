namespace RwkvNative.Model;

/// <summary>
/// Recurrent state of a batch: token-shift vectors and wkv7 matrices, float32, row-major.
/// <list type="bullet">
/// <item><c>Shift</c>: [L, 2, B, C] (index 0 = time-mix shift, 1 = channel-mix shift), upstream's <c>state0</c>.</item>
/// <item><c>Wkv</c>: [L, B, H, 64, 64] with <c>S[i][j]</c>, i = value channel, j = key channel, upstream's <c>state1</c>.</item>
/// </list>
/// A new state is all zeros, which is the start of every sequence.
/// </summary>
public sealed class ModelState
{
    /// <summary>Creates a zero state for <paramref name="batch"/> sequences.</summary>
    public ModelState(int layers, int batch, int channels)
    {
        if (layers <= 0) throw new ArgumentOutOfRangeException(nameof(layers), layers, "layers must be positive");
        if (batch < 0) throw new ArgumentOutOfRangeException(nameof(batch), batch, "batch must not be negative");
        if (channels <= 0 || channels % ModelConfig.HeadSize != 0)
            throw new ArgumentOutOfRangeException(nameof(channels), channels, "channels must be a positive multiple of 64");
        Layers = layers;
        Batch = batch;
        Channels = channels;
        long wkv = (long)layers * batch * channels * ModelConfig.HeadSize;
        if (wkv > Array.MaxLength)
            throw new ArgumentOutOfRangeException(nameof(batch), batch,
                $"a state of {batch} sequences for L={layers}, C={channels} needs {wkv:N0} floats, more than one array holds; split the batch");
        Shift = new float[(long)layers * 2 * batch * channels];
        Wkv = new float[wkv];
    }

    /// <summary>Creates a zero state shaped for <paramref name="config"/>.</summary>
    public ModelState(ModelConfig config, int batch) : this(config.Layers, batch, config.Channels) { }

    /// <summary>L.</summary>
    public int Layers { get; }
    /// <summary>B.</summary>
    public int Batch { get; }
    /// <summary>C.</summary>
    public int Channels { get; }
    /// <summary>H = C / 64.</summary>
    public int Heads => Channels / ModelConfig.HeadSize;

    /// <summary>Token shift: [L, 2, B, C].</summary>
    public float[] Shift { get; }

    /// <summary>wkv7 state: [L, B, H, 64, 64].</summary>
    public float[] Wkv { get; }

    /// <summary>Elements of one sequence's wkv7 state in one layer: H * 64 * 64.</summary>
    public int WkvPerLayerItem => Channels * ModelConfig.HeadSize;

    /// <summary>Throws unless this state has the shape <paramref name="config"/> needs for <paramref name="batch"/> sequences.</summary>
    public void EnsureShape(ModelConfig config, int batch, string paramName) => EnsureShape(Layers, Batch, Channels, config, batch, paramName);

    /// <summary>
    /// Throws unless a state of shape (<paramref name="layers"/>, <paramref name="batch"/>, <paramref name="channels"/>), held on the
    /// host or by a backend, fits <paramref name="config"/> and <paramref name="expectedBatch"/> sequences (any batch when null).
    /// </summary>
    internal static void EnsureShape(int layers, int batch, int channels, ModelConfig config, int? expectedBatch, string paramName)
    {
        if (layers != config.Layers || channels != config.Channels || (expectedBatch is { } b && batch != b))
            throw new ArgumentException(
                $"state has shape L={layers}, B={batch}, C={channels} but the model needs L={config.Layers}, {(expectedBatch is { } n ? $"B={n}, " : "")}C={config.Channels}",
                paramName);
    }

    /// <summary>A deep copy.</summary>
    public ModelState Clone()
    {
        var s = new ModelState(Layers, Batch, Channels);
        Shift.AsSpan().CopyTo(s.Shift);
        Wkv.AsSpan().CopyTo(s.Wkv);
        return s;
    }

    /// <summary>Copies sequence <paramref name="index"/> out as a state of batch 1.</summary>
    public ModelState Slice(int index) => Slice(index, 1);

    /// <summary>Copies sequences <paramref name="first"/> .. first + count - 1 out as a state of batch <paramref name="count"/>.</summary>
    public ModelState Slice(int first, int count)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(first);
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(first + count, Batch);
        var s = new ModelState(Layers, count, Channels);
        int c = Channels, w = WkvPerLayerItem;
        for (int l = 0; l < Layers; l++)
        {
            for (int k = 0; k < 2; k++)
                Shift.AsSpan(((l * 2 + k) * Batch + first) * c, count * c).CopyTo(s.Shift.AsSpan((l * 2 + k) * count * c));
            Wkv.AsSpan((l * Batch + first) * w, count * w).CopyTo(s.Wkv.AsSpan(l * count * w));
        }
        return s;
    }

    /// <summary>
    /// Sets sequence <paramref name="b"/> from one document's state in the per-document layout (a store's slot or a
    /// mapped record): <paramref name="shift"/> [L, 2, C] and <paramref name="wkv"/> [L, H·64·64], float32 or float16
    /// (widened exactly).
    /// </summary>
    internal void SetItem<T>(int b, ReadOnlySpan<T> shift, ReadOnlySpan<T> wkv) where T : unmanaged
    {
        ArgumentOutOfRangeException.ThrowIfNegative(b);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(b, Batch);
        int c = Channels, w = WkvPerLayerItem;
        if (shift.Length != Layers * 2 * c || wkv.Length != Layers * w)
            throw new ArgumentException($"one state of L={Layers}, C={Channels} has {Layers * 2 * c} shift and {Layers * w} wkv values, not {shift.Length} and {wkv.Length}");
        for (int l = 0; l < Layers; l++)
        {
            for (int k = 0; k < 2; k++)
                Widen(shift.Slice((l * 2 + k) * c, c), Shift.AsSpan(((l * 2 + k) * Batch + b) * c, c));
            Widen(wkv.Slice(l * w, w), Wkv.AsSpan((l * Batch + b) * w, w));
        }
    }

    // float32 copies; float16 widens (every Half is exactly a float). The branch is resolved when T is specialised.
    private static void Widen<T>(ReadOnlySpan<T> from, Span<float> to) where T : unmanaged
    {
        if (typeof(T) == typeof(float))
        {
            System.Runtime.InteropServices.MemoryMarshal.Cast<T, float>(from).CopyTo(to);
            return;
        }
        if (typeof(T) != typeof(Half)) throw new NotSupportedException($"states are float32 or float16, not {typeof(T).Name}");
        var h = System.Runtime.InteropServices.MemoryMarshal.Cast<T, Half>(from);
        for (int i = 0; i < h.Length; i++) to[i] = (float)h[i];
    }

    /// <summary>Stacks batch-1 (or larger) states into one batch, in order.</summary>
    public static ModelState Concat(IReadOnlyList<ModelState> parts)
    {
        ArgumentNullException.ThrowIfNull(parts);
        if (parts.Count == 0) throw new ArgumentException("no states to concatenate", nameof(parts));
        int L = parts[0].Layers, C = parts[0].Channels, B = 0;
        foreach (var p in parts)
        {
            if (p.Layers != L || p.Channels != C)
                throw new ArgumentException($"states differ in shape: L={p.Layers}, C={p.Channels} vs L={L}, C={C}", nameof(parts));
            B += p.Batch;
        }
        var s = new ModelState(L, B, C);
        int w = s.WkvPerLayerItem;
        for (int l = 0; l < L; l++)
        {
            int b0 = 0;
            foreach (var p in parts)
            {
                for (int k = 0; k < 2; k++)
                    p.Shift.AsSpan((l * 2 + k) * p.Batch * C, p.Batch * C).CopyTo(s.Shift.AsSpan(((l * 2 + k) * B + b0) * C));
                p.Wkv.AsSpan(l * p.Batch * w, p.Batch * w).CopyTo(s.Wkv.AsSpan((l * B + b0) * w));
                b0 += p.Batch;
            }
        }
        return s;
    }
}
