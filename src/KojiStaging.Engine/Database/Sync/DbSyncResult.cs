namespace KojiStaging.Engine.Database.Sync;

/// <summary>
/// What Sync-KojiStagingDb wrote. Property names bind by name to Set-KojiSecondaryVolume (-Connection,
/// -SyncedEvent) and New-NetAppSnapshot (-SyncedEvent). No secret is held here: Connection and Source print redacted.
/// </summary>
public sealed class DbSyncResult
{
    public required KojiDatabaseConnection Connection { get; init; }
    public required string Server { get; init; }
    public required string Database { get; init; }
    public string? PreviousGeneration { get; init; }
    public IReadOnlyList<string> DroppedGenerations { get; init; } = Array.Empty<string>();
    /// <summary>Generations beyond -KeepGenerations that could not be dropped this time (the next sync tries again).</summary>
    public IReadOnlyList<string> GenerationsNotDropped { get; init; } = Array.Empty<string>();
    /// <summary>What an interrupted earlier sync had left and this run repaired first (also written as warnings).</summary>
    public IReadOnlyList<string> Repairs { get; init; } = Array.Empty<string>();
    public required int SyncedEvent { get; init; }
    public required DateTimeOffset SyncedEventTime { get; init; }
    public required string Source { get; init; }
    public long Builds { get; init; }
    public long Rpms { get; init; }
    public long TagListings { get; init; }
    public IReadOnlyDictionary<string, long> RowCounts { get; init; } = new Dictionary<string, long>();
    public long BytesCopied { get; init; }
    public IReadOnlyList<string> RulesApplied { get; init; } = Array.Empty<string>();
    /// <summary>Active rules this source gives nothing to act on: "ReservationTokens: not applicable (no table build_reservations)".</summary>
    public IReadOnlyList<string> RulesNotApplicable { get; init; } = Array.Empty<string>();
    /// <summary>Rule → the schema form it took on this source ("Hosts" → "host.enabled" before Koji 1.16, "host_config" after).</summary>
    public IReadOnlyDictionary<string, string> SanitizeForms { get; init; } = new Dictionary<string, string>();
    public IReadOnlyList<string> ExcludedTables { get; init; } = Array.Empty<string>();
    public IReadOnlyDictionary<string, TimeSpan> PhaseDurations { get; init; } = new Dictionary<string, TimeSpan>();
    public TimeSpan Duration { get; init; }
}
