using Dapper;
using KojiStaging.Engine.Database.Sync;
using KojiStaging.Engine.Diagnostics;
using Npgsql;

namespace KojiStaging.Engine.Database.Follower;

/// <summary>
/// Reads a follower's state from both sides, read-only: the slot on production (lag in bytes, retained WAL, wal_status),
/// the subscription and its apply worker on staging, the newest Koji event on each side (lag in time) and the schema
/// fingerprints (drift). Warns past the bounds: a follower that stops consuming makes production keep WAL.
/// </summary>
public static class FollowerStatusReader
{
    public static async Task<FollowerStatus> RunAsync(FollowerOptions o, FollowerBounds bounds, EngineScope scope)
    {
        var names = FollowerNames.For(o.Destination.Database, o.Name);
        await using var prod = await PgConnector.OpenAsync(new NpgsqlConnectionStringBuilder(o.Source.SourceConnectionString) { Pooling = false }.ConnectionString, "source", scope.Cancellation).ConfigureAwait(false);
        var stagingCs = new NpgsqlConnectionStringBuilder(o.Destination.ConnectionString) { Pooling = false, Database = "postgres" }.ConnectionString;
        await using var staging = await PgConnector.OpenAsync(stagingCs, "staging", scope.Cancellation).ConfigureAwait(false);
        return await ReadAsync(prod, staging, stagingCs, o, names, bounds, scope.Cancellation).ConfigureAwait(false);
    }

