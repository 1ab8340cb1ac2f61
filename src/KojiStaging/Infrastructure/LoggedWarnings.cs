using System.Collections.Concurrent;

namespace KojiStaging.Infrastructure;

/// <summary>
/// Warnings a cmdlet's engine session has already written to the log file and journal before they reach the
/// warning stream. Invoke-KojiStagingResync forwards its steps' warnings to its own log only when they are not
/// here, so each warning is logged once.
/// </summary>
internal static class LoggedWarnings
{
    private static readonly ConcurrentDictionary<string, int> Pending = new(StringComparer.Ordinal);

    public static void Add(string text) => Pending.AddOrUpdate(text, 1, (_, n) => n + 1);

    /// <summary>True (and forgets one occurrence) when the text was already logged.</summary>
    public static bool Consume(string text)
    {
        while (Pending.TryGetValue(text, out var n))
        {
            if (n <= 1 ? Pending.TryRemove(new KeyValuePair<string, int>(text, n)) : Pending.TryUpdate(text, n - 1, n)) return true;
        }
        return false;
    }
}
