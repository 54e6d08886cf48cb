// A vector index in a PostgreSQL table: embeddings as real[], exact cosine computed by the server in SQL.
using System.Text.RegularExpressions;
using Npgsql;
using NpgsqlTypes;
using RwkvNative.Retrieval;

namespace RwkvNative.PostgreSql;

/// <summary>
/// An <see cref="IVectorIndex"/> kept in PostgreSQL (plain PostgreSQL, no extension): one table per index,
/// <c>(id text COLLATE "C" PRIMARY KEY, content_hash text, embedding real[])</c>, with unit-length embeddings; a search
/// is an exact scan that the server runs, <c>rwkv_dot(embedding, query)</c> (products and sum in double precision, in
/// element order, as <see cref="VectorChecks.Dot"/>), ordered by similarity then id. A registry table
/// <c>rwkv_vector_indexes</c> records each index table's model identity and width, so a table is never mixed across models.
/// Any number of processes may read and write one index at once.
/// </summary>
public sealed partial class PostgresVectorIndex : IVectorIndex
{
    /// <summary>The table used when none is named.</summary>
    public const string DefaultTable = "rwkv_documents";

    private const string Registry = "rwkv_vector_indexes";
    private const string Format = "rwkvnative.pg-vector-index.v1";
    private readonly NpgsqlDataSource _source;
    private readonly string _table;

    private PostgresVectorIndex(NpgsqlDataSource source, string table, string modelIdentity, int dimensions)
    {
        _source = source;
        _table = table;
        ModelIdentity = modelIdentity;
        Dimensions = dimensions;
    }

    /// <inheritdoc />
    public string ModelIdentity { get; }

    /// <inheritdoc />
    public int Dimensions { get; }

    /// <summary>The table holding this index's rows.</summary>
    public string Table => _table;

