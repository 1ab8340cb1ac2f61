namespace KojiStaging.Engine.Operations;

/// <summary>One line of /proc/self/mountinfo: where a filesystem is mounted and whether it is read-only.</summary>
public sealed record StatusMountEntry(string MountPoint, string FileSystemType, string Source, bool ReadOnly);

/// <summary>Reads the kernel's mount table (read-only for the volume state of a staging Koji).</summary>
public static class StatusMountTable
{
    public static IReadOnlyList<StatusMountEntry> Read(string path = "/proc/self/mountinfo")
    {
        if (!File.Exists(path)) return Array.Empty<StatusMountEntry>();
        var list = new List<StatusMountEntry>();
        foreach (var line in File.ReadLines(path))
        {
            // id parent major:minor root mountpoint options [optional fields] - fstype source superoptions
            var parts = line.Split(' ');
            var dash = Array.IndexOf(parts, "-");
            if (parts.Length < 6 || dash < 0 || dash + 2 >= parts.Length) continue;
            var options = parts[5].Split(',');
            list.Add(new StatusMountEntry(Unescape(parts[4]), parts[dash + 1], Unescape(parts[dash + 2]), options.Contains("ro")));
        }
        return list;
    }

    /// <summary>The mount that holds <paramref name="path"/> (the longest mount point that prefixes it).</summary>
    public static StatusMountEntry? Find(string path, IReadOnlyList<StatusMountEntry>? table = null)
    {
        table ??= Read();
        var full = Path.GetFullPath(path).TrimEnd('/');
        if (full.Length == 0) full = "/";
        return table.Where(m => full == m.MountPoint || m.MountPoint == "/" || full.StartsWith(m.MountPoint.TrimEnd('/') + "/", StringComparison.Ordinal))
            .OrderByDescending(m => m.MountPoint.Length).FirstOrDefault();
    }

    private static string Unescape(string s) => s.Replace("\\040", " ").Replace("\\011", "\t").Replace("\\012", "\n").Replace("\\134", "\\");
}
