using KojiStaging.Engine.Files;
using Dapper;
using KojiStaging.Engine.Database;
using KojiStaging.Engine.Diagnostics;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace KojiStaging.Engine.Operations;

/// <summary>
/// Reads the drift between production and staging: staging's marker and events, production's last event
/// and the builds completed since (read-only source connection), generations kept on the staging
/// server, the state of each Koji volume under an optional topdir, and the writable snapshots serving
/// staging with their space use (<see cref="StagingSnapshotReader"/>).
/// </summary>
public sealed class StagingStatusReader
{
    /// <param name="snapshots">Which snapshots to report; null: the module's overlays under the default root only.</param>
    public async Task<StagingStatus> ReadAsync(KojiDatabaseConnection staging, KojiDatabaseConnection? source, string? topDir, EngineScope scope,
        StagingSnapshotQuery? snapshots = null)
    {
        var log = scope.Logger<StagingStatusReader>();
        var ct = scope.Cancellation;
        snapshots ??= new StagingSnapshotQuery();
        snapshots.Validate();
        log.LogInformation("Reading staging status from {Staging}", staging);
        await using var conn = await PgConnector.OpenAsync(staging.ConnectionString, "staging", ct).ConfigureAwait(false);
        if (!await KojiSchemaProbe.LooksLikeKojiAsync(conn, ct).ConfigureAwait(false))
            throw new StagingException("DatabaseNotKoji", StagingErrorCategory.InvalidData,
                $"{staging} has no Koji tables (events, build, volume): it is not a Koji database, so it has no staging status.", staging.ToString());
        var markers = await StagingMarker.ReadAsync(conn).ConfigureAwait(false);
        var synced = markers.LastOrDefault(m => m.Kind == "sync" && m.EventId is not null)
                     ?? markers.LastOrDefault(m => m.EventId is not null);
        DateTimeOffset? syncedTime = null;
        if (synced?.EventId is int e && await TableExists(conn, "events", ct))
        {
            var time = await EventTimes.ExpressionAsync(conn, EventTimes.RecordedZone(markers), ct: ct).ConfigureAwait(false);
            syncedTime = await conn.ExecuteScalarAsync<DateTime?>(new CommandDefinition($"SELECT {time} FROM events WHERE id = @e", new { e }, cancellationToken: ct)) is DateTime t
                ? EventTimes.Utc(t) : null;
        }

        var volumes = await ReadVolumes(conn, topDir, ct).ConfigureAwait(false);
        var generations = await ReadGenerations(conn, staging, ct).ConfigureAwait(false);

        int? prodLast = null, behind = null, completedSince = null;
        DateTimeOffset? prodTime = null;
        Database.Follower.FollowerStatus? follower = null;
        if (source is not null)
        {
            log.LogInformation("Reading production's last event from {Source} (read-only)", source);
            await using var prod = await PgConnector.OpenAsync(source.SourceConnectionString, "source", ct).ConfigureAwait(false);
            var prodTimeSql = await EventTimes.ExpressionAsync(prod, null, ct: ct).ConfigureAwait(false);
            var last = await prod.QuerySingleOrDefaultAsync<(int id, DateTime time)?>(
                new CommandDefinition($"SELECT id, {prodTimeSql} FROM events ORDER BY id DESC LIMIT 1", cancellationToken: ct)).ConfigureAwait(false);
            if (last is { } l)
            {
                prodLast = l.id;
                prodTime = EventTimes.Utc(l.time);
                if (synced?.EventId is int se) behind = l.id - se;
            }
            if (syncedTime is { } st)
                completedSince = await prod.ExecuteScalarAsync<int>(new CommandDefinition(
                    "SELECT count(*)::int FROM build WHERE state = 1 AND completion_time > @st", new { st = st.UtcDateTime }, cancellationToken: ct)).ConfigureAwait(false);
            try
            {
                var names = Database.Follower.FollowerNames.For(staging.Database);
                if (await conn.ExecuteScalarAsync<bool>(new CommandDefinition("SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = @d)", new { d = names.FollowerDatabase }, cancellationToken: ct)).ConfigureAwait(false))
                {
                    var stagingCs = PgConnectionFactory.WithDatabase(staging.ConnectionString, "postgres");
                    await using var admin = await PgConnector.OpenAsync(stagingCs, "staging", ct).ConfigureAwait(false);
                    follower = await Database.Follower.FollowerStatusReader.ReadAsync(prod, admin, stagingCs,
                        new Database.Follower.FollowerOptions { Source = source, Destination = staging }, names, new Database.Follower.FollowerBounds(), ct).ConfigureAwait(false);
                    foreach (var w in follower.Warnings) log.LogWarning("Follower: {Warning}", w);
                }
            }
            catch (Exception ex) when (ex is StagingException or PostgresException) { log.LogWarning("The follower's state could not be read: {Message}", ex.Message); }
        }

        var (snapshotStates, snapshotSources) = await new StagingSnapshotReader()
            .ReadAsync(snapshots, topDir, synced?.EventId, scope).ConfigureAwait(false);

        return new StagingStatus
        {
            Staging = staging.ToString(),
            IsStaging = markers.Count > 0,
            Source = source?.ToString(),
            Strategies = markers.Select(m => m.Kind).Distinct().ToArray(),
            SyncedEvent = synced?.EventId,
            SyncedEventTime = syncedTime,
            LastRefresh = markers.Count > 0 ? markers[^1].RecordedAt : null,
            ProdLastEvent = prodLast,
            ProdLastEventTime = prodTime,
            EventsBehind = behind,
            Age = syncedTime is { } s ? DateTimeOffset.UtcNow - s : null,
            BuildsCompletedSince = completedSince,
            Generations = generations,
            Volumes = volumes,
            Snapshots = snapshotStates,
            SnapshotSources = snapshotSources,
            Follower = follower,
        };
    }

