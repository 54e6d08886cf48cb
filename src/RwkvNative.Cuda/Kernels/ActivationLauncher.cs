using RwkvNative.Cuda.Memory;

namespace RwkvNative.Cuda.Kernels;

/// <summary>activations.cu: in-place element-wise activations.</summary>
internal sealed unsafe class ActivationLauncher(LaunchContext launch)
{
    public static readonly KernelName Tanh = new("activations.cu", "activation_tanh", LaunchContext.ElementwiseBlock);
    public static readonly KernelName Sigmoid = new("activations.cu", "activation_sigmoid", LaunchContext.ElementwiseBlock);
    public static readonly KernelName Relu = new("activations.cu", "activation_relu", LaunchContext.ElementwiseBlock);
    public static readonly KernelName ReluSquare = new("activations.cu", "activation_relu_square", LaunchContext.ElementwiseBlock);

    private readonly nint tanh = launch.Modules.Function(Tanh);
    private readonly nint sigmoid = launch.Modules.Function(Sigmoid);
    private readonly nint relu = launch.Modules.Function(Relu);
    private readonly nint reluSquare = launch.Modules.Function(ReluSquare);

    /// <summary>x[i] = f(x[i]) for the first <paramref name="elements"/> elements.</summary>
    public void Run(Activation f, DeviceView<float> x, long elements)
    {
        x.Require(elements, "activation");
        var (name, function) = f switch
        {
            Activation.Tanh => (Tanh, tanh),
            Activation.Sigmoid => (Sigmoid, sigmoid),
            Activation.Relu => (Relu, relu),
            Activation.ReluSquare => (ReluSquare, reluSquare),
            _ => throw new ArgumentOutOfRangeException(nameof(f)),
        };
        if (elements == 0) return;
        ulong px = x.Address;
        long n = elements;
        void** args = stackalloc void*[] { &px, &n };
        launch.Launch(name, function, launch.GridFor(elements), LaunchContext.ElementwiseBlock, args);
    }
}
