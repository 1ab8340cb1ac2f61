namespace KojiStaging.Engine.Operations;

/// <summary>How a resync ended; <see cref="ResyncResult.ExitCode"/> is what scheduled runs exit with.</summary>
public enum ResyncStatus
{
    Succeeded = 0,
    Failed = 1,
    Locked = 2,
    ConfigInvalid = 3,
}

/// <summary>One step of a resync run.</summary>
public sealed class ResyncStepResult
{
    public required int Index { get; init; }
    public required string Id { get; init; }
    public required string Strategy { get; init; }
    public required string Command { get; init; }
    public string Status { get; set; } = "NotRun";
    public TimeSpan Duration { get; set; }
    /// <summary>The objects the step's cmdlet wrote.</summary>
    public object[] Output { get; set; } = Array.Empty<object>();
    public string[] Errors { get; set; } = Array.Empty<string>();
}

/// <summary>What Invoke-KojiStagingResync writes: one object per run.</summary>
public sealed class ResyncResult
{
    public required string Name { get; init; }
    public required string ConfigPath { get; init; }
    public ResyncStatus Status { get; set; }
    public int ExitCode => (int)Status;
    public DateTimeOffset StartTime { get; init; } = DateTimeOffset.UtcNow;
    public TimeSpan Duration { get; set; }
    public string? LogPath { get; init; }
    public required string LockPath { get; init; }
    public required ResyncStepResult[] Steps { get; init; }
}
