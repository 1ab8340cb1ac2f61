using Dapper;
using Npgsql;

namespace KojiStaging.Engine.Database.Follower;

/// <summary>
/// How a table identifies an updated or deleted row to logical replication: <paramref name="Kind"/> is pg_class.relreplident
/// (d default = primary key, i = an index, f = full row, n = nothing); <paramref name="Columns"/> are the columns
/// the identity consists of, empty when the table has none (default without a primary key, or nothing).
/// </summary>
public sealed record ReplicaIdentity(string Table, char Kind, IReadOnlyList<string> Columns)
{
    public string Describe() => Kind switch
    {
        'n' => "REPLICA IDENTITY NOTHING",
        'd' when Columns.Count == 0 => "no primary key and no replica identity",
        'i' when Columns.Count == 0 => "its replica identity index is gone",
        'f' => "REPLICA IDENTITY FULL",
        'i' => "REPLICA IDENTITY USING INDEX",
        _ => "primary key",
    };

    /// <summary>Replica identities of the plain user tables, keyed "schema.table".</summary>
    public static async Task<IReadOnlyDictionary<string, ReplicaIdentity>> ReadAsync(NpgsqlConnection conn, CancellationToken ct)
    {
        var rows = await conn.QueryAsync<(string schema, string table, string kind, string[] cols)>(new CommandDefinition("""
            SELECT n.nspname::text, c.relname::text, c.relreplident::text,
                   CASE c.relreplident
                     WHEN 'f' THEN ARRAY(SELECT a.attname::text FROM pg_attribute a WHERE a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped ORDER BY a.attnum)
                     WHEN 'n' THEN ARRAY[]::text[]
                     ELSE ARRAY(SELECT a.attname::text FROM pg_index i JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = ANY (i.indkey)
                                WHERE i.indrelid = c.oid AND CASE c.relreplident WHEN 'd' THEN i.indisprimary ELSE i.indisreplident END
                                ORDER BY a.attnum)
                   END
            FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
            WHERE c.relkind = 'r' AND n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg\_%'
            """, cancellationToken: ct)).ConfigureAwait(false);
        return rows.ToDictionary(r => $"{r.schema}.{r.table}", r => new ReplicaIdentity($"{r.schema}.{r.table}", r.kind[0], r.cols));
    }
}
