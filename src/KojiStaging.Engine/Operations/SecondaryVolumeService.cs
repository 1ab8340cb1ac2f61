using KojiStaging.Engine.Files;
using System.Diagnostics;
using Dapper;
using KojiStaging.Engine.Database;
using KojiStaging.Engine.Diagnostics;
using KojiStaging.Engine.Koji;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace KojiStaging.Engine.Operations;

/// <summary>What the operator asked Set-KojiSecondaryVolume for.</summary>
public sealed record SecondaryVolumeRequest(
    KojiDatabaseConnection Connection,
    int? SyncedEvent = null,
    string Name = "prod",
    string TopDir = "/mnt/koji",
    string? Path = null,
    bool AllowWritable = false,
    bool CompatLinks = false,
    int SampleSize = 200);

/// <summary>
/// The secondary-volume strategy: check that production's tree is reachable at topdir/vol/NAME,
/// read-only and a Koji tree holding this database's builds; then, in one transaction, register the
/// volume, re-point the synced COMPLETE builds to it, expire the affected repos and record it in the
/// marker; optionally write Koji's compatibility links. Nothing changes before every check passed and
/// <c>confirm</c> (ShouldProcess) said yes; a second run finds nothing to do and says so.
/// </summary>
public sealed class SecondaryVolumeService
{
    /// <summary>Runs the strategy. <paramref name="confirm"/>(target, action) → false means "only tell" (-WhatIf): returns null.</summary>
    public async Task<SecondaryVolumeResult?> RunAsync(SecondaryVolumeRequest r, Func<string, string, bool> confirm, EngineScope scope)
    {
        var log = scope.Logger<SecondaryVolumeService>();
        var clock = Stopwatch.StartNew();
        var ct = scope.Cancellation;
        KojiVolumeName.Validate(r.Name);
        if (r.SampleSize < 0) throw new StagingException("SampleSizeInvalid", StagingErrorCategory.InvalidArgument, "-SampleSize must be 0 or more.");

        var top = new KojiPathInfo(System.IO.Path.GetFullPath(r.TopDir));
        if (!Directory.Exists(top.TopDir))
            throw new StagingException("TopDirNotFound", StagingErrorCategory.ObjectNotFound, $"The staging topdir '{top.TopDir}' does not exist.", top.TopDir);
        var volDir = top.VolumeDir(r.Name);
        var path = System.IO.Path.GetFullPath(r.Path ?? volDir).TrimEnd('/');
        Report(scope, "Checking the volume", path, 5);

        if (!Directory.Exists(path))
            throw new StagingException("VolumePathNotFound", StagingErrorCategory.ObjectNotFound, $"The volume path '{path}' does not exist.", path)
            { RecommendedAction = $"Mount production's topdir read-only at {volDir} (or elsewhere and give -Path)." };
        var mount = MountTable.Read().Find(path);
        var readOnly = mount?.ReadOnly ?? false;
        log.LogInformation("{Path} is on {MountPoint} ({FsType} from {Source}), {Mode}", path, mount?.MountPoint, mount?.FsType, mount?.Source, readOnly ? "read-only" : "writable");
        if (!readOnly && !r.AllowWritable)
            throw new StagingException("VolumeMountWritable", StagingErrorCategory.SecurityError,
                $"'{path}' is on a writable mount ({mount?.MountPoint ?? "?"}): staging could change production's files through it.", path)
            { RecommendedAction = $"Mount it read-only (mount -o remount,bind,ro {mount?.MountPoint ?? path}) or, for a throw-away copy, give -AllowWritable." };
        var needLink = VolumeLinkNeeded(volDir, path);

        await using var conn = await PgConnector.OpenAsync(r.Connection.ConnectionString, "staging", ct);
        await StagingTargetGuard.EnsureStagingAsync(conn, r.Connection.ConnectionString, r.Connection.ToString(), log, ct);
        if (!await KojiSchemaProbe.LooksLikeKojiAsync(conn, ct))
            throw new StagingException("DatabaseNotKoji", StagingErrorCategory.InvalidData,
                $"{r.Connection} has no Koji tables (events, build, volume): it is not a Koji database, so it has no volumes to set.", r.Connection.ToString());
        var synced = r.SyncedEvent ?? (await StagingSyncPoint.ResolveAsync(conn)).EventId;
        log.LogInformation("Synced event {Event}", synced);

        Report(scope, "Checking the volume", $"sampling {r.SampleSize} builds", 20);
        var sample = await VolumeRepointer.SampleAsync(conn, null, r.Name, synced, r.SampleSize);
        var tree = KojiTreeValidator.Check(path, sample, ct);
        if (tree.Missing > 0)
            log.LogWarning("{Missing} of {Sampled} sampled builds have no directory on the volume (for example {Example})", tree.Missing, tree.Sampled, tree.MissingExamples[0]);

        // One transaction from the plan to the commit: the plan the operator confirms is the one carried out.
        var createdLink = false;
        RepointOutcome outcome;
        await using (var tx = await conn.BeginTransactionAsync(ct))
        {
            try
            {
                var plan = await VolumeRepointer.LockAndPlanAsync(conn, tx, r.Name, synced);
                if (plan.VolumeId is null || plan.ToMove > 0 || needLink || r.CompatLinks)
                {
                    var action = $"register volume '{r.Name}' if absent, re-point {plan.ToMove} COMPLETE builds (created at or before event {synced}) to it, expire {plan.ToExpire.Repos} repos of {plan.ToExpire.Tags} tags (the builds' {plan.TagIds.Count} tags and the tags inheriting from them)"
                        + (needLink ? $", link {volDir} → {path}" : "") + (r.CompatLinks ? ", write compatibility links" : "");
                    if (!confirm(r.Connection.ToString(), action)) return null;
                }
                if (needLink)
                {
                    Directory.CreateDirectory(System.IO.Path.GetDirectoryName(volDir)!);
                    File.CreateSymbolicLink(volDir, path);
                    createdLink = true;
                    log.LogInformation("Linked {VolDir} to {Path}", volDir, path);
                }
                Report(scope, "Re-pointing builds", $"{plan.ToMove} builds", 40);
                outcome = await VolumeRepointer.ApplyAsync(conn, tx, plan, r.Name, synced, ct);
                if (outcome.VolumeCreated || outcome.Repointed > 0)
                {
                    await StagingMarker.EnsureTableAsync(conn, tx);
                    await StagingMarker.AppendAsync(conn, "volume", path, synced, new
                    {
                        volume = r.Name, volumeId = outcome.VolumeId, path, readOnly, volumeCreated = outcome.VolumeCreated,
                        buildsRepointed = outcome.Repointed, buildsSkippedByState = outcome.Plan.SkippedByState,
                        buildsNewerThanSync = outcome.Plan.NewerThanSync, reposExpired = outcome.ReposExpired, tagIds = outcome.Plan.TagIds,
                    }, tx);
                }
                await tx.CommitAsync(ct);
            }
            catch
            {
                if (createdLink) try { File.Delete(volDir); } catch (IOException) { }
                throw;
            }
        }
        log.LogInformation("The re-point UPDATE of {Moved} builds took {Seconds:0.00} s", outcome.Repointed, outcome.UpdateDuration.TotalSeconds);
        log.LogInformation("Volume {Volume} (id {Id}): {Moved} builds re-pointed, {Repos} repos expired", r.Name, outcome.VolumeId, outcome.Repointed, outcome.ReposExpired);

        long links = 0;
        if (r.CompatLinks)
        {
            Report(scope, "Compatibility links", top.TopDir + "/packages", 70);
            var total = await conn.ExecuteScalarAsync<long>("SELECT count(*) FROM build WHERE volume_id = @v", new { v = outcome.VolumeId });
            var writer = new CompatLinkWriter(top.TopDir, r.Name, log);
            var done = await writer.WriteAsync(VolumeRepointer.BuildsOnVolumeAsync(conn, outcome.VolumeId, ct), total, scope, !readOnly);
            links = done.Created + (done.TopLinkCreated ? 1 : 0);
            if (done.TopLinkProblem is not null) log.LogWarning("{Problem}", done.TopLinkProblem);
            if (done.Conflicts > 0) log.LogWarning("{Conflicts} build paths under {Top}/packages are in the way of compatibility links", done.Conflicts, top.TopDir);
        }

        var already = !outcome.VolumeCreated && outcome.Repointed == 0 && links == 0 && !createdLink;
        if (already) log.LogInformation("Nothing to change: volume {Volume} is registered and every synced COMPLETE build already points to it", r.Name);
        Report(scope, "Done", "", 100, completed: true);
        return new SecondaryVolumeResult
        {
            Volume = r.Name, VolumeId = outcome.VolumeId, Path = path, TopDir = top.TopDir, ReadOnlyMount = readOnly, MountPoint = mount?.MountPoint,
            SyncedEvent = synced, BuildsRepointed = outcome.Repointed, BuildsSkippedByState = outcome.Plan.SkippedByState,
            BuildsNewerThanSync = outcome.Plan.NewerThanSync, BuildsSampled = tree.Sampled, BuildsMissingOnVolume = tree.Missing,
            ReposExpired = outcome.ReposExpired, TagsAffected = outcome.TagsAffected, LinksCreated = links + (createdLink ? 1 : 0),
            VolumeRegistered = outcome.VolumeCreated, AlreadyDone = already, RepointDuration = outcome.UpdateDuration, Duration = clock.Elapsed, Connection = r.Connection,
        };
    }

    /// <summary>True when topdir/vol/NAME must be created as a link to <paramref name="path"/>; throws when something else is there.</summary>
    private static bool VolumeLinkNeeded(string volDir, string path)
    {
        if (volDir == path) return false;
        var info = new FileInfo(volDir);
        if (info.LinkTarget is null && !Directory.Exists(volDir) && !info.Exists) return true;
        if (MountTable.RealPath(volDir) == MountTable.RealPath(path)) return false;
        throw new StagingException("VolumeDirConflict", StagingErrorCategory.ResourceExists,
            $"{volDir} already exists and does not lead to {path}" + (info.LinkTarget is { } t ? $" (it links to {t})." : "."), volDir)
        { RecommendedAction = $"Remove or fix {volDir}, or give -Path {volDir}." };
    }

    private static void Report(EngineScope scope, string activity, string status, int percent, bool completed = false) =>
        scope.Progress.Report(new StagingProgress(1, "Set-KojiSecondaryVolume", activity + (status.Length > 0 ? ": " + status : ""), percent, Completed: completed));
}
