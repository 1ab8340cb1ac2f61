using System.Text.Json;
using Dapper;
using KojiStaging.Engine.Database.Sync;
using Npgsql;

namespace KojiStaging.Engine.Database;

/// <summary>
/// Koji's event times as instants. Before Koji 1.22 events.time is a timestamp without time zone, written by
/// the hub's now() in the server's TimeZone (schema-upgrade-1.21-1.22.sql converts it with that very setting):
/// read it in production's TimeZone and it is UTC like every later release's timestamptz.
/// </summary>
public static class EventTimes
{
    /// <summary>Whether the database's events.time carries a time zone (Koji 1.22 and later).</summary>
    public static async Task<bool> HaveZoneAsync(NpgsqlConnection conn, NpgsqlTransaction? tx = null, CancellationToken ct = default) =>
        await conn.ExecuteScalarAsync<string?>(new CommandDefinition("""
            SELECT pg_catalog.format_type(atttypid, atttypmod) FROM pg_catalog.pg_attribute
            WHERE attrelid = pg_catalog.to_regclass('events') AND attname = 'time' AND NOT attisdropped
            """, transaction: tx, cancellationToken: ct)).ConfigureAwait(false) != "timestamp without time zone";

    /// <summary>
    /// SQL yielding events.time (of the row aliased <paramref name="alias"/>) as timestamptz. <paramref name="zone"/> is
    /// production's TimeZone; null reads the value in this server's own (right on production itself).
    /// </summary>
    public static async Task<string> ExpressionAsync(NpgsqlConnection conn, string? zone, string? alias = null, NpgsqlTransaction? tx = null, CancellationToken ct = default)
    {
        var column = alias is null ? "time" : $"{alias}.time";
        if (await HaveZoneAsync(conn, tx, ct).ConfigureAwait(false)) return column;
        return $"({column} AT TIME ZONE {(zone is null ? "pg_catalog.current_setting('TimeZone')" : Ident.Literal(zone))})";
    }

    /// <summary>Production's TimeZone as the latest sync recorded it in the marker (null for copies made before it was recorded).</summary>
    public static string? RecordedZone(IEnumerable<MarkerEntry> markers) =>
        markers.LastOrDefault(m => m.Kind == "sync") is { } m && m.Details.ValueKind == JsonValueKind.Object &&
        m.Details.TryGetProperty("sourceTimeZone", out var z) && z.ValueKind == JsonValueKind.String ? z.GetString() : null;

    /// <summary>A timestamptz as Npgsql returns it (UTC kind) → DateTimeOffset at UTC.</summary>
    public static DateTimeOffset Utc(DateTime t) => new(DateTime.SpecifyKind(t, DateTimeKind.Utc));
}
