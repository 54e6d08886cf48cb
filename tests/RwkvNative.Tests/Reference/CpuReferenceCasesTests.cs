namespace RwkvNative.Tests.Reference;

/// <summary>The reference suite on the CPU backend (float32, 1e-4 absolute).</summary>
public sealed class CpuReferenceCasesTests : ReferenceCasesTests
{
    protected override string Device => "cpu";
}
