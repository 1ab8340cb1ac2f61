using Dapper;
using Npgsql;

namespace KojiStaging.Engine.Database;

/// <summary>Whether a database has Koji's core tables, so a cmdlet can refuse another database by name instead of failing on its first query.</summary>
public static class KojiSchemaProbe
{
    public static Task<bool> LooksLikeKojiAsync(NpgsqlConnection conn, CancellationToken ct) =>
        conn.ExecuteScalarAsync<bool>(new CommandDefinition(
            "SELECT to_regclass('events') IS NOT NULL AND to_regclass('build') IS NOT NULL AND to_regclass('volume') IS NOT NULL", cancellationToken: ct));
}
