namespace KojiStaging.Engine.Operations.Health;

public enum StagingCheckStatus { Pass, Warn, Fail }

/// <summary>One health check of a staging Koji: what was checked, how it went, and what to do about it.</summary>
public sealed record StagingCheckResult(string Name, StagingCheckStatus Status, string Detail, string? Advice = null)
{
    public static StagingCheckResult Pass(string name, string detail) => new(name, StagingCheckStatus.Pass, detail);
    public static StagingCheckResult Warn(string name, string detail, string? advice = null) => new(name, StagingCheckStatus.Warn, detail, advice);
    public static StagingCheckResult Fail(string name, string detail, string? advice = null) => new(name, StagingCheckStatus.Fail, detail, advice);
}
