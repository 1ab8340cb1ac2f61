namespace KojiStaging.Engine.Diagnostics;

/// <summary>
/// "Did you mean …?" for names an operator typed: the known names closest to the typed one by
/// optimal-string-alignment distance (Levenshtein plus adjacent transpositions), case-insensitive.
/// </summary>
public static class NearestNames
{
    /// <summary>
    /// Up to <paramref name="max"/> known names within a distance that scales with the typed name's length
    /// (1 for short names, about a third of the length for long ones), nearest first; a known name that
    /// starts with or contains the typed one also counts. Empty when nothing is close.
    /// </summary>
    public static IReadOnlyList<string> Find(string typed, IEnumerable<string> known, int max = 3)
    {
        if (string.IsNullOrWhiteSpace(typed)) return Array.Empty<string>();
        var t = typed.Trim().ToLowerInvariant();
        var limit = Math.Max(1, t.Length / 3);
        return known
            .Where(k => !string.IsNullOrEmpty(k))
            .Distinct(StringComparer.OrdinalIgnoreCase)
            .Select(k => (Name: k, Lower: k.ToLowerInvariant()))
            .Select(k => (k.Name, Distance: Distance(t, k.Lower), Contains: t.Length >= 3 && k.Lower.Contains(t, StringComparison.Ordinal)))
            .Where(k => k.Distance <= limit || k.Contains)
            .OrderBy(k => k.Contains && k.Distance > limit ? limit + 1 : k.Distance)
            .ThenBy(k => k.Name, StringComparer.OrdinalIgnoreCase)
            .Take(max)
            .Select(k => k.Name)
            .ToArray();
    }

    /// <summary>" Did you mean 'a' or 'b'?" (with a leading space), or "" when nothing is close.</summary>
    public static string DidYouMean(string typed, IEnumerable<string> known, int max = 3)
    {
        var near = Find(typed, known, max);
        if (near.Count == 0) return "";
        var quoted = near.Select(n => $"'{n}'").ToArray();
        var list = quoted.Length == 1 ? quoted[0] : string.Join(", ", quoted[..^1]) + " or " + quoted[^1];
        return $" Did you mean {list}?";
    }

    /// <summary>Optimal string alignment distance: insertions, deletions, substitutions and adjacent swaps each cost 1.</summary>
    public static int Distance(string a, string b)
    {
        var d = new int[a.Length + 1, b.Length + 1];
        for (var i = 0; i <= a.Length; i++) d[i, 0] = i;
        for (var j = 0; j <= b.Length; j++) d[0, j] = j;
        for (var i = 1; i <= a.Length; i++)
        {
            for (var j = 1; j <= b.Length; j++)
            {
                var cost = a[i - 1] == b[j - 1] ? 0 : 1;
                d[i, j] = Math.Min(Math.Min(d[i - 1, j] + 1, d[i, j - 1] + 1), d[i - 1, j - 1] + cost);
                if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1])
                    d[i, j] = Math.Min(d[i, j], d[i - 2, j - 2] + 1);
            }
        }
        return d[a.Length, b.Length];
    }
}
