using Dapper;
using Npgsql;

namespace KojiStaging.Engine.Database;

/// <summary>
/// Which Koji tables and columns a database really has, as its catalog says: every place that touches something
/// only some Koji releases have (repo.state_time, host_config, standard_buildroot, build_reservations, …) asks
/// this instead of assuming a Koji version (docs/koji-versions.md lists which release added what).
/// </summary>
public sealed class KojiCatalog
{
    private readonly Dictionary<string, HashSet<string>> _tables;

    private KojiCatalog(Dictionary<string, HashSet<string>> tables) => _tables = tables;

    /// <summary>From tables already discovered (Sync-KojiStagingDb's source catalog).</summary>
    public static KojiCatalog From(IEnumerable<(string Table, IEnumerable<string> Columns)> tables)
    {
        var d = new Dictionary<string, HashSet<string>>(StringComparer.Ordinal);
        foreach (var (t, cols) in tables)
            if (!d.ContainsKey(t)) d[t] = new HashSet<string>(cols, StringComparer.Ordinal);
        return new KojiCatalog(d);
    }

    /// <summary>Reads the tables and columns of the connection's current schema (public for Koji).</summary>
    public static async Task<KojiCatalog> ReadAsync(NpgsqlConnection conn, NpgsqlTransaction? tx = null, CancellationToken ct = default)
    {
        var rows = await conn.QueryAsync<(string table, string column)>(new CommandDefinition("""
            SELECT c.relname::text, a.attname::text FROM pg_catalog.pg_class c
            JOIN pg_catalog.pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
            WHERE c.relnamespace = pg_catalog.to_regnamespace(pg_catalog.current_schema()) AND c.relkind IN ('r', 'p')
            """, transaction: tx, cancellationToken: ct)).ConfigureAwait(false);
        return From(rows.GroupBy(r => r.table).Select(g => (g.Key, g.Select(r => r.column))));
    }

    public bool HasTable(string table) =>
        table.EndsWith('*') ? _tables.Keys.Any(t => t.StartsWith(table[..^1], StringComparison.Ordinal)) : _tables.ContainsKey(table);

    public bool HasColumn(string table, string column) => _tables.TryGetValue(table, out var c) && c.Contains(column);

    /// <summary>"table", "prefix*" or "table.column".</summary>
    public bool Has(string requirement)
    {
        var dot = requirement.IndexOf('.');
        return dot < 0 ? HasTable(requirement) : HasColumn(requirement[..dot], requirement[(dot + 1)..]);
    }

    /// <summary>What an operator reads when <paramref name="requirement"/> is missing: "no table X" or "no column X.y".</summary>
    public string DescribeMissing(string requirement)
    {
        var dot = requirement.IndexOf('.');
        return dot < 0 || !HasTable(requirement[..dot]) ? $"no table {(dot < 0 ? requirement : requirement[..dot])}" : $"no column {requirement}";
    }
}