    /// <summary>
    /// Connects (Npgsql connection string, e.g. <c>Host=127.0.0.1;Port=5432;Database=docs;Username=app</c>) and opens the
    /// index in <paramref name="table"/>, creating the table, the registry and the <c>rwkv_dot</c> function when absent.
    /// </summary>
    /// <exception cref="ArgumentException">The table name is not a plain lower-case SQL identifier.</exception>
    /// <exception cref="InvalidOperationException">The table holds another model's embeddings.</exception>
    /// <exception cref="NpgsqlException">The server cannot be reached or refuses the statements (the message says why).</exception>
    public static async Task<PostgresVectorIndex> OpenAsync(string connectionString, string modelIdentity, int dimensions,
        string table = DefaultTable, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(connectionString);
        ArgumentException.ThrowIfNullOrEmpty(modelIdentity);
        ArgumentOutOfRangeException.ThrowIfLessThan(dimensions, 1);
        ArgumentNullException.ThrowIfNull(table);
        if (!TableName().IsMatch(table) || table == Registry)
            throw new ArgumentException($"table name '{table}' must be a lower-case SQL identifier ([a-z_][a-z0-9_]*, at most 63 characters) other than {Registry}", nameof(table));
        var builder = new NpgsqlSlimDataSourceBuilder(connectionString);
        builder.EnableArrays();
        var source = builder.Build();
        try
        {
            await using (var conn = await source.OpenConnectionAsync(cancellationToken).ConfigureAwait(false))
            await using (var tx = await conn.BeginTransactionAsync(cancellationToken).ConfigureAwait(false))
            {
                // One creator at a time: CREATE ... IF NOT EXISTS still races on the catalog between two sessions.
                await Execute(conn, tx, "SELECT pg_advisory_xact_lock(7250315121)", cancellationToken).ConfigureAwait(false);
                await Execute(conn, tx, $"""
                    CREATE TABLE IF NOT EXISTS {Registry} (
                        table_name text PRIMARY KEY, format text NOT NULL, model_identity text NOT NULL, dimensions integer NOT NULL);
                    CREATE OR REPLACE FUNCTION rwkv_dot(a real[], b real[]) RETURNS double precision
                        LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
                        AS 'SELECT sum(x::float8 * y::float8) FROM unnest(a, b) AS t(x, y)';
                    CREATE TABLE IF NOT EXISTS {table} (
                        id text COLLATE "C" PRIMARY KEY,
                        content_hash text NOT NULL,
                        embedding real[] NOT NULL CHECK (array_ndims(embedding) = 1 AND array_length(embedding, 1) = {dimensions}));
                    """, cancellationToken).ConfigureAwait(false);
                await using (var insert = new NpgsqlCommand(
                    $"INSERT INTO {Registry} (table_name, format, model_identity, dimensions) VALUES ($1, $2, $3, $4) ON CONFLICT (table_name) DO NOTHING", conn, tx))
                {
                    insert.Parameters.Add(new NpgsqlParameter<string> { TypedValue = table });
                    insert.Parameters.Add(new NpgsqlParameter<string> { TypedValue = Format });
                    insert.Parameters.Add(new NpgsqlParameter<string> { TypedValue = modelIdentity });
                    insert.Parameters.Add(new NpgsqlParameter<int> { TypedValue = dimensions });
                    await insert.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
                }
                await using (var check = new NpgsqlCommand($"SELECT format, model_identity, dimensions FROM {Registry} WHERE table_name = $1", conn, tx))
                {
                    check.Parameters.Add(new NpgsqlParameter<string> { TypedValue = table });
                    await using var r = await check.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
                    await r.ReadAsync(cancellationToken).ConfigureAwait(false);
                    string format = r.GetString(0), identity = r.GetString(1);
                    int dims = r.GetInt32(2);
                    if (format != Format || identity != modelIdentity || dims != dimensions)
                        throw new InvalidOperationException(
                            $"PostgreSQL table '{table}' holds embeddings of another model ({Short(identity)}, {dims} dimensions, {format}), not of this one ({Short(modelIdentity)}, {dimensions}); use another table (--vectors-table) or drop it");
                }
                await tx.CommitAsync(cancellationToken).ConfigureAwait(false);
            }
            return new PostgresVectorIndex(source, table, modelIdentity, dimensions);
        }
        catch
        {
            await source.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    /// <summary><see cref="OpenAsync(string, string, int, string, CancellationToken)"/> for <paramref name="model"/>'s embeddings.</summary>
    public static Task<PostgresVectorIndex> OpenAsync(string connectionString, EmbeddingModel model, string table = DefaultTable,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(model);
        return OpenAsync(connectionString, model.Identity, model.Config.Channels, table, cancellationToken);
    }

    /// <inheritdoc />
    public async Task<long> CountAsync(CancellationToken cancellationToken = default)
    {
        await using var cmd = _source.CreateCommand($"SELECT count(*) FROM {_table}");
        return (long)(await cmd.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false))!;
    }

    /// <inheritdoc />
    public async Task<string?[]> GetContentHashesAsync(IReadOnlyList<string> ids, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(ids);
        var result = new string?[ids.Count];
        if (ids.Count == 0) return result;
        var byId = new Dictionary<string, string>(StringComparer.Ordinal);
        await using (var cmd = _source.CreateCommand($"SELECT id, content_hash FROM {_table} WHERE id = ANY($1)"))
        {
            cmd.Parameters.Add(new NpgsqlParameter<string[]> { TypedValue = [.. ids] });
            await using var r = await cmd.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
            while (await r.ReadAsync(cancellationToken).ConfigureAwait(false)) byId[r.GetString(0)] = r.GetString(1);
        }
        for (int i = 0; i < result.Length; i++) result[i] = byId.GetValueOrDefault(ids[i]);
        return result;
    }

    /// <inheritdoc />
    public async Task UpsertAsync(IReadOnlyList<VectorRecord> records, CancellationToken cancellationToken = default)
    {
        var vectors = VectorChecks.NormalizedCopies(records, Dimensions);
        if (records.Count == 0) return;
        await using var conn = await _source.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using var tx = await conn.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
        await using (var batch = new NpgsqlBatch(conn, tx))
        {
            for (int i = 0; i < records.Count; i++)
            {
                var cmd = new NpgsqlBatchCommand($"""
                    INSERT INTO {_table} (id, content_hash, embedding) VALUES ($1, $2, $3)
                    ON CONFLICT (id) DO UPDATE SET content_hash = EXCLUDED.content_hash, embedding = EXCLUDED.embedding
                    """);
                cmd.Parameters.Add(new NpgsqlParameter<string> { TypedValue = records[i].Id });
                cmd.Parameters.Add(new NpgsqlParameter<string> { TypedValue = records[i].ContentHash });
                cmd.Parameters.Add(new NpgsqlParameter<float[]> { TypedValue = vectors[i], NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Real });
                batch.BatchCommands.Add(cmd);
            }
            await batch.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }
        await tx.CommitAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc />
    public async Task<IReadOnlyList<VectorMatch>> SearchAsync(ReadOnlyMemory<float> query, int k, CancellationToken cancellationToken = default)
    {
        var q = VectorChecks.NormalizedQuery(query.Span, k, Dimensions);
        if (k == 0) return [];
        await using var cmd = _source.CreateCommand(
            $"SELECT id, content_hash, rwkv_dot(embedding, $1) AS similarity FROM {_table} ORDER BY similarity DESC, id ASC LIMIT $2");
        cmd.Parameters.Add(new NpgsqlParameter<float[]> { TypedValue = q, NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Real });
        cmd.Parameters.Add(new NpgsqlParameter<int> { TypedValue = k });
        var result = new List<VectorMatch>(Math.Min(k, 1024));
        await using var r = await cmd.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        while (await r.ReadAsync(cancellationToken).ConfigureAwait(false))
            result.Add(new VectorMatch(r.GetString(0), r.GetString(1), r.GetDouble(2)));
        return result;
    }

    /// <summary>Closes the connection pool.</summary>
    public void Dispose() => _source.Dispose();

    private static async Task Execute(NpgsqlConnection conn, NpgsqlTransaction tx, string sql, CancellationToken ct)
    {
        await using var cmd = new NpgsqlCommand(sql, conn, tx);
        await cmd.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
    }

    private static string Short(string id) => id.Length > 12 ? id[..12] + "…" : id;

    [GeneratedRegex("^[a-z_][a-z0-9_]{0,62}$")]
    private static partial Regex TableName();
}
