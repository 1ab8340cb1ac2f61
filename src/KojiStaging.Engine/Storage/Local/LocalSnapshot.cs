namespace KojiStaging.Engine.Storage.Local;

/// <summary>What New-KojiLocalSnapshot is asked to make.</summary>
/// <param name="Root">Where the module keeps its snapshots: &lt;Root&gt;/&lt;Name&gt;/{upper,work,merged}.</param>
/// <param name="MountPath">Where the writable tree appears (default &lt;Root&gt;/&lt;Name&gt;/merged).</param>
/// <param name="MaxSize">Bound for growth reporting, in bytes of the upper layer.</param>
public sealed record LocalSnapshotRequest(string Name, string Source, string Root, string? MountPath = null, long? MaxSize = null, int? SyncedEvent = null);

public sealed record LocalSnapshotKey(string Root, string Name);

/// <summary>A writable overlay over a read-only lower tree on this host: writes land in the upper dir.</summary>
public sealed class LocalSnapshot : IWritableSnapshot
{
    public string Name { get; init; } = "";
    /// <summary>The read-only lower tree (prod's tree, or a snapshot of it).</summary>
    public string Source { get; init; } = "";
    /// <summary>The writable merged view staging uses.</summary>
    public string Path { get; init; } = "";
    public string Root { get; init; } = "";
    public string UpperDir { get; init; } = "";
    public string WorkDir { get; init; } = "";
    public bool Mounted { get; init; }
    public DateTimeOffset? Created { get; init; }
    public int? SyncedEvent { get; init; }
    public string Provider => "overlay";
    /// <summary>Bytes of the files written into the clone (the upper dir).</summary>
    public long UsedBytes { get; init; }
    public long Files { get; init; }
    /// <summary>The -MaxSize bound; without it, growth is measured against the upper file system's room.</summary>
    public long? MaxSize { get; init; }
    public long? AvailableBytes { get; init; }
    public bool ManagedByModule => true;

    public double? SpaceUsedPercent =>
        MaxSize is > 0 ? Math.Round(UsedBytes * 100.0 / MaxSize.Value, 1)
        : AvailableBytes is { } free && UsedBytes + free > 0 ? Math.Round(UsedBytes * 100.0 / (UsedBytes + free), 1) : null;

    public TimeSpan? Age => Created is { } c ? DateTimeOffset.UtcNow - c : null;

    public override string ToString() => Path;
}
