using RwkvNative.Verification;

namespace RwkvNative.Tests.Reference;

/// <summary>
/// The reference suite on the CPU backend with int8 linear layers (<see cref="Precision.Int8"/>): every fixture case by
/// cosine ≥ 0.999, logits within 0.05 and the reference's document ranking; batching, splitting and concurrency stay
/// exact because each row is quantised on its own.
/// </summary>
public sealed class CpuInt8ReferenceCasesTests : ReferenceCasesTests
{
    protected override string Device => "cpu";

    protected override Precision Precision => Precision.Int8;

    protected override Tolerance Tolerance => Tolerance.Int8;
}
