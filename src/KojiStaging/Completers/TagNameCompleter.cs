using System.Collections;
using System.Management.Automation;
using System.Management.Automation.Language;
using KojiStaging.Engine.Database;
using KojiStaging.Engine.Operations;

namespace KojiStaging.Completers;

/// <summary>
/// Completes Koji tag names from what the command line already names: the hub typed for -Hub (listTags, as
/// Copy-KojiSubset reads production), else the database typed for -Destination, -Connection or -Source (in that
/// order). Unreachable hubs and databases complete nothing (within a 3 s budget). Attach with
/// [ArgumentCompleter(typeof(TagNameCompleter))].
/// </summary>
public sealed class TagNameCompleter : IArgumentCompleter
{
    public IEnumerable<CompletionResult> CompleteArgument(string commandName, string parameterName, string wordToComplete,
        CommandAst commandAst, IDictionary fakeBoundParameters)
    {
        var hub = fakeBoundParameters.Contains("Hub") ? fakeBoundParameters["Hub"] : null;
        if (hub is PSObject pso) hub = pso.BaseObject;
        var hubUri = hub as Uri ?? (hub is string s && Uri.TryCreate(s, UriKind.Absolute, out var u) ? u : null);
        if (hubUri is not null)
            return DatabaseCompletion.Answer(() => KojiNameLookup.HubTagsAsync(hubUri, wordToComplete ?? "", CancellationToken.None), "tag");
        return DatabaseCompletion.Complete(fakeBoundParameters, c => KojiNameLookup.TagsAsync(c, wordToComplete ?? "", CancellationToken.None), wordToComplete, "tag");
    }
}

/// <summary>Completes Koji volume names from the staging database (as <see cref="TagNameCompleter"/> finds it).</summary>
public sealed class VolumeNameCompleter : IArgumentCompleter
{
    public IEnumerable<CompletionResult> CompleteArgument(string commandName, string parameterName, string wordToComplete,
        CommandAst commandAst, IDictionary fakeBoundParameters) =>
        DatabaseCompletion.Complete(fakeBoundParameters, c => KojiNameLookup.VolumesAsync(c, wordToComplete ?? "", CancellationToken.None), wordToComplete, "volume");
}

internal static class DatabaseCompletion
{
    private static readonly string[] ConnectionParameters = { "Destination", "Connection", "Source" };

    public static IEnumerable<CompletionResult> Complete(IDictionary bound, Func<KojiDatabaseConnection, Task<IReadOnlyList<string>>> query, string? word, string what)
    {
        var connection = Find(bound);
        if (connection is null) return Array.Empty<CompletionResult>();
        return Answer(() => query(connection), what);
    }

    /// <summary>Runs a lookup within the 3 s budget; any failure completes nothing.</summary>
    public static IEnumerable<CompletionResult> Answer(Func<Task<IReadOnlyList<string>>> query, string what)
    {
        try
        {
            var task = query();
            if (!task.Wait(TimeSpan.FromSeconds(3))) return Array.Empty<CompletionResult>();
            return task.Result.Select(n => new CompletionResult(Quote(n), n, CompletionResultType.ParameterValue, $"Koji {what} {n}"));
        }
        catch (Exception) { return Array.Empty<CompletionResult>(); }   // completion never throws at the operator
    }

    private static KojiDatabaseConnection? Find(IDictionary bound)
    {
        foreach (var name in ConnectionParameters)
        {
            var value = bound.Contains(name) ? bound[name] : null;
            if (value is PSObject pso) value = pso.BaseObject;
            if (value is KojiDatabaseConnection k) return k;
            if (value is string s && s.Length > 0) { try { return new KojiDatabaseConnection(s); } catch (Exception) { } }
        }
        return null;
    }

    private static string Quote(string s) => s.IndexOfAny(new[] { ' ', '\'', '$', '(', ')', ';', ',', '@', '{', '}' }) >= 0 ? "'" + s.Replace("'", "''") + "'" : s;
}
