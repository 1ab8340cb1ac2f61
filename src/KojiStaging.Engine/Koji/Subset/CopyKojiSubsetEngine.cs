using System.Diagnostics;
using Dapper;
using KojiStaging.Engine.Database;
using KojiStaging.Engine.Diagnostics;
using KojiStaging.Engine.Files;
using KojiStaging.Engine.Koji.Hub;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace KojiStaging.Engine.Koji.Subset;

/// <summary>What Copy-KojiSubset was asked to do.</summary>
public sealed record CopyKojiSubsetRequest
{
    /// <summary>Prod's hub (for the marker and messages; the calls go through <see cref="HubClient"/>).</summary>
    public required string HubDisplay { get; init; }
    public required IKojiHub HubClient { get; init; }
    public Uri? TopUrl { get; init; }
    public string? SourceTopDir { get; init; }
    public required KojiDatabaseConnection Destination { get; init; }
    public required string TopDir { get; init; }
    public required SubsetOptions Options { get; init; }
    public int ThrottleLimit { get; init; } = 8;
    public FileLinkMode LinkMode { get; init; } = FileLinkMode.Reflink;
    /// <summary>Report what would be copied and change nothing.</summary>
    public bool WhatIf { get; init; }
    /// <summary>For tests: the HTTP handler of the file download client.</summary>
    public HttpMessageHandler? FileHandler { get; init; }
    /// <summary>For tests: runs inside the write transaction after the rows, before the marker and the commit (inject a failure there).</summary>
    public Func<Npgsql.NpgsqlConnection, Npgsql.NpgsqlTransaction, Task>? AfterRowsWritten { get; init; }
}

/// <summary>One build of the subset, as Copy-KojiSubset reports it.</summary>
public sealed record KojiSubsetBuild(string Nvr, int Id, int Rpms, int SignedCopies, long Bytes, bool Skipped, int Event);

/// <summary>Totals of one Copy-KojiSubset run (-Summary).</summary>
public sealed record KojiSubsetSummary(string[] Tags, string[] ClosureTags, int Event, int Builds, int BuildsCopied, int Rows,
    int Files, int FilesCopied, long Bytes, int RoundTrips, TimeSpan Duration, bool WhatIf, string Hub, string Destination);

public sealed record CopyKojiSubsetResult(IReadOnlyList<KojiSubsetBuild> Builds, KojiSubsetSummary Summary);

