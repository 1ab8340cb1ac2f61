using KojiStaging.Engine.Diagnostics;
using KojiStaging.Engine.Storage;
using KojiStaging.Engine.Storage.Local;
using KojiStaging.Engine.Storage.Ontap;
using Microsoft.Extensions.Logging;

namespace KojiStaging.Engine.Operations;

/// <summary>Which writable snapshots Get-KojiStagingStatus reports.</summary>
/// <param name="LocalRoot">Where the module keeps overlay snapshots (null: <see cref="OverlaySnapshotProvider.DefaultRoot"/>); always read.</param>
/// <param name="Ontap">An ONTAP cluster to list the module's FlexClones on (Get-NetAppSnapshot's connection); null: none.</param>
/// <param name="Svm">Get-NetAppSnapshot -Svm: only this SVM.</param>
/// <param name="CloneName">Get-NetAppSnapshot -CloneName: only clones matching (ONTAP wildcards).</param>
/// <param name="Volume">Get-NetAppSnapshot -Volume: also the module's snapshots of this volume left without a clone (needs Svm).</param>
/// <param name="NfsServer">Get-NetAppSnapshot -NfsServer: host for the clones' mount sources.</param>
/// <param name="Given">Snapshot objects the caller already has (Get-NetAppSnapshot / Get-KojiLocalSnapshot output).</param>
/// <param name="Rotation">When a snapshot is due for rotation (null: <see cref="SnapshotRotation.Default"/>).</param>
public sealed record StagingSnapshotQuery(
    string? LocalRoot = null,
    OntapConnectionOptions? Ontap = null,
    string? Svm = null,
    string? CloneName = null,
    string? Volume = null,
    string? NfsServer = null,
    IReadOnlyList<IWritableSnapshot>? Given = null,
    SnapshotRotation? Rotation = null)
{
    /// <summary>Throws for ONTAP filters without a cluster, and -Volume without -Svm (as Get-NetAppSnapshot does).</summary>
    public void Validate()
    {
        if (Ontap is null && (Svm ?? CloneName ?? Volume ?? NfsServer) is { } orphan)
            throw new StagingException("OntapClusterRequired", StagingErrorCategory.InvalidArgument,
                "-Svm, -CloneName, -Volume and -NfsServer list ONTAP snapshots and need -Cluster.", orphan);
        if (Volume is not null && Svm is null)
            throw new StagingException("OntapSvmRequired", StagingErrorCategory.InvalidArgument,
                "-Volume needs -Svm: snapshots are looked up on one SVM's volume.", Volume);
    }
}

/// <summary>
/// Finds the writable snapshots that serve staging — the module's overlays on this host (those mounted at or
/// around the topdir when one is given), the module's FlexClones on an ONTAP cluster when asked, and any
/// snapshot objects handed in — and describes each with its space use and whether it is due for rotation.
/// </summary>
public sealed class StagingSnapshotReader
{
    public async Task<(StagingSnapshotState[] Snapshots, string[] Sources)> ReadAsync(
        StagingSnapshotQuery query, string? topDir, int? databaseEvent, EngineScope scope)
    {
        var log = scope.Logger<StagingSnapshotReader>();
        query.Validate();

        var found = new List<IWritableSnapshot>();
        var sources = new List<string>();
        var root = Path.GetFullPath(query.LocalRoot ?? OverlaySnapshotProvider.DefaultRoot);
        try
        {
            var local = await new OverlaySnapshotProvider(root).ListAsync(null, false, scope).ConfigureAwait(false);
            found.AddRange(local.Where(s => topDir is null || IsInside(s.Path, topDir) || IsInside(topDir, s.Path)));
            sources.Add(topDir is null ? $"overlay {root}" : $"overlay {root} (mounted at or around {topDir})");
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            // Discovery is automatic: a root this user may not read must not cost the operator the rest of the status.
            log.LogWarning("Could not read the local snapshots in {Root}: {Message}", root, ex.Message);
            sources.Add($"overlay {root} (unreadable: {ex.Message})");
        }

        if (query.Ontap is { } options)
        {
            log.LogInformation("Listing the module's FlexClones on {Cluster}", options.Host);
            using var client = OntapClientFactory.Create(options, scope);
            found.AddRange(await new OntapSnapshotProvider(client)
                .ListAsync(query.Svm, query.CloneName, query.Volume, false, scope, query.NfsServer).ConfigureAwait(false));
            sources.Add($"ontap {options.BaseUri.Authority}" + (query.Svm is null ? "" : $" svm {query.Svm}"));
        }

        // Last, so a fresh listing wins over an object handed in earlier.
        if (query.Given is { Count: > 0 } given)
        {
            found.AddRange(given);
            sources.Add($"given ({given.Count})");
        }

        var rotation = query.Rotation ?? SnapshotRotation.Default;
        var now = DateTimeOffset.UtcNow;
        var states = found.DistinctBy(Key).Select(s => Describe(s, now, databaseEvent, rotation))
            .OrderBy(s => s.Provider, StringComparer.Ordinal).ThenBy(s => s.Name, StringComparer.Ordinal).ToArray();
        return (states, sources.ToArray());
    }

    /// <summary>What makes two objects the same snapshot (the same one may be both found and handed in).</summary>
    private static string Key(IWritableSnapshot s) => s switch
    {
        LocalSnapshot l => $"overlay|{l.Root}|{l.Name}",
        NetAppSnapshot n => $"ontap|{n.Cluster}|{n.Svm}|{n.Clone}|{n.ParentVolume}|{(n.Clone is null ? n.Snapshot : null)}",
        _ => $"{s.Provider}|{s}",
    };

    internal static StagingSnapshotState Describe(IWritableSnapshot s, DateTimeOffset now, int? databaseEvent, SnapshotRotation rotation)
    {
        var age = s.Created is { } c ? now - c : (TimeSpan?)null;
        string name; string? path, origin; long? used, bound; bool? mounted; var hasClone = true;
        switch (s)
        {
            case LocalSnapshot l:
                (name, path, origin, used, mounted) = (l.Name, l.Path, l.Source, l.UsedBytes, l.Mounted);
                bound = l.MaxSize is > 0 ? l.MaxSize : l.AvailableBytes is { } free ? l.UsedBytes + free : null;
                break;
            case NetAppSnapshot n:
                hasClone = n.Clone is not null;
                name = n.ToString();
                path = n.MountSource ?? n.JunctionPath;
                origin = $"{n.Svm}:{n.ParentVolume}@{n.Snapshot}";
                used = n.SpaceUsed;
                bound = n.SpaceSize is { } size ? (long)(size * (100 - Math.Clamp(n.SnapshotReservePercent ?? 0, 0, 99)) / 100.0) : null;
                mounted = hasClone ? n.JunctionPath is not null : null;
                break;
            default:
                (name, path, origin, used, bound, mounted) = (s.ToString() ?? s.Provider, null, null, null, null, null);
                break;
        }
        var reasons = rotation.Reasons(s.SpaceUsedPercent, age, s.SyncedEvent, databaseEvent, mounted, hasClone).ToArray();
        return new StagingSnapshotState(s.Provider, name, path, origin, s.Created, age, s.SyncedEvent, used, bound,
            s.SpaceUsedPercent, mounted, reasons.Length > 0, reasons, s);
    }

    private static bool IsInside(string path, string dir)
    {
        var p = Path.GetFullPath(path).TrimEnd('/') + "/";
        var d = Path.GetFullPath(dir).TrimEnd('/') + "/";
        return p.StartsWith(d, StringComparison.Ordinal);
    }
}
