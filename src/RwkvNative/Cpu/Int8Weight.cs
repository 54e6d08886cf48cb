namespace RwkvNative.Cpu;

/// <summary>
/// A weight matrix W: [N, K] quantised once, symmetrically, per output channel: W[n, k] ≈ Q[n, k] · Scale[n] with
/// Q in [-Levels, Levels] (int8) and Scale = max_k |W[n, k]| / Levels in float32.
/// Packed for 4-byte dot products (vpdpbusd / vpmaddubsw / sdot): K is padded to a multiple of 4 (zeros), N cut into
/// panels of <see cref="PanelWidth"/> outputs (the last one zero-padded); panel-major, then k-quad, then the panel's
/// outputs, then the quad's 4 inputs: [Panels][Kp/4][PanelWidth][4]. One 64-byte load is then 16 outputs × 4 inputs,
/// and a panel's whole K is one sequential stream. The array is 64-byte aligned.
/// </summary>
internal sealed unsafe class Int8Weight
{
    /// <summary>Outputs per packed panel (as the float32 panels).</summary>
    public const int PanelWidth = LinearWeight.PanelWidth;

    /// <summary>Largest |Q| when the products may be summed in pairs in int16 (vpmaddubsw: 255 · 63 · 2 &lt; 32767).</summary>
    public const int PairSafeLevels = 63;

    /// <summary>Largest |Q| of a full int8 quantisation.</summary>
    public const int FullLevels = 127;

    private readonly sbyte[] _q;

    private Int8Weight(int outputs, int inputs, int levels)
    {
        PanelStorage.CheckSizes(outputs, inputs);
        if (levels is < 1 or > FullLevels) throw new ArgumentOutOfRangeException(nameof(levels), levels, "levels must be 1..127");
        Outputs = outputs;
        Inputs = inputs;
        Levels = levels;
        PaddedInputs = (inputs + 3) & ~3;
        Panels = (outputs + PanelWidth - 1) / PanelWidth;
        _q = PanelStorage.AllocateAligned<sbyte>((long)Panels * PanelWidth * PaddedInputs, outputs, inputs, out int offset);
        Offset = offset;
        Scales = new float[Panels * PanelWidth];
        OffsetCorrection = new int[Panels * PanelWidth];
    }

    /// <summary>N.</summary>
    public int Outputs { get; }

    /// <summary>K.</summary>
    public int Inputs { get; }

    /// <summary>K rounded up to a multiple of 4: the row length of quantised activations.</summary>
    public int PaddedInputs { get; }

    /// <summary>Largest |Q| this weight was quantised to (127, or 63 for kernels that sum product pairs in int16).</summary>
    public int Levels { get; }

    /// <summary>ceil(N / <see cref="PanelWidth"/>).</summary>
    public int Panels { get; }

    /// <summary>Index in <see cref="Storage"/> of panel 0, quad 0 (64-byte aligned).</summary>
    public int Offset { get; }

    /// <summary>Pinned packed Q ([Panels][Kp/4][PanelWidth][4] from <see cref="Offset"/>).</summary>
    public sbyte[] Storage => _q;

    /// <summary>[Panels · PanelWidth]: Scale[n] (0 past N).</summary>
    public float[] Scales { get; }

    /// <summary>
    /// [Panels · PanelWidth]: -128 · Σ_k Q[n, k]. Kernels that read activations as unsigned bytes u = q + 128 start
    /// their accumulators here, so that Σ u·Q + this = Σ q·Q exactly.
    /// </summary>
    public int[] OffsetCorrection { get; }

    /// <summary>Quantises <paramref name="rows"/> ([N, K] row-major, nn.Linear layout) to <paramref name="levels"/> levels.</summary>
    public static Int8Weight FromRows(ReadOnlySpan<float> rows, int outputs, int inputs, int levels)
    {
        PanelStorage.CheckLength(rows.Length, outputs, inputs);
        var w = new Int8Weight(outputs, inputs, levels);
        for (int n = 0; n < outputs; n++)
        {
            var row = rows.Slice(n * inputs, inputs);
            float max = 0f;
            foreach (var v in row)
            {
                if (!float.IsFinite(v)) throw new ArgumentException($"weight row {n} holds {v}: only finite weights can be quantised");
                max = MathF.Max(max, MathF.Abs(v));
            }
            float scale = max / levels;
            float inv = max > 0f ? levels / max : 0f;
            int panel = n / PanelWidth, lane = n % PanelWidth, sum = 0;
            int panelStart = w.Offset + panel * PanelWidth * w.PaddedInputs;
            for (int k = 0; k < inputs; k++)
            {
                int q = (int)MathF.Round(row[k] * inv);
                q = Math.Clamp(q, -levels, levels);
                sum += q;
                w._q[panelStart + (k >> 2) * PanelWidth * 4 + lane * 4 + (k & 3)] = (sbyte)q;
            }
            w.Scales[n] = scale;
            w.OffsetCorrection[n] = -128 * sum;
        }
        return w;
    }

    /// <summary>Q[n, k] (for tests and diagnostics; not a hot path).</summary>
    public int this[int n, int k]
    {
        get
        {
            PanelStorage.CheckIndex(n, k, Outputs, Inputs);
            return _q[Offset + n / PanelWidth * PanelWidth * PaddedInputs + (k >> 2) * PanelWidth * 4 + n % PanelWidth * 4 + (k & 3)];
        }
    }
}
