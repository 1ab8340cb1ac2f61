using System.Collections;
using System.Management.Automation;
using System.Management.Automation.Language;
using KojiStaging.Engine.Database.Sync;

namespace KojiStaging.Completers;

/// <summary>Tab completion of sanitise rule names (and All) for -SkipSanitize.</summary>
public sealed class SanitizeRuleCompleter : IArgumentCompleter
{
    public IEnumerable<CompletionResult> CompleteArgument(string commandName, string parameterName, string wordToComplete,
        CommandAst commandAst, IDictionary fakeBoundParameters) =>
        KojiTableCompleter.Complete(SanitizeRules.Names.Append("All"), wordToComplete);
}
