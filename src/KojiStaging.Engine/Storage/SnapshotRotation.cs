using System.Globalization;

namespace KojiStaging.Engine.Storage;

/// <summary>
/// When a writable snapshot is due for rotation (remove it and make a fresh one with a fresh database copy):
/// the thresholds of the rotation examples for both providers (docs/strategies/writable-snapshot.md:
/// "more than 80 % full or older than 14 days"), plus what makes a clone wrong for the database it serves.
/// </summary>
/// <param name="SpaceUsedPercent">Rotate at or above this much of the clone's bound (0–100).</param>
/// <param name="MaxAge">Rotate at or above this age; null means <see cref="DefaultMaxAgeDays"/> days.</param>
public sealed record SnapshotRotation(double SpaceUsedPercent = SnapshotRotation.DefaultSpaceUsedPercent, TimeSpan? MaxAge = null)
{
    public const double DefaultSpaceUsedPercent = 80;
    public const int DefaultMaxAgeDays = 14;

    public static SnapshotRotation Default { get; } = new();

    public TimeSpan EffectiveMaxAge => MaxAge ?? TimeSpan.FromDays(DefaultMaxAgeDays);

    /// <summary>Why a snapshot should be rotated soon; empty when it need not be.</summary>
    /// <param name="databaseEvent">The event the staging database was synced to (from its marker), if known.</param>
    /// <param name="mounted">False when the clone is not mounted (overlay) or has no junction path (ONTAP).</param>
    /// <param name="hasClone">False for a tagged ONTAP snapshot left without a clone.</param>
    public IReadOnlyList<string> Reasons(double? usedPercent, TimeSpan? age, int? snapshotEvent, int? databaseEvent, bool? mounted, bool hasClone = true)
    {
        var reasons = new List<string>();
        if (!hasClone) reasons.Add("a tagged snapshot left without a clone");
        if (usedPercent is { } p && p >= SpaceUsedPercent)
            reasons.Add(string.Create(CultureInfo.InvariantCulture, $"{p:0.#}% of its bound used (rotate at {SpaceUsedPercent:0.#}%)"));
        if (age is { } a && a >= EffectiveMaxAge)
            reasons.Add(string.Create(CultureInfo.InvariantCulture, $"{a.TotalDays:0.#} days old (rotate after {EffectiveMaxAge.TotalDays:0.#} days)"));
        if (snapshotEvent is { } se && databaseEvent is { } de && se != de)
            reasons.Add($"taken at event {se} but the staging database is synced to event {de}");
        if (hasClone && mounted == false) reasons.Add("not mounted");
        return reasons;
    }
}
