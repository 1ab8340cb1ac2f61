namespace KojiStaging.Engine.Operations;

/// <summary>What Get-KojiStagingStatus reports: how far staging has drifted from production, and what it is made of.</summary>
public sealed class StagingStatus
{
    /// <summary>The staging database (host, port, database; never a password).</summary>
    public required string Staging { get; init; }
    public required bool IsStaging { get; init; }
    /// <summary>Production as given (redacted), or null when no -Source was given.</summary>
    public string? Source { get; init; }
    /// <summary>The strategies the marker records for this database (sync, volume, subset, created, …).</summary>
    public required string[] Strategies { get; init; }
    public int? SyncedEvent { get; init; }
    public DateTimeOffset? SyncedEventTime { get; init; }
    public DateTimeOffset? LastRefresh { get; init; }
    public int? ProdLastEvent { get; init; }
    public DateTimeOffset? ProdLastEventTime { get; init; }
    public int? EventsBehind { get; init; }
    /// <summary>How old staging's data is: now minus the synced event's time.</summary>
    public TimeSpan? Age { get; init; }
    /// <summary>Builds that reached COMPLETE in production after the synced event.</summary>
    public int? BuildsCompletedSince { get; init; }
    /// <summary>Previous generations kept on the staging server (databases named after the live one and marked).</summary>
    public required string[] Generations { get; init; }
    public required StagingVolumeState[] Volumes { get; init; }
    /// <summary>Writable snapshots (ONTAP FlexClones, local overlays) serving staging, with space used and whether to rotate them.</summary>
    public StagingSnapshotState[] Snapshots { get; init; } = Array.Empty<StagingSnapshotState>();
    /// <summary>Where snapshots were looked for ("overlay /var/lib/kojistaging/snapshots", "ontap host:443 svm svm1", "given (2)").</summary>
    public string[] SnapshotSources { get; init; } = Array.Empty<string>();
    /// <summary>The live database's follower (Enable-KojiStagingFollower) when it has one and -Source is given: state and lag.</summary>
    public Database.Follower.FollowerStatus? Follower { get; init; }
}

/// <summary>A Koji volume of the staging database and what the file system says about it.</summary>
public sealed record StagingVolumeState(string Name, long Builds, string? Path, bool? Present, bool? ReadOnly, string? MountSource);

/// <summary>One writable snapshot as Get-KojiStagingStatus reports it, whichever provider made it.</summary>
/// <param name="Provider">"ontap" or "overlay".</param>
/// <param name="Name">The clone's name (ONTAP: svm:clone, or svm:volume@snapshot for a snapshot without a clone; overlay: its name).</param>
/// <param name="Path">Where staging mounts it: host:/junction for ONTAP, the merged mount path for an overlay.</param>
/// <param name="Origin">What it is a snapshot of: svm:volume@snapshot, or the overlay's lower tree.</param>
/// <param name="SyncedEvent">The prod event the staging database was synced to when the snapshot was taken.</param>
/// <param name="UsedBytes">What staging has written into the clone (ONTAP space.used; bytes in the overlay's upper dir).</param>
/// <param name="BoundBytes">What it may grow to (ONTAP: size less the snapshot reserve; overlay: -MaxSize, else used + free room).</param>
/// <param name="SpaceUsedPercent">UsedBytes against the bound, as the provider's Get- cmdlet reports it.</param>
/// <param name="Mounted">Overlay mounted / ONTAP clone has a junction path.</param>
/// <param name="RotateSoon">True when any <see cref="RotateReasons"/> applies (thresholds of <see cref="Storage.SnapshotRotation"/>).</param>
/// <param name="Snapshot">The provider's own object (NetAppSnapshot, LocalSnapshot): pipe it to Remove-NetAppSnapshot / Remove-KojiLocalSnapshot.</param>
public sealed record StagingSnapshotState(
    string Provider, string Name, string? Path, string? Origin, DateTimeOffset? Created, TimeSpan? Age, int? SyncedEvent,
    long? UsedBytes, long? BoundBytes, double? SpaceUsedPercent, bool? Mounted, bool RotateSoon, string[] RotateReasons,
    Storage.IWritableSnapshot Snapshot);
