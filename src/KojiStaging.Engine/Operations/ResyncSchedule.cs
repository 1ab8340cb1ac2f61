using System.Text.RegularExpressions;
using KojiStaging.Engine.Diagnostics;

namespace KojiStaging.Engine.Operations;

/// <summary>What to schedule: a resync configuration, when, how pwsh is started, and where the files go.</summary>
public sealed record ScheduleRequest(
    string Name,
    string ConfigPath,
    string Schedule,
    string ModulePath,
    string[] PwshCommand,
    bool Cron,
    string Directory,
    string? User);

/// <summary>One file a registration writes, with its full content.</summary>
public sealed record ScheduleFile(string Path, string Content);

/// <summary>What Register-KojiStagingResync wrote (or would write).</summary>
public sealed class ScheduleRegistration
{
    public required string Name { get; init; }
    /// <summary>Systemd or Cron.</summary>
    public required string Kind { get; init; }
    /// <summary>The OnCalendar expression or the five cron fields.</summary>
    public required string When { get; init; }
    public required string Command { get; init; }
    public required ScheduleFile[] Files { get; init; }
    public string? Unit { get; init; }
    public bool Enabled { get; set; }
}

/// <summary>
/// Builds the systemd service + timer (or the /etc/cron.d entry) that runs a resync configuration:
/// <c>pwsh -NoProfile -NonInteractive -Command "Import-Module …; Invoke-KojiStagingResync -Path … -Confirm:$false; exit $LASTEXITCODE"</c>,
/// so the unit's exit status is the resync's exit code (0 ok, 1 failed, 2 locked, 3 invalid configuration).
/// Quoting follows systemd.service(5) (<c>$</c> → <c>$$</c>, <c>%</c> → <c>%%</c>) and crontab(5) (<c>%</c> → <c>\%</c>, /bin/sh double quotes).
/// </summary>
public static partial class ResyncSchedule
{
    public const string UnitPrefix = "kojistaging-resync-";

    private static readonly Dictionary<string, (string OnCalendar, string Cron)> Named = new(StringComparer.OrdinalIgnoreCase)
    {
        ["daily"] = ("*-*-* 03:00:00", "0 3 * * *"),
        ["weekly"] = ("Sun *-*-* 03:00:00", "0 3 * * 0"),
        ["monthly"] = ("*-*-01 03:00:00", "0 3 1 * *"),
    };

    public static string UnitName(string name) => UnitPrefix + name;
    public static string CronFileName(string name) => UnitPrefix + name.Replace('.', '_');   // run-parts ignores names with dots

    /// <summary>The PowerShell command the schedule runs.</summary>
    public static string PowerShellCommand(string modulePath, string configPath) =>
        $"Import-Module {PsQuote(modulePath)}; Invoke-KojiStagingResync -Path {PsQuote(configPath)} -Confirm:$false; exit $LASTEXITCODE";

