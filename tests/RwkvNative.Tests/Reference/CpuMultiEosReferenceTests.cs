namespace RwkvNative.Tests.Reference;

/// <summary>The multi-EOS references on the CPU backend (float32, 1e-4 absolute; pass size changes no bit).</summary>
public sealed class CpuMultiEosReferenceTests : MultiEosReferenceTests
{
    protected override string Device => "cpu";
}
