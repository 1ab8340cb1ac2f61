using Microsoft.Extensions.Logging;

namespace KojiStaging.Engine.Storage;

/// <summary>
/// Records how to undo each step a multi-step creation has done, so that a failure part-way can
/// undo them in reverse order. Undo steps must not throw away the original error: their own failures
/// are logged as warnings and the remaining steps still run.
/// </summary>
public sealed class UndoStack
{
    private readonly Stack<(string What, Func<Task> Undo)> _steps = new();
    private readonly ILogger _log;

    public UndoStack(ILogger log) => _log = log;

    public int Count => _steps.Count;

    public void Push(string what, Func<Task> undo) => _steps.Push((what, undo));

    /// <summary>Forget everything: the work succeeded and stays.</summary>
    public void Commit() => _steps.Clear();

    /// <summary>Undoes every recorded step, newest first. Returns what could not be undone.</summary>
    public async Task<IReadOnlyList<string>> RollbackAsync()
    {
        var left = new List<string>();
        while (_steps.TryPop(out var step))
        {
            try
            {
                _log.LogInformation("Rolling back: {What}", step.What);
                await step.Undo().ConfigureAwait(false);
            }
            catch (Exception ex)
            {
                _log.LogWarning("Could not roll back {What}: {Error}", step.What, ex.Message);
                left.Add($"{step.What} ({ex.Message})");
            }
        }
        return left;
    }
}
