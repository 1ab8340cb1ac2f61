using System.Collections.Concurrent;
using System.Management.Automation;
using KojiStaging.Engine.Database;
using KojiStaging.Engine.Diagnostics;

namespace KojiStaging.Infrastructure;

/// <summary>
/// Base of every KojiStaging cmdlet. Engines run on a worker task; their log messages, progress
/// reports and posted actions are pumped back onto the pipeline thread, where PowerShell requires
/// WriteObject/WriteVerbose/WriteProgress to be called. Ctrl+C (StopProcessing) cancels the engine.
/// </summary>
public abstract class KojiStagingCmdlet : PSCmdlet, IDisposable
{
    private readonly CancellationTokenSource _stopping = new();

    protected CancellationToken StopToken => _stopping.Token;

    /// <summary>Least time between two progress redraws (the latest report per activity is kept meanwhile).</summary>
    internal const int ProgressIntervalMs = 250;

    protected override void StopProcessing() => _stopping.Cancel();

    public void Dispose()
    {
        _stopping.Dispose();
        GC.SuppressFinalize(this);
    }

    /// <summary>Runs engine work and pumps its output until it finishes; engine failures become terminating ErrorRecords.</summary>
    protected T RunEngine<T>(Func<EngineScope, Task<T>> work) => RunEngine(work, perItem: false, null, out _);

    /// <summary>
    /// Runs engine work for one pipeline item. Its failure is written as a non-terminating ErrorRecord, so -ErrorAction
    /// decides (Stop ends the pipeline, Continue and SilentlyContinue go on with the next item); false when it failed.
    /// Ctrl+C still stops the whole pipeline.
    /// </summary>
    protected bool TryRunEngine<T>(Func<EngineScope, Task<T>> work, object? target, out T result)
    {
        result = RunEngine(work, perItem: true, target, out var failed);
        return !failed;
    }

    /// <inheritdoc cref="TryRunEngine{T}(Func{EngineScope, Task{T}}, object?, out T)"/>
    protected bool TryRunEngine(Func<EngineScope, Task> work, object? target) =>
        TryRunEngine<bool>(async scope => { await work(scope).ConfigureAwait(false); return true; }, target, out _);

    /// <summary>An item's bad input found in the cmdlet itself: non-terminating, the next item is still processed.</summary>
    protected void WriteItemError(string errorId, ErrorCategory category, string message, object? target) =>
        WriteError(new ErrorRecord(new ArgumentException(message), errorId, category, target));

    /// <summary>Not <paramref name="perItem"/>: a failure is terminating; otherwise it is written for the item and default returned.</summary>
    private T RunEngine<T>(Func<EngineScope, Task<T>> work, bool perItem, object? target, out bool failed)
    {
        failed = false;
        using var queue = new BlockingCollection<Action>();
        var progress = new ProgressCoalescer();
        var logOptions = CurrentLogOptions();
        using var session = new EngineSession((level, text) => { try { queue.Add(() => WriteLog(level, text, !logOptions.IsEmpty)); } catch (InvalidOperationException) { } }, progress, StopToken,
            action => { try { queue.Add(action); } catch (InvalidOperationException) { action(); } }, logOptions);
        var scope = session.Scope;

        var task = Task.Run(() => work(scope));
        task.ContinueWith(_ => queue.CompleteAdding(), TaskScheduler.Default);
        using var ctrlC = ListenForCtrlC();
        // Once stopping, keep pumping (posted actions still run; a Write* that throws PipelineStoppedException is ignored)
        // until the engine has cleaned up (Sync drops its half-built database), for at most CleanupBudget: leaving earlier
        // would let `pwsh -c` exit and kill the cleanup half-way.
        DateTime? giveUpAt = null;
        void Pump(Action a)
        {
            try { a(); }
            catch (PipelineStoppedException) { _stopping.Cancel(); }
        }
        var sinceDraw = System.Diagnostics.Stopwatch.StartNew();
        while (!queue.IsCompleted)
        {
            if (queue.TryTake(out var action, 100)) Pump(action);
            if (StopToken.IsCancellationRequested) giveUpAt ??= DateTime.UtcNow + CleanupBudget;
            // A few redraws a second: the host renders every record, and a busy console must not slow the pipeline thread.
            else if (sinceDraw.ElapsedMilliseconds >= ProgressIntervalMs)
            {
                foreach (var record in progress.Drain()) Pump(() => WriteProgress(record));
                sinceDraw.Restart();
            }
            if (DateTime.UtcNow > giveUpAt) break;
        }
        if (!StopToken.IsCancellationRequested)
        {
            foreach (var record in progress.Drain()) WriteProgress(record);
            progress.CompleteAll(WriteProgress);
        }

        try
        {
            if (!task.IsCompleted) throw new OperationCanceledException(StopToken);
            return task.GetAwaiter().GetResult();
        }
        catch (Exception ex) when (StopToken.IsCancellationRequested)
        {
            // Stopped: say what the engine left (its cancellation message is checked after the fact) on the host, logs and journal.
            var what = task.IsCompleted ? (ex as StagingException)?.Message ?? "stopped" : $"stopped; cleanup still running after {CleanupBudget.TotalSeconds:F0} s";
            session.WriteToSinks(LogSeverity.Warning, MyInvocation.MyCommand?.Name ?? GetType().Name, $"stopped by the user (Ctrl+C): {what}");
            try { Host?.UI?.WriteWarningLine(SecretRedactor.Redact(what)); } catch (Exception) { /* the host may be gone */ }
            throw new PipelineStoppedException();
        }
        catch (Exception ex)
        {
            var record = ToErrorRecord(ex, target);
            NameCredentialParameter(record);
            session.WriteToSinks(LogSeverity.Error, MyInvocation.MyCommand?.Name ?? GetType().Name,
                $"{record.FullyQualifiedErrorId}: {record.ErrorDetails?.Message ?? record.Exception.Message}");
            if (!perItem) ThrowTerminatingError(record);
            failed = true;
            WriteError(record);
            return default!;
        }
    }

