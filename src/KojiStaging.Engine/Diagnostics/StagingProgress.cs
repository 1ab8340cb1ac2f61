namespace KojiStaging.Engine.Diagnostics;

/// <summary>
/// One progress report from an engine. The cmdlet layer turns it into a ProgressRecord.
/// <see cref="ActivityId"/> separates concurrent activities (for example one per table);
/// <see cref="ParentActivityId"/> nests them under a phase.
/// </summary>
public sealed record StagingProgress(
    int ActivityId,
    string Activity,
    string Status,
    int PercentComplete = -1,
    string? CurrentOperation = null,
    int ParentActivityId = -1,
    int SecondsRemaining = -1,
    bool Completed = false);
