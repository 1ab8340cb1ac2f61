using System.Text.Json;
using Dapper;
using KojiStaging.Engine.Diagnostics;
using Npgsql;

namespace KojiStaging.Engine.Database;

/// <summary>One entry in the module's marker table: what the module did to a staging database.</summary>
public sealed record MarkerEntry(
    long Id,
    string Kind,
    DateTimeOffset RecordedAt,
    string ModuleVersion,
    string? Source,
    int? EventId,
    JsonElement Details);

/// <summary>
/// The marker table <c>kojistaging_marker</c> says "this database is a staging copy made by KojiStaging"
/// and keeps an append-only record of what each strategy did (kind: sync, volume, subset, created, …).
/// A database without it is never overwritten unless the operator says -Force.
/// </summary>
public static class StagingMarker
{
    public const string Table = "kojistaging_marker";

    public const string CreateSql = $"""
        CREATE TABLE IF NOT EXISTS {Table} (
            id bigserial PRIMARY KEY,
            kind text NOT NULL,
            recorded_at timestamptz NOT NULL DEFAULT clock_timestamp(),
            module_version text NOT NULL,
            source text,
            event_id integer,
            details jsonb NOT NULL DEFAULT '{"{}"}'
        );
        COMMENT ON TABLE {Table} IS 'KojiStaging: this database is a staging copy; do not point production at it.';
        """;

    public static Task EnsureTableAsync(NpgsqlConnection conn, NpgsqlTransaction? tx = null) =>
        conn.ExecuteAsync(CreateSql, transaction: tx);

    public static async Task<bool> IsMarkedAsync(NpgsqlConnection conn, NpgsqlTransaction? tx = null)
    {
        var exists = await conn.ExecuteScalarAsync<bool>(
            "SELECT to_regclass(@t) IS NOT NULL", new { t = Table }, tx).ConfigureAwait(false);
        return exists && await conn.ExecuteScalarAsync<bool>($"SELECT EXISTS (SELECT 1 FROM {Table})", transaction: tx).ConfigureAwait(false);
    }

    public static Task<long> AppendAsync(NpgsqlConnection conn, string kind, string? source, int? eventId,
        object details, NpgsqlTransaction? tx = null) =>
        conn.ExecuteScalarAsync<long>(
            $"INSERT INTO {Table} (kind, module_version, source, event_id, details) VALUES (@kind, @version, @source, @eventId, @details::jsonb) RETURNING id",
            new { kind, version = ModuleInfo.Version, source, eventId, details = JsonSerializer.Serialize(details) }, tx);

    public static async Task<IReadOnlyList<MarkerEntry>> ReadAsync(NpgsqlConnection conn, string? kind = null, NpgsqlTransaction? tx = null)
    {
        var exists = await conn.ExecuteScalarAsync<bool>("SELECT to_regclass(@t) IS NOT NULL", new { t = Table }, tx).ConfigureAwait(false);
        if (!exists) return Array.Empty<MarkerEntry>();
        var rows = await conn.QueryAsync<(long id, string kind, DateTime recorded_at, string module_version, string? source, int? event_id, string details)>(
            $"SELECT id, kind, recorded_at, module_version, source, event_id, details::text FROM {Table} WHERE @kind::text IS NULL OR kind = @kind ORDER BY id",
            new { kind }, tx).ConfigureAwait(false);
        return rows.Select(r => new MarkerEntry(r.id, r.kind, new DateTimeOffset(DateTime.SpecifyKind(r.recorded_at, DateTimeKind.Utc)),
            r.module_version, r.source, r.event_id, JsonDocument.Parse(r.details).RootElement.Clone())).ToList();
    }
}