    private static Task<bool> TableExists(NpgsqlConnection conn, string table, CancellationToken ct) =>
        conn.ExecuteScalarAsync<bool>(new CommandDefinition("SELECT to_regclass(@table) IS NOT NULL", new { table }, cancellationToken: ct));

    private static async Task<StagingVolumeState[]> ReadVolumes(NpgsqlConnection conn, string? topDir, CancellationToken ct)
    {
        if (!await TableExists(conn, "volume", ct).ConfigureAwait(false)) return Array.Empty<StagingVolumeState>();
        var rows = await conn.QueryAsync<(string name, long builds)>(new CommandDefinition(
            "SELECT v.name, count(b.id) FROM volume v LEFT JOIN build b ON b.volume_id = v.id GROUP BY v.id, v.name ORDER BY v.id", cancellationToken: ct)).ConfigureAwait(false);
        var mounts = topDir is null ? null : MountTable.Read();
        return rows.Select(r =>
        {
            if (topDir is null) return new StagingVolumeState(r.name, r.builds, null, null, null, null);
            var path = r.name == "DEFAULT" ? topDir : Path.Combine(topDir, "vol", r.name);
            var present = Directory.Exists(path);
            var mount = present ? mounts!.Find(path) : null;
            return new StagingVolumeState(r.name, r.builds, path, present, mount?.ReadOnly, mount?.Source);
        }).ToArray();
    }

    /// <summary>Sync-KojiStagingDb's generations of this live database: exactly live_gen_/live_new_ and a stamp (not koji_stg_a2 for koji_stg_a).</summary>
    private static async Task<string[]> ReadGenerations(NpgsqlConnection conn, KojiDatabaseConnection staging, CancellationToken ct)
    {
        var names = await conn.QueryAsync<string>(new CommandDefinition(
            "SELECT datname FROM pg_database WHERE NOT datistemplate ORDER BY datname", cancellationToken: ct)).ConfigureAwait(false);
        return names.Where(n => staging.Database is { } live && KojiStaging.Engine.Database.Sync.GenerationNames.IsGenerationOf(live, n)).ToArray();
    }
}
