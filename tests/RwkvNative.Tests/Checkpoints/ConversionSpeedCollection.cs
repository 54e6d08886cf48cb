namespace RwkvNative.Tests.Checkpoints;

/// <summary>Runs alone (no other test in parallel) so timings and process CPU time belong to the conversion.</summary>
[CollectionDefinition(nameof(ConversionSpeedCollection), DisableParallelization = true)]
public sealed class ConversionSpeedCollection;
