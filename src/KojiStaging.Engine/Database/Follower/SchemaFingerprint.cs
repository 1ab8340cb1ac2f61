using Dapper;
using Npgsql;

namespace KojiStaging.Engine.Database.Follower;

/// <summary>
/// A digest of the user tables' columns and types. Logical replication does not carry DDL: after a Koji upgrade on
/// production the follower's digest no longer matches, which is how drift is found before the apply worker trips on it.
/// </summary>
public static class SchemaFingerprint
{
    public static Task<string> ReadAsync(NpgsqlConnection conn, CancellationToken ct) =>
        conn.ExecuteScalarAsync<string>(new CommandDefinition($"""
            SELECT md5(coalesce(string_agg(n.nspname || '.' || c.relname || '.' || a.attname || ':' || format_type(a.atttypid, a.atttypmod), ',' ORDER BY n.nspname, c.relname, a.attname), ''))
            FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
            JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
            WHERE c.relkind = 'r' AND n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg\_%'
              AND c.relname <> '{StagingMarker.Table}'
            """, cancellationToken: ct))!;

    /// <summary>Tables and columns one side has and the other lacks: "build.new_column", "table new_table".</summary>
    public static async Task<IReadOnlyList<string>> DiffAsync(NpgsqlConnection prod, NpgsqlConnection follower, CancellationToken ct)
    {
        async Task<HashSet<string>> Columns(NpgsqlConnection c) => (await c.QueryAsync<string>(new CommandDefinition($"""
            SELECT c.relname || '.' || a.attname || ' ' || format_type(a.atttypid, a.atttypmod)
            FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
            JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
            WHERE c.relkind = 'r' AND n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg\_%' AND c.relname <> '{StagingMarker.Table}'
            """, cancellationToken: ct)).ConfigureAwait(false)).ToHashSet();
        var p = await Columns(prod).ConfigureAwait(false);
        var f = await Columns(follower).ConfigureAwait(false);
        return p.Except(f).Select(x => "production has " + x).Concat(f.Except(p).Select(x => "the follower has " + x)).Order().ToList();
    }
}
