namespace RwkvNative.Fuzz;

/// <summary>A target's entry point.</summary>
public delegate void ReadOnlySpanRunner(ReadOnlySpan<byte> input);
