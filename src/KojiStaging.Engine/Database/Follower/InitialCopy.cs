using Dapper;
using KojiStaging.Engine.Database.Sync;
using KojiStaging.Engine.Diagnostics;

namespace KojiStaging.Engine.Database.Follower;

/// <summary>
/// The follower's initial copy, in the slot's snapshot: pg_dump's schema without publications or subscriptions
/// (a follower must not re-publish production, nor subscribe a second time), then the stream sync's parallel COPY with
/// only the at-source rules (no sessions, no secrets), indexes, keys and sequences. Rows keep production's values
/// otherwise: states are sanitised in each clone, never in the follower, which replication keeps equal to production.
/// </summary>
public static class InitialCopy
{
    public static readonly string[] DumpArguments = { "--no-publications", "--no-subscriptions" };

    public static async Task RunAsync(SourceSnapshot snapshot, string sourceCs, string followerCs, int workers, EngineScope scope, Action<string, int> phase, CancellationToken ct)
    {
        workers = Math.Max(1, workers);
        Task Hook(string point, CancellationToken c) => PausePoints.ReachedAsync("follower:" + point, c);
        await Hook("snapshot", ct).ConfigureAwait(false);
        var pgDump = PgVersionSupport.FindPgDump(snapshot.ServerVersionNum);
        var tables = await SourceCatalog.ReadTablesAsync(snapshot.Connection, ct).ConfigureAwait(false);
        var plans = CopyPlanner.Plan(tables, FollowerRules.AtSource(SanitizeRules.All), Array.Empty<string>(), workers, snapshot.SyncedEvent);
        var loader = new ParallelLoader(snapshot, followerCs, scope, Hook);
        phase("Schema", 10);
        var pre = SchemaDump.DumpAsync(sourceCs, snapshot.SnapshotId, "pre-data", DumpArguments, ct, pgDump);
        var post = SchemaDump.DumpAsync(sourceCs, snapshot.SnapshotId, "post-data", DumpArguments, ct, pgDump);
        IReadOnlyList<PostDataItem> postData;
        await using (var conn = await loader.OpenTargetAsync(ct).ConfigureAwait(false))
        {
            var known = (await conn.QueryAsync<string>("SELECT name FROM pg_settings").ConfigureAwait(false)).ToHashSet(StringComparer.Ordinal);
            await conn.ExecuteAsync(new CommandDefinition(PgVersionSupport.ForTarget(await pre.ConfigureAwait(false), known), cancellationToken: ct)).ConfigureAwait(false);
            var sequences = await SourceCatalog.ReadSequencesAsync(snapshot.Connection, ct).ConfigureAwait(false);
            foreach (var s in sequences.Where(s => s.LastValue is not null))
                await conn.ExecuteAsync(new CommandDefinition($"SELECT pg_catalog.setval({Ident.Literal(s.QualifiedName)}, {s.LastValue}, true)", cancellationToken: ct)).ConfigureAwait(false);
            var keys = await SourceCatalog.ReadKeyIndexesAsync(snapshot.Connection, ct).ConfigureAwait(false);
            postData = KeyIndexSplitter.Split(SchemaDump.ParsePostData(await post.ConfigureAwait(false)), keys);
        }
        phase("Data and indexes", 20);
        await loader.LoadAsync(plans, postData, workers, ct).ConfigureAwait(false);
        phase("Foreign keys", 85);
        await loader.ForeignKeysAsync(postData, false, workers, ct).ConfigureAwait(false);
        await loader.OtherAsync(postData, ct).ConfigureAwait(false);
    }
}
