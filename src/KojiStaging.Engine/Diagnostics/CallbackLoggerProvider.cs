using Microsoft.Extensions.Logging;

namespace KojiStaging.Engine.Diagnostics;

/// <summary>
/// Hands every message (redacted) to a callback: the cmdlet layer's bridge to Verbose/Debug/Warning.
/// Verbose and debug lines carry their short category (<c>[DbSyncEngine] …</c>) for whoever traces a run;
/// warnings and errors are worded for the operator and carry no class name. Files and the journal keep the category.
/// Engines log from any thread; the callback must be thread-safe.
/// </summary>
public sealed class CallbackLoggerProvider : ILoggerProvider, ILogSink
{
    private readonly Action<LogSeverity, string> _sink;

    public CallbackLoggerProvider(Action<LogSeverity, string> sink) => _sink = sink;

    public ILogger CreateLogger(string categoryName) => new SinkLogger(this, FileLoggerProvider.ShortCategory(categoryName));

    public void Dispose() { }

    bool ILogSink.Accepts(LogSeverity level) => true;

    void ILogSink.Write(LogSeverity level, string category, string text) =>
        _sink(level, SecretRedactor.Redact(level >= LogSeverity.Warning ? text : $"[{category}] {text}"));
}
