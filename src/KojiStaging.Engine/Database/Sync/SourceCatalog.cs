using Dapper;
using Npgsql;

namespace KojiStaging.Engine.Database.Sync;

/// <summary>A table of the source as discovered from pg_catalog (no Koji version is assumed).</summary>
public sealed record SourceTable(
    string Schema, string Name, IReadOnlyList<string> Columns, long EstimatedRows, long Bytes,
    string? SplitColumn, long? SplitMin, long? SplitMax, long Pages = 0)
{
    /// <summary>Whether the table can be split by block ranges (PostgreSQL 14+ TID range scans read only their blocks).</summary>
    public bool SplitByBlocks => Pages > 1;

    public string QualifiedName => $"{Ident.Quote(Schema)}.{Ident.Quote(Name)}";
    /// <summary>schema.name unquoted: how post-data items (<see cref="PostDataItem.Table"/>) name their table.</summary>
    public string Key => $"{Schema}.{Name}";
    /// <summary>The name shown to operators: bare for public, schema-qualified otherwise.</summary>
    public string DisplayName => Schema == "public" ? Name : $"{Schema}.{Name}";
}

/// <summary>A sequence and its value at the snapshot (null when the role may not read it and no owning column says).</summary>
public sealed record SourceSequence(string Schema, string Name, long? LastValue, bool IsCalled)
{
    public string QualifiedName => $"{Ident.Quote(Schema)}.{Ident.Quote(Name)}";
}

/// <summary>A primary key or unique constraint and the CREATE UNIQUE INDEX that builds its index.</summary>
public sealed record KeyIndex(string Table, string Constraint, bool Primary, string IndexDefinition, bool Deferrable, bool Deferred);

/// <summary>Reads the source's user tables and sequences inside the coordinator's snapshot transaction.</summary>
public static class SourceCatalog
{
    private const string UserSchemas = "n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg\\_%'";

    public static async Task<IReadOnlyList<SourceTable>> ReadTablesAsync(NpgsqlConnection conn, CancellationToken ct)
    {
        var version = await conn.ExecuteScalarAsync<int>(new CommandDefinition("SELECT current_setting('server_version_num')::int", cancellationToken: ct)).ConfigureAwait(false);
        var tidRanges = version >= 140000;
        var notGenerated = version >= 120000 ? "AND a.attgenerated = ''" : ""; // generated columns (12+) are not copied
        var blockSize = await conn.ExecuteScalarAsync<long>(new CommandDefinition("SELECT current_setting('block_size')::bigint", cancellationToken: ct)).ConfigureAwait(false);
        var rows = await conn.QueryAsync<(string schema, string name, float reltuples, long bytes, string[] cols, string? splitcol)>(new CommandDefinition($"""
            SELECT n.nspname, c.relname, c.reltuples, pg_relation_size(c.oid),
                   ARRAY(SELECT a.attname::text FROM pg_attribute a
                         WHERE a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped {notGenerated}
                         ORDER BY a.attnum),
                   (SELECT a.attname::text FROM pg_index i JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = i.indkey[0]
                    WHERE i.indrelid = c.oid AND i.indisprimary AND i.indnatts = 1 AND a.atttypid IN ('int4'::regtype, 'int8'::regtype)
                    LIMIT 1)
            FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
            WHERE c.relkind = 'r' AND {UserSchemas} AND c.relname <> '{StagingMarker.Table}'
              AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.objid = c.oid AND d.deptype = 'e')
            ORDER BY n.nspname, c.relname
            """, cancellationToken: ct)).ConfigureAwait(false);
        var tables = new List<SourceTable>();
        foreach (var r in rows)
        {
            long? min = null, max = null;
            if (r.splitcol is not null && r.bytes >= CopyPlanner.MinSplitBytes && !tidRanges)
            {
                var q = Ident.Quote(r.splitcol);
                var range = await conn.QuerySingleAsync<(long?, long?)>(new CommandDefinition(
                    $"SELECT min({q})::bigint, max({q})::bigint FROM {Ident.Quote(r.schema)}.{Ident.Quote(r.name)}", cancellationToken: ct)).ConfigureAwait(false);
                (min, max) = range;
            }
            var pages = tidRanges ? r.bytes / Math.Max(1, blockSize) : 0;
            tables.Add(new SourceTable(r.schema, r.name, r.cols, Math.Max(0, (long)r.reltuples), r.bytes, r.splitcol, min, max, pages));
        }
        return tables;
    }

