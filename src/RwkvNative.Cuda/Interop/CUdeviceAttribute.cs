namespace RwkvNative.Cuda.Interop;

/// <summary>CUdevice_attribute values used here.</summary>
internal enum CUdeviceAttribute
{
    MultiprocessorCount = 16,
    ComputeCapabilityMajor = 75,
    ComputeCapabilityMinor = 76,
}
