using System.Runtime.InteropServices;
using System.Text;

namespace KojiStaging.Engine.Koji;

/// <summary>One line of /proc/self/mountinfo (see proc(5)).</summary>
public sealed record MountEntry(
    int MountId,
    int ParentId,
    string Device,
    string Root,
    string MountPoint,
    IReadOnlyList<string> MountOptions,
    string FsType,
    string Source,
    IReadOnlyList<string> SuperOptions)
{
    /// <summary>Read-only either per mount (a bind remounted ro) or for the whole file system.</summary>
    public bool ReadOnly => MountOptions.Contains("ro") || SuperOptions.Contains("ro");

    /// <summary>A bind mount of a sub-directory shows that directory as its root; a whole-fs bind cannot be told apart.</summary>
    public bool IsBindOfSubtree => Root != "/";
}

/// <summary>
/// The kernel's mount table as this process sees it (/proc/self/mountinfo): which mount holds a path,
/// with its per-mount and super-block options. Paths are resolved (symlinks followed) first, so a
/// <c>vol/prod</c> symlink to an NFS or bind mount is judged by where it really leads.
/// </summary>
public sealed class MountTable
{
    public const string DefaultSource = "/proc/self/mountinfo";

    private MountTable(IReadOnlyList<MountEntry> entries) => Entries = entries;

    public IReadOnlyList<MountEntry> Entries { get; }

    public static MountTable Read(string source = DefaultSource) => Parse(File.ReadAllLines(source));

    public static MountTable Parse(IEnumerable<string> lines)
    {
        var list = new List<MountEntry>();
        foreach (var line in lines)
        {
            if (string.IsNullOrWhiteSpace(line)) continue;
            var f = line.Split(' ');
            var dash = Array.IndexOf(f, "-", 6);
            if (f.Length < 10 || dash < 0 || dash + 3 > f.Length) continue;
            list.Add(new MountEntry(
                int.Parse(f[0]), int.Parse(f[1]), f[2], Unescape(f[3]), Unescape(f[4]),
                f[5].Split(','), f[dash + 1], Unescape(f[dash + 2]),
                dash + 3 < f.Length ? f[dash + 3].Split(',') : Array.Empty<string>()));
        }
        return new MountTable(list);
    }

    /// <summary>The mount that holds <paramref name="path"/>: the longest mount point containing it, the latest mounted winning.</summary>
    public MountEntry? Find(string path)
    {
        var real = RealPath(path);
        MountEntry? best = null;
        foreach (var e in Entries)
        {
            if (!Contains(e.MountPoint, real)) continue;
            if (best is null || e.MountPoint.Length >= best.MountPoint.Length) best = e;
        }
        return best;
    }

    /// <summary>True when <paramref name="path"/> is itself a mount point (after resolving symlinks).</summary>
    public bool IsMountPoint(string path)
    {
        var real = RealPath(path);
        return Entries.Any(e => e.MountPoint == real);
    }

    private static bool Contains(string mountPoint, string path) =>
        mountPoint == "/" || path == mountPoint || path.StartsWith(mountPoint + "/", StringComparison.Ordinal);

    /// <summary>realpath(3): absolute, symlinks resolved; the path as given (made absolute) if it cannot be resolved.</summary>
    public static string RealPath(string path)
    {
        var full = Path.GetFullPath(path);
        var ptr = realpath(full, IntPtr.Zero);
        if (ptr == IntPtr.Zero) return full.Length > 1 ? full.TrimEnd('/') : full;
        try { return Marshal.PtrToStringUTF8(ptr) ?? full; }
        finally { free(ptr); }
    }

    /// <summary>mountinfo escapes space, tab, newline and backslash as \ooo octal.</summary>
    private static string Unescape(string s)
    {
        if (!s.Contains('\\')) return s;
        var sb = new StringBuilder(s.Length);
        for (var i = 0; i < s.Length; i++)
        {
            if (s[i] == '\\' && IsOctal(s, i + 1))
            {
                sb.Append((char)Convert.ToInt32(s.Substring(i + 1, 3), 8));
                i += 3;
            }
            else sb.Append(s[i]);
        }
        return sb.ToString();
    }

    private static bool IsOctal(string s, int at) =>
        at + 3 <= s.Length && s.Substring(at, 3).All(c => c is >= '0' and <= '7');

    [DllImport("libc", SetLastError = true)]
    private static extern IntPtr realpath(string path, IntPtr resolved);

    [DllImport("libc")]
    private static extern void free(IntPtr ptr);
}
