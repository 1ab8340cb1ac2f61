using Dapper;
using KojiStaging.Engine.Database;
using KojiStaging.Engine.Koji.Hub;

namespace KojiStaging.Engine.Operations;

/// <summary>Names for tab completion, read (read-only, short timeouts) from a Koji database.</summary>
public static class KojiNameLookup
{
    public static Task<IReadOnlyList<string>> TagsAsync(KojiDatabaseConnection db, string prefix, CancellationToken ct) =>
        Names(db, "SELECT name FROM tag WHERE name LIKE @p ORDER BY name LIMIT 200", prefix, ct);

    public static Task<IReadOnlyList<string>> VolumesAsync(KojiDatabaseConnection db, string prefix, CancellationToken ct) =>
        Names(db, "SELECT name FROM volume WHERE name LIKE @p ORDER BY id LIMIT 200", prefix, ct);

    /// <summary>
    /// Tag names from a Koji hub: one anonymous listTags call (the form every hub answers), filtered here by prefix.
    /// One attempt with a 3 s timeout: completion must answer quickly or not at all.
    /// </summary>
    public static async Task<IReadOnlyList<string>> HubTagsAsync(Uri hub, string prefix, CancellationToken ct)
    {
        using var client = new KojiHubClient(hub, new KojiHubClientOptions { Timeout = TimeSpan.FromSeconds(3), MaxAttempts = 1 });
        var tags = KojiHubExtensions.List(await client.CallAsync("listTags", ct).ConfigureAwait(false), "listTags");
        var p = prefix.Trim('\'', '"');
        return tags.OfType<Dictionary<string, object?>>()
            .Select(t => t.TryGetValue("name", out var n) ? n as string : null)
            .OfType<string>()
            .Where(n => n.StartsWith(p, StringComparison.Ordinal))
            .OrderBy(n => n, StringComparer.Ordinal)
            .Take(200)
            .ToList();
    }

    private static async Task<IReadOnlyList<string>> Names(KojiDatabaseConnection db, string sql, string prefix, CancellationToken ct)
    {
        var cs = new Npgsql.NpgsqlConnectionStringBuilder(db.SourceConnectionString) { Timeout = 3, CommandTimeout = 3 }.ConnectionString;
        await using var conn = await PgConnector.OpenAsync(cs, "completion", ct).ConfigureAwait(false);
        var escaped = prefix.Trim('\'', '"').Replace("\\", "\\\\").Replace("%", "\\%").Replace("_", "\\_");
        return (await conn.QueryAsync<string>(new CommandDefinition(sql, new { p = escaped + "%" }, cancellationToken: ct)).ConfigureAwait(false)).ToList();
    }
}
