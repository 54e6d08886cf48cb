using System.CommandLine;

namespace RwkvNative.Cli.Commands;

/// <summary>
/// <c>rwkv-emb health [--url URL]</c>: exit 0 when the server answers 200, 1 otherwise (with the reason on stderr). The
/// container image's HEALTHCHECK, where no curl exists.
/// </summary>
internal static class HealthCommand
{
    public static Command Create()
    {
        var url = new Option<string>("--url") { Description = "health URL of a running server", DefaultValueFactory = _ => "http://127.0.0.1:3000/health" };
        var timeout = new Option<int>("--timeout") { Description = "seconds to wait for the answer", DefaultValueFactory = _ => 3 };
        var cmd = new Command("health", "check that a running 'rwkv-emb serve' is healthy (exit 0) or not (exit 1)") { url, timeout };
        cmd.SetAction((p, ct) => Run(p.GetValue(url)!, p.GetValue(timeout), ct));
        return cmd;
    }

    private static async Task<int> Run(string url, int timeoutSeconds, CancellationToken ct)
    {
        if (!Uri.TryCreate(url, UriKind.Absolute, out var uri) || uri.Scheme is not ("http" or "https"))
            throw new InputException($"--url must be an absolute http(s) URL, got '{url}'");
        if (timeoutSeconds < 1) throw new InputException($"--timeout must be at least 1, got {timeoutSeconds}");
        using var client = new HttpClient { Timeout = TimeSpan.FromSeconds(timeoutSeconds) };
        try
        {
            using var response = await client.GetAsync(uri, ct);
            if (response.IsSuccessStatusCode) return ExitCodes.Ok;
            Console.Error.WriteLine($"error: {uri} answered {(int)response.StatusCode} {response.ReasonPhrase}");
        }
        catch (HttpRequestException e) { Console.Error.WriteLine($"error: {uri} unreachable: {e.Message}"); }
        catch (TaskCanceledException) when (!ct.IsCancellationRequested) { Console.Error.WriteLine($"error: {uri} gave no answer in {timeoutSeconds} s"); }
        return ExitCodes.Failure;
    }
}
