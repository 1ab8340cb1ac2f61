using System.Collections;
using System.Management.Automation;
using System.Management.Automation.Language;

namespace KojiStaging.Infrastructure;

/// <summary>Tab completion for Copy-KojiVolume -Include: the source's top-level directories and its Koji volumes (vol/NAME).</summary>
public sealed class KojiVolumeIncludeCompleter : IArgumentCompleter
{
    public IEnumerable<CompletionResult> CompleteArgument(string commandName, string parameterName, string wordToComplete,
        CommandAst commandAst, IDictionary fakeBoundParameters)
    {
        if (fakeBoundParameters["Source"] is not string source || !Directory.Exists(source)) return Array.Empty<CompletionResult>();
        var top = Directory.EnumerateDirectories(source).Select(Path.GetFileName).OfType<string>();
        var vol = Path.Combine(source, "vol");
        var volumes = Directory.Exists(vol) ? Directory.EnumerateDirectories(vol).Select(d => "vol/" + Path.GetFileName(d)) : Enumerable.Empty<string>();
        return top.Concat(volumes)
            .Where(c => c.StartsWith(wordToComplete.Trim('\'', '"'), StringComparison.Ordinal))
            .Order(StringComparer.Ordinal)
            .Select(c => new CompletionResult(c, c, CompletionResultType.ParameterValue, c))
            .ToList();
    }
}