    /// <summary>Sequence values; where the role lacks SELECT on a sequence, the owning column's max stands in.</summary>
    public static async Task<IReadOnlyList<SourceSequence>> ReadSequencesAsync(NpgsqlConnection conn, CancellationToken ct)
    {
        var rows = await conn.QueryAsync<(string schema, string name, long? last, bool readable, string? tschema, string? tname, string? col, long min)>(new CommandDefinition($"""
            SELECT n.nspname, c.relname,
                   CASE WHEN has_sequence_privilege(c.oid, 'SELECT') THEN pg_sequence_last_value(c.oid) END,
                   has_sequence_privilege(c.oid, 'SELECT'),
                   tn.nspname, t.relname, a.attname, (SELECT seqmin FROM pg_sequence WHERE seqrelid = c.oid)
            FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
            LEFT JOIN pg_depend d ON d.classid = 'pg_class'::regclass AND d.objid = c.oid AND d.deptype IN ('a', 'i') AND d.refobjsubid > 0
            LEFT JOIN pg_class t ON t.oid = d.refobjid
            LEFT JOIN pg_namespace tn ON tn.oid = t.relnamespace
            LEFT JOIN pg_attribute a ON a.attrelid = d.refobjid AND a.attnum = d.refobjsubid
            WHERE c.relkind = 'S' AND {UserSchemas}
            ORDER BY 1, 2
            """, cancellationToken: ct)).ConfigureAwait(false);
        var result = new List<SourceSequence>();
        foreach (var r in rows)
        {
            long? value = r.last;
            if (!r.readable && r.tname is not null)
                value = await conn.ExecuteScalarAsync<long?>(new CommandDefinition(
                    $"SELECT max({Ident.Quote(r.col!)})::bigint FROM {Ident.Quote(r.tschema!)}.{Ident.Quote(r.tname)}", cancellationToken: ct)).ConfigureAwait(false);
            if (value < r.min) value = null; // an empty table: the sequence stays fresh
            result.Add(new SourceSequence(r.schema, r.name, value, value is not null));
        }
        return result;
    }

    /// <summary>
    /// Primary keys and unique constraints of plain (not partitioned, not partition) tables, with their index
    /// definitions schema-qualified (search_path is emptied for the query and restored).
    /// </summary>
    public static async Task<IReadOnlyList<KeyIndex>> ReadKeyIndexesAsync(NpgsqlConnection conn, CancellationToken ct)
    {
        var path = await conn.ExecuteScalarAsync<string>(new CommandDefinition("SELECT pg_catalog.current_setting('search_path')", cancellationToken: ct)).ConfigureAwait(false);
        await conn.ExecuteAsync(new CommandDefinition("SELECT pg_catalog.set_config('search_path', '', true)", cancellationToken: ct)).ConfigureAwait(false);
        try
        {
            var rows = await conn.QueryAsync<(string schema, string table, string name, bool primary, string def, bool deferrable, bool deferred)>(new CommandDefinition($"""
                SELECT n.nspname, c.relname, con.conname, con.contype = 'p', pg_catalog.pg_get_indexdef(con.conindid), con.condeferrable, con.condeferred
                FROM pg_catalog.pg_constraint con
                JOIN pg_catalog.pg_class c ON c.oid = con.conrelid JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
                WHERE con.contype IN ('p', 'u') AND con.conindid <> 0 AND c.relkind = 'r' AND NOT c.relispartition AND {UserSchemas}
                """, cancellationToken: ct)).ConfigureAwait(false);
            return rows.Select(r => new KeyIndex($"{r.schema}.{r.table}", r.name, r.primary, r.def, r.deferrable, r.deferred)).ToList();
        }
        finally
        {
            await conn.ExecuteAsync(new CommandDefinition("SELECT pg_catalog.set_config('search_path', @path, true)", new { path }, cancellationToken: ct)).ConfigureAwait(false);
        }
    }
}

/// <summary>SQL identifier quoting.</summary>
public static class Ident
{
    public static string Quote(string name) => "\"" + name.Replace("\"", "\"\"") + "\"";

    /// <summary>"schema.table" as post-data items name a table → "schema"."table".</summary>
    public static string FromKey(string key)
    {
        var dot = key.IndexOf('.');
        return $"{Quote(key[..dot])}.{Quote(key[(dot + 1)..])}";
    }

    public static string Literal(string text) => "'" + text.Replace("'", "''") + "'";
}
