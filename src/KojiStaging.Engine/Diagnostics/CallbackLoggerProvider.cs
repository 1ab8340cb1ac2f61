using Microsoft.Extensions.Logging;

namespace KojiStaging.Engine.Diagnostics;

/// <summary>
/// Hands every message (redacted, prefixed with its short category) to a callback: the cmdlet layer's
/// bridge to Verbose/Debug/Warning. Engines log from any thread; the callback must be thread-safe.
/// </summary>
public sealed class CallbackLoggerProvider : ILoggerProvider
{
    private readonly Action<LogSeverity, string> _sink;

    public CallbackLoggerProvider(Action<LogSeverity, string> sink) => _sink = sink;

    public ILogger CreateLogger(string categoryName) => new CallbackLogger(FileLoggerProvider.ShortCategory(categoryName), _sink);

    public void Dispose() { }

    private sealed class CallbackLogger(string category, Action<LogSeverity, string> sink) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => logLevel != LogLevel.None;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            var text = formatter(state, exception);
            if (exception is not null) text = $"{text} ({exception.Message})";
            sink((LogSeverity)logLevel, SecretRedactor.Redact($"[{category}] {text}"));
        }
    }
}