/// <summary>
/// The koji snapshotter: reads the closure of some tags through prod's hub at one event
/// (<see cref="SubsetClosureReader"/>), brings the RPMs and signed copies into the staging tree
/// (<see cref="RpmFileFetcher"/>: verified files only, under their real names), then writes the rows
/// into the staging database in one transaction (<see cref="StagingSubsetWriter"/>) with a 'subset'
/// marker and a 'sync' entry (the subset's event is the synced point Test-KojiStaging and
/// Set-KojiSecondaryVolume read). Files go first, so the database never names a file the tree lacks;
/// a failure before the commit leaves the database as it was and takes away the files this run put
/// in place (one outcome per run). -WhatIf runs the write in a transaction that is rolled back.
/// </summary>
public sealed class CopyKojiSubsetEngine
{
    public async Task<CopyKojiSubsetResult> RunAsync(CopyKojiSubsetRequest req, EngineScope scope)
    {
        var ct = scope.Cancellation;
        var log = scope.Logger<CopyKojiSubsetEngine>();
        var clock = Stopwatch.StartNew();
        if ((req.TopUrl is null) == (req.SourceTopDir is null))
            throw new StagingException("SubsetSourceMissing", StagingErrorCategory.InvalidArgument,
                "Name where prod's files come from: -TopUrl (HTTP) or -SourceTopDir (a path), exactly one of them.");
        if (req.SourceTopDir is not null && !Directory.Exists(Path.Combine(req.SourceTopDir, "packages")))
            throw new StagingException("SourceTopDirInvalid", StagingErrorCategory.ObjectNotFound,
                $"'{req.SourceTopDir}' does not look like a Koji topdir (no packages/ folder).", req.SourceTopDir);

        // The destination must be a Koji schema and a marked staging database (StagingTargetGuard): checked before reading prod.
        HashSet<int> stagingBuilds;
        await using (var check = await PgConnector.OpenAsync(req.Destination.ConnectionString, "staging", ct).ConfigureAwait(false))
        {
            await CheckDestinationAsync(check, req, log, ct).ConfigureAwait(false);
            stagingBuilds = (await check.QueryAsync<int>("SELECT id FROM build").ConfigureAwait(false)).ToHashSet();
        }

        var startTrips = req.HubClient.RoundTrips;
        var snapshot = await new SubsetClosureReader(req.HubClient).ReadAsync(req.Options, scope, stagingBuilds).ConfigureAwait(false);
        log.LogInformation("Closure at event {Event}: {Builds} builds, {Rows} rows, tags {Tags}", snapshot.Event, snapshot.Builds.Count,
            snapshot.RowCount, string.Join(", ", snapshot.ClosureTags));
        await PausePoints.ReachedAsync("subset:closure-read", ct).ConfigureAwait(false);

        await using var conn = await PgConnector.OpenAsync(StagingSubsetWriter.WithErrorDetail(req.Destination.ConnectionString), "staging", ct).ConfigureAwait(false);
        var lastEvent = (await StagingMarker.ReadAsync(conn, "subset").ConfigureAwait(false)).Select(m => m.EventId ?? 0).DefaultIfEmpty(0).Max();
        if (snapshot.Event < lastEvent)
            throw new StagingException("SubsetEventBehind", StagingErrorCategory.InvalidOperation,
                $"Staging already holds a subset as of prod event {lastEvent}; copying at the older event {snapshot.Event} would mix two points in time.", snapshot.Event);
        var present = stagingBuilds;

        var files = PlanFiles(snapshot);
        using var source = req.TopUrl is not null ? RpmFileSource.FromTopUrl(req.TopUrl, req.FileHandler) : RpmFileSource.FromTopDir(req.SourceTopDir!, req.LinkMode);
        var fetcher = new RpmFileFetcher(source, req.TopDir, req.ThrottleLimit);
        IReadOnlyList<RpmFileResult> fileResults;
        SubsetWriteStats stats;
        try
        {
            if (req.WhatIf)
                fileResults = files.Select(f => new RpmFileResult(f, fetcher.IsPresent(f) ? FetchMethod.Skipped : FetchMethod.Copied,
                    fetcher.IsPresent(f) ? 0 : f.EstimatedBytes, 0)).ToList();
            else
            {
                Directory.CreateDirectory(req.TopDir);
                fileResults = await fetcher.FetchAllAsync(files, scope).ConfigureAwait(false);
                await PausePoints.ReachedAsync("subset:files-fetched", ct).ConfigureAwait(false);
            }

            scope.Progress.Report(new StagingProgress(30, "Writing staging rows", $"{snapshot.RowCount} rows", 0));
            await using var tx = await conn.BeginTransactionAsync(ct).ConfigureAwait(false);
            stats = await StagingSubsetWriter.WriteAsync(conn, tx, snapshot, ct, bumpSequences: !req.WhatIf).ConfigureAwait(false);
            if (req.AfterRowsWritten is { } hook) await hook(conn, tx).ConfigureAwait(false);
            if (!req.WhatIf) await PausePoints.ReachedAsync("subset:rows-written", ct).ConfigureAwait(false);
            if (req.WhatIf) await tx.RollbackAsync(ct).ConfigureAwait(false);
            else
            {
                await StagingMarker.EnsureTableAsync(conn, tx).ConfigureAwait(false);
                await StagingMarker.AppendAsync(conn, "subset", req.HubDisplay, snapshot.Event, new
                {
                    hub = req.HubDisplay, @event = snapshot.Event, tags = snapshot.Tags, closure = snapshot.ClosureTags,
                    options = new { req.Options.Inherit, req.Options.Latest, sigkeys = req.Options.SigKeys, arches = req.Options.Arches, packages = req.Options.Packages },
                    files = req.TopUrl?.GetLeftPart(UriPartial.Path) ?? req.SourceTopDir, builds = snapshot.Builds.Count, rows = stats.Total,
                }, tx).ConfigureAwait(false);
                // The synced point: what Test-KojiStaging (SyncedEvent), Get-KojiStagingStatus and Set-KojiSecondaryVolume read.
                await StagingMarker.AppendAsync(conn, "sync", req.HubDisplay, snapshot.Event, new
                {
                    strategy = "subset", @event = snapshot.Event, tags = snapshot.Tags, sequenceStart = Math.Max(snapshot.ProdNewestTask, snapshot.Event) + StagingSubsetWriter.SequenceOffset,
                }, tx).ConfigureAwait(false);
                await tx.CommitAsync(ct).ConfigureAwait(false);
            }
        }
        catch (Exception ex)
        {
            var removed = RemoveWritten(req.TopDir, fetcher.Written);
            if (removed > 0) log.LogWarning("The run failed: removed the {Count} files it had put in place", removed);
            if (ex is PostgresException pg) throw StagingSubsetWriter.Explain(pg);
            if (ex is StagingException { ErrorId: RpmFileFetcher.DestinationFullId } full)
                throw new StagingException(full.ErrorId, full.Category,
                    $"{full.Message} The staging database is unchanged; the {removed} files this run had put in place were removed " +
                    $"({fetcher.Written.Count - removed} could not be).", full.Target, full) { RecommendedAction = full.RecommendedAction };
            throw;
        }
        await PausePoints.ReachedAsync("subset:committed", ct).ConfigureAwait(false);
        scope.Progress.Report(new StagingProgress(30, "Writing staging rows", "done", 100, Completed: true));

        var byBuild = fileResults.GroupBy(r => BuildOf(r.Request.RelativePath)).ToDictionary(g => g.Key, g => g.ToList());
        var builds = snapshot.Builds.Select(b =>
        {
            var mine = byBuild.GetValueOrDefault(BuildDirOf(b)) ?? new List<RpmFileResult>();
            var copied = mine.Where(r => r.Method is not (FetchMethod.Skipped or FetchMethod.Missing)).ToList();
            return new KojiSubsetBuild(b.Nvr, b.Id, b.Rpms.Count, mine.Count(r => r.Request.RelativePath.Contains("/data/signed/") && r.Method != FetchMethod.Missing),
                copied.Sum(r => r.Bytes), present.Contains(b.Id) && copied.Count == 0, snapshot.Event);
        }).ToList();
        var summary = new KojiSubsetSummary(snapshot.Tags.ToArray(), snapshot.ClosureTags.ToArray(), snapshot.Event, builds.Count,
            builds.Count(b => !b.Skipped), stats.Total, fileResults.Count(r => r.Method != FetchMethod.Missing),
            fileResults.Count(r => r.Method is not (FetchMethod.Skipped or FetchMethod.Missing)), fileResults.Sum(r => r.Bytes),
            req.HubClient.RoundTrips - startTrips, clock.Elapsed, req.WhatIf, req.HubDisplay, req.Destination.ToString());
        log.LogInformation("Subset {What}: {Builds} builds ({Copied} new), {Rows} rows, {Files} files, {Bytes} bytes, {Trips} hub round trips, {Seconds:F1}s",
            req.WhatIf ? "(what if)" : "copied", summary.Builds, summary.BuildsCopied, summary.Rows, summary.FilesCopied, summary.Bytes, summary.RoundTrips,
            summary.Duration.TotalSeconds);
        return new CopyKojiSubsetResult(builds, summary);
    }

