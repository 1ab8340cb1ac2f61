using System.Diagnostics;
using Dapper;
using KojiStaging.Engine.Diagnostics;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace KojiStaging.Engine.Database.Sync;

/// <summary>
/// Sync-KojiStagingDb's engine: copies production's Koji database into a new database on the staging
/// server at one exported snapshot, sanitising in the stream, then swaps it in and rotates generations.
/// Any failure or cancellation drops the half-built database and leaves live staging untouched.
/// </summary>
public sealed class DbSyncEngine
{
    public static readonly string[] KeyTables = { "build", "rpminfo", "tag_listing", "task", "events" };

    public async Task<DbSyncResult?> RunAsync(DbSyncOptions o, EngineScope scope)
    {
        var log = scope.Logger<DbSyncEngine>();
        var ct = scope.Cancellation;
        var total = Stopwatch.StartNew();
        var phases = new Dictionary<string, TimeSpan>();
        var rules = SanitizeRules.Select(o.SkipSanitize);
        foreach (var f in o.PostSyncSql)
            if (!File.Exists(f))
                throw new StagingException("PostSyncSqlNotFound", StagingErrorCategory.ObjectNotFound, $"The post-sync SQL file '{f}' does not exist.", f);
        var live = o.Destination.Database;
        if (string.IsNullOrEmpty(live))
            throw new StagingException("DestinationDatabaseMissing", StagingErrorCategory.InvalidArgument,
                "The destination names no database: say which database is live staging, e.g. 'Host=db-stg;Database=koji'.", o.Destination.ToString());
        var sourceCs = new NpgsqlConnectionStringBuilder(o.Source.SourceConnectionString) { CommandTimeout = 0, Pooling = false }.ConnectionString;
        var targetBase = new NpgsqlConnectionStringBuilder(o.Destination.ConnectionString) { CommandTimeout = 0, Pooling = false }.ConnectionString;
        var server = $"{o.Destination.Host}:{o.Destination.Port}";
        var workers = Math.Max(1, o.ThrottleLimit);

        void Phase(string name, int pct) =>
            scope.Progress.Report(new StagingProgress(1, $"Sync-KojiStagingDb {server}/{live}", name, pct));
        async Task<T> Timed<T>(string name, int pct, Func<Task<T>> work)
        {
            Phase(name, pct);
            log.LogInformation("Phase {Phase}", name);
            await Hook($"phase:{name}", ct).ConfigureAwait(false);
            var sw = Stopwatch.StartNew();
            var r = await work().ConfigureAwait(false);
            phases[name] = sw.Elapsed;
            log.LogInformation("Phase {Phase} done in {Seconds:F1}s", name, sw.Elapsed.TotalSeconds);
            return r;
        }
        Task Timed0(string name, int pct, Func<Task> work) => Timed(name, pct, async () => { await work().ConfigureAwait(false); return 0; });

        Phase("Connecting", 0);
        GenerationNames.Validate(live);
        // With a confirmation to ask, this first snapshot only serves the plan: it is released before the question
        // and a fresh one taken after the answer, so production holds no transaction (no xmin) while a person decides.
        var snapshot = await SourceSnapshot.OpenAsync(sourceCs, ct).ConfigureAwait(false);
        await using var releaseSnapshot = new Releaser(() => snapshot.DisposeAsync());
        var waited = TimeSpan.Zero;
        log.LogInformation("Source {Source}: snapshot {Snapshot}, synced event {Event} ({Time:u})", o.Source, snapshot.SnapshotId, snapshot.SyncedEvent, snapshot.SyncedEventTime);
        if (!snapshot.EventTimesHaveZone && snapshot.TimeZoneSetByClient)
            log.LogWarning("Event times have no time zone (Koji before 1.22) and are read in TimeZone {Zone}, which this client set (PGTZ or the connection string), not the server: unset it if the hub writes in the server's", snapshot.TimeZone);
        else if (!snapshot.EventTimesHaveZone)
            log.LogInformation("Event times have no time zone (Koji before 1.22): read in the source server's TimeZone {Zone}", snapshot.TimeZone);
        await using var swapper = await GenerationSwapper.OpenAsync(targetBase, live, log, ct).ConfigureAwait(false);
        var stagingVersion = await swapper.Connection.ExecuteScalarAsync<int>("SELECT current_setting('server_version_num')::int").ConfigureAwait(false);
        PgVersionSupport.CheckPair(snapshot.ServerVersionNum, stagingVersion, o.Source.ToString(), server);
        swapper.FaultHook = o.FaultHook;
        if (o.SwapAttempts is { } attempts) swapper.SwapAttempts = attempts;
        var leftovers = await StagingRecovery.FindAsync(swapper, ct).ConfigureAwait(false);
        var liveExists = await swapper.ExistsAsync(live, ct).ConfigureAwait(false);
        var liveMarked = liveExists && await CheckLiveAsync(o, targetBase, server, live, snapshot.Identity, snapshot.Connection, log, ct).ConfigureAwait(false);
        liveExists |= leftovers.Any(l => l.Kind == StagingRecovery.LiveMissing);

        var pgDump = PgVersionSupport.FindPgDump(snapshot.ServerVersionNum);
        var tables = await SourceCatalog.ReadTablesAsync(snapshot.Connection, ct).ConfigureAwait(false);
        var unknown = o.ExcludeTableData.Where(x => !tables.Any(t => t.DisplayName == x || t.Name == x)).ToList();
        if (unknown.Count > 0)
            throw new StagingException("ExcludedTableUnknown", StagingErrorCategory.InvalidArgument,
                $"-ExcludeTableData names table(s) the source does not have: {string.Join(", ", unknown)}." +
                string.Concat(unknown.Select(u => NearestNames.DidYouMean(u, tables.Select(t => t.DisplayName)).Replace(" Did you mean", $" For '{u}', did you mean"))), unknown[0]);
        var plans = CopyPlanner.Plan(tables, rules, o.ExcludeTableData, workers, snapshot.SyncedEvent);
        SanitizeOutcome Resolve() => SanitizeOutcome.Resolve(rules, KojiCatalog.From(tables.Select(t => (t.Name, (IEnumerable<string>)t.Columns))));
        var sanitize = Resolve();
        var applied = sanitize.Applied.ToList();
        foreach (var n in sanitize.NotApplicable)
            if (n.Guards is not null) log.LogWarning("Sanitise rule {Rule} is not applicable ({Reason}): if this Koji keeps {Guards} elsewhere, they reach staging unchanged", n.Rule, n.Reason, n.Guards);
            else log.LogInformation("Sanitise rule {Rule} is not applicable ({Reason})", n.Rule, n.Reason);
        var excluded = plans.Where(p => p.RowsSkipped && (o.ExcludeTableData.Contains(p.Table.Name) || o.ExcludeTableData.Contains(p.Table.DisplayName)))
            .Select(p => p.Table.DisplayName).ToList();

        var stamp = await swapper.UniqueStampAsync(ct).ConfigureAwait(false);
        var fresh = swapper.NameFor("new", stamp);
        var keep = Math.Max(0, o.KeepGenerations);
        var existingGens = (await swapper.GenerationsAsync("gen", ct).ConfigureAwait(false))
            .Where(g => !leftovers.Any(l => l.Kind == StagingRecovery.LiveMissing && l.Database == g)).ToList();
        var previousName = liveExists ? swapper.NameFor("gen", stamp) : null;
        var afterSwap = (previousName is null ? existingGens : existingGens.Prepend(previousName)).ToList();
        var plan = new SyncPlan(server, live, liveExists, liveMarked, fresh, previousName, afterSwap.Skip(keep).ToList(),
            o.Source.ToString(), snapshot.SyncedEvent, plans.Count, tables.Sum(t => t.Bytes), applied, excluded, sanitize.NotApplicableText)
            { Repairs = leftovers.Select(l => l.Repair).ToList() };
        log.LogInformation("Plan: {Plan}", plan.Describe());
        if (o.Approve is not null)
        {
            await snapshot.DisposeAsync().ConfigureAwait(false);
            var asking = Stopwatch.StartNew();
            var approved = await o.Approve(plan).ConfigureAwait(false);
            waited = asking.Elapsed;   // Duration counts the work, not the time the operator took to answer
            if (!approved) return null;
            snapshot = await SourceSnapshot.OpenAsync(sourceCs, ct).ConfigureAwait(false);
            log.LogInformation("Snapshot {Snapshot} taken after the confirmation: synced event {Event} ({Time:u})", snapshot.SnapshotId, snapshot.SyncedEvent, snapshot.SyncedEventTime);
            tables = await SourceCatalog.ReadTablesAsync(snapshot.Connection, ct).ConfigureAwait(false);
            plans = CopyPlanner.Plan(tables, rules, o.ExcludeTableData, workers, snapshot.SyncedEvent);
            sanitize = Resolve();
            applied = sanitize.Applied.ToList();
        }

        // Recovery first: whatever an interrupted sync left is repaired under the lock, before anything is built.
        var repairs = new List<string>();
        if (await swapper.LockAsync(ct).ConfigureAwait(false) is { } released) repairs.Add(released);
        await Hook("recovery", ct).ConfigureAwait(false);
        repairs.AddRange(await StagingRecovery.RepairAsync(swapper, log, ct).ConfigureAwait(false));
        var report = new SyncFailureReport
        {
            StagingConnectionString = targetBase, Live = live, LiveOidBefore = await swapper.OidAsync(live, ct).ConfigureAwait(false), Previous = previousName,
        };
        var locale = await snapshot.Connection.QuerySingleAsync<(string enc, string collate, string ctype)>(
            "SELECT pg_encoding_to_char(encoding), datcollate, datctype FROM pg_database WHERE datname = current_database()").ConfigureAwait(false);
        try { await swapper.CreateAsync(fresh, locale.enc, locale.collate, locale.ctype, ct).ConfigureAwait(false); }
        catch (PostgresException ex) { throw PgConnector.Translate(ex, targetBase, "staging"); }
        report.Fresh = fresh;
        report.FreshOid = await swapper.OidAsync(fresh, CancellationToken.None).ConfigureAwait(false);
        log.LogInformation("Created {Database}", fresh);
        var freshCs = PgConnectionFactory.WithDatabase(targetBase, fresh);
        var loadClock = new Stopwatch();
        var loader = new ParallelLoader(snapshot, freshCs, scope, Hook) { OverallProgress = LoadProgress };
        Dictionary<string, long> counts;
        string? previous;
        // The parent bar of the long phase: overall bytes copied (10 % → 80 %) and the time left at the rate so far.
        void LoadProgress(long done, long all)
        {
            var fraction = Math.Clamp((double)done / Math.Max(1, all), 0, 1);
            var seconds = loadClock.Elapsed.TotalSeconds;
            var eta = fraction >= 0.01 && seconds > 0 ? (int)Math.Min(int.MaxValue, seconds * (1 - fraction) / fraction) : -1;
            scope.Progress.Report(new StagingProgress(1, $"Sync-KojiStagingDb {server}/{live}",
                $"Data and indexes: {done / 1048576.0:F1} of ~{all / 1048576.0:F1} MiB copied", 10 + (int)(70 * fraction), SecondsRemaining: eta));
        }
        try
        {
            var postData = await Timed("Schema", 5, () => SchemaLoader.LoadAsync(loader, snapshot, sourceCs, pgDump, ct)).ConfigureAwait(false);
            await Timed0("Data and indexes", 10, () => { loadClock.Start(); return loader.LoadAsync(plans, postData, workers, ct); }).ConfigureAwait(false);
            await Timed0("Foreign keys", 80, async () =>
            {
                await loader.ForeignKeysAsync(postData, o.ValidateForeignKeys, workers, ct).ConfigureAwait(false);
                await loader.OtherAsync(postData, ct).ConfigureAwait(false);
            }).ConfigureAwait(false);
            counts = await Timed("Sanitise", 90, async () =>
            {
                await using var conn = await loader.OpenTargetAsync(ct).ConfigureAwait(false);
                await conn.ExecuteAsync(new CommandDefinition("SET search_path = public", cancellationToken: ct)).ConfigureAwait(false);
                if (applied.Contains("Sequences")) await SequenceMover.MoveAsync(conn, o.SequenceOffset, log, ct).ConfigureAwait(false);
                foreach (var file in o.PostSyncSql) await RunPostSyncSqlAsync(conn, file, log, ct).ConfigureAwait(false);
                await StagingMarker.EnsureTableAsync(conn).ConfigureAwait(false);
                await StagingMarker.AppendAsync(conn, "sync", o.Source.ToString(), snapshot.SyncedEvent, new
                {
                    syncedEventTime = snapshot.SyncedEventTime, sourceTimeZone = snapshot.TimeZone, sourceIdentity = snapshot.Identity.ToRecord(), rulesApplied = applied,
                    rulesNotApplicable = sanitize.NotApplicableText, sanitizeForms = sanitize.Forms, excludedTables = excluded,
                    postSyncSql = o.PostSyncSql.Select(Path.GetFileName).ToArray(), sequenceOffset = o.SequenceOffset, live,
                }).ConfigureAwait(false);
                return await CountAsync(conn, ct).ConfigureAwait(false);
            }).ConfigureAwait(false);
            previous = await Timed("Swap", 95, () => swapper.SwapAsync(fresh, stamp, ct)).ConfigureAwait(false);
        }
        catch (Exception ex)
        {
            throw await report.BuildAsync(ex, ex is OperationCanceledException && ct.IsCancellationRequested, log).ConfigureAwait(false);
        }

        // The swap has committed: from here on nothing can fail the sync. Rotation that cannot drop a generation says so.
        IReadOnlyList<string> dropped = Array.Empty<string>(), kept = Array.Empty<string>();
        try { (dropped, kept) = await swapper.RotateAsync(keep, CancellationToken.None).ConfigureAwait(false); }
        catch (Exception ex) { log.LogWarning("Rotating old generations failed; the next sync tries again: {Message}", ex.Message); }
        scope.Progress.Report(new StagingProgress(1, $"Sync-KojiStagingDb {server}/{live}", "done", 100, Completed: true));
        return new DbSyncResult
        {
            Connection = o.Destination.WithDatabase(live), Server = server, Database = live, PreviousGeneration = previous,
            DroppedGenerations = dropped, GenerationsNotDropped = kept, Repairs = repairs, SyncedEvent = snapshot.SyncedEvent, SyncedEventTime = snapshot.SyncedEventTime,
            Source = o.Source.ToString(), Builds = counts.GetValueOrDefault("build"), Rpms = counts.GetValueOrDefault("rpminfo"),
            TagListings = counts.GetValueOrDefault("tag_listing"), RowCounts = counts, BytesCopied = loader.BytesCopied,
            RulesApplied = applied, RulesNotApplicable = sanitize.NotApplicableText, SanitizeForms = sanitize.Forms, ExcludedTables = excluded,
            PhaseDurations = phases, Duration = total.Elapsed - waited,
        };

        async Task Hook(string point, CancellationToken c)
        {
            await PausePoints.ReachedAsync(point, c).ConfigureAwait(false);
            if (o.FaultHook is not null) await o.FaultHook(point, c).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// Refuses production (or any database a marker records as a sync's source) as the destination, and an unmarked live
    /// database without -Force; true when live is marked. <paramref name="source"/> is an open connection to production.
    /// </summary>
    internal static async Task<bool> CheckLiveAsync(DbSyncOptions o, string targetBase, string server, string live, ServerIdentity sourceId,
        NpgsqlConnection source, ILogger log, CancellationToken ct)
    {
        await using var liveConn = await PgConnector.OpenAsync(targetBase, "staging", ct).ConfigureAwait(false);
        bool marked;
        try
        {
            var id = await ServerIdentity.ReadAsync(liveConn, ct).ConfigureAwait(false);
            StagingTargetGuard.EnsureNotSource(id, sourceId, o.Destination.ToString(), o.Source.ToString());
            await StagingTargetGuard.EnsureNotRecordedSourceAsync(liveConn, targetBase, id, o.Destination.ToString(), source, log, ct).ConfigureAwait(false);
            marked = await StagingMarker.IsMarkedAsync(liveConn).ConfigureAwait(false);
        }
        catch (PostgresException ex) { throw PgConnector.Translate(ex, targetBase, "staging"); }
        if (!marked && !o.Force)
            throw new StagingException("DestinationNotStaging", StagingErrorCategory.SecurityError,
                $"The destination database '{live}' on {server} exists but has no KojiStaging marker, so it may not be a staging copy. Use -Force to replace it.", live)
            { RecommendedAction = "Check that the destination really is the staging server, then repeat with -Force." };
        return marked;
    }

    private static async Task RunPostSyncSqlAsync(NpgsqlConnection conn, string file, ILogger log, CancellationToken ct)
    {
        log.LogInformation("Running post-sync SQL {File}", file);
        try
        {
            await conn.ExecuteAsync("SET search_path = public").ConfigureAwait(false);
            await conn.ExecuteAsync(new CommandDefinition(await File.ReadAllTextAsync(file, ct).ConfigureAwait(false), cancellationToken: ct, commandTimeout: 0)).ConfigureAwait(false);
        }
        catch (PostgresException ex)
        {
            throw new StagingException("PostSyncSqlFailed", StagingErrorCategory.InvalidData,
                $"The post-sync SQL file '{file}' failed: {ex.SqlState} {ex.MessageText}", file, ex);
        }
    }

    /// <summary>Row counts of <see cref="KeyTables"/> that exist in the database (the result's Builds, Rpms, …).</summary>
    internal static async Task<Dictionary<string, long>> CountAsync(NpgsqlConnection conn, CancellationToken ct)
    {
        var counts = new Dictionary<string, long>();
        foreach (var t in KeyTables)
            if (await conn.ExecuteScalarAsync<bool>($"SELECT to_regclass('public.{t}') IS NOT NULL").ConfigureAwait(false))
                counts[t] = await conn.ExecuteScalarAsync<long>(new CommandDefinition($"SELECT count(*) FROM public.{Ident.Quote(t)}", cancellationToken: ct, commandTimeout: 0)).ConfigureAwait(false);
        return counts;
    }

    /// <summary>Disposes whatever the callback names at the end of the scope (the snapshot variable is replaced once).</summary>
    private sealed class Releaser(Func<ValueTask> release) : IAsyncDisposable
    {
        public ValueTask DisposeAsync() => release();
    }
}
