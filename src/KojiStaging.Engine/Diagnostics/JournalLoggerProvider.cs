using Microsoft.Extensions.Logging;

namespace KojiStaging.Engine.Diagnostics;

/// <summary>
/// Writes messages to standard error with sd-daemon priority prefixes (<c>&lt;3&gt;</c> error,
/// <c>&lt;4&gt;</c> warning, <c>&lt;6&gt;</c> info, <c>&lt;7&gt;</c> debug). Under a systemd service the
/// journal reads stderr and turns the prefix into the entry's priority (SyslogLevelPrefix=yes, the default);
/// under <c>systemd-cat</c> or cron the line stays readable.
/// </summary>
public sealed class JournalLoggerProvider : ILoggerProvider, ILogSink
{
    private static readonly object Lock = new();
    private readonly TextWriter _writer;
    private readonly LogSeverity _minimum;

    public JournalLoggerProvider(LogSeverity minimum = LogSeverity.Information, TextWriter? writer = null)
    {
        _minimum = minimum;
        _writer = writer ?? Console.Error;
    }

    public ILogger CreateLogger(string categoryName) => new SinkLogger(this, FileLoggerProvider.ShortCategory(categoryName));

    public void Dispose() { }

    public void Write(LogSeverity level, string category, string text)
    {
        if (level < _minimum) return;
        var line = $"<{Priority(level)}>[{category}] {SecretRedactor.Redact(text).ReplaceLineEndings(" ")}";
        lock (Lock) { _writer.WriteLine(line); _writer.Flush(); }
    }

    public static int Priority(LogSeverity level) => level switch
    {
        LogSeverity.Trace or LogSeverity.Debug => 7,
        LogSeverity.Information => 6,
        LogSeverity.Warning => 4,
        LogSeverity.Error => 3,
        _ => 2,
    };

    bool ILogSink.Accepts(LogSeverity level) => level >= _minimum;
}