    public static async Task<FollowerStatus> ReadAsync(NpgsqlConnection prod, NpgsqlConnection staging, string stagingCs, FollowerOptions o, FollowerNames names, FollowerBounds bounds, CancellationToken ct)
    {
        var server = $"{o.Destination.Host}:{o.Destination.Port}";
        var sub = await FollowerSubscription.FindAsync(staging, names.FollowerDatabase, ct).ConfigureAwait(false);
        var slotName = sub?.Slot ?? names.Slot;
        var slot = await prod.QueryFirstOrDefaultAsync<(bool active, long? lag, long? retained, string? wal)?>(new CommandDefinition("""
            SELECT active, pg_wal_lsn_diff(pg_current_wal_insert_lsn(), confirmed_flush_lsn)::bigint, pg_wal_lsn_diff(pg_current_wal_insert_lsn(), restart_lsn)::bigint, wal_status::text
            FROM pg_replication_slots WHERE slot_name = @slotName
            """, new { slotName }, cancellationToken: ct)).ConfigureAwait(false);
        var warnings = new List<string>();
        var followerExists = await staging.ExecuteScalarAsync<bool>(new CommandDefinition("SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = @d)", new { d = names.FollowerDatabase }, cancellationToken: ct)).ConfigureAwait(false);
        if (sub is null || !followerExists)
        {
            if (slot is not null) warnings.Add($"Production keeps slot {slotName} ({Bytes(slot.Value.retained)} of WAL retained) but staging has no follower subscription: run Disable-KojiStagingFollower to remove it.");
            return new FollowerStatus
            {
                Name = names.Name, Server = server, FollowerDatabase = names.FollowerDatabase, Live = names.Live, Source = o.Source.ToString(), State = "Missing",
                Slot = slot is null ? null : slotName, RetainedWalBytes = slot?.retained, WalStatus = slot?.wal, Warnings = warnings,
            };
        }
        int? prodEvent = null, followerEvent = null;
        TimeSpan? lag = null;
        var drift = false;
        await using (var follower = await PgConnector.OpenAsync(PgConnectionFactory.WithDatabase(stagingCs, names.FollowerDatabase), "staging", ct).ConfigureAwait(false))
        {
            var p = await NewestEventAsync(prod, ct).ConfigureAwait(false);
            var f = await NewestEventAsync(follower, ct).ConfigureAwait(false);
            (prodEvent, followerEvent) = (p.id, f.id);
            if (p.time is { } pt && f.time is { } ft) lag = p.id == f.id || pt <= ft ? TimeSpan.Zero : pt - ft;
            drift = await SchemaFingerprint.ReadAsync(prod, ct).ConfigureAwait(false) != await SchemaFingerprint.ReadAsync(follower, ct).ConfigureAwait(false);
        }
        var insertOnly = (await prod.QueryAsync<string>(new CommandDefinition(
            "SELECT CASE WHEN schemaname = 'public' THEN tablename ELSE schemaname || '.' || tablename END FROM pg_publication_tables WHERE pubname = @p ORDER BY 1",
            new { p = names.InsertOnlyPublication }, cancellationToken: ct)).ConfigureAwait(false)).ToList();

        var state = sub.ApplyErrors > 0 && !sub.Enabled ? "Failed" : !sub.Enabled ? "Paused" : sub.WorkerPid is null || slot is null ? "Stopped" : "Streaming";
        if (slot is null) warnings.Add($"Production has no slot {slotName}: the follower can no longer catch up. Re-create it with Enable-KojiStagingFollower -Force.");
        else
        {
            if (slot.Value.wal is "lost") warnings.Add($"Slot {slotName} has lost WAL it needed (max_slot_wal_keep_size): re-create the follower with Enable-KojiStagingFollower -Force.");
            else if (slot.Value.wal is "unreserved") warnings.Add($"Slot {slotName} is past max_slot_wal_keep_size: production will remove WAL the follower still needs at its next checkpoint.");
            if (slot.Value.lag > bounds.WarnLagBytes) warnings.Add($"The follower is {Bytes(slot.Value.lag)} of production's WAL behind (bound {Bytes(bounds.WarnLagBytes)}).");
            if (slot.Value.retained > bounds.WarnRetainedWalBytes) warnings.Add($"Production retains {Bytes(slot.Value.retained)} of WAL for slot {slotName} (bound {Bytes(bounds.WarnRetainedWalBytes)}).");
        }
        if (lag > bounds.WarnLagTime) warnings.Add($"The follower's newest event is {lag.Value.TotalMinutes:F1} min older than production's (bound {bounds.WarnLagTime.TotalMinutes:F1} min).");
        if (state == "Failed") warnings.Add($"The follower's subscription stopped after {sub.ApplyErrors} apply error(s){(drift ? ": production's schema changed (DDL is not replicated)" : "")}. Run a full Sync-KojiStagingDb, then Enable-KojiStagingFollower -Force.");
        else if (drift) warnings.Add("Production's schema differs from the follower's (DDL is not replicated, a Koji upgrade?): run a full Sync-KojiStagingDb, then Enable-KojiStagingFollower -Force.");
        if (state == "Paused") warnings.Add($"The follower's subscription {sub.Name} is disabled (an interrupted refresh?); the next Sync-KojiStagingDb -FromFollower enables it again.");
        if (state == "Stopped" && slot is not null) warnings.Add($"The follower's apply worker is not running on {server} (max_logical_replication_workers? the staging server's log says why).");
        return new FollowerStatus
        {
            Name = names.Name, Server = server, FollowerDatabase = names.FollowerDatabase, Live = names.Live, Source = o.Source.ToString(), State = state,
            Slot = slotName, Publications = sub.Publications, LagBytes = slot?.lag, Lag = lag, RetainedWalBytes = slot?.retained, WalStatus = slot?.wal,
            SlotActive = slot?.active ?? false, ApplyErrors = sub.ApplyErrors, FollowerEvent = followerEvent, ProductionEvent = prodEvent,
            InsertOnlyTables = insertOnly, SchemaDrift = drift, Warnings = warnings,
        };
    }

    private static async Task<(int? id, DateTime? time)> NewestEventAsync(NpgsqlConnection conn, CancellationToken ct)
    {
        if (!await conn.ExecuteScalarAsync<bool>(new CommandDefinition("SELECT to_regclass('public.events') IS NOT NULL", cancellationToken: ct)).ConfigureAwait(false)) return (null, null);
        var time = await EventTimes.ExpressionAsync(conn, null, ct: ct).ConfigureAwait(false);
        var r = await conn.QueryFirstOrDefaultAsync<(int? id, DateTime? time)>(new CommandDefinition(
            $"SELECT id, {time} FROM public.events ORDER BY id DESC LIMIT 1", cancellationToken: ct)).ConfigureAwait(false);
        return r;
    }

    private static string Bytes(long? b) => b is null ? "?" : b >= 1L << 30 ? $"{b / 1073741824.0:F1} GiB" : b >= 1L << 20 ? $"{b / 1048576.0:F1} MiB" : $"{b} bytes";
}
