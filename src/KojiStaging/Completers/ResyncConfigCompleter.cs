using System.Collections;
using System.Management.Automation;
using System.Management.Automation.Language;

namespace KojiStaging.Completers;

/// <summary>
/// Completes resync configuration files: *.psd1 under the typed directory (or the current one) and, for a
/// bare word, the configurations in /etc/kojistaging. Attach with [ArgumentCompleter(typeof(ResyncConfigCompleter))].
/// </summary>
public sealed class ResyncConfigCompleter : IArgumentCompleter
{
    public static readonly string[] ConfigDirectories = { "/etc/kojistaging" };

    public IEnumerable<CompletionResult> CompleteArgument(string commandName, string parameterName, string wordToComplete,
        CommandAst commandAst, IDictionary fakeBoundParameters) =>
        PathCompletion.Complete(wordToComplete, directoriesOnly: false, extension: ".psd1", ConfigDirectories);
}
