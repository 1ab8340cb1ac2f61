namespace KojiStaging.Engine.Storage.Ontap;

/// <summary>What New-NetAppSnapshot is asked to make.</summary>
/// <param name="SnapshotName">An existing snapshot to clone from, or the name for a new one (default: kojistaging_&lt;clone&gt;_&lt;UTC time&gt;).</param>
/// <param name="JunctionPath">Where the clone appears in the SVM's namespace (default: /&lt;clone&gt;).</param>
/// <param name="ExportClients">Hosts/networks that may mount the clone read-write; empty = keep the SVM's default policy.</param>
/// <param name="NfsServer">Host name of the SVM's NFS data interface, for MountSource (default: the cluster host).</param>
public sealed record NetAppSnapshotRequest(
    string Svm,
    string Volume,
    string CloneName,
    string? SnapshotName = null,
    string? JunctionPath = null,
    IReadOnlyList<string>? ExportClients = null,
    int? SyncedEvent = null,
    string? NfsServer = null);

/// <summary>What Remove-NetAppSnapshot removes: a clone (and its snapshot), or a snapshot left without a clone.</summary>
public sealed class NetAppSnapshotKey
{
    public NetAppSnapshotKey(string? svm, string? clone, string? parentVolume = null, string? snapshot = null)
    {
        Svm = svm;
        Clone = clone;
        ParentVolume = parentVolume;
        Snapshot = snapshot;
    }

    public string? Svm { get; }
    public string? Clone { get; }
    public string? ParentVolume { get; }
    public string? Snapshot { get; }
}

/// <summary>A snapshot of prod's volume and the writable FlexClone staging mounts, with the clone's space use.</summary>
public sealed class NetAppSnapshot : IWritableSnapshot
{
    public string Cluster { get; init; } = "";
    public string? Svm { get; init; }
    public string? ParentVolume { get; init; }
    public string? Snapshot { get; init; }
    /// <summary>The FlexClone volume's name; null for a tagged snapshot that no longer backs a clone.</summary>
    public string? Clone { get; init; }
    public string? JunctionPath { get; init; }
    /// <summary>host:/junction for mount -t nfs.</summary>
    public string? MountSource { get; init; }
    public DateTimeOffset? Created { get; init; }
    public int? SyncedEvent { get; init; }
    public string Provider => "ontap";
    public string? ExportPolicy { get; init; }
    public string? Comment { get; init; }
    public string? CloneUuid { get; init; }
    /// <summary>Bytes written into the clone (space.used).</summary>
    public long? SpaceUsed { get; init; }
    /// <summary>The clone's provisioned size (space.size), snapshot reserve included.</summary>
    public long? SpaceSize { get; init; }
    public int? SnapshotReservePercent { get; init; }
    /// <summary>Space the aggregate would need to split the clone from its parent (clone.split_estimate).</summary>
    public long? SplitEstimate { get; init; }
    public bool ManagedByModule { get; init; }

    /// <summary>space.used against the space left for data (size minus the snapshot reserve), 0–100.</summary>
    public double? SpaceUsedPercent
    {
        get
        {
            if (SpaceUsed is not { } used || SpaceSize is not { } size || size <= 0) return null;
            var usable = size * (100 - Math.Clamp(SnapshotReservePercent ?? 0, 0, 99)) / 100.0;
            return Math.Round(used * 100.0 / usable, 1);
        }
    }

    public TimeSpan? Age => Created is { } c ? DateTimeOffset.UtcNow - c : null;

    public override string ToString() => Clone is null ? $"{Svm}:{ParentVolume}@{Snapshot}" : $"{Svm}:{Clone}";
}
