using System.Diagnostics;
using Dapper;
using KojiStaging.Engine.Database.Sync;
using KojiStaging.Engine.Diagnostics;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace KojiStaging.Engine.Database.Follower;

/// <summary>
/// Enable-KojiStagingFollower's engine: checks production's side (wal_level, the role, the publications the DBA made or
/// the role may make), creates the slot, copies production into the follower database in the slot's exported snapshot
/// (the stream sync's parallel copy, with the secrets left out), then subscribes from the slot. Any failure removes
/// what it made: the follower database, the subscription and the slot.
/// </summary>
public sealed class FollowerBuilder
{
    public async Task<FollowerStatus?> RunAsync(FollowerOptions o, EngineScope scope)
    {
        var log = scope.Logger<FollowerBuilder>();
        var ct = scope.Cancellation;
        var live = o.Destination.Database;
        GenerationNames.Validate(live);
        var names = FollowerNames.For(live, o.Name);
        var sourceCs = new NpgsqlConnectionStringBuilder(o.Source.SourceConnectionString) { CommandTimeout = 0, Pooling = false }.ConnectionString;
        var stagingCs = new NpgsqlConnectionStringBuilder(o.Destination.ConnectionString) { CommandTimeout = 0, Pooling = false, Database = "postgres" }.ConnectionString;
        var server = $"{o.Destination.Host}:{o.Destination.Port}";
        void Phase(string what, int pct) => scope.Progress.Report(new StagingProgress(1, $"Enable-KojiStagingFollower {server}/{names.FollowerDatabase}", what, pct));

        Phase("Checking production", 0);
        await using var prod = await PgConnector.OpenAsync(sourceCs, "source", ct).ConfigureAwait(false);
        await ProductionChecks.RequireAsync(prod, o.Source.ToString(), ct).ConfigureAwait(false);
        var plan = await PlanAsync(prod, names, ct).ConfigureAwait(false);
        var finding = await PublicationInspector.CompareAsync(prod, plan, ct).ConfigureAwait(false);
        var createPublications = finding.Missing && await PublicationInspector.RoleMayCreateAsync(prod, plan, ct).ConfigureAwait(false);
        if (finding.Missing && !createPublications)
            throw new StagingException("FollowerPublicationMissing", StagingErrorCategory.PermissionDenied,
                $"Production has no publication {names.Publication}, and this role may not create it (it must own the published tables, and the module uses no superuser on production). " +
                $"Have the DBA run, as the tables' owner:\n{string.Join("\n", plan.CreateSql())}", names.Publication)
            { RecommendedAction = "Get-KojiStagingFollowerSetup prints the full setup for production's DBA." };
        if (!finding.Missing && !finding.Matches)
            throw new StagingException("FollowerPublicationMismatch", StagingErrorCategory.InvalidData,
                $"Production's publication {names.Publication} differs from the plan ({string.Join("; ", finding.Differences)}). Have the DBA replace it:\n" +
                $"{string.Join("\n", plan.DropSql())}\n{string.Join("\n", plan.CreateSql())}", names.Publication);

        await using var staging = await PgConnector.OpenAsync(stagingCs, "staging", ct).ConfigureAwait(false);
        var exists = await staging.ExecuteScalarAsync<bool>(new CommandDefinition("SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = @d)", new { d = names.FollowerDatabase }, cancellationToken: ct)).ConfigureAwait(false);
        var slotExists = await prod.ExecuteScalarAsync<bool>(new CommandDefinition("SELECT EXISTS (SELECT 1 FROM pg_replication_slots WHERE slot_name = @s)", new { s = names.Slot }, cancellationToken: ct)).ConfigureAwait(false);
        if (exists && !await FollowerRemover.IsFollowerAsync(stagingCs, names.FollowerDatabase, ct).ConfigureAwait(false))
            throw new StagingException("FollowerDatabaseNotOurs", StagingErrorCategory.ResourceExists,
                $"The database {names.FollowerDatabase} on {server} exists but has no follower marker: the module did not make it and will not replace it. Rename or drop it first, or pick another live name.", names.FollowerDatabase);
                if ((exists || slotExists) && !o.Force)
            throw new StagingException("FollowerExists", StagingErrorCategory.ResourceExists,
                $"A follower already exists ({(exists ? $"database {names.FollowerDatabase} on {server}" : "")}{(exists && slotExists ? ", " : "")}{(slotExists ? $"slot {names.Slot} on production" : "")}). Use -Force to re-create it.", names.FollowerDatabase);
        var what = new List<string>();
        if (exists || slotExists) what.Add($"remove the existing follower ({names.FollowerDatabase}, its subscription and slot {names.Slot})");
        if (createPublications) what.AddRange(plan.CreateSql().Select(s => "on production: " + s.Split('\n')[0] + " …"));
        what.Add($"on production: create logical replication slot {names.Slot}");
        what.Add($"on {server}: create database {names.FollowerDatabase}, copy {plan.Tables.Count} tables in the slot's snapshot (not copied: {string.Join(", ", plan.Unpublished.Select(u => u.Table).DefaultIfEmpty("none"))}; left out: {string.Join(", ", plan.Tables.SelectMany(t => t.SecretColumns.Select(c => t.Table.Name + "." + c)).DefaultIfEmpty("none"))})");
        what.Add($"subscribe {names.Subscription} to {string.Join(", ", plan.PublicationNames)}");
        if (o.Approve is not null && !await o.Approve(string.Join("; ", what)).ConfigureAwait(false)) return null;

        if (exists || slotExists) await new FollowerRemover().RemoveAsync(prod, staging, stagingCs, names, log, ct).ConfigureAwait(false);
        if (createPublications)
        {
            await PublicationInspector.CreateAsync(prod, plan, ct).ConfigureAwait(false);
            log.LogInformation("Created publication(s) {Publications} on production", string.Join(", ", plan.PublicationNames));
        }
        var sw = Stopwatch.StartNew();
        var created = false;
        try
        {
            var locale = await prod.QuerySingleAsync<(string enc, string collate, string ctype)>(new CommandDefinition(
                "SELECT pg_encoding_to_char(encoding), datcollate, datctype FROM pg_database WHERE datname = current_database()", cancellationToken: ct)).ConfigureAwait(false);
            var swapper = new GenerationSwapper(staging, stagingCs, live, log);
            await swapper.CreateAsync(names.FollowerDatabase, locale.enc, locale.collate, locale.ctype, ct).ConfigureAwait(false);
            created = true;
            // Marked before anything is copied, so a follower left half-built by a kill is recognised as the module's and replaced by -Force.
            await using (var fresh = await PgConnector.OpenAsync(PgConnectionFactory.WithDatabase(stagingCs, names.FollowerDatabase), "staging", ct).ConfigureAwait(false))
            {
                await StagingMarker.EnsureTableAsync(fresh).ConfigureAwait(false);
                await StagingMarker.AppendAsync(fresh, "follower", o.Source.ToString(), null, new { state = "copying", slot = names.Slot, live }).ConfigureAwait(false);
            }
            Phase("Creating the slot", 5);
            int syncedEvent;
            await using (var slot = await FollowerSlot.CreateAsync(sourceCs, names.Slot, ct).ConfigureAwait(false))
            {
                log.LogInformation("Slot {Slot} created at {Lsn}, snapshot {Snapshot}", slot.Name, slot.ConsistentPoint, slot.SnapshotName);
                await using var snapshot = await SourceSnapshot.OpenAsync(sourceCs, ct, slot.SnapshotName).ConfigureAwait(false);
                syncedEvent = snapshot.SyncedEvent;
                await InitialCopy.RunAsync(snapshot, sourceCs, PgConnectionFactory.WithDatabase(stagingCs, names.FollowerDatabase), o.ThrottleLimit, scope, Phase, ct).ConfigureAwait(false);
            }
            await using var follower = await PgConnector.OpenAsync(PgConnectionFactory.WithDatabase(stagingCs, names.FollowerDatabase), "staging", ct).ConfigureAwait(false);
            await StagingMarker.AppendAsync(follower, "follower", o.Source.ToString(), syncedEvent, new
            {
                state = "subscribed", slot = names.Slot, publications = plan.PublicationNames, subscription = names.Subscription, live,
                insertOnly = plan.InsertOnly.Select(t => t.Table.DisplayName).ToArray(), unpublished = plan.Unpublished.Select(u => u.Table).ToArray(),
                leftOut = plan.Tables.SelectMany(t => t.SecretColumns.Select(c => t.Table.Name + "." + c)).ToArray(),
            }).ConfigureAwait(false);
            Phase("Subscribing", 95);
            await FollowerSubscription.CreateAsync(follower, names, plan.PublicationNames, FollowerSubscription.PublisherConnInfo(sourceCs), ct).ConfigureAwait(false);
            log.LogInformation("Follower {Database} copied at event {Event} and subscribed in {Seconds:F1}s", names.FollowerDatabase, syncedEvent, sw.Elapsed.TotalSeconds);
        }
        catch (Exception ex) when (created || ex is not StagingException)
        {
            log.LogWarning("Enabling the follower failed; removing what was made: {Message}", ex.Message);
            try { await new FollowerRemover().RemoveAsync(prod, staging, stagingCs, names, log, CancellationToken.None, dropPublications: createPublications).ConfigureAwait(false); }
            catch (Exception cleanup) { log.LogWarning("Cleaning up failed: {Message}", cleanup.Message); }
            throw;
        }
        // The launcher starts the apply worker moments after CREATE SUBSCRIPTION: report the state it reaches, not the gap.
        for (var i = 0; i < 100 && (await FollowerSubscription.FindAsync(staging, names.FollowerDatabase, ct).ConfigureAwait(false))?.WorkerPid is null; i++)
            await Task.Delay(100, ct).ConfigureAwait(false);
        scope.Progress.Report(new StagingProgress(1, $"Enable-KojiStagingFollower {server}/{names.FollowerDatabase}", "done", 100, Completed: true));
        var status = await FollowerStatusReader.ReadAsync(prod, staging, stagingCs, o, names, new FollowerBounds(), ct).ConfigureAwait(false);
        return status with { SetupDuration = sw.Elapsed };
    }

    /// <summary>The publication plan for production as it is now.</summary>
    /// <param name="fullIdentity">Tables to plan as if the DBA had given them REPLICA IDENTITY FULL ("schema.table").</param>
    public static async Task<PublicationPlan> PlanAsync(NpgsqlConnection prod, FollowerNames names, CancellationToken ct, IReadOnlyCollection<string>? fullIdentity = null)
    {
        var tables = await SourceCatalog.ReadTablesAsync(prod, ct).ConfigureAwait(false);
        var identities = (await ReplicaIdentity.ReadAsync(prod, ct).ConfigureAwait(false)).ToDictionary(x => x.Key, x => x.Value);
        foreach (var t in tables.Where(t => fullIdentity?.Contains(t.Key) == true)) identities[t.Key] = new ReplicaIdentity(t.Key, 'f', t.Columns);
        return PublicationPlanner.Plan(names, tables, identities, SanitizeRules.All);
    }
}
