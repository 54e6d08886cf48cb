namespace RwkvNative.Tests.Retrieval;

/// <summary>
/// The PostgreSQL server the integration tests use: the Npgsql connection string in RWKVNATIVE_TEST_POSTGRES (.ci/run
/// starts a throwaway cluster with scripts/postgres/start.sh and sets it). Without it, those tests are skipped.
/// </summary>
internal static class TestPostgres
{
    public const string Variable = "RWKVNATIVE_TEST_POSTGRES";

    /// <summary>The connection string, or skips the calling test with one line saying how to run it.</summary>
    public static string ConnectionString() =>
        Environment.GetEnvironmentVariable(Variable) is { Length: > 0 } cs
            ? cs
            : throw Xunit.Sdk.SkipException.ForSkip($"PostgreSQL not available: set {Variable} (scripts/postgres/start.sh prints one; .ci/run does this)");

    /// <summary>A table name no other test uses.</summary>
    public static string NewTable() => "rwkv_test_" + Guid.NewGuid().ToString("N");
}
