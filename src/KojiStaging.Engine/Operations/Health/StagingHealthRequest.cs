using KojiStaging.Engine.Database;

namespace KojiStaging.Engine.Operations.Health;

/// <summary>What Test-KojiStaging checks and against what.</summary>
public sealed record StagingHealthRequest(
    KojiDatabaseConnection Connection,
    string TopDir = "/mnt/koji",
    string? ComposeDir = null,
    KojiDatabaseConnection? ProdConnection = null,
    int SampleSize = 50,
    TimeSpan? MaxSyncAge = null)
{
    public TimeSpan SyncAgeLimit => MaxSyncAge ?? TimeSpan.FromDays(35);
    /// <summary>How far above production's ids staging's sequences must start (Fedora uses 990,000,000).</summary>
    public const long SequenceMargin = 1_000_000;
}
