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
        var postData = await SchemaLoader.LoadAsync(loader, snapshot, sourceCs, pgDump, ct).ConfigureAwait(false);
        phase("Data and indexes", 20);
        await loader.LoadAsync(plans, postData, workers, ct).ConfigureAwait(false);
        phase("Foreign keys", 85);
        await loader.ForeignKeysAsync(postData, false, workers, ct).ConfigureAwait(false);
        await loader.OtherAsync(postData, ct).ConfigureAwait(false);
    }
}
