using KojiStaging.Engine.Diagnostics;
using Microsoft.Extensions.Logging;

namespace KojiStaging.Infrastructure;

/// <summary>
/// Bridges Microsoft.Extensions.Logging to the PowerShell streams: Trace/Debug → Debug,
/// Information → Verbose, Warning and above → Warning. Engines log from any thread, so each message
/// is posted to the pipeline thread. Text passes through <see cref="SecretRedactor"/>.
/// </summary>
internal sealed class PipelineLoggerProvider : ILoggerProvider
{
    private readonly Action<LogLevel, string> _sink;

    public PipelineLoggerProvider(Action<LogLevel, string> sink) => _sink = sink;

    public ILogger CreateLogger(string categoryName) => new PipelineLogger(categoryName, _sink);

    public void Dispose() { }

    private sealed class PipelineLogger : ILogger
    {
        private readonly string _category;
        private readonly Action<LogLevel, string> _sink;

        public PipelineLogger(string category, Action<LogLevel, string> sink)
        {
            _category = category[(category.LastIndexOf('.') + 1)..];
            _sink = sink;
        }

        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => logLevel != LogLevel.None;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception,
            Func<TState, Exception?, string> formatter)
        {
            var text = formatter(state, exception);
            if (exception is not null) text = $"{text} ({exception.Message})";
            _sink(logLevel, SecretRedactor.Redact($"[{_category}] {text}"));
        }
    }
}
