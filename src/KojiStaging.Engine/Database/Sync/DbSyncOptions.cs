namespace KojiStaging.Engine.Database.Sync;

/// <summary>What Sync-KojiStagingDb was asked to do.</summary>
public sealed record DbSyncOptions
{
    public required KojiDatabaseConnection Source { get; init; }
    /// <summary>The staging server and the live staging database name.</summary>
    public required KojiDatabaseConnection Destination { get; init; }
    public int ThrottleLimit { get; init; } = Environment.ProcessorCount;
    public int KeepGenerations { get; init; } = 2;
    public IReadOnlyCollection<string> ExcludeTableData { get; init; } = Array.Empty<string>();
    public IReadOnlyCollection<string> SkipSanitize { get; init; } = Array.Empty<string>();
    public IReadOnlyList<string> PostSyncSql { get; init; } = Array.Empty<string>();
    /// <summary>How far above production's value the Sequences rule moves task/repo/buildroot ids.</summary>
    public long SequenceOffset { get; init; } = 100_000_000;
    /// <summary>Validate foreign keys after adding them (off: they are added NOT VALID; see docs/performance.md).</summary>
    public bool ValidateForeignKeys { get; init; }
    public bool Force { get; init; }

    /// <summary>Asked once with the plan before anything is created; false (e.g. -WhatIf) stops with nothing changed.</summary>
    public Func<SyncPlan, Task<bool>>? Approve { get; init; }

    /// <summary>Test hook: called at each phase boundary ("phase:Swap"), after recovery ("recovery") and before each table's copy ("copy:task").</summary>
    internal Func<string, CancellationToken, Task>? FaultHook { get; init; }

    /// <summary>Test knob: swap attempts against sessions that keep live busy (default 5).</summary>
    internal int? SwapAttempts { get; init; }
}

/// <summary>What a sync will do; shown by -WhatIf and asked for by -Confirm.</summary>
public sealed record SyncPlan(
    string Server, string Live, bool LiveExists, bool LiveMarked, string NewDatabase, string? PreviousGeneration,
    IReadOnlyList<string> GenerationsToDrop, string Source, int SyncedEvent, int Tables, long SourceBytes,
    IReadOnlyList<string> RulesApplied, IReadOnlyList<string> ExcludedTables, IReadOnlyList<string>? RulesNotApplicable = null)
{
    /// <summary>What an interrupted earlier sync left, repaired before anything else (see StagingRecovery).</summary>
    public IReadOnlyList<string> Repairs { get; init; } = Array.Empty<string>();

    /// <summary>What a refresh that copies nothing from production (-FromFollower) will do, said instead of the copy plan.</summary>
    public string? Summary { get; init; }

    public string Describe()
    {
        if (Summary is not null) return Summary;
        var lines = Repairs.Select(r => "repair: " + r).ToList();
        lines.AddRange(new[]
        {
            $"Copy {Tables} tables (~{SourceBytes / 1048576.0:F1} MiB) of {Source} at event {SyncedEvent} into new database '{NewDatabase}' on {Server}",
            LiveExists ? $"in one transaction rename live '{Live}' to '{PreviousGeneration}' (its sessions are terminated) and '{NewDatabase}' to '{Live}'" : $"rename '{NewDatabase}' to '{Live}'",
        });
        if (GenerationsToDrop.Count > 0) lines.Add($"drop old generation(s) {string.Join(", ", GenerationsToDrop)}");
        lines.Add($"sanitise: {(RulesApplied.Count == 0 ? "none" : string.Join(", ", RulesApplied))}");
        if (RulesNotApplicable is { Count: > 0 }) lines.Add(string.Join(", ", RulesNotApplicable));
        if (ExcludedTables.Count > 0) lines.Add($"table data not copied: {string.Join(", ", ExcludedTables)}");
        return string.Join("; ", lines);
    }
}
