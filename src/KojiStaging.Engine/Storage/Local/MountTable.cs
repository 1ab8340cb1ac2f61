using System.Text.RegularExpressions;

namespace KojiStaging.Engine.Storage.Local;

/// <summary>Reads /proc/self/mountinfo: which paths are mount points, and of what file system type.</summary>
public static partial class MountTable
{
    public sealed record Entry(string MountPoint, string FsType, string Source, string Options);

    public static IReadOnlyList<Entry> Read(string file = "/proc/self/mountinfo")
    {
        var list = new List<Entry>();
        if (!File.Exists(file)) return list;
        foreach (var line in File.ReadLines(file))
        {
            // id parent maj:min root mountpoint options [optional…] - fstype source superoptions
            var dash = line.IndexOf(" - ", StringComparison.Ordinal);
            if (dash < 0) continue;
            var left = line[..dash].Split(' ');
            var right = line[(dash + 3)..].Split(' ');
            if (left.Length < 6 || right.Length < 2) continue;
            list.Add(new Entry(Unescape(left[4]), right[0], Unescape(right[1]), right.Length > 2 ? right[2] : ""));
        }
        return list;
    }

    /// <summary>The last mount on <paramref name="path"/>, if it is a mount point.</summary>
    public static Entry? Find(string path)
    {
        var full = System.IO.Path.GetFullPath(path).TrimEnd('/');
        return Read().LastOrDefault(e => e.MountPoint == (full.Length == 0 ? "/" : full));
    }

    private static string Unescape(string s) => Octal().Replace(s, m => ((char)Convert.ToInt32(m.Groups[1].Value, 8)).ToString());

    [GeneratedRegex(@"\\([0-7]{3})")]
    private static partial Regex Octal();
}
