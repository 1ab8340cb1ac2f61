using Dapper;
using KojiStaging.Engine.Database;
using KojiStaging.Engine.Diagnostics;
using Npgsql;

namespace KojiStaging.Engine.Koji;

/// <summary>What a re-point would do (read inside the transaction that does it, or alone for -WhatIf).</summary>
public sealed record RepointPlan(
    int DefaultVolumeId,
    int? VolumeId,
    long ToMove,
    IReadOnlyDictionary<string, long> SkippedByState,
    long NewerThanSync,
    IReadOnlyList<int> TagIds)
{
    /// <summary>INIT/READY repos the re-point will expire, and the distinct tags they belong to (the builds' tags and their inheritors).</summary>
    public (long Repos, int Tags) ToExpire { get; init; }
}

/// <summary>What a re-point did.</summary>
public sealed record RepointOutcome(RepointPlan Plan, int VolumeId, bool VolumeCreated, long Repointed, long ReposExpired, TimeSpan UpdateDuration)
{
    /// <summary>Distinct tags whose repos were expired (the re-pointed builds' tags and those inheriting from them).</summary>
    public int TagsAffected { get; init; }
}

/// <summary>
/// The database half of the secondary-volume strategy, all in the caller's transaction: register the
/// volume, move COMPLETE builds created at or before the synced event from DEFAULT to it with one
/// set-based UPDATE (the same statement an operator would write by hand, so it costs what a bare
/// UPDATE costs), and expire the INIT/READY repos of every tag that lists a moved build, and of the
/// tags that inherit from those, so kojira regenerates them (the hub's changeBuildVolume records a
/// VOLUME_CHANGE for the same reason).
/// </summary>
public static class VolumeRepointer
{
    /// <summary>Serialises concurrent runs against one database.</summary>
    private const long LockKey = 0x6b6f6a69766f6c; // "kojivol"

    public static async Task<RepointPlan> PlanAsync(NpgsqlConnection conn, NpgsqlTransaction tx, string volume, int syncedEvent)
    {
        var def = await conn.ExecuteScalarAsync<int?>("SELECT id FROM volume WHERE name = @n", new { n = KojiPathInfo.DefaultVolume }, tx)
            ?? throw new StagingException("KojiSchemaUnexpected", StagingErrorCategory.InvalidData,
                "The database has no DEFAULT volume: is it a Koji database?");
        var vol = await conn.ExecuteScalarAsync<int?>("SELECT id FROM volume WHERE name = @volume", new { volume }, tx);

        var rows = await conn.QueryAsync<(int state, bool synced, long n)>(
            "SELECT state, create_event <= @ev AS synced, count(*) FROM build WHERE volume_id = @def GROUP BY 1, 2",
            new { def, ev = syncedEvent }, tx);
        long toMove = 0, newer = 0;
        var skipped = new SortedDictionary<string, long>(StringComparer.Ordinal);
        foreach (var (state, synced, n) in rows)
        {
            if (!synced) newer += n;
            else if (state == KojiBuildStates.Complete) toMove += n;
            else skipped[KojiBuildStates.Name(state)] = skipped.GetValueOrDefault(KojiBuildStates.Name(state)) + n;
        }

        var tags = toMove == 0 ? new List<int>() : (await conn.QueryAsync<int>("""
            SELECT DISTINCT tl.tag_id FROM tag_listing tl JOIN build b ON b.id = tl.build_id
            WHERE tl.active AND b.volume_id = @def AND b.state = @complete AND b.create_event <= @ev
            ORDER BY 1
            """, new { def, complete = KojiBuildStates.Complete, ev = syncedEvent }, tx)).ToList();
        var toExpire = tags.Count == 0 ? (0L, 0) : await conn.QuerySingleAsync<(long, int)>(
            AffectedTags + "SELECT count(*), count(DISTINCT tag_id)::int FROM repo WHERE state IN (@init, @ready) AND tag_id IN (SELECT tag_id FROM affected)",
            new { tags = tags.ToArray(), init = KojiBuildStates.RepoInit, ready = KojiBuildStates.RepoReady }, tx);
        return new RepointPlan(def, vol, toMove, skipped, newer, tags) { ToExpire = toExpire };
    }

    /// <summary>Takes the per-database lock that serialises runs, then reads the plan inside the caller's transaction.</summary>
    public static async Task<RepointPlan> LockAndPlanAsync(NpgsqlConnection conn, NpgsqlTransaction tx, string volume, int syncedEvent)
    {
        await conn.ExecuteAsync("SELECT pg_advisory_xact_lock(@k)", new { k = LockKey }, tx);
        return await PlanAsync(conn, tx, volume, syncedEvent);
    }

