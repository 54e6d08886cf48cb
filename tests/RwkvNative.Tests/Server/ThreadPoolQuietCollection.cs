namespace RwkvNative.Tests.Server;

/// <summary>Run alone: it counts the work items of the process-wide thread pool.</summary>
[CollectionDefinition(DisableParallelization = true)]
public sealed class ThreadPoolQuietCollection;
