namespace RwkvNative.Checkpoints;

/// <summary>Container format of a checkpoint file.</summary>
public enum CheckpointFormat
{
    /// <summary>PyTorch <c>torch.save</c> zip archive (<c>.pth</c>).</summary>
    PyTorchZip,
    /// <summary>safetensors (u64 header length, JSON header, raw data).</summary>
    SafeTensors,
}
