using System.Diagnostics;
using Dapper;
using KojiStaging.Engine.Database.Sync;
using KojiStaging.Engine.Diagnostics;
using Microsoft.Extensions.Logging;
using Npgsql;
using NpgsqlTypes;

namespace KojiStaging.Engine.Database.Follower;

/// <summary>
/// Sync-KojiStagingDb -FromFollower: waits until the follower has applied production's WAL up to the position taken at
/// the start, pauses the subscription (so the follower has no session and sits between transactions), clones it with
/// CREATE DATABASE … TEMPLATE … STRATEGY FILE_COPY, resumes the subscription, then sanitises the clone, marks it and swaps
/// it in with the generations logic. Production only sees the slot advance. A failure anywhere leaves live staging as it
/// was; the follower is resumed (or, after a kill, by the next refresh) and stays consistent.
/// </summary>
public sealed class FollowerRefresher
{
    public async Task<DbSyncResult?> RunAsync(DbSyncOptions o, TimeSpan catchUpTimeout, EngineScope scope)
    {
        var log = scope.Logger<FollowerRefresher>();
        var ct = scope.Cancellation;
        var total = Stopwatch.StartNew();
        var phases = new Dictionary<string, TimeSpan>();
        var rules = SanitizeRules.Select(o.SkipSanitize);
        var live = o.Destination.Database;
        GenerationNames.Validate(live);
        var names = FollowerNames.For(live);
        var sourceCs = new NpgsqlConnectionStringBuilder(o.Source.SourceConnectionString) { CommandTimeout = 0, Pooling = false }.ConnectionString;
        var targetBase = new NpgsqlConnectionStringBuilder(o.Destination.ConnectionString) { CommandTimeout = 0, Pooling = false }.ConnectionString;
        var server = $"{o.Destination.Host}:{o.Destination.Port}";
        var activity = $"Sync-KojiStagingDb -FromFollower {server}/{live}";
        async Task<T> Timed<T>(string name, int pct, Func<Task<T>> work)
        {
            scope.Progress.Report(new StagingProgress(1, activity, name, pct));
            await PausePoints.ReachedAsync($"follower:{name}", ct).ConfigureAwait(false);
            var sw = Stopwatch.StartNew();
            var r = await work().ConfigureAwait(false);
            phases[name] = sw.Elapsed;
            log.LogInformation("Phase {Phase} done in {Seconds:F2}s", name, sw.Elapsed.TotalSeconds);
            return r;
        }

        await using var prod = await PgConnector.OpenAsync(sourceCs, "source", ct).ConfigureAwait(false);
        await using var swapper = await GenerationSwapper.OpenAsync(targetBase, live, log, ct).ConfigureAwait(false);
        var admin = swapper.Connection;
        var sub = await FollowerSubscription.FindAsync(admin, names.FollowerDatabase, ct).ConfigureAwait(false)
            ?? throw new StagingException("FollowerMissing", StagingErrorCategory.ObjectNotFound,
                $"There is no follower of '{live}' on {server} (database {names.FollowerDatabase} with a subscription).", names.FollowerDatabase)
            { RecommendedAction = "Create it once with Enable-KojiStagingFollower, or run Sync-KojiStagingDb without -FromFollower." };
        var prodId = await ServerIdentity.ReadAsync(prod, ct).ConfigureAwait(false);
        var liveExists = await swapper.ExistsAsync(live, ct).ConfigureAwait(false);
        if (liveExists) await DbSyncEngine.CheckLiveAsync(o, targetBase, server, live, prodId, prod, log, ct).ConfigureAwait(false);
        var followerCs = PgConnectionFactory.WithDatabase(targetBase, names.FollowerDatabase);
        await using (var follower = await PgConnector.OpenAsync(followerCs, "staging", ct).ConfigureAwait(false))
        {
            var diff = await SchemaFingerprint.ReadAsync(prod, ct).ConfigureAwait(false) == await SchemaFingerprint.ReadAsync(follower, ct).ConfigureAwait(false)
                ? Array.Empty<string>() : await SchemaFingerprint.DiffAsync(prod, follower, ct).ConfigureAwait(false);
            if (diff.Count > 0)
                throw new StagingException("FollowerSchemaDrift", StagingErrorCategory.InvalidData,
                    $"Production's schema changed since the follower was made (DDL is not replicated; a Koji upgrade?): {string.Join("; ", diff.Take(10))}{(diff.Count > 10 ? $" and {diff.Count - 10} more" : "")}. Live staging was not changed.", names.FollowerDatabase)
                { RecommendedAction = "Run a full Sync-KojiStagingDb (without -FromFollower) for this refresh, then Enable-KojiStagingFollower -Force to re-create the follower on the new schema." };
        }
        if (!sub.Enabled && sub.ApplyErrors > 0)
            throw new StagingException("FollowerApplyFailed", StagingErrorCategory.InvalidData,
                $"The follower's subscription {sub.Name} stopped after {sub.ApplyErrors} apply error(s); the staging server's log says which. Live staging was not changed.", sub.Name)
            { RecommendedAction = "Run a full Sync-KojiStagingDb (without -FromFollower), then Enable-KojiStagingFollower -Force." };

        var stamp = await swapper.UniqueStampAsync(ct).ConfigureAwait(false);
        var fresh = swapper.NameFor("new", stamp);
        var previousName = liveExists ? swapper.NameFor("gen", stamp) : null;
        var describe = $"clone follower '{names.FollowerDatabase}' (caught up with production) into '{fresh}', sanitise it ({string.Join(", ", rules.Select(r => r.Name))}), " +
                       (liveExists ? $"rename live '{live}' to '{previousName}' and '{fresh}' to '{live}'" : $"rename '{fresh}' to '{live}'");
        if (o.Approve is not null && !await o.Approve(new SyncPlan(server, live, liveExists, true, fresh, previousName, Array.Empty<string>(), o.Source.ToString(), 0, 0, 0,
                rules.Select(r => r.Name).ToList(), o.ExcludeTableData.ToList()) { Summary = describe }).ConfigureAwait(false)) return null;

        var repairs = new List<string>();
        if (await swapper.LockAsync(ct).ConfigureAwait(false) is { } released) repairs.Add(released);
        repairs.AddRange(await StagingRecovery.RepairAsync(swapper, log, ct).ConfigureAwait(false));
        if (!sub.Enabled)
        {
            await FollowerSubscription.EnableAsync(followerCs, sub.Name, true, ct).ConfigureAwait(false);
            repairs.Add($"enabled subscription {sub.Name} again (an interrupted refresh left it paused)");
            log.LogWarning("Repaired: enabled subscription {Subscription}, left paused by an interrupted refresh", sub.Name);
        }
        var report = new SyncFailureReport { StagingConnectionString = targetBase, Live = live, LiveOidBefore = await swapper.OidAsync(live, ct).ConfigureAwait(false), Previous = previousName };
        var target = await Timed("Catch up", 5, async () =>
        {
            // The insert position, not pg_current_wal_lsn (the write position): with asynchronous commit a committed,
            // visible transaction's commit record may not be written yet, and a target before it would miss it.
            var lsn = await prod.ExecuteScalarAsync<string>(new CommandDefinition("SELECT pg_current_wal_insert_lsn()::text", cancellationToken: ct)).ConfigureAwait(false);
            await WaitForAsync(prod, admin, sub, lsn!, catchUpTimeout, ct).ConfigureAwait(false);
            return lsn!;
        }).ConfigureAwait(false);
        log.LogInformation("Follower applied production's WAL up to {Lsn}", target);
        Dictionary<string, long> counts;
        int syncedEvent;
        DateTimeOffset syncedTime;
        IReadOnlyList<string> applied;
        string? previous;
        try
        {
            var paused = false;
            try
            {
                await Timed("Pause", 10, async () =>
                {
                    await FollowerSubscription.EnableAsync(followerCs, sub.Name, false, ct).ConfigureAwait(false);
                    paused = true;
                    await FollowerSubscription.WaitForWorkerExitAsync(admin, sub.Oid, TimeSpan.FromSeconds(60), ct).ConfigureAwait(false);
                    return 0;
                }).ConfigureAwait(false);
                await Timed("Clone", 20, async () =>
                {
                    var blocked = await SessionTerminator.TerminateAsync(admin, names.FollowerDatabase, ct).ConfigureAwait(false);
                    if (blocked.Count > 0)
                        throw new StagingException("FollowerInUse", StagingErrorCategory.ResourceBusy,
                            $"The follower database {names.FollowerDatabase} has sessions this role may not end ({string.Join(", ", blocked)}); it cannot be cloned.", names.FollowerDatabase);
                    var version = await admin.ExecuteScalarAsync<int>(new CommandDefinition("SELECT current_setting('server_version_num')::int", cancellationToken: ct)).ConfigureAwait(false);
                    report.Fresh = fresh;
                    await admin.ExecuteAsync(new CommandDefinition(
                        $"CREATE DATABASE {Ident.Quote(fresh)} TEMPLATE {Ident.Quote(names.FollowerDatabase)}{(version >= 150000 ? " STRATEGY FILE_COPY" : "")}", cancellationToken: ct)).ConfigureAwait(false);
                    report.FreshOid = await swapper.OidAsync(fresh, CancellationToken.None).ConfigureAwait(false);
                    return 0;
                }).ConfigureAwait(false);
            }
            finally
            {
                if (paused)
                    try { await FollowerSubscription.EnableAsync(followerCs, sub.Name, true, CancellationToken.None).ConfigureAwait(false); }
                    catch (Exception ex) { log.LogWarning("Resuming subscription {Subscription} failed; the next refresh enables it: {Message}", sub.Name, ex.Message); }
            }
            (counts, syncedEvent, syncedTime, applied) = await Timed("Sanitise", 60, async () =>
            {
                await using var conn = await PgConnector.OpenAsync(PgConnectionFactory.WithDatabase(targetBase, fresh), "staging", ct).ConfigureAwait(false);
                await conn.ExecuteAsync(new CommandDefinition("SET search_path = public", cancellationToken: ct)).ConfigureAwait(false);
                var time = await EventTimes.ExpressionAsync(conn, null, ct: ct).ConfigureAwait(false);
                var ev = await conn.QuerySingleAsync<(int? id, DateTime? time)>(new CommandDefinition(
                    $"SELECT id, {time} FROM events WHERE id = (SELECT max(id) FROM events)", cancellationToken: ct)).ConfigureAwait(false);
                var eventId = ev.id ?? 0;
                var done = (await CloneSanitizer.ApplyAsync(conn, rules, o.ExcludeTableData, eventId, ct).ConfigureAwait(false)).ToList();
                // Sequences are not replicated: production's values now are at or above every id in the clone.
                await SchemaLoader.CopySequencesAsync(prod, conn, ct).ConfigureAwait(false);
                if (rules.Any(r => r.MovesSequences)) { await SequenceMover.MoveAsync(conn, o.SequenceOffset, log, ct).ConfigureAwait(false); done.Add("Sequences"); }
                foreach (var file in o.PostSyncSql)
                    await conn.ExecuteAsync(new CommandDefinition(await File.ReadAllTextAsync(file, ct).ConfigureAwait(false), cancellationToken: ct, commandTimeout: 0)).ConfigureAwait(false);
                var evTime = ev.time is { } t ? new DateTimeOffset(DateTime.SpecifyKind(t, DateTimeKind.Utc)) : DateTimeOffset.MinValue;
                await StagingMarker.EnsureTableAsync(conn).ConfigureAwait(false);
                await StagingMarker.AppendAsync(conn, "sync", o.Source.ToString(), eventId, new
                {
                    syncedEventTime = evTime, sourceIdentity = prodId.ToRecord(), rulesApplied = done, fromFollower = names.FollowerDatabase, followerLsn = target,
                    excludedTables = o.ExcludeTableData, postSyncSql = o.PostSyncSql.Select(Path.GetFileName).ToArray(), sequenceOffset = o.SequenceOffset, live,
                }).ConfigureAwait(false);
                return (await DbSyncEngine.CountAsync(conn, ct).ConfigureAwait(false), eventId, evTime, (IReadOnlyList<string>)done);
            }).ConfigureAwait(false);
            previous = await Timed("Swap", 90, () => swapper.SwapAsync(fresh, stamp, ct)).ConfigureAwait(false);
        }
        catch (Exception ex)
        {
            throw await report.BuildAsync(ex, ex is OperationCanceledException && ct.IsCancellationRequested, log).ConfigureAwait(false);
        }
        IReadOnlyList<string> dropped = Array.Empty<string>(), kept = Array.Empty<string>();
        try { (dropped, kept) = await swapper.RotateAsync(Math.Max(0, o.KeepGenerations), CancellationToken.None).ConfigureAwait(false); }
        catch (Exception ex) { log.LogWarning("Rotating old generations failed; the next sync tries again: {Message}", ex.Message); }
        scope.Progress.Report(new StagingProgress(1, activity, "done", 100, Completed: true));
        return new DbSyncResult
        {
            Connection = o.Destination.WithDatabase(live), Server = server, Database = live, PreviousGeneration = previous, DroppedGenerations = dropped,
            GenerationsNotDropped = kept, Repairs = repairs, SyncedEvent = syncedEvent, SyncedEventTime = syncedTime, Source = o.Source.ToString(),
            Builds = counts.GetValueOrDefault("build"), Rpms = counts.GetValueOrDefault("rpminfo"), TagListings = counts.GetValueOrDefault("tag_listing"),
            RowCounts = counts, RulesApplied = applied, ExcludedTables = o.ExcludeTableData.ToList(), PhaseDurations = phases, Duration = total.Elapsed,
        };
    }

