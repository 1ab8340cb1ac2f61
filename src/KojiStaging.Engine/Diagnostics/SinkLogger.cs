using Microsoft.Extensions.Logging;

namespace KojiStaging.Engine.Diagnostics;

/// <summary>A destination for the module's log lines: the pipeline bridge, a file, the journal.</summary>
internal interface ILogSink
{
    bool Accepts(LogSeverity level);

    void Write(LogSeverity level, string category, string text);
}

/// <summary>The one ILogger every KojiStaging provider hands out: it formats the message and passes it to its sink.</summary>
internal sealed class SinkLogger(ILogSink sink, string category) : ILogger
{
    public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

    public bool IsEnabled(LogLevel logLevel) => logLevel != LogLevel.None && sink.Accepts((LogSeverity)logLevel);

    public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
    {
        if (!IsEnabled(logLevel)) return;
        var text = formatter(state, exception);
        if (exception is not null) text = $"{text} ({exception.Message})";
        sink.Write((LogSeverity)logLevel, category, text);
    }
}
