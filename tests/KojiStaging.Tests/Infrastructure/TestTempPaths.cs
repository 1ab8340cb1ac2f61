using System.Diagnostics;
using System.Text.RegularExpressions;

namespace KojiStaging.Tests.Infrastructure;

/// <summary>
/// Temp paths of the test run, named kojistaging-&lt;kind&gt;-&lt;pid&gt;[-&lt;guid&gt;]. The test host is ended by the runner
/// without a clean exit, so nothing registered for process exit runs; instead, the first use in a run removes
/// what runs whose process is gone left behind.
/// </summary>
internal static partial class TestTempPaths
{
    private static readonly Lazy<bool> Swept = new(() => { SweepStale(); return true; });

    [GeneratedRegex(@"^kojistaging-(?:hubtop|subset-[a-z]+|fetch-[a-z]+)-(?<pid>\d+)(?:-[0-9a-f]{32})?(?:\.sql)?$")]
    private static partial Regex OwnedName();

    /// <summary>A path (not created) for this process: kojistaging-&lt;kind&gt;-&lt;pid&gt;, plus a unique suffix if asked.</summary>
    public static string For(string kind, bool unique = false, string extension = "")
    {
        _ = Swept.Value;
        var name = $"kojistaging-{kind}-{Environment.ProcessId}" + (unique ? $"-{Guid.NewGuid():N}" : "") + extension;
        return Path.Combine(Path.GetTempPath(), name);
    }

    private static void SweepStale()
    {
        foreach (var path in Directory.EnumerateFileSystemEntries(Path.GetTempPath(), "kojistaging-*"))
        {
            var m = OwnedName().Match(Path.GetFileName(path));
            if (!m.Success || !int.TryParse(m.Groups["pid"].Value, out var pid) || IsAlive(pid)) continue;
            try
            {
                if (Directory.Exists(path)) Directory.Delete(path, true);
                else File.Delete(path);
            }
            catch (IOException) { }
            catch (UnauthorizedAccessException) { }
        }
    }

    private static bool IsAlive(int pid)
    {
        try { return !Process.GetProcessById(pid).HasExited; } catch (ArgumentException) { return false; }
    }
}
