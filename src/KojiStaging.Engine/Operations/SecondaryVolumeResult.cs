using KojiStaging.Engine.Database;

namespace KojiStaging.Engine.Operations;

/// <summary>What Set-KojiSecondaryVolume did (or found already done).</summary>
public sealed class SecondaryVolumeResult
{
    public required string Volume { get; init; }
    public required int VolumeId { get; init; }
    /// <summary>Where production's tree is (the volume's data).</summary>
    public required string Path { get; init; }
    /// <summary>The staging topdir; binds to Test-KojiStaging -TopDir.</summary>
    public required string TopDir { get; init; }
    public required bool ReadOnlyMount { get; init; }
    public string? MountPoint { get; init; }
    public required int SyncedEvent { get; init; }
    public required long BuildsRepointed { get; init; }
    /// <summary>Builds on DEFAULT up to the synced event that stay there, by state name (never moved to a read-only volume).</summary>
    public required IReadOnlyDictionary<string, long> BuildsSkippedByState { get; init; }
    /// <summary>Builds created after the synced event (staging's own): never moved.</summary>
    public required long BuildsNewerThanSync { get; init; }
    public required int BuildsSampled { get; init; }
    public required int BuildsMissingOnVolume { get; init; }
    public required long ReposExpired { get; init; }
    public required int TagsAffected { get; init; }
    public required long LinksCreated { get; init; }
    public bool VolumeRegistered { get; init; }
    public required bool AlreadyDone { get; init; }
    public required TimeSpan Duration { get; init; }
    /// <summary>How long the re-point UPDATE itself took (the rest of Duration is checks, repo expiry and links).</summary>
    public TimeSpan RepointDuration { get; init; }
    /// <summary>The staging database; binds to Test-KojiStaging -Connection.</summary>
    public required KojiDatabaseConnection Connection { get; init; }
}
