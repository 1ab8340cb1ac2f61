using System.Management.Automation;
using KojiStaging.Engine.Diagnostics;

namespace KojiStaging.Infrastructure;

/// <summary>
/// Lets an engine ask ShouldProcess between its checks and its changes: the question is posted to the
/// pipeline thread (where PowerShell requires it) and the engine's worker waits for the answer.
/// </summary>
internal static class HostConfirmation
{
    public static Func<string, string, bool> For(Cmdlet cmdlet, EngineScope scope) => (target, action) =>
        AskAsync(cmdlet, scope, target, action).GetAwaiter().GetResult();

    /// <summary>ShouldProcess(target, action) on the pipeline thread; the engine awaits the answer.</summary>
    public static Task<bool> AskAsync(Cmdlet cmdlet, EngineScope scope, string target, string action)
    {
        var answer = new TaskCompletionSource<bool>(TaskCreationOptions.RunContinuationsAsynchronously);
        scope.Post(() =>
        {
            try { answer.SetResult(cmdlet.ShouldProcess(target, action)); }
            catch (Exception ex) { answer.SetException(ex); }
        });
        return answer.Task;
    }
}
