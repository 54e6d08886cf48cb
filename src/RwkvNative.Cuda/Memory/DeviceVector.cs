using RwkvNative.Checkpoints;
using RwkvNative.Model;
using RwkvNative.Cuda.Handles;
using RwkvNative.Cuda.Memory;

namespace RwkvNative.Cuda.Memory;

/// <summary>A float32 vector (LayerNorm parameters, lerp coefficients, biases) on the device.</summary>
internal sealed class DeviceVector : IDisposable
{
    private DeviceVector(DeviceBuffer buffer, int length)
    {
        Buffer = buffer;
        Length = length;
    }

    /// <summary>The allocation.</summary>
    public DeviceBuffer Buffer { get; }

    /// <summary>Elements.</summary>
    public int Length { get; }

    /// <summary>The elements.</summary>
    public DeviceView<float> View => Buffer.View<float>(Length);

    /// <summary>Uploads <paramref name="t"/> converted to float32, checking it has <paramref name="length"/> elements.</summary>
    public static DeviceVector Upload(ContextHandle context, CheckpointTensor t, int length)
    {
        if (t.ElementCount != length)
            throw new CheckpointException($"{t.Name}: has {t.ElementCount} elements, expected {length}");
        return Upload(context, t.ToFloat32());
    }

    /// <summary>Uploads host values.</summary>
    public static DeviceVector Upload(ContextHandle context, ReadOnlySpan<float> values) =>
        new(DeviceBuffer.Upload(context, values), values.Length);

    /// <summary>Concatenates tensors (e.g. the six lerp vectors into [6, C]) and uploads them.</summary>
    public static DeviceVector Concat(ContextHandle context, int length, params CheckpointTensor[] parts)
    {
        var host = new float[parts.Length * length];
        for (int i = 0; i < parts.Length; i++)
        {
            if (parts[i].ElementCount != length)
                throw new CheckpointException($"{parts[i].Name}: has {parts[i].ElementCount} elements, expected {length}");
            parts[i].CopyTo(host.AsSpan(i * length, length));
        }
        return Upload(context, host);
    }

    /// <summary>Frees the device copy.</summary>
    public void Dispose() => Buffer.Dispose();
}
