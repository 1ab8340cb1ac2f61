namespace KojiStaging.Engine.Files;

/// <summary>Removes a destination entry, a whole subtree for a directory (never following symlinks).</summary>
internal static class TreeDeleter
{
    /// <summary>Deletes (or with <paramref name="dryRun"/> only counts) an entry; returns (files, directories).</summary>
    public static (long Files, long Directories) Delete(string path, in FsEntry entry, bool dryRun, CancellationToken ct)
    {
        if (entry.Kind != EntryKind.Directory)
        {
            if (!dryRun) NativeFs.Unlink(path);
            return (1, 0);
        }
        long files = 0, dirs = 1;
        var children = new List<FsEntry>();
        NativeFs.ReadDirectory(path, children);
        foreach (var child in children)
        {
            ct.ThrowIfCancellationRequested();
            var (f, d) = Delete($"{path}/{child.Name}", child, dryRun, ct);
            files += f;
            dirs += d;
        }
        if (!dryRun) NativeFs.RemoveDirectory(path);
        return (files, dirs);
    }
}
