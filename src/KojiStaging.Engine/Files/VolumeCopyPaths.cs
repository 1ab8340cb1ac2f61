using KojiStaging.Engine.Diagnostics;

namespace KojiStaging.Engine.Files;

/// <summary>One included subtree: the entry <see cref="Name"/> inside the directory <see cref="Parent"/> (relative, "" = top).</summary>
internal sealed record IncludedEntry(string Parent, string? Name)
{
    /// <summary>The included subtree's path relative to the top ("" = the whole tree).</summary>
    public string Path => Name is null ? Parent : Parent.Length == 0 ? Name : $"{Parent}/{Name}";
}

/// <summary>Checks source, destination and -Include before anything is touched; errors have stable ids.</summary>
internal static class VolumeCopyPaths
{
    public static (string Source, string Destination, IReadOnlyList<IncludedEntry> Includes) Resolve(VolumeCopyOptions o)
    {
        if (string.IsNullOrWhiteSpace(o.Source)) throw Bad("SourceMissing", "No source given.", o.Source);
        if (string.IsNullOrWhiteSpace(o.Destination)) throw Bad("DestinationMissing", "No destination given.", o.Destination);
        var source = NativeFs.RealPath(Path.GetFullPath(o.Source));
        if (source is null || NativeFs.TryLstat(source) is not { Kind: EntryKind.Directory })
            throw new StagingException("SourceNotFound", StagingErrorCategory.ObjectNotFound,
                $"The source directory '{o.Source}' does not exist.", o.Source)
            { RecommendedAction = "Check that the production tree is mounted (for example findmnt /mnt/koji)." };
        var destination = ResolveMaybeMissing(Path.GetFullPath(o.Destination));
        if (NativeFs.TryLstat(destination) is { Kind: not EntryKind.Directory })
            throw Bad("DestinationNotDirectory", $"The destination '{o.Destination}' exists and is not a directory.", o.Destination);
        if (destination == source)
            throw Bad("DestinationIsSource", $"Source and destination are the same directory ('{source}').", o.Destination);
        if (IsInside(destination, source))
            throw Bad("DestinationInsideSource", $"The destination '{destination}' is inside the source '{source}'; the copy would copy itself.", o.Destination);
        if (IsInside(source, destination))
            throw Bad("SourceInsideDestination", $"The source '{source}' is inside the destination '{destination}'; -Delete or a copy would overwrite it.", o.Destination);
        RefusePseudoFilesystem(destination, o.Destination);
        var includes = NormalizeIncludes(o.Include);
        foreach (var include in includes)
            if (include.Name is not null && NativeFs.TryLstat(Path.Join(source, include.Path)) is null)
                throw new StagingException("IncludeNotFound", StagingErrorCategory.ObjectNotFound,
                    $"-Include '{include.Path}' does not exist in the source '{source}'; nothing was copied or created.{NearIn(source, include)}", include.Path);
        return (source, destination, includes);
    }

    /// <summary>" Did you mean …?" from the names in the deepest existing folder on the include's way.</summary>
    private static string NearIn(string source, IncludedEntry include)
    {
        var segments = include.Path.Split('/');
        var dir = source;
        var i = 0;
        while (i < segments.Length - 1 && Directory.Exists(Path.Join(dir, segments[i]))) dir = Path.Join(dir, segments[i++]);
        var prefix = string.Join('/', segments.Take(i));
        try
        {
            var names = Directory.EnumerateFileSystemEntries(dir).Select(e => prefix.Length == 0 ? Path.GetFileName(e) : $"{prefix}/{Path.GetFileName(e)}");
            return NearestNames.DidYouMean(string.Join('/', segments.Take(i + 1)), names);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException) { return ""; }
    }

    /// <summary>Kernel pseudo filesystems hold no ordinary files: refuse them before the destination is created.</summary>
    private static void RefusePseudoFilesystem(string destination, string given)
    {
        string? fs;
        try { fs = MountTable.Read().Find(DeepestExisting(destination))?.FsType; }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException) { return; }
        if (fs is "proc" or "sysfs" or "cgroup" or "cgroup2" or "devpts" or "debugfs" or "tracefs" or "securityfs" or "pstore" or "bpf" or "configfs" or "efivarfs" or "mqueue" or "binfmt_misc")
            throw new StagingException("DestinationFilesystemUnsupported", StagingErrorCategory.InvalidArgument,
                $"The destination '{given}' is on a {fs} filesystem, which holds no ordinary files; nothing was created.", given)
            { RecommendedAction = "Give -Destination a folder on the staging filesystem (for example /mnt/koji-stg)." };
    }

    private static string DeepestExisting(string path)
    {
        var p = path;
        while (p.Length > 1 && NativeFs.TryLstat(p) is null) p = Path.GetDirectoryName(p) ?? "/";
        return p;
    }

    private static bool IsInside(string path, string root) => path.StartsWith(root == "/" ? "/" : root + "/", StringComparison.Ordinal);

    /// <summary>realpath of the deepest existing ancestor plus the rest, so a new destination is checked too.</summary>
    private static string ResolveMaybeMissing(string path)
    {
        var rest = new Stack<string>();
        var current = path.TrimEnd('/');
        while (true)
        {
            if (current.Length == 0) current = "/";
            if (NativeFs.RealPath(current) is { } real)
                return rest.Count == 0 ? real : Path.Join(real, string.Join('/', rest));
            rest.Push(Path.GetFileName(current));
            current = Path.GetDirectoryName(current) ?? "/";
        }
    }

    public static IReadOnlyList<IncludedEntry> NormalizeIncludes(IReadOnlyList<string> includes)
    {
        var parts = new List<string>();
        foreach (var raw in includes)
        {
            var segments = raw.Replace('\\', '/').Split('/', StringSplitOptions.RemoveEmptyEntries).Where(s => s != ".").ToArray();
            if (segments.Any(s => s == ".."))
                throw Bad("IncludeOutsideSource", $"-Include '{raw}' leaves the source tree; give paths relative to the source, such as packages or vol/archive.", raw);
            if (raw.StartsWith('/'))
                throw Bad("IncludeNotRelative", $"-Include '{raw}' is absolute; give paths relative to the source, such as packages or vol/archive.", raw);
            if (segments.Length == 0) return new[] { new IncludedEntry("", null) };
            parts.Add(string.Join('/', segments));
        }
        if (parts.Count == 0) return new[] { new IncludedEntry("", null) };
        // drop duplicates and subtrees already covered by a shorter include
        var kept = parts.Distinct().OrderBy(p => p.Length).Aggregate(new List<string>(), (acc, p) =>
        {
            if (!acc.Any(k => p.StartsWith(k + "/", StringComparison.Ordinal))) acc.Add(p);
            return acc;
        });
        return kept.Select(p => p.LastIndexOf('/') is var i and >= 0 ? new IncludedEntry(p[..i], p[(i + 1)..]) : new IncludedEntry("", p)).ToList();
    }

    private static StagingException Bad(string id, string message, object? target) =>
        new(id, StagingErrorCategory.InvalidArgument, message, target);
}
