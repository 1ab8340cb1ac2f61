using Microsoft.Extensions.Logging;

namespace KojiStaging.Engine.Diagnostics;

/// <summary>
/// Hands every message (redacted, prefixed with its short category) to a callback: the cmdlet layer's
/// bridge to Verbose/Debug/Warning. Engines log from any thread; the callback must be thread-safe.
/// </summary>
public sealed class CallbackLoggerProvider : ILoggerProvider, ILogSink
{
    private readonly Action<LogSeverity, string> _sink;

    public CallbackLoggerProvider(Action<LogSeverity, string> sink) => _sink = sink;

    public ILogger CreateLogger(string categoryName) => new SinkLogger(this, FileLoggerProvider.ShortCategory(categoryName));

    public void Dispose() { }

    bool ILogSink.Accepts(LogSeverity level) => true;

    void ILogSink.Write(LogSeverity level, string category, string text) => _sink(level, SecretRedactor.Redact($"[{category}] {text}"));
}
