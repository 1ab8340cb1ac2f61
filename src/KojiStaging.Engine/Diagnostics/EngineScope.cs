using Microsoft.Extensions.Logging;

namespace KojiStaging.Engine.Diagnostics;

/// <summary>
/// What every engine call receives from its host (a cmdlet, a test, a scheduled run):
/// loggers, a progress sink, cancellation, and a way to hand results back to the host's own thread
/// as they happen (a cmdlet writes objects and non-terminating errors only from the pipeline thread).
/// </summary>
public sealed class EngineScope
{
    private readonly Action<Action> _post;

    public EngineScope(ILoggerFactory logs, IProgress<StagingProgress> progress, CancellationToken cancellation, Action<Action>? post = null)
    {
        Logs = logs;
        Progress = progress;
        Cancellation = cancellation;
        _post = post ?? (a => a());
    }

    public ILoggerFactory Logs { get; }
    public IProgress<StagingProgress> Progress { get; }
    public CancellationToken Cancellation { get; }

    /// <summary>Runs <paramref name="action"/> on the host's thread (inline for hosts without one).</summary>
    public void Post(Action action) => _post(action);

    public ILogger<T> Logger<T>() => Logs.CreateLogger<T>();

    /// <summary>A scope for tests and tools: no logging, no progress, optional cancellation.</summary>
    public static EngineScope Silent(CancellationToken ct = default) =>
        new(Microsoft.Extensions.Logging.Abstractions.NullLoggerFactory.Instance, new Progress<StagingProgress>(_ => { }), ct);
}