    private static async Task CheckDestinationAsync(Npgsql.NpgsqlConnection conn, CopyKojiSubsetRequest req, ILogger log, CancellationToken ct)
    {
        var hasSchema = await conn.ExecuteScalarAsync<bool>("SELECT to_regclass('public.build') IS NOT NULL AND to_regclass('public.tag_listing') IS NOT NULL").ConfigureAwait(false);
        if (!hasSchema)
            throw new StagingException("StagingSchemaMissing", StagingErrorCategory.InvalidOperation,
                $"The staging database {req.Destination} has no Koji schema.", req.Destination.ToString())
            { RecommendedAction = "Create one with New-KojiStagingDatabase -SchemaPath <Koji's schema.sql>." };
        // -WhatIf too: it writes the rows in a transaction it rolls back.
        await StagingTargetGuard.EnsureStagingAsync(conn, req.Destination.ConnectionString, req.Destination.ToString(), log, ct, "DestinationNotStaging").ConfigureAwait(false);
    }

    /// <summary>The unsigned RPM of every row, a signed copy per chosen key the RPM is signed with, and the cached header of each signature row.</summary>
    public static List<RpmFileRequest> PlanFiles(SubsetSnapshot snapshot)
    {
        var files = new List<RpmFileRequest>();
        foreach (var b in snapshot.Builds)
        {
            var dir = BuildDirOf(b);
            foreach (var r in b.Rpms)
            {
                files.Add(new RpmFileRequest(KojiPathInfo.Rpm(dir, r.Name, r.Version, r.Release, r.Arch), new RpmFileExpectation(r.PayloadHash, r.Size), r.Size));
                foreach (var key in r.SignedWith)
                    files.Add(new RpmFileRequest(KojiPathInfo.Signed(dir, r.Name, r.Version, r.Release, r.Arch, key), new RpmFileExpectation(r.PayloadHash, null), r.Size, Optional: true));
                // The cached signature header of every copied rpmsigs row: what koji write-signed-rpm splices into a signed copy.
                foreach (var sig in r.SigCache)
                    files.Add(new RpmFileRequest(KojiPathInfo.SigCache(dir, r.Name, r.Version, r.Release, r.Arch, sig.SigKey),
                        new RpmFileExpectation(r.PayloadHash, null, sig.SigHash), 1024, Optional: true));
            }
        }
        return files;
    }

    /// <summary>Deletes the files of a failed run, and the folders that held only them.</summary>
    private static int RemoveWritten(string topDir, IReadOnlyCollection<string> written)
    {
        var removed = 0;
        foreach (var rel in written)
        {
            var path = Path.Combine(topDir, rel);
            try
            {
                File.Delete(path);
                removed++;
                for (var dir = Path.GetDirectoryName(path); dir is not null && dir.Length > topDir.TrimEnd('/').Length
                     && Directory.Exists(dir) && !Directory.EnumerateFileSystemEntries(dir).Any(); dir = Path.GetDirectoryName(dir))
                    Directory.Delete(dir);
            }
            catch (IOException) { }
            catch (UnauthorizedAccessException) { }
        }
        return removed;
    }

    private static string BuildDirOf(SubsetBuild b) => new KojiPathInfo("").BuildDir(b.PackageName, b.Version, b.Release, b.Volume).TrimStart('/');

    private static string BuildOf(string relativePath)
    {
        var parts = relativePath.Split('/');
        var i = Array.IndexOf(parts, "packages");
        return string.Join('/', parts.Take(i + 4));
    }
}
