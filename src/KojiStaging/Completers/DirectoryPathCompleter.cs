using System.Collections;
using System.Management.Automation;
using System.Management.Automation.Language;

namespace KojiStaging.Completers;

/// <summary>Completes directory paths (a Koji topdir, a volume path). Attach with [ArgumentCompleter(typeof(DirectoryPathCompleter))].</summary>
public sealed class DirectoryPathCompleter : IArgumentCompleter
{
    public IEnumerable<CompletionResult> CompleteArgument(string commandName, string parameterName, string wordToComplete,
        CommandAst commandAst, IDictionary fakeBoundParameters) =>
        PathCompletion.Complete(wordToComplete, directoriesOnly: true, extension: null);
}