    /// <summary>How long a stopped cmdlet waits for its engine to clean up before returning anyway.</summary>
    private static readonly TimeSpan CleanupBudget = TimeSpan.FromSeconds(20);

    /// <summary>
    /// In a console, SIGINT (Ctrl+C) cancels the engine directly, besides PowerShell's own StopProcessing: the stop then
    /// does not depend on the host's Ctrl+C path reaching this cmdlet. PowerShell's handling of the signal is unchanged.
    /// </summary>
    private IDisposable? ListenForCtrlC()
    {
        if (OperatingSystem.IsWindows() || Host?.Name != "ConsoleHost") return null;
        try { return System.Runtime.InteropServices.PosixSignalRegistration.Create(System.Runtime.InteropServices.PosixSignal.SIGINT, _ => _stopping.Cancel()); }
        catch (Exception) { return null; }
    }

    protected void RunEngine(Func<EngineScope, Task> work) =>
        RunEngine<bool>(async scope => { await work(scope).ConfigureAwait(false); return true; });

    protected static ErrorRecord ToErrorRecord(Exception ex, object? target = null)
    {
        if (ex is AggregateException { InnerExceptions.Count: 1 } agg) ex = agg.InnerExceptions[0];
        if (ex is StagingException se)
        {
            var category = Enum.TryParse<ErrorCategory>(se.Category.ToString(), out var c) ? c : ErrorCategory.NotSpecified;
            var record = new ErrorRecord(se, se.ErrorId, category, se.Target ?? target);
            if (se.RecommendedAction is not null)
                record.ErrorDetails = new ErrorDetails(SecretRedactor.Redact(se.Message)) { RecommendedAction = se.RecommendedAction };
            return record;
        }
        return new ErrorRecord(ex, "UnexpectedError", ErrorCategory.NotSpecified, target)
        {
            ErrorDetails = new ErrorDetails(SecretRedactor.Redact(ex.Message)),
        };
    }

    /// <summary>
    /// The PSCredential parameter of this cmdlet that supplies the password for a PostgreSQL login in
    /// <paramref name="role"/> ("source", "staging", …), or null when the password can only come from the connection
    /// string, PGPASSWORD or ~/.pgpass. By default a -Credential parameter is the staging login's.
    /// </summary>
    protected virtual string? PgCredentialParameter(string role) =>
        role == "staging" && MyInvocation.MyCommand?.Parameters.ContainsKey("Credential") == true ? "-Credential" : null;

