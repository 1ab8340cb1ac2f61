using System.Text.RegularExpressions;

namespace KojiStaging.Engine.Database.Sync;

/// <summary>
/// Who holds a sync's session: the maintenance connection's application_name names this process and host, so a later
/// run can tell a lock of a process that died (its backend still busy, or not yet noticed) from a sync that is running.
/// </summary>
public static class LockOwner
{
    private static readonly Regex Pattern = new(@"^KojiStaging pid=(?<pid>\d+) host=(?<host>.*)$", RegexOptions.CultureInvariant);

    public static string ApplicationName { get; } = Truncate($"KojiStaging pid={Environment.ProcessId} host={Environment.MachineName}");

    /// <summary>True only when the application name says this host and that process does not exist here any more.</summary>
    public static bool IsDeadLocalProcess(string? applicationName)
    {
        var m = applicationName is null ? Match.Empty : Pattern.Match(applicationName);
        if (!m.Success) return false;
        var host = Truncate($"KojiStaging pid={m.Groups["pid"].Value} host={Environment.MachineName}");
        if (!string.Equals(host, applicationName, StringComparison.Ordinal)) return false;
        return int.TryParse(m.Groups["pid"].Value, out var pid) && pid != Environment.ProcessId && !Directory.Exists($"/proc/{pid}");
    }

    // application_name keeps at most 63 bytes (NAMEDATALEN - 1); host names are ASCII.
    private static string Truncate(string s) => s.Length > 63 ? s[..63] : s;
}