    public static ScheduleRegistration Plan(ScheduleRequest r)
    {
        var command = PowerShellCommand(r.ModulePath, r.ConfigPath);
        var argv = r.PwshCommand.Concat(new[] { "-NoProfile", "-NonInteractive", "-Command", command }).ToArray();
        if (r.Cron)
        {
            var when = CronExpression(r.Schedule);
            var line = string.Join(' ', argv.Select(ShellQuote)).Replace("%", "\\%");
            var content = $"""
                # KojiStaging resync '{r.Name}' from {r.ConfigPath}
                # Written by Register-KojiStagingResync; remove with Unregister-KojiStagingResync -Name {r.Name} -Cron.
                # Exit codes: 0 ok, 1 a step failed, 2 another run holds the lock, 3 invalid configuration.
                SHELL=/bin/sh
                PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
                {when} {r.User ?? "root"} {line}

                """;
            return new ScheduleRegistration
            {
                Name = r.Name, Kind = "Cron", When = when, Command = command,
                Files = new[] { new ScheduleFile(Path.Combine(r.Directory, CronFileName(r.Name)), content) },
            };
        }

        var onCalendar = OnCalendar(r.Schedule);
        var unit = UnitName(r.Name);
        var exec = string.Join(' ', argv.Select(SystemdQuote));
        var service = $"""
            # Written by Register-KojiStagingResync; remove with Unregister-KojiStagingResync -Name {r.Name}.
            [Unit]
            Description=KojiStaging resync '{r.Name}' ({SystemdText(r.ConfigPath)})
            Documentation=man:systemd.timer(5)
            Wants=network-online.target
            After=network-online.target

            [Service]
            Type=oneshot
            # Exit status: 0 ok, 1 a step failed, 2 another run holds the lock, 3 invalid configuration.
            ExecStart={exec}
            Environment=KOJISTAGING_LOG_JOURNAL=1
            {(r.User is null ? "" : $"User={r.User}\n")}Nice=10
            TimeoutStartSec=infinity

            """;
        var timer = $"""
            # Written by Register-KojiStagingResync; remove with Unregister-KojiStagingResync -Name {r.Name}.
            [Unit]
            Description=Schedule of KojiStaging resync '{r.Name}'

            [Timer]
            OnCalendar={onCalendar}
            Persistent=true
            RandomizedDelaySec=10min
            Unit={unit}.service

            [Install]
            WantedBy=timers.target

            """;
        return new ScheduleRegistration
        {
            Name = r.Name, Kind = "Systemd", When = onCalendar, Command = command, Unit = unit + ".timer",
            Files = new[] { new ScheduleFile(Path.Combine(r.Directory, unit + ".service"), service), new ScheduleFile(Path.Combine(r.Directory, unit + ".timer"), timer) },
        };
    }

    /// <summary>weekly, monthly, daily or a systemd OnCalendar expression (checked by <see cref="IsOnCalendar"/>).</summary>
    public static string OnCalendar(string schedule)
    {
        if (Named.TryGetValue(schedule.Trim(), out var n)) return n.OnCalendar;
        if (SystemdAnalyzeAccepts(schedule.Trim()) ?? IsOnCalendar(schedule)) return schedule.Trim();
        throw new StagingException("ScheduleInvalid", StagingErrorCategory.InvalidArgument,
            $"'{schedule}' is neither weekly, monthly, daily nor a systemd calendar expression such as 'Sat *-*-* 02:00:00' or '*-*-1,15 04:30'.", schedule);
    }

    /// <summary>weekly, monthly, daily or five cron fields.</summary>
    public static string CronExpression(string schedule)
    {
        if (Named.TryGetValue(schedule.Trim(), out var n)) return n.Cron;
        var fields = schedule.Trim().Split(' ', StringSplitOptions.RemoveEmptyEntries);
        if (fields.Length == 5 && fields.All(f => CronField().IsMatch(f))) return string.Join(' ', fields);
        throw new StagingException("ScheduleInvalid", StagingErrorCategory.InvalidArgument,
            $"'{schedule}' is neither weekly, monthly, daily nor five cron fields such as '30 2 * * 6'.", schedule);
    }

    /// <summary>
    /// A syntax check of systemd.time(7) calendar events: shorthands (minutely … yearly), or
    /// [weekdays] [date] [time] [timezone] with *, lists, ranges and /repetitions.
    /// </summary>
    public static bool IsOnCalendar(string expression)
    {
        var text = expression.Trim();
        if (text.Length == 0) return false;
        if (Shorthand().IsMatch(text)) return true;
        var parts = text.Split(' ', StringSplitOptions.RemoveEmptyEntries).ToList();
        if (parts.Count > 0 && Weekdays().IsMatch(parts[0])) parts.RemoveAt(0);
        if (parts.Count > 0 && (parts[^1] == "UTC" || parts[^1].Contains('/') && char.IsUpper(parts[^1][0]))) parts.RemoveAt(parts.Count - 1);
        if (parts.Count == 0) return Weekdays().IsMatch(text.Split(' ')[0]);
        if (parts.Count > 2) return false;
        var time = parts[^1].Contains(':') ? parts[^1] : null;
        var date = parts.Count == 2 ? parts[0] : (time is null ? parts[0] : null);
        if (parts.Count == 2 && time is null) return false;
        return (date is null || DatePart().IsMatch(date)) && (time is null || TimePart().IsMatch(time));
    }

