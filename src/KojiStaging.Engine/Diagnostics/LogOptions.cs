namespace KojiStaging.Engine.Diagnostics;

/// <summary>
/// Where an engine run logs besides the PowerShell streams: a file (appended, one line per message)
/// and/or the systemd journal (stderr lines with sd-daemon priority prefixes such as <c>&lt;6&gt;</c>).
/// </summary>
public sealed record LogOptions(string? FilePath = null, bool Journal = false, LogSeverity MinimumLevel = LogSeverity.Information)
{
    public static LogOptions None { get; } = new();

    public bool IsEmpty => FilePath is null && !Journal;

    /// <summary>Environment fallback for scheduled runs: KOJISTAGING_LOG_PATH, KOJISTAGING_LOG_JOURNAL, KOJISTAGING_LOG_LEVEL.</summary>
    public static LogOptions FromValues(string? filePath, object? journal, object? level)
    {
        filePath = string.IsNullOrWhiteSpace(filePath) ? Env("KOJISTAGING_LOG_PATH") : filePath;
        var journalOn = IsTrue(journal) || IsTrue(Env("KOJISTAGING_LOG_JOURNAL"));
        var levelText = level?.ToString() ?? Env("KOJISTAGING_LOG_LEVEL");
        var min = Enum.TryParse<LogSeverity>(levelText, ignoreCase: true, out var l) ? l : LogSeverity.Information;
        return new LogOptions(filePath is null ? null : Path.GetFullPath(filePath), journalOn, min);
    }

    private static bool IsTrue(object? value) => value switch
    {
        null => false,
        bool b => b,
        string s => s is "1" || s.Equals("true", StringComparison.OrdinalIgnoreCase) || s.Equals("yes", StringComparison.OrdinalIgnoreCase),
        _ => value.ToString() is "True" or "1",
    };

    private static string? Env(string name) => Environment.GetEnvironmentVariable(name) is { Length: > 0 } v ? v : null;
}
