using RwkvNative.Cuda.Memory;

namespace RwkvNative.Cuda.Kernels;

/// <summary>Element-wise activations of activations.cu.</summary>
internal enum Activation
{
    Tanh,
    Sigmoid,
    Relu,
    ReluSquare,
}
