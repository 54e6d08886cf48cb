using System.Runtime.InteropServices;
using RwkvNative.Checkpoints;
using RwkvNative.Model;

namespace RwkvNative.Cpu;

/// <summary>
/// A weight matrix W: [N, K] (N outputs, K inputs) as the CPU GEMM reads it: y = x · Wᵀ.
/// Stored once, at load, in the GEMM's packed layout: K is cut into blocks of <see cref="KBlock"/> inputs (the last one
/// shorter), N into panels of <see cref="PanelWidth"/> outputs (the last one zero-padded); block-major, then panel,
/// then k, then the panel's outputs side by side: [K/KBlock][Panels][kb][PanelWidth]. A GEMM pass over one K block
/// and a run of panels therefore reads one sequential stream. The array is 64-byte aligned.
/// Elements are float32, or bfloat16 when the source is bfloat16 (lossless, half the memory traffic); either way
/// the products are accumulated in float32.
/// </summary>
public sealed class LinearWeight
{
    /// <summary>Outputs per packed panel: two 512-bit vectors of float32.</summary>
    internal const int PanelWidth = 32;

    /// <summary>Inputs per K block: one GEMM pass (x block 8 × 256 floats in L1, W panels in L2).</summary>
    internal const int KBlock = 256;

    private readonly float[]? _single;
    private readonly ushort[]? _bfloat16;
    private readonly Int8Weight? _int8;

    private LinearWeight(Int8Weight quantized)
    {
        Outputs = quantized.Outputs;
        Inputs = quantized.Inputs;
        Format = WeightFormat.Int8;
        Panels = quantized.Panels;
        _int8 = quantized;
    }

    private LinearWeight(int outputs, int inputs, WeightFormat format)
    {
        PanelStorage.CheckSizes(outputs, inputs);
        Outputs = outputs;
        Inputs = inputs;
        Format = format;
        Panels = (outputs + PanelWidth - 1) / PanelWidth;
        long length = (long)Panels * PanelWidth * inputs;
        int offset;
        if (format == WeightFormat.Float32) _single = PanelStorage.AllocateAligned<float>(length, outputs, inputs, out offset);
        else _bfloat16 = PanelStorage.AllocateAligned<ushort>(length, outputs, inputs, out offset);
        Offset = offset;
    }

    /// <summary>N.</summary>
    public int Outputs { get; }

    /// <summary>K.</summary>
    public int Inputs { get; }

    /// <summary>Element type in memory.</summary>
    internal WeightFormat Format { get; }

    /// <summary>Number of packed panels, ceil(N / <see cref="PanelWidth"/>).</summary>
    internal int Panels { get; }

    /// <summary>Index in the storage array of panel 0, k 0 (64-byte aligned).</summary>
    internal int Offset { get; }

    /// <summary>Pinned float32 storage ([K/KBlock][Panels][kb][PanelWidth] from <see cref="Offset"/>), or null for bf16.</summary>
    internal float[]? SingleStorage => _single;

    /// <summary>Pinned bfloat16 storage, same layout as <see cref="SingleStorage"/>, or null for float32.</summary>
    internal ushort[]? BFloat16Storage => _bfloat16;

    /// <summary>The int8 form (its own packed layout), or null for float32 and bf16 weights.</summary>
    internal Int8Weight? Int8 => _int8;

    /// <summary>
    /// An nn.Linear weight stored [out, in], quantised to int8 per output channel with <paramref name="levels"/> levels
    /// (<see cref="Int8Gemm.WeightLevels"/> for this machine's kernels); the float values are not kept.
    /// </summary>
    internal static LinearWeight QuantizedLinear(CheckpointTensor t, int levels)
    {
        var (rows, cols) = MatrixShape(t);
        return FromInt8(Int8Weight.FromRows(t.ToFloat32(), rows, cols, levels));
    }

    /// <summary>Wraps an int8 weight so that <see cref="Gemm.Linear(ReadOnlySpan{float}, int, LinearWeight, Span{float}, bool)"/> runs it with the int8 GEMM.</summary>
    internal static LinearWeight FromInt8(Int8Weight quantized)
    {
        ArgumentNullException.ThrowIfNull(quantized);
        return new LinearWeight(quantized);
    }

    /// <summary>Packs <paramref name="data"/> ([N, K] row-major, nn.Linear layout) as float32; the array is not kept.</summary>
    public static LinearWeight FromRows(float[] data, int outputs, int inputs)
    {
        ArgumentNullException.ThrowIfNull(data);
        return Packed<float>(data, outputs, inputs, WeightFormat.Float32, transposed: false);
    }

    /// <summary>
    /// Packs bfloat16 bit patterns <paramref name="data"/> ([N, K] row-major) and keeps them 16-bit: half the memory of
    /// float32 and exactly the same products (bf16 widens to float32 without rounding).
    /// </summary>
    public static LinearWeight FromBFloat16Rows(ReadOnlySpan<ushort> data, int outputs, int inputs) =>
        Packed(data, outputs, inputs, WeightFormat.BFloat16, transposed: false);

