using RwkvNative.Model;

namespace RwkvNative.Tests.Api;

/// <summary>The contract on the CPU backend: host arrays behind the same abstraction, so every comparison is exact.</summary>
public sealed class CpuResidentDocumentsTests : ResidentDocumentsContract
{
    protected override string Device => "cpu";

    protected override double SamePath => 0;

    protected override StatePlacement HostPlacement => StatePlacement.Device;

    // On the CPU, mapped states are used in place (no copy is faster than none).
    protected override bool MappedAutoInPlace => true;
}
