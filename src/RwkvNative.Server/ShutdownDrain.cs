// Graceful shutdown: /health turns 503 and new work is refused while the listener stays open and requests in flight finish.
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace RwkvNative.Server;

/// <summary>
/// The drain before the web server stops. A host stops its <see cref="IHostedLifecycleService.StoppingAsync"/> phase
/// before any hosted service's <c>StopAsync</c>, so Kestrel still listens while this waits: load balancers polling
/// <c>/health</c> see 503 and move away, new inference requests are answered 503, and admitted requests finish. When the
/// host's shutdown timeout (<see cref="RwkvServerOptions.ShutdownTimeout"/>) expires first, the requests still unfinished
/// are counted in <see cref="UnfinishedRequests"/> and logged; the web server then resets them.
/// </summary>
public sealed class ShutdownDrain : IHostedLifecycleService
{
    private readonly ServerMetrics _metrics;
    private readonly ILogger _logger;
    private readonly TimeSpan _timeout;
    private volatile bool _draining;

    internal ShutdownDrain(ServerMetrics metrics, RwkvServerOptions options, ILogger logger)
    {
        _metrics = metrics;
        _logger = logger;
        _timeout = options.ShutdownTimeout;
    }

    /// <summary>True from the start of the shutdown.</summary>
    public bool Draining => _draining;

    /// <summary>Requests still unfinished when the shutdown timeout expired (0 after a clean drain).</summary>
    public long UnfinishedRequests { get; private set; }

    /// <summary>Waits until no request is in flight, or until <paramref name="cancellationToken"/> (the shutdown timeout).</summary>
    public async Task StoppingAsync(CancellationToken cancellationToken)
    {
        _draining = true;
        try
        {
            while (_metrics.InFlight > 0) await Task.Delay(10, cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            UnfinishedRequests = _metrics.InFlight;
            if (UnfinishedRequests > 0)
                _logger.LogError("shutdown timeout ({Seconds} s, --shutdown-timeout) expired with {Count} request(s) unfinished; their connections are reset",
                    _timeout.TotalSeconds, UnfinishedRequests);
        }
    }

    /// <inheritdoc/>
    public Task StartingAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    /// <inheritdoc/>
    public Task StartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    /// <inheritdoc/>
    public Task StartedAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    /// <inheritdoc/>
    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    /// <inheritdoc/>
    public Task StoppedAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
