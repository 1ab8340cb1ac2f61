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
}

/// <summary>A Koji volume of the staging database and what the file system says about it.</summary>
public sealed record StagingVolumeState(string Name, long Builds, string? Path, bool? Present, bool? ReadOnly, string? MountSource);
