using KojiStaging.Engine.Database.Sync;

namespace KojiStaging.Engine.Database.Follower;

/// <summary>
/// The part of the sanitise rules that must hold before data leaves production, so it is what the follower's
/// publication and initial copy apply: tables copied with no rows are not published, columns copied as NULL
/// (secrets) are left out of the column list. Everything else (task, build, repo states, hosts, sequences) is
/// applied to each clone at refresh time, where the follower's rows stay an exact image of production's.
/// </summary>
public static class FollowerRules
{
    /// <summary>The rules reduced to their "never leaves production" transforms; rule names and form choices are kept.</summary>
    public static IReadOnlyList<SanitizeRule> AtSource(IReadOnlyList<SanitizeRule> rules) =>
        rules.Where(r => !r.MovesSequences)
            .Select(r => r with { Forms = r.Forms.Select(f => f with { Transforms = f.Transforms.Select(Strip).Where(t => t is not null).Select(t => t!).ToList() }).ToList() })
            .Where(r => r.Forms.Any(f => f.Transforms.Count > 0))
            .ToList();

    private static TableTransform? Strip(TableTransform t)
    {
        if (t.SkipRows) return t;
        var secret = (t.Columns ?? new Dictionary<string, string>()).Where(c => c.Value.Trim().Equals("NULL", StringComparison.OrdinalIgnoreCase))
            .ToDictionary(c => c.Key, c => c.Value, StringComparer.Ordinal);
        return secret.Count == 0 ? null : t with { Columns = secret };
    }
}
