using System.Management.Automation;

namespace KojiStaging.Completers;

/// <summary>File-system completion shared by the path completers: quoted when needed, directories end with '/'.</summary>
internal static class PathCompletion
{
    public static IEnumerable<CompletionResult> Complete(string? word, bool directoriesOnly, string? extension, IEnumerable<string>? extraDirectories = null)
    {
        word = (word ?? "").Trim('\'', '"');
        var expanded = word;
        var dirPart = expanded.Contains('/') ? expanded[..(expanded.LastIndexOf('/') + 1)] : "";
        var filePart = expanded[dirPart.Length..];
        var searchDir = dirPart.Length == 0 ? Directory.GetCurrentDirectory() : dirPart;
        var results = new List<CompletionResult>();
        if (Directory.Exists(searchDir))
        {
            try
            {
                foreach (var d in Directory.EnumerateDirectories(searchDir, filePart + "*").Order(StringComparer.Ordinal).Take(200))
                    results.Add(Result(word, dirPart, Path.GetFileName(d) + "/", ProviderTypeFor(true)));
                if (!directoriesOnly)
                    foreach (var f in Directory.EnumerateFiles(searchDir, filePart + "*" + (extension ?? "")).Order(StringComparer.Ordinal).Take(200))
                        results.Add(Result(word, dirPart, Path.GetFileName(f), ProviderTypeFor(false)));
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException) { }
        }
        if (dirPart.Length == 0 && extraDirectories is not null)
            foreach (var dir in extraDirectories.Where(Directory.Exists))
                foreach (var f in SafeFiles(dir, filePart + "*" + (extension ?? "")))
                    results.Add(Result(word, "", f, ProviderTypeFor(false)));
        return results;
    }

    private static IEnumerable<string> SafeFiles(string dir, string pattern)
    {
        try { return Directory.EnumerateFiles(dir, pattern).Order(StringComparer.Ordinal).Take(100).ToList(); }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException) { return Array.Empty<string>(); }
    }

    private static CompletionResultType ProviderTypeFor(bool directory) => directory ? CompletionResultType.ProviderContainer : CompletionResultType.ProviderItem;

    private static CompletionResult Result(string word, string dirPart, string name, CompletionResultType type)
    {
        var text = dirPart + name;
        var quoted = text.IndexOfAny(new[] { ' ', '\'', '$', '`', '&', '(', ')', ';', ',' }) >= 0 ? "'" + text.Replace("'", "''") + "'" : text;
        return new CompletionResult(quoted, name, type, text);
    }
}
