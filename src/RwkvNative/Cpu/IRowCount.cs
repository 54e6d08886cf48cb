namespace RwkvNative.Cpu;

/// <summary>A row count fixed at JIT time, so each kernel instantiation keeps only its live accumulators.</summary>
internal interface IRowCount
{
    /// <summary>Rows of the tile.</summary>
    static abstract int Value { get; }

    // The markers the kernels are instantiated with (both GemmKernels and Int8Kernels: `using static IRowCount`).
#pragma warning disable CS1591 // the row-count markers are self-describing
    internal readonly struct Rows1 : IRowCount { public static int Value => 1; }
    internal readonly struct Rows2 : IRowCount { public static int Value => 2; }
    internal readonly struct Rows3 : IRowCount { public static int Value => 3; }
    internal readonly struct Rows4 : IRowCount { public static int Value => 4; }
    internal readonly struct Rows5 : IRowCount { public static int Value => 5; }
    internal readonly struct Rows6 : IRowCount { public static int Value => 6; }
    internal readonly struct Rows7 : IRowCount { public static int Value => 7; }
    internal readonly struct Rows8 : IRowCount { public static int Value => 8; }
#pragma warning restore CS1591
}
