using System.Collections;
using System.Management.Automation;
using System.Management.Automation.Language;
using KojiStaging.Engine.Operations;

namespace KojiStaging.Completers;

/// <summary>Completes the names of scheduled resyncs (systemd timers and cron entries written by Register-KojiStagingResync).</summary>
public sealed class ScheduledResyncCompleter : IArgumentCompleter
{
    public IEnumerable<CompletionResult> CompleteArgument(string commandName, string parameterName, string wordToComplete,
        CommandAst commandAst, IDictionary fakeBoundParameters)
    {
        var dirs = new List<string> { "/etc/systemd/system", "/etc/cron.d" };
        if (fakeBoundParameters["UnitDirectory"] is string d) dirs.Insert(0, d);
        return ResyncScheduler.ListNames(dirs)
            .Where(n => n.StartsWith(wordToComplete ?? "", StringComparison.OrdinalIgnoreCase))
            .Select(n => new CompletionResult(n, n, CompletionResultType.ParameterValue, $"scheduled resync {n}"));
    }
}
