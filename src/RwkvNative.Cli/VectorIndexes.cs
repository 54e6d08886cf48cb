using RwkvNative.PostgreSql;
using RwkvNative.Retrieval;

namespace RwkvNative.Cli;

/// <summary>
/// <c>--vectors SPEC</c>: a file path (the in-process exact index, <see cref="ExactVectorIndex"/>, saved by
/// <see cref="Opened.Save"/>) or <c>pg:CONNECTION-STRING</c> (a PostgreSQL table, <c>--vectors-table</c>); left out where
/// a store is read, the exact index of the embeddings the store holds (<see cref="OpenOrFromStore"/>).
/// </summary>
internal static class VectorIndexes
{
    public const string PostgresPrefix = "pg:";

    public static System.CommandLine.Option<string> Option(bool required) => new("--vectors")
    {
        Description = "vector index: a file (exact in-process search) or pg:CONNECTION-STRING (PostgreSQL, e.g. pg:Host=127.0.0.1;Database=docs;Username=app); search and serve default to an exact search over the store's embeddings",
        Required = required,
    };

    public static System.CommandLine.Option<string> Table() => new("--vectors-table")
    {
        Description = "PostgreSQL table of the vector index (with --vectors pg:...)",
        DefaultValueFactory = _ => PostgresVectorIndex.DefaultTable,
    };

    /// <summary>An open index and, for a file index, the file it is saved to.</summary>
    public sealed class Opened(IVectorIndex index, string? file, string? description = null) : IDisposable
    {
        public IVectorIndex Index { get; } = index;

        public string Description { get; } = description ?? file ?? $"PostgreSQL table {((PostgresVectorIndex)index).Table}";

        /// <summary>Writes a file index back (atomically); nothing to do for a database.</summary>
        public void Save()
        {
            if (file != null) ((ExactVectorIndex)Index).Save(file);
        }

        public void Dispose() => Index.Dispose();
    }

    /// <summary><see cref="Open"/> when <paramref name="spec"/> is given, else the exact index of the store's embeddings.</summary>
    public static Opened OpenOrFromStore(string? spec, string table, EmbeddingModel model, RwkvNative.Store.DocumentStateStore store)
    {
        if (spec != null) return Open(spec, table, model);
        var index = ExactVectorIndex.FromStore(store, model.Config.Channels);
        return new Opened(index, null, $"the {index.Count} embeddings of the store {store.Directory} (exact, in process)");
    }

    public static Opened Open(string spec, string table, EmbeddingModel model)
    {
        if (string.IsNullOrWhiteSpace(spec)) throw new InputException("--vectors is empty: give a file path or pg:CONNECTION-STRING");
        if (!spec.StartsWith(PostgresPrefix, StringComparison.Ordinal))
            return new Opened(ExactVectorIndex.Open(spec, model), spec);
        var cs = spec[PostgresPrefix.Length..];
        try
        {
            return new Opened(PostgresVectorIndex.OpenAsync(cs, model, table).GetAwaiter().GetResult(), null);
        }
        catch (ArgumentException e) { throw new InputException($"--vectors/--vectors-table: {e.Message}"); }
        catch (InvalidOperationException e) { throw new InputException(e.Message); }
        catch (Npgsql.NpgsqlException e) { throw new InputException($"--vectors: PostgreSQL at '{Redacted(cs)}' failed: {e.Message}; check that the server runs and the connection string"); }
    }

    /// <summary>The connection string without its password, for messages.</summary>
    private static string Redacted(string cs)
    {
        try
        {
            var b = new Npgsql.NpgsqlConnectionStringBuilder(cs);
            if (b.Password != null) b.Password = "***";
            return b.ConnectionString;
        }
        catch (ArgumentException) { return "(unparsable connection string)"; }
    }
}
