using RwkvNative.PostgreSql;
using RwkvNative.Retrieval;

namespace RwkvNative.Tests.Retrieval;

public sealed class PostgresVectorIndexTests : VectorIndexSuite
{
    protected override async Task<IVectorIndex> CreateAsync() =>
        await PostgresVectorIndex.OpenAsync(TestPostgres.ConnectionString(), Identity, Dims, TestPostgres.NewTable());

    [Fact]
    public async Task Answers_exactly_as_the_in_process_index()
    {
        var cs = TestPostgres.ConnectionString();
        using var pg = await PostgresVectorIndex.OpenAsync(cs, Identity, Dims, TestPostgres.NewTable());
        var exact = new ExactVectorIndex(Identity, Dims);
        var records = RandomRecords(200, seed: 11);
        // Ids that sort differently by UTF-16 ordinal and by code point, and a duplicate vector to force a tie.
        records.Add(new VectorRecord("\uFF5E-fullwidth", "h", records[0].Embedding));
        records.Add(new VectorRecord("\U0001F980-crab", "h", records[0].Embedding));
        await pg.UpsertAsync(records);
        exact.Upsert(records);
        var rng = new Random(12);
        for (int q = 0; q < 5; q++)
        {
            var query = q == 0 ? records[0].Embedding : RandomVector(rng);
            var a = await pg.SearchAsync(query, 25);
            var b = exact.Search(query, 25);
            Assert.Equal(b.Select(m => m.Id), a.Select(m => m.Id));
            // Same products, same summation order: the same double, bit for bit.
            Assert.Equal(b.Select(m => m.Similarity), a.Select(m => m.Similarity));
        }
        Assert.Equal(["hash-7", null, "h"], await pg.GetContentHashesAsync(["doc-007", "missing", "\U0001F980-crab"]));
    }

    [Fact]
    public async Task A_table_of_another_model_and_a_bad_table_name_are_refused()
    {
        var cs = TestPostgres.ConnectionString();
        var table = TestPostgres.NewTable();
        using (var first = await PostgresVectorIndex.OpenAsync(cs, Identity, Dims, table))
            await first.UpsertAsync(RandomRecords(3, seed: 13));
        var e = await Assert.ThrowsAsync<InvalidOperationException>(() => PostgresVectorIndex.OpenAsync(cs, "another-model", Dims, table));
        Assert.Contains("another model", e.Message);
        Assert.Contains(table, e.Message);
        await Assert.ThrowsAsync<InvalidOperationException>(() => PostgresVectorIndex.OpenAsync(cs, Identity, Dims + 1, table));
        // Reopened with the right model, the rows are there.
        using (var again = await PostgresVectorIndex.OpenAsync(cs, Identity, Dims, table))
            Assert.Equal(3, await again.CountAsync());
        var bad = await Assert.ThrowsAsync<ArgumentException>(() => PostgresVectorIndex.OpenAsync(cs, Identity, Dims, "docs; DROP TABLE x"));
        Assert.Contains("SQL identifier", bad.Message);
    }

    [Fact]
    public async Task An_unreachable_server_fails_with_the_driver_s_reason()
    {
        // Port 1 on loopback: nothing listens there.
        var e = await Assert.ThrowsAnyAsync<Exception>(() =>
            PostgresVectorIndex.OpenAsync("Host=127.0.0.1;Port=1;Username=x;Timeout=3", Identity, Dims));
        Assert.True(e is Npgsql.NpgsqlException or System.Net.Sockets.SocketException, e.GetType().Name + ": " + e.Message);
    }
}
