using System.Text;
using Microsoft.Extensions.Logging;

namespace KojiStaging.Engine.Diagnostics;

/// <summary>
/// Appends one line per message to a log file for scheduled runs:
/// <c>2026-11-24T23:59:01.123Z INFO  [1234] [Category] text</c>. Text passes through
/// <see cref="SecretRedactor"/>; writes from many threads (and several cmdlets in one process) are serialised.
/// </summary>
public sealed class FileLoggerProvider : ILoggerProvider, ILogSink
{
    private static readonly Dictionary<string, object> Locks = new(StringComparer.Ordinal);
    private readonly string _path;
    private readonly LogSeverity _minimum;
    private readonly object _lock;

    public FileLoggerProvider(string path, LogSeverity minimum = LogSeverity.Information)
    {
        _path = Path.GetFullPath(path);
        _minimum = minimum;
        var dir = Path.GetDirectoryName(_path);
        if (!string.IsNullOrEmpty(dir)) Directory.CreateDirectory(dir);
        lock (Locks) { if (!Locks.TryGetValue(_path, out _lock!)) Locks[_path] = _lock = new object(); }
    }

    public ILogger CreateLogger(string categoryName) => new SinkLogger(this, ShortCategory(categoryName));

    public void Dispose() { }

    /// <summary>Writes one already-formatted message; also used by cmdlets that log their own steps.</summary>
    public void Write(LogSeverity level, string category, string text)
    {
        if (level < _minimum) return;
        var line = $"{DateTimeOffset.UtcNow:yyyy-MM-ddTHH:mm:ss.fffZ} {Label(level),-5} [{Environment.ProcessId}] [{category}] {SecretRedactor.Redact(text)}\n";
        var bytes = Encoding.UTF8.GetBytes(line);
        lock (_lock)
        {
            using var fs = new FileStream(_path, FileMode.Append, FileAccess.Write, FileShare.ReadWrite | FileShare.Delete);
            fs.Write(bytes);
        }
    }

    internal static string ShortCategory(string category) => category[(category.LastIndexOf('.') + 1)..];

    private static string Label(LogSeverity level) => level switch
    {
        LogSeverity.Trace => "TRACE",
        LogSeverity.Debug => "DEBUG",
        LogSeverity.Information => "INFO",
        LogSeverity.Warning => "WARN",
        LogSeverity.Error => "ERROR",
        _ => "CRIT",
    };

    bool ILogSink.Accepts(LogSeverity level) => level >= _minimum;
}
