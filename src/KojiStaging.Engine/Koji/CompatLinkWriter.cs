using KojiStaging.Engine.Diagnostics;
using Microsoft.Extensions.Logging;

namespace KojiStaging.Engine.Koji;

/// <summary>What the link writer did.</summary>
public sealed record CompatLinkOutcome(long Created, long AlreadyPresent, long Conflicts, bool TopLinkCreated, string? TopLinkProblem);

/// <summary>
/// Koji's links for builds on another volume: <c>topdir/packages/N/V/R → ../../../vol/NAME/packages/N/V/R</c>
/// (relative, as the hub writes them in changeBuildVolume), and the volume's <c>toplink</c>
/// (<c>vol/NAME/toplink → topdir</c>), which current hubs use to write back-links from a volume to the
/// base tree. A link already right is left alone; anything else in the way is reported, never removed.
/// </summary>
public sealed class CompatLinkWriter
{
    private readonly KojiPathInfo _staging;
    private readonly string _volume;
    private readonly ILogger _log;

    public CompatLinkWriter(string topDir, string volume, ILogger log)
    {
        _staging = new KojiPathInfo(topDir);
        _volume = volume;
        _log = log;
    }

    public async Task<CompatLinkOutcome> WriteAsync(IAsyncEnumerable<BuildNvr> builds, long total, EngineScope scope, bool volumeWritable)
    {
        long created = 0, present = 0, conflicts = 0, done = 0;
        await foreach (var b in builds.WithCancellation(scope.Cancellation))
        {
            switch (Ensure(b))
            {
                case LinkState.Created: created++; break;
                case LinkState.Present: present++; break;
                default: conflicts++; break;
            }
            if (++done % 1000 == 0 || done == total)
                scope.Progress.Report(new StagingProgress(2, "Compatibility links", $"{done} of {total} builds",
                    total > 0 ? (int)(done * 100 / total) : -1));
        }
        var (topCreated, topProblem) = EnsureTopLink(volumeWritable);
        return new CompatLinkOutcome(created, present, conflicts, topCreated, topProblem);
    }

    private enum LinkState { Created, Present, Conflict }

    private LinkState Ensure(BuildNvr b)
    {
        var link = _staging.BuildDir(b.Name, b.Version, b.Release);
        var target = KojiPathInfo.CompatLinkTarget(b.Name, b.Version, b.Release, _volume);
        var info = new FileInfo(link);
        if (info.LinkTarget is { } existing)
        {
            if (existing == target) return LinkState.Present;
            _log.LogWarning("{Link} points to {Existing}, not {Target}; left alone", link, existing, target);
            return LinkState.Conflict;
        }
        if (info.Exists || Directory.Exists(link))
        {
            _log.LogWarning("{Link} exists and is not a link; left alone (Koji expects a link to {Target})", link, target);
            return LinkState.Conflict;
        }
        Directory.CreateDirectory(Path.GetDirectoryName(link)!);
        File.CreateSymbolicLink(link, target);
        return LinkState.Created;
    }

    private (bool created, string? problem) EnsureTopLink(bool volumeWritable)
    {
        var voldir = _staging.VolumeDir(_volume);
        var toplink = Path.Combine(voldir, "toplink");
        var info = new FileInfo(toplink);
        if (info.LinkTarget is { } t)
            return MountTable.RealPath(toplink) == MountTable.RealPath(_staging.TopDir)
                ? (false, null)
                : (false, $"{toplink} points to {t}, not to {_staging.TopDir}");
        if (info.Exists || Directory.Exists(toplink)) return (false, $"{toplink} exists and is not a link to {_staging.TopDir}");
        if (!volumeWritable)
            return (false, $"{toplink} is missing and the volume is read-only, so it was not created; the hub needs it only to write " +
                "back-links for builds it places on this volume, which a read-only volume cannot take anyway");
        File.CreateSymbolicLink(toplink, _staging.TopDir);
        return (true, null);
    }
}