    /// <summary>Carries out <paramref name="plan"/> (read by <see cref="LockAndPlanAsync"/> in the same transaction).</summary>
    public static async Task<RepointOutcome> ApplyAsync(NpgsqlConnection conn, NpgsqlTransaction tx, RepointPlan plan, string volume, int syncedEvent, CancellationToken ct)
    {
        var created = plan.VolumeId is null;
        var volId = plan.VolumeId ?? await conn.ExecuteScalarAsync<int>("INSERT INTO volume (name) VALUES (@volume) RETURNING id", new { volume }, tx);
        ct.ThrowIfCancellationRequested();

        long moved = 0, expired = 0;
        var tags = 0;
        var update = TimeSpan.Zero;
        if (plan.ToMove > 0)
        {
            var clock = System.Diagnostics.Stopwatch.StartNew();
            moved = await conn.ExecuteAsync(new CommandDefinition(
                "UPDATE build SET volume_id = @vol WHERE volume_id = @def AND state = @complete AND create_event <= @ev",
                new { vol = volId, def = plan.DefaultVolumeId, complete = KojiBuildStates.Complete, ev = syncedEvent }, tx,
                commandTimeout: 0, cancellationToken: ct));
            update = clock.Elapsed;
            (expired, tags) = await ExpireReposAsync(conn, tx, plan.TagIds, ct);
        }
        return new RepointOutcome(plan, volId, created, moved, expired, update) { TagsAffected = tags };
    }

    /// <summary>The tags @tags and every tag that (currently) inherits from them, as the CTE "affected".</summary>
    private const string AffectedTags = """
        WITH RECURSIVE affected(tag_id) AS (
            SELECT unnest(@tags)
            UNION
            SELECT ti.tag_id FROM tag_inheritance ti JOIN affected a ON ti.parent_id = a.tag_id WHERE ti.active
        )

        """;

    /// <summary>
    /// INIT/READY repos of <paramref name="tagIds"/> and of every tag that (currently) inherits from them → EXPIRED;
    /// repo.state_time (Koji 1.35 and later) records when, as the hub's repo_set_state does. Answers the repos expired
    /// and the distinct tags they belong to.
    /// </summary>
    public static async Task<(long Repos, int Tags)> ExpireReposAsync(NpgsqlConnection conn, NpgsqlTransaction tx, IReadOnlyList<int> tagIds, CancellationToken ct)
    {
        if (tagIds.Count == 0) return (0, 0);
        var stateTime = (await KojiCatalog.ReadAsync(conn, tx, ct)).HasColumn("repo", "state_time") ? ", state_time = now()" : "";
        return await conn.QuerySingleAsync<(long, int)>(new CommandDefinition(AffectedTags + $"""
            , expired AS (
                UPDATE repo SET state = @expired{stateTime}
                WHERE state IN (@init, @ready) AND tag_id IN (SELECT tag_id FROM affected)
                RETURNING tag_id
            )
            SELECT count(*), count(DISTINCT tag_id)::int FROM expired
            """, new { tags = tagIds.ToArray(), expired = KojiBuildStates.RepoExpired, init = KojiBuildStates.RepoInit, ready = KojiBuildStates.RepoReady },
            tx, commandTimeout: 0, cancellationToken: ct));
    }

    /// <summary>A random sample of the COMPLETE builds the volume is to serve (those to move and those already on it).</summary>
    public static async Task<IReadOnlyList<BuildNvr>> SampleAsync(NpgsqlConnection conn, NpgsqlTransaction? tx, string volume, int syncedEvent, int size) =>
        size <= 0 ? Array.Empty<BuildNvr>() : (await conn.QueryAsync<BuildNvr>("""
            SELECT b.id AS Id, p.name AS Name, b.version AS Version, b.release AS Release
            FROM build b JOIN package p ON p.id = b.pkg_id JOIN volume v ON v.id = b.volume_id
            WHERE b.state = @complete AND b.create_event <= @ev AND v.name IN ('DEFAULT', @volume)
            ORDER BY random() LIMIT @size
            """, new { complete = KojiBuildStates.Complete, ev = syncedEvent, volume, size }, tx)).ToList();

    /// <summary>Every build on the volume, streamed (for the compatibility links).</summary>
    public static IAsyncEnumerable<BuildNvr> BuildsOnVolumeAsync(NpgsqlConnection conn, int volumeId, CancellationToken ct) =>
        conn.QueryUnbufferedAsync<BuildNvr>("""
            SELECT b.id AS Id, p.name AS Name, b.version AS Version, b.release AS Release
            FROM build b JOIN package p ON p.id = b.pkg_id WHERE b.volume_id = @volumeId ORDER BY b.id
            """, new { volumeId });
}
