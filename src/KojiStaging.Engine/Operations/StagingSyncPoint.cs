using Dapper;
using KojiStaging.Engine.Database;
using Npgsql;

namespace KojiStaging.Engine.Operations;

/// <summary>The synced event of a staging database and where that number came from.</summary>
public sealed record SyncPoint(int EventId, string Origin, DateTimeOffset? RecordedAt);

/// <summary>
/// Finds the event a staging database was copied at: the latest 'sync' marker entry
/// (written by Sync-KojiStagingDb), else the database's newest event (max(events.id)).
/// </summary>
public static class StagingSyncPoint
{
    public static async Task<SyncPoint> ResolveAsync(NpgsqlConnection conn, NpgsqlTransaction? tx = null)
    {
        var sync = (await StagingMarker.ReadAsync(conn, "sync", tx)).LastOrDefault(e => e.EventId is not null);
        if (sync is not null) return new SyncPoint(sync.EventId!.Value, "marker", sync.RecordedAt);
        var max = await conn.ExecuteScalarAsync<int?>("SELECT max(id) FROM events", transaction: tx);
        return new SyncPoint(max ?? 0, "events", null);
    }
}
