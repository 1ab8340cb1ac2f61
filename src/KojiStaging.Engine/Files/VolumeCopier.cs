using System.Diagnostics;
using KojiStaging.Engine.Diagnostics;
using Microsoft.Extensions.Logging;

namespace KojiStaging.Engine.Files;

/// <summary>
/// The full-copy strategy: an incremental, parallel, hardlink- and symlink-preserving mirror of a Koji
/// tree (or of some of its subtrees). Safe to interrupt: files are written under temporary names and
/// renamed into place, and the next run removes leftovers and copies only what is missing or changed.
/// </summary>
public sealed class VolumeCopier
{
    public const string Activity = "Copy-KojiVolume";

    public Task<VolumeCopySummary> RunAsync(VolumeCopyOptions options, EngineScope scope) =>
        Task.Factory.StartNew(() => Run(options, scope), scope.Cancellation, TaskCreationOptions.LongRunning, TaskScheduler.Default);

    public VolumeCopySummary Run(VolumeCopyOptions options, EngineScope scope)
    {
        var log = scope.Logger<VolumeCopier>();
        var (source, destination, includes) = VolumeCopyPaths.Resolve(options);
        VolumeMarker.CheckDestination(destination, options.Force);
        var clock = Stopwatch.StartNew();
        var created = !Directory.Exists(destination);
        var settled = created ? [] : VolumeMarker.SettledSubtrees(destination);
        if (!options.WhatIf)
        {
            Directory.CreateDirectory(destination);
            VolumeMarker.Write(destination, source);
        }
        log.LogInformation("{Mode} {Source} to {Destination} ({Workers} workers{Include}{Delete}{Verify})",
            options.WhatIf ? "Planning a mirror of" : "Mirroring", source, destination, options.ThrottleLimit,
            includes is [{ Parent: "", Name: null }] ? "" : ", include " + string.Join(", ", includes.Select(i => i.Path)),
            options.Delete ? ", delete" : "", options.Verify ? ", verify" : "");

        using var cts = CancellationTokenSource.CreateLinkedTokenSource(scope.Cancellation);
        var run = new MirrorRun(source, destination, options, scope, log, cts);
        using var timer = new Timer(_ => scope.Progress.Report(run.Counters.ToProgress(Activity, clock.Elapsed, options.WhatIf)), null, 250, 500);
        try
        {
            run.Execute(includes, created, settled);
            if (!options.WhatIf) RecordSettled(destination, includes, log);
        }
        catch (FatalCopyError fatal) when (fatal.Error.ErrorId == VolumeCopyErrors.DestinationFull)
        {
            throw Undo(fatal.Error, run, destination, created);
        }
        catch (FatalCopyError fatal)
        {
            throw fatal.Error;
        }
        catch (OperationCanceledException) when (!scope.Cancellation.IsCancellationRequested && cts.IsCancellationRequested)
        {
            throw new StagingException("CopyAborted", StagingErrorCategory.OperationStopped, "The copy stopped after a failure.", destination);
        }
        finally
        {
            timer.Dispose();
            scope.Progress.Report(run.Counters.ToProgress(Activity, clock.Elapsed, options.WhatIf) with { Completed = true });
        }
        var c = run.Counters;
        var summary = new VolumeCopySummary
        {
            Source = source,
            Destination = destination,
            WhatIf = options.WhatIf,
            FilesCopied = c.FilesCopied,
            FilesLinked = c.FilesLinked,
            SymlinksCreated = c.SymlinksCreated,
            FilesSkipped = c.FilesSkipped,
            FilesDeleted = c.FilesDeleted,
            DirectoriesCreated = c.DirectoriesCreated,
            DirectoriesDeleted = c.DirectoriesDeleted,
            AttributesUpdated = c.AttributesUpdated,
            FilesVerified = c.FilesVerified,
            VerifyMismatches = c.VerifyMismatches,
            TempFilesRemoved = c.TempFilesRemoved,
            Bytes = c.BytesCopied,
            Duration = clock.Elapsed,
            Throughput = clock.Elapsed.TotalSeconds > 0 ? c.BytesCopied / clock.Elapsed.TotalSeconds : 0,
            Errors = c.Errors,
            FailedPaths = run.FailedPaths,
            CopyMethod = options.WhatIf ? "" : run.CopyMethod,
        };
        log.LogInformation("{Summary} in {Duration:0.0} s", summary.ToString(), summary.Duration.TotalSeconds);
        return summary;
    }

    /// <summary>
    /// The destination filled up: remove what this run added (all of the destination when the run made it) and say,
    /// checked after the fact, exactly what is left. Files it replaced in place already hold the source's newer content.
    /// </summary>
    private static StagingException Undo(StagingException full, MirrorRun run, string destination, bool created)
    {
        string left;
        if (created)
        {
            try
            {
                if (NativeFs.TryLstat(destination) is { } root) TreeDeleter.Delete(destination, root, dryRun: false, CancellationToken.None);
                left = $"'{destination}' was made by this run and has been removed: nothing is left.";
            }
            catch (NativeIOException ex)
            {
                left = $"'{destination}' was made by this run, but removing it failed ({ex.Message}): what was copied so far is still there; delete it by hand.";
            }
        }
        else
        {
            var (files, dirs, notRemoved, untracked) = run.RemoveAdded();
            var c = run.Counters;
            var replaced = Math.Max(0, c.FilesCopied + c.FilesLinked + c.SymlinksCreated - files);
            left = $"Removed what this run had added to '{destination}' ({files:N0} files, {dirs:N0} directories). Kept: {replaced:N0} files it had " +
                $"updated in place (they hold the source's newer content), {c.AttributesUpdated:N0} attribute updates" +
                (c.FilesDeleted + c.DirectoriesDeleted > 0 ? $", and the deletion of {c.FilesDeleted:N0} files and {c.DirectoriesDeleted:N0} directories" : "") +
                "; no temporary files." +
                (notRemoved.Count > 0 ? $" Could not remove {notRemoved.Count:N0} added entries, first '{notRemoved[0]}'." : "") +
                (untracked > 0 ? $" {untracked:N0} more added entries were not tracked and are left." : "");
        }
        return new StagingException(full.ErrorId, full.Category, $"{full.Message} {left}", full.Target, full)
        {
            RecommendedAction = "Free space (or grow the filesystem) and run again.",
        };
    }

    /// <summary>The copy is done either way; without the record the next run only reads every directory again.</summary>
    private static void RecordSettled(string destination, IReadOnlyList<IncludedEntry> includes, ILogger log)
    {
        try
        {
            VolumeMarker.AddSettled(destination, includes.Select(i => i.Path));
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or System.Text.Json.JsonException)
        {
            log.LogWarning("Could not record the completed run in {Marker}: {Message}. The next run reads every destination directory.",
                Path.Combine(destination, VolumeMarker.FileName), ex.Message);
        }
    }
}