    /// <summary>Packs float32 <paramref name="data"/> given transposed, [K, N] row-major (LoRA layout, used as x @ w).</summary>
    internal static LinearWeight FromColumns(ReadOnlySpan<float> data, int inputs, int outputs) =>
        Packed(data, outputs, inputs, WeightFormat.Float32, transposed: true);

    /// <summary>Packs bfloat16 <paramref name="data"/> given transposed, [K, N] row-major, kept 16-bit.</summary>
    internal static LinearWeight FromBFloat16Columns(ReadOnlySpan<ushort> data, int inputs, int outputs) =>
        Packed(data, outputs, inputs, WeightFormat.BFloat16, transposed: true);

    /// <summary>
    /// Packs <paramref name="data"/>, [N, K] row-major or (<paramref name="transposed"/>) [K, N] row-major, into a new weight
    /// of <paramref name="format"/> (<typeparamref name="T"/>: float for float32, ushort bit patterns for bfloat16).
    /// </summary>
    private static LinearWeight Packed<T>(ReadOnlySpan<T> data, int outputs, int inputs, WeightFormat format, bool transposed) where T : unmanaged
    {
        PanelStorage.CheckLength(data.Length, outputs, inputs);
        var w = new LinearWeight(outputs, inputs, format);
        var storage = format == WeightFormat.Float32 ? (T[])(object)w._single! : (T[])(object)w._bfloat16!;
        if (transposed) w.PackColumns(data, storage);
        else w.PackRows(data, storage);
        return w;
    }

    /// <summary>A matrix of the model schema: <see cref="TensorKind.Lora"/> as <see cref="FromLora"/>, every other kind as <see cref="FromLinear"/>.</summary>
    public static LinearWeight From(CheckpointTensor t, TensorKind kind) => kind == TensorKind.Lora ? FromLora(t) : FromLinear(t);

    /// <summary>An nn.Linear weight stored [out, in]; bf16 tensors stay 16-bit, fp16 and fp32 become float32.</summary>
    public static LinearWeight FromLinear(CheckpointTensor t)
    {
        var (rows, cols) = MatrixShape(t);
        return t.DType == TensorDType.BFloat16
            ? FromBFloat16Rows(MemoryMarshal.Cast<byte, ushort>(t.RawBytes), rows, cols)
            : FromRows(t.ToFloat32(), rows, cols);
    }

    /// <summary>A LoRA matrix stored [in, out] (used as x @ w), packed so that y = x @ w; bf16 stays 16-bit.</summary>
    public static LinearWeight FromLora(CheckpointTensor t)
    {
        var (rows, cols) = MatrixShape(t);
        return t.DType == TensorDType.BFloat16
            ? FromBFloat16Columns(MemoryMarshal.Cast<byte, ushort>(t.RawBytes), rows, cols)
            : FromColumns(t.ToFloat32(), rows, cols);
    }

    /// <summary>W[n, k] as float32 (for tests and diagnostics; not a hot path).</summary>
    internal float this[int n, int k]
    {
        get
        {
            PanelStorage.CheckIndex(n, k, Outputs, Inputs);
            if (_int8 != null) return _int8[n, k] * _int8.Scales[n];
            int i = Index(n, k);
            return _single != null ? _single[i] : BitConverter.UInt32BitsToSingle((uint)_bfloat16![i] << 16);
        }
    }

    private static (int Rows, int Cols) MatrixShape(CheckpointTensor t)
    {
        ArgumentNullException.ThrowIfNull(t);
        if (t.Shape.Count != 2) throw new CheckpointException($"{t.Name}: expected a matrix, got shape [{string.Join(",", t.Shape)}]");
        return (t.Shape[0], t.Shape[1]);
    }

    /// <summary>Index of W[n, k] in the storage array.</summary>
    private int Index(int n, int k)
    {
        int k0 = k / KBlock * KBlock, kb = Math.Min(KBlock, Inputs - k0);
        return Offset + k0 * Panels * PanelWidth + ((n / PanelWidth) * kb + (k - k0)) * PanelWidth + n % PanelWidth;
    }

    private void PackRows<T>(ReadOnlySpan<T> rows, T[] storage)
    {
        int k = Inputs;
        for (int n = 0; n < Outputs; n++)
        {
            var row = rows.Slice(n * k, k);
            for (int k0 = 0; k0 < k; k0 += KBlock)
            {
                int dst = Index(n, k0), end = Math.Min(k, k0 + KBlock);
                for (int i = k0; i < end; i++, dst += PanelWidth) storage[dst] = row[i];
            }
        }
    }

    private void PackColumns<T>(ReadOnlySpan<T> columns, T[] storage)
    {
        int k = Inputs, n = Outputs;
        for (int p = 0; p < Panels; p++)
        {
            int j0 = p * PanelWidth, width = Math.Min(PanelWidth, n - j0);
            for (int i = 0; i < k; i++)
                columns.Slice(i * n + j0, width).CopyTo(storage.AsSpan(Index(j0, i), width));
        }
    }
}