    /// <summary>systemd's own parser (<c>systemd-analyze calendar</c>) when installed; null when it is not.</summary>
    public static bool? SystemdAnalyzeAccepts(string expression)
    {
        try
        {
            var psi = new System.Diagnostics.ProcessStartInfo("systemd-analyze") { RedirectStandardOutput = true, RedirectStandardError = true };
            psi.ArgumentList.Add("calendar");
            psi.ArgumentList.Add(expression);
            using var p = System.Diagnostics.Process.Start(psi);
            if (p is null) return null;
            p.StandardOutput.ReadToEnd();
            p.StandardError.ReadToEnd();
            p.WaitForExit();
            return p.ExitCode == 0;
        }
        catch (System.ComponentModel.Win32Exception) { return null; }
    }

    private static string PsQuote(string s) => "'" + s.Replace("'", "''") + "'";

    /// <summary>systemd: double-quoted word; backslash and quote escaped, $ → $$, % → %%.</summary>
    private static string SystemdQuote(string s) =>
        "\"" + s.Replace("\\", "\\\\").Replace("\"", "\\\"").Replace("$", "$$").Replace("%", "%%") + "\"";

    private static string SystemdText(string s) => s.Replace("%", "%%");

    /// <summary>/bin/sh: a double-quoted word with \, ", $ and ` escaped.</summary>
    private static string ShellQuote(string s) =>
        Regex.IsMatch(s, @"^[A-Za-z0-9_./:=-]+$") ? s : "\"" + Regex.Replace(s, "([\\\\\"$`])", "\\$1") + "\"";

    [GeneratedRegex(@"^(minutely|hourly|daily|weekly|monthly|yearly|annually|quarterly|semiannually)$", RegexOptions.IgnoreCase)]
    private static partial Regex Shorthand();

    [GeneratedRegex(@"^((Mon|Tue|Wed|Thu|Fri|Sat|Sun)[a-z]*(\.\.(Mon|Tue|Wed|Thu|Fri|Sat|Sun)[a-z]*)?)(,((Mon|Tue|Wed|Thu|Fri|Sat|Sun)[a-z]*(\.\.(Mon|Tue|Wed|Thu|Fri|Sat|Sun)[a-z]*)?))*$", RegexOptions.IgnoreCase)]
    private static partial Regex Weekdays();

    // year-month-day or month-day, each component *, a number, a list, a range or with /step; ~ for "last days"
    [GeneratedRegex(@"^((\*|\d{4}([.,]{1,2}\d{4})*)(/\d+)?-)?(\*|\d{1,2}((\.\.|,)\d{1,2})*)(/\d+)?[-~](\*|\d{1,2}((\.\.|,)\d{1,2})*)(/\d+)?$")]
    private static partial Regex DatePart();

    [GeneratedRegex(@"^(\*|\d{1,2}((\.\.|,)\d{1,2})*)(/\d+)?:(\*|\d{1,2}((\.\.|,)\d{1,2})*)(/\d+)?(:(\*|\d{1,2}((\.\.|,)\d{1,2})*)(/\d+)?(\.\d+)?)?$")]
    private static partial Regex TimePart();

    [GeneratedRegex(@"^(\*|\d{1,2}(-\d{1,2})?(,\d{1,2}(-\d{1,2})?)*)(/\d{1,2})?$|^(\*|[a-zA-Z]{3}(,[a-zA-Z]{3})*)$")]
    private static partial Regex CronField();
}