    /// <summary>Polls the slot on production until the follower confirmed <paramref name="lsn"/>; fails fast when the apply worker is gone.</summary>
    private static async Task WaitForAsync(NpgsqlConnection prod, NpgsqlConnection staging, SubscriptionInfo sub, string lsn, TimeSpan timeout, CancellationToken ct)
    {
        var until = DateTime.UtcNow + timeout;
        var noWorkerSince = (DateTime?)null;
        while (true)
        {
            var done = await prod.ExecuteScalarAsync<bool?>(new CommandDefinition(
                "SELECT confirmed_flush_lsn >= @lsn::pg_lsn FROM pg_replication_slots WHERE slot_name = @slot", new { lsn, slot = sub.Slot }, cancellationToken: ct)).ConfigureAwait(false);
            if (done is null)
                throw new StagingException("FollowerSlotMissing", StagingErrorCategory.ObjectNotFound,
                    $"Production has no slot {sub.Slot}: the follower cannot catch up. Live staging was not changed.", sub.Slot)
                { RecommendedAction = "Re-create the follower with Enable-KojiStagingFollower -Force." };
            if (done == true) return;
            var now = await FollowerSubscription.FindAsync(staging, sub.Database, ct).ConfigureAwait(false);
            if (now is { Enabled: false, ApplyErrors: > 0 })
                throw new StagingException("FollowerApplyFailed", StagingErrorCategory.InvalidData,
                    $"The follower's subscription stopped on an apply error while catching up (production's schema changed?). Live staging was not changed.", sub.Name)
                { RecommendedAction = "Run a full Sync-KojiStagingDb (without -FromFollower), then Enable-KojiStagingFollower -Force." };
            noWorkerSince = now?.WorkerPid is null ? noWorkerSince ?? DateTime.UtcNow : null;
            if (DateTime.UtcNow > until || noWorkerSince is { } since && DateTime.UtcNow - since > TimeSpan.FromSeconds(60))
                throw new StagingException("FollowerBehind", StagingErrorCategory.OperationTimeout,
                    $"The follower did not apply production's WAL up to {lsn} within {(noWorkerSince is null ? timeout : TimeSpan.FromSeconds(60)).TotalSeconds:F0} s{(now?.WorkerPid is null ? " (its apply worker is not running)" : "")}. Live staging was not changed.", sub.Name)
                { RecommendedAction = "Get-KojiStagingFollower shows its lag and state." };
            await Task.Delay(100, ct).ConfigureAwait(false);
        }
    }
}
