using KojiStaging.Engine.Diagnostics;

namespace KojiStaging.Engine.Operations;

/// <summary>A run's own log lines (step started/finished, errors) to the configured file and journal; redacted.</summary>
public sealed class RunLog
{
    private readonly FileLoggerProvider? _file;
    private readonly JournalLoggerProvider? _journal;
    private readonly string _category;

    public RunLog(LogOptions options, string category)
    {
        if (options.FilePath is not null) _file = new FileLoggerProvider(options.FilePath, options.MinimumLevel);
        if (options.Journal) _journal = new JournalLoggerProvider(options.MinimumLevel);
        _category = category;
    }

    public void Write(LogSeverity level, string text)
    {
        _file?.Write(level, _category, text);
        _journal?.Write(level, _category, text);
    }
}