    /// <summary>A refused login's hint names the parameter this cmdlet really has for that password.</summary>
    private void NameCredentialParameter(ErrorRecord record)
    {
        if (record.Exception is not StagingException { ErrorId: "PgAuthenticationFailed" } se || se.Data[PgConnector.RoleKey] is not string role) return;
        record.ErrorDetails = new ErrorDetails(record.ErrorDetails?.Message ?? SecretRedactor.Redact(se.Message))
        { RecommendedAction = PgConnector.PasswordHint(PgCredentialParameter(role)) };
    }

    /// <summary>A terminating error for a StagingException detected in the cmdlet itself (before any engine work).</summary>
    protected void ThrowStaging(StagingException ex) => ThrowTerminatingError(ToErrorRecord(ex));

    /// <summary>
    /// The full path of a parameter that names a folder; a file there (or a file where one of its parents should be a
    /// folder) is refused up front as PathNotDirectory, so no engine reaches it and nothing is created.
    /// </summary>
    protected string ResolveDirectory(string path, string parameter)
    {
        var full = SessionState.Path.GetUnresolvedProviderPathFromPSPath(path);
        for (var p = full; !string.IsNullOrEmpty(p); p = Path.GetDirectoryName(p))
        {
            if (Directory.Exists(p)) break;
            if (File.Exists(p))
                ThrowStaging(new StagingException("PathNotDirectory", StagingErrorCategory.InvalidArgument,
                    p == full ? $"-{parameter} '{full}' is a file; it must name a folder." : $"-{parameter} '{full}' lies under '{p}', which is a file, not a folder.", full));
        }
        return full;
    }

    /// <summary>A terminating error for bad input detected in the cmdlet itself.</summary>
    protected void ThrowInvalidArgument(string errorId, string message, object? target) =>
        ThrowTerminatingError(new ErrorRecord(new ArgumentException(message), errorId, ErrorCategory.InvalidArgument, target));

    /// <summary>
    /// Where engine logs go besides the streams: $KojiStagingLogPath / $KojiStagingLogJournal / $KojiStagingLogLevel
    /// (module-wide preferences; Invoke-KojiStagingResync sets them for its run), else KOJISTAGING_LOG_* environment variables.
    /// </summary>
    protected LogOptions CurrentLogOptions() => LogOptions.FromValues(
        GetVariableValue("KojiStagingLogPath") is { } path ? SessionState.Path.GetUnresolvedProviderPathFromPSPath(path.ToString()) : null,
        GetVariableValue("KojiStagingLogJournal"), GetVariableValue("KojiStagingLogLevel"));

    private void WriteLog(LogSeverity level, string text, bool sinksHaveIt)
    {
        switch (level)
        {
            case LogSeverity.Trace or LogSeverity.Debug: WriteDebug(text); break;
            case LogSeverity.Information: WriteVerbose(text); break;
            default:
                if (sinksHaveIt) LoggedWarnings.Add(text);
                WriteWarning(text);
                break;
        }
    }

    /// <summary>Keeps the latest report per activity so a fast engine cannot flood the host with progress.</summary>
    private sealed class ProgressCoalescer : IProgress<StagingProgress>
    {
        private readonly ConcurrentDictionary<int, StagingProgress> _pending = new();
        private readonly ConcurrentDictionary<int, StagingProgress> _open = new();

        public void Report(StagingProgress value) => _pending[value.ActivityId] = value;

        public IEnumerable<ProgressRecord> Drain()
        {
            foreach (var id in _pending.Keys.OrderBy(k => k))
            {
                if (!_pending.TryRemove(id, out var p)) continue;
                if (p.Completed) _open.TryRemove(id, out _); else _open[id] = p;
                yield return ToRecord(p);
            }
        }

        public void CompleteAll(Action<ProgressRecord> write)
        {
            foreach (var p in _open.Values) write(ToRecord(p with { Completed = true }));
            _open.Clear();
        }

        private static ProgressRecord ToRecord(StagingProgress p) => new(p.ActivityId, p.Activity, string.IsNullOrEmpty(p.Status) ? " " : p.Status)
        {
            PercentComplete = Math.Clamp(p.PercentComplete, -1, 100),
            CurrentOperation = p.CurrentOperation,
            ParentActivityId = p.ParentActivityId,
            SecondsRemaining = p.SecondsRemaining,
            RecordType = p.Completed ? ProgressRecordType.Completed : ProgressRecordType.Processing,
        };
    }
}
