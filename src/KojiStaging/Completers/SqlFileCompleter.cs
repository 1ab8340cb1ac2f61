using System.Collections;
using System.Management.Automation;
using System.Management.Automation.Language;

namespace KojiStaging.Completers;

/// <summary>Completes *.sql files (and directories). Attach with [ArgumentCompleter(typeof(SqlFileCompleter))].</summary>
public sealed class SqlFileCompleter : IArgumentCompleter
{
    public IEnumerable<CompletionResult> CompleteArgument(string commandName, string parameterName, string wordToComplete,
        CommandAst commandAst, IDictionary fakeBoundParameters) =>
        PathCompletion.Complete(wordToComplete, directoriesOnly: false, extension: ".sql");
}
