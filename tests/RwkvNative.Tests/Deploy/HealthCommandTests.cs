using RwkvNative.Tests.Cli;
using RwkvNative.Tests.Server;

namespace RwkvNative.Tests.Deploy;

/// <summary><c>rwkv-emb health</c>, the container image's HEALTHCHECK, against a real loopback server and a closed port.</summary>
public sealed class HealthCommandTests
{
    [Fact]
    public async Task Exit_0_for_a_healthy_server_1_for_none_2_for_a_bad_url()
    {
        await using (var server = await ServerHarness.StartAsync(loopback: true))
        {
            var url = new Uri(server.Client.BaseAddress!, "/health").ToString();
            var ok = CliRunner.Run("", "health", "--url", url);
            Assert.True(ok.ExitCode == 0, ok.Stderr);
            Assert.Equal("", ok.Stdout);
            // A route that is not 200 is unhealthy, with the status on stderr.
            var missing = CliRunner.Run("", "health", "--url", new Uri(server.Client.BaseAddress!, "/no-such-route").ToString());
            Assert.Equal(1, missing.ExitCode);
            Assert.Contains("404", missing.Stderr);
        }
        var closed = CliRunner.Run("", "health", "--url", "http://127.0.0.1:1/health", "--timeout", "2");
        Assert.Equal(1, closed.ExitCode);
        Assert.Contains("unreachable", closed.Stderr);
        var bad = CliRunner.Run("", "health", "--url", "not a url");
        Assert.Equal(2, bad.ExitCode);
        Assert.StartsWith("error: ", bad.Stderr);
    }
}
