using RwkvNative.Checkpoints;
using RwkvNative.Model;
using RwkvNative.Cuda.Handles;
using RwkvNative.Cuda.Memory;

namespace RwkvNative.Cuda.Memory;

/// <summary>
/// A weight matrix on the device, as stored in the checkpoint. Either an nn.Linear weight stored [out, in]
/// (y = x · Wᵀ) or a LoRA matrix stored [in, out] (y = x @ W); both mean y[M, Outputs] from x[M, Inputs].
/// </summary>
internal sealed class DeviceMatrix : IDisposable
{
    private DeviceMatrix(string name, DeviceBuffer buffer, TensorDType dtype, int inputs, int outputs, bool inputMajor)
    {
        Name = name;
        Buffer = buffer;
        DType = dtype;
        Inputs = inputs;
        Outputs = outputs;
        InputMajor = inputMajor;
    }

    /// <summary>Checkpoint key.</summary>
    public string Name { get; }

    /// <summary>The elements, row-major as stored.</summary>
    public DeviceBuffer Buffer { get; }

    /// <summary>Element type on the device.</summary>
    public TensorDType DType { get; }

    /// <summary>K: input features.</summary>
    public int Inputs { get; }

    /// <summary>N: output features.</summary>
    public int Outputs { get; }

    /// <summary>True when stored [in, out] (LoRA), false when [out, in] (nn.Linear, embedding table rows).</summary>
    public bool InputMajor { get; }

    /// <summary>Uploads an nn.Linear weight (or the embedding table) stored [out, in].</summary>
    public static DeviceMatrix Linear(ContextHandle context, CheckpointTensor t, CudaWeightPrecision precision)
    {
        Require2D(t);
        return Upload(context, t, precision, inputs: t.Shape[1], outputs: t.Shape[0], inputMajor: false);
    }

    /// <summary>A matrix of the model schema: <see cref="TensorKind.Lora"/> as <see cref="Lora"/>, every other kind as <see cref="Linear"/>.</summary>
    public static DeviceMatrix From(ContextHandle context, CheckpointTensor t, TensorKind kind, CudaWeightPrecision precision) =>
        kind == TensorKind.Lora ? Lora(context, t, precision) : Linear(context, t, precision);

    /// <summary>Uploads a LoRA matrix stored [in, out] (used as x @ w).</summary>
    public static DeviceMatrix Lora(ContextHandle context, CheckpointTensor t, CudaWeightPrecision precision)
    {
        Require2D(t);
        return Upload(context, t, precision, inputs: t.Shape[0], outputs: t.Shape[1], inputMajor: true);
    }

    private static void Require2D(CheckpointTensor t)
    {
        if (t.Shape.Count != 2)
            throw new CheckpointException($"{t.Name}: expected a matrix, got shape [{string.Join(", ", t.Shape)}]");
    }

    private static DeviceMatrix Upload(ContextHandle context, CheckpointTensor t, CudaWeightPrecision precision,
        int inputs, int outputs, bool inputMajor)
    {
        DeviceBuffer buffer;
        TensorDType dtype;
        if (precision == CudaWeightPrecision.Float32 && t.DType != TensorDType.Float32)
        {
            buffer = DeviceBuffer.Upload<float>(context, t.ToFloat32());
            dtype = TensorDType.Float32;
        }
        else
        {
            buffer = DeviceBuffer.Upload(context, t.RawBytes);
            dtype = t.DType;
        }
        return new DeviceMatrix(t.Name, buffer, dtype, inputs, outputs, inputMajor);
    }

    /// <summary>Frees the device copy.</summary>
    public void Dispose() => Buffer.Dispose();
}
