namespace RwkvNative.Cuda.Interop;

/// <summary>cudaDataType_t values for the element types of weights and activations.</summary>
internal enum CudaDataType
{
    R32F = 0,
    R16F = 2,
    R16BF = 14,
}
