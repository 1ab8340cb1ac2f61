namespace KojiStaging.Engine.Database.Follower;

/// <summary>How far a follower may fall behind before Get-KojiStagingFollower warns.</summary>
public sealed record FollowerBounds(long WarnLagBytes = 1L << 30, TimeSpan? WarnLag = null, long WarnRetainedWalBytes = 8L << 30)
{
    public TimeSpan WarnLagTime => WarnLag ?? TimeSpan.FromMinutes(10);
}

/// <summary>A follower's state: Streaming, Paused (subscription disabled), Failed (apply errors), Stopped (no apply worker), Missing.</summary>
public sealed record FollowerStatus
{
    public required string Name { get; init; }
    public required string Server { get; init; }
    public required string FollowerDatabase { get; init; }
    public required string Live { get; init; }
    public required string Source { get; init; }
    public required string State { get; init; }
    public string? Slot { get; init; }
    public IReadOnlyList<string> Publications { get; init; } = Array.Empty<string>();
    /// <summary>WAL production has written beyond what the follower confirmed applied.</summary>
    public long? LagBytes { get; init; }
    /// <summary>How much older the follower's newest Koji event is than production's (zero when caught up).</summary>
    public TimeSpan? Lag { get; init; }
    /// <summary>WAL production keeps for the slot (from its restart_lsn).</summary>
    public long? RetainedWalBytes { get; init; }
    /// <summary>pg_replication_slots.wal_status: reserved, extended, unreserved or lost.</summary>
    public string? WalStatus { get; init; }
    public bool SlotActive { get; init; }
    public long ApplyErrors { get; init; }
    public int? FollowerEvent { get; init; }
    public int? ProductionEvent { get; init; }
    /// <summary>Tables published for INSERT only (no usable replica identity): production's UPDATE and DELETE on them do not reach staging.</summary>
    public IReadOnlyList<string> InsertOnlyTables { get; init; } = Array.Empty<string>();
    public bool SchemaDrift { get; init; }
    public IReadOnlyList<string> Warnings { get; init; } = Array.Empty<string>();
    public TimeSpan? SetupDuration { get; init; }
}
