using Microsoft.Extensions.Logging;

namespace KojiStaging.Engine.Diagnostics;

/// <summary>
/// Builds the <see cref="EngineScope"/> a host hands to an engine: loggers wired to the host's callback
/// and, for scheduled runs, a log file and/or the journal. Its signature uses only BCL and engine types,
/// so the cmdlet assembly (default AssemblyLoadContext) never touches Microsoft.Extensions.* types,
/// which the module loads in its own context.
/// </summary>
public sealed class EngineSession : IDisposable
{
    private readonly ILoggerFactory _factory;
    private readonly FileLoggerProvider? _file;
    private readonly JournalLoggerProvider? _journal;

    public EngineSession(Action<LogSeverity, string> sink, IProgress<StagingProgress> progress, CancellationToken cancellation,
        Action<Action>? post, LogOptions? options)
    {
        options ??= LogOptions.None;
        if (options.FilePath is not null) _file = new FileLoggerProvider(options.FilePath, options.MinimumLevel);
        if (options.Journal) _journal = new JournalLoggerProvider(options.MinimumLevel);
        // Built directly, not through LoggerFactory.Create: that sets up a dependency-injection container for
        // every cmdlet call, and compiling it was a tenth of a second of a cold pwsh's first call.
        var providers = new List<ILoggerProvider> { new CallbackLoggerProvider(sink) };
        if (_file is not null) providers.Add(_file);
        if (_journal is not null) providers.Add(_journal);
        _factory = new LoggerFactory(providers, new LoggerFilterOptions { MinLevel = LogLevel.Trace });
        Scope = new EngineScope(_factory, progress, cancellation, post);
        Options = options;
    }

    public EngineScope Scope { get; }
    public LogOptions Options { get; }

    /// <summary>Writes a message of the host's own (not from an engine) to the file and journal only.</summary>
    public void WriteToSinks(LogSeverity level, string category, string text)
    {
        _file?.Write(level, category, text);
        _journal?.Write(level, category, text);
    }

    /// <summary>A factory does not dispose providers it was given, so the file and journal are closed here.</summary>
    public void Dispose()
    {
        _factory.Dispose();
        _file?.Dispose();
        _journal?.Dispose();
    }
}
