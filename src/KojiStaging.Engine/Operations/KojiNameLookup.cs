using Dapper;
using KojiStaging.Engine.Database;

namespace KojiStaging.Engine.Operations;

/// <summary>Names for tab completion, read (read-only, short timeouts) from a Koji database.</summary>
public static class KojiNameLookup
{
    public static Task<IReadOnlyList<string>> TagsAsync(KojiDatabaseConnection db, string prefix, CancellationToken ct) =>
        Names(db, "SELECT name FROM tag WHERE name LIKE @p ORDER BY name LIMIT 200", prefix, ct);

    public static Task<IReadOnlyList<string>> VolumesAsync(KojiDatabaseConnection db, string prefix, CancellationToken ct) =>
        Names(db, "SELECT name FROM volume WHERE name LIKE @p ORDER BY id LIMIT 200", prefix, ct);

    private static async Task<IReadOnlyList<string>> Names(KojiDatabaseConnection db, string sql, string prefix, CancellationToken ct)
    {
        var cs = new Npgsql.NpgsqlConnectionStringBuilder(db.SourceConnectionString) { Timeout = 3, CommandTimeout = 3 }.ConnectionString;
        await using var conn = await PgConnector.OpenAsync(cs, "completion", ct).ConfigureAwait(false);
        var escaped = prefix.Trim('\'', '"').Replace("\\", "\\\\").Replace("%", "\\%").Replace("_", "\\_");
        return (await conn.QueryAsync<string>(new CommandDefinition(sql, new { p = escaped + "%" }, cancellationToken: ct)).ConfigureAwait(false)).ToList();
    }
}
