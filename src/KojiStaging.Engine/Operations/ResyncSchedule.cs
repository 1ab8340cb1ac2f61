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
    string? User)
{
    /// <summary>Paths the run writes (staging tree, lock, log, state): ReadWritePaths= of the hardened service.</summary>
    public IReadOnlyList<string> WritablePaths { get; init; } = [];
    /// <summary>A unit to start when the service fails (OnFailure=), e.g. a mail notifier.</summary>
    public string? OnFailure { get; init; }
    /// <summary>TimeoutStartSec= of the service: a hung run is stopped and counted as failed.</summary>
    public TimeSpan Timeout { get; init; } = TimeSpan.FromHours(12);
    /// <summary>MAILTO of the cron entry (who gets mail when a run fails); root when not given.</summary>
    public string? MailTo { get; init; }
    /// <summary>The file the cron entry appends pwsh's output to.</summary>
    public string? CronLogPath { get; init; }
}

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
    /// <remarks>
    /// For systemd (<paramref name="journalOnly"/>) the PowerShell streams go to $null: stdout and stderr are the journal,
    /// which already gets every log line once, with its priority, from KOJISTAGING_LOG_JOURNAL; the host's
    /// "WARNING:" echo and error views would repeat them.
    /// </remarks>
    public static string PowerShellCommand(string modulePath, string configPath, bool journalOnly = false) =>
        $"Import-Module {(modulePath.Contains('/') ? PsQuote(modulePath) : modulePath)}; Invoke-KojiStagingResync -Path {PsQuote(configPath)} -Confirm:$false{(journalOnly ? " *> $null" : "")}; exit $LASTEXITCODE";

    public const string LogsDirectory = "/var/log/kojistaging";
    public const string StateDirectory = "/var/lib/kojistaging";

    public static string CronLogFor(string name) => Path.Combine(LogsDirectory, $"{name}.cron.log");

    public static ScheduleRegistration Plan(ScheduleRequest r)
    {
        RequirePlainValues(r);
        var command = PowerShellCommand(r.ModulePath, r.ConfigPath, journalOnly: !r.Cron);
        var argv = r.PwshCommand.Concat(new[] { "-NoProfile", "-NonInteractive", "-Command", command }).ToArray();
        if (r.Cron)
        {
            var when = CronExpression(r.Schedule);
            var log = r.CronLogPath ?? CronLogFor(r.Name);
            var mailTo = r.MailTo ?? "root";
            if (!System.Text.RegularExpressions.Regex.IsMatch(mailTo, @"^[A-Za-z0-9._+@,-]*$"))
                throw new StagingException("ScheduleValueInvalid", StagingErrorCategory.InvalidArgument, $"-MailTo '{mailTo}' is not a list of mail addresses or user names.", mailTo);
            // cron hands the rest of the line to /bin/sh; output goes to the log, and only a failed run prints (and so mails) one line
            var line = (string.Join(' ', argv.Select(ShellQuote)) + $" >>{ShellQuote(log)} 2>&1 || echo \"KojiStaging resync {r.Name} failed with exit code $?; see {ShellDoubleQuoted(log)}\"").Replace("%", "\\%");
            var content = $"""
                # KojiStaging resync '{r.Name}' from {r.ConfigPath}
                # Written by Register-KojiStagingResync; remove with Unregister-KojiStagingResync -Name {r.Name} -Cron.
                # Exit codes: 0 ok, 1 a step failed, 2 another run holds the lock, 3 invalid configuration.
                SHELL=/bin/sh
                PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
                MAILTO={mailTo}
                NO_COLOR=1
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
            Description=KojiStaging resync '{SystemdText(r.Name)}' ({SystemdText(r.ConfigPath)})
            Documentation=man:systemd.timer(5)
            Wants=network-online.target
            After=network-online.target
            {(r.OnFailure is null ? "" : $"OnFailure={OnFailureUnit(r.OnFailure)}\n")}
            [Service]
            Type=oneshot
            # Exit status: 0 ok, 1 a step failed, 2 another run holds the lock, 3 invalid configuration.
            ExecStart={exec}
            {(r.User is null ? "" : $"User={r.User}\n")}Environment=KOJISTAGING_LOG_JOURNAL=1
            Environment=NO_COLOR=1
            Environment=DOTNET_NOLOGO=1
            Nice=10
            TimeoutStartSec={(long)Math.Ceiling(r.Timeout.TotalSeconds)}s
            LogsDirectory=kojistaging
            StateDirectory=kojistaging
            {Hardening(r)}
            """;
        var timer = $"""
            # Written by Register-KojiStagingResync; remove with Unregister-KojiStagingResync -Name {r.Name}.
            [Unit]
            Description=Schedule of KojiStaging resync '{SystemdText(r.Name)}'

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

    /// <summary>
    /// The sandbox: the whole file system read-only but for what the configuration writes, no privilege gain,
    /// private /tmp and devices, kernel and other users' processes out of reach, system calls limited to what a
    /// service needs. No MemoryDenyWriteExecute: .NET's JIT needs writable-then-executable pages.
    /// </summary>
    private static string Hardening(ScheduleRequest r)
    {
        var lines = new List<string>
        {
            "NoNewPrivileges=yes", "ProtectSystem=strict", "ProtectHome=read-only", "PrivateTmp=yes", "PrivateDevices=yes",
            "ProtectKernelTunables=yes", "ProtectKernelModules=yes", "ProtectKernelLogs=yes", "ProtectControlGroups=yes",
            "ProtectClock=yes", "ProtectHostname=yes", "PrivateMounts=yes", "ProtectProc=invisible", "RestrictSUIDSGID=yes", "RestrictRealtime=yes",
            "RestrictNamespaces=yes", "LockPersonality=yes", "RemoveIPC=yes", "KeyringMode=private",
            "RestrictAddressFamilies=AF_UNIX AF_INET AF_INET6 AF_NETLINK", "SystemCallArchitectures=native",
            "SystemCallFilter=@system-service",
            // root keeps chown and friends (@privileged) for copying owners; the rest is never needed
            r.User is null or "root" ? "SystemCallFilter=~@clock @module @mount @swap @reboot @raw-io @obsolete @cpu-emulation @debug"
                : "SystemCallFilter=~@privileged @mount @swap @reboot @raw-io @obsolete @cpu-emulation @debug",
            "SystemCallErrorNumber=EPERM", "UMask=0022",
        };
        // root keeps only what copying a Koji tree with its owners and modes needs; any other account needs none
        lines.Add(r.User is null or "root"
            ? "CapabilityBoundingSet=CAP_CHOWN CAP_DAC_OVERRIDE CAP_DAC_READ_SEARCH CAP_FOWNER CAP_FSETID"
            : "CapabilityBoundingSet=");
        if (r.User is not null and not "root") lines.Add("AmbientCapabilities=");
        foreach (var p in r.WritablePaths.Where(p => !Under(p, LogsDirectory) && !Under(p, StateDirectory)).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal))
            lines.Add("ReadWritePaths=" + SystemdPathWord("-" + p));
        return string.Join('\n', lines) + "\n";
    }

    private static bool Under(string path, string dir) => path == dir || path.StartsWith(dir + "/", StringComparison.Ordinal);

    /// <summary>A unit name for OnFailure=: unit-name characters only, plus systemd's %n/%N/%i/%I specifiers (the failing unit).</summary>
    private static string OnFailureUnit(string name)
    {
        if (!System.Text.RegularExpressions.Regex.IsMatch(name, @"^([A-Za-z0-9:_.\\@-]|%[nNiI])+\.(service|target)$"))
            throw new StagingException("ScheduleValueInvalid", StagingErrorCategory.InvalidArgument,
                $"-OnFailure '{name}' is not a unit name such as 'status-mail@%n.service' (letters, digits, ':', '_', '.', '\\', '@', '-', and the %n %N %i %I specifiers).", name);
        return name;
    }

    private static void RequirePlainValues(ScheduleRequest r)
    {
        ScheduleAccount.RequirePlain("The configuration name", r.Name);
        ScheduleAccount.RequirePlain("-Path", r.ConfigPath);
        ScheduleAccount.RequirePlain("-Schedule", r.Schedule);
        ScheduleAccount.RequirePlain("The module to import", r.ModulePath);
        foreach (var a in r.PwshCommand) ScheduleAccount.RequirePlain("-PwshPath", a);
        ScheduleAccount.RequirePlain("-UnitDirectory", r.Directory);
        ScheduleAccount.RequirePlain("-User", r.User);
        ScheduleAccount.RequirePlain("-OnFailure", r.OnFailure);
        ScheduleAccount.RequirePlain("-MailTo", r.MailTo);
        ScheduleAccount.RequirePlain("-CronLogPath", r.CronLogPath);
        foreach (var p in r.WritablePaths) ScheduleAccount.RequirePlain("A path the configuration writes", p);
        if (r.User is not null && !System.Text.RegularExpressions.Regex.IsMatch(r.User, @"^[A-Za-z_][A-Za-z0-9_.-]{0,31}$"))
            throw new StagingException("ScheduleUserInvalid", StagingErrorCategory.InvalidArgument, $"'{r.User}' is not a valid user name.", r.User);
        if (!r.ModulePath.Contains('/') && !System.Text.RegularExpressions.Regex.IsMatch(r.ModulePath, @"^[A-Za-z][A-Za-z0-9_.-]*$"))
            throw new StagingException("ScheduleValueInvalid", StagingErrorCategory.InvalidArgument, $"-Module '{r.ModulePath}' is neither a module name nor a manifest path.", r.ModulePath);
        if (r.Timeout <= TimeSpan.Zero)
            throw new StagingException("ScheduleValueInvalid", StagingErrorCategory.InvalidArgument, $"-Timeout must be positive, not {r.Timeout}.", r.Timeout);
    }

    /// <summary>weekly, monthly, daily or a systemd OnCalendar expression (checked by <see cref="IsOnCalendar"/>).</summary>
    public static string OnCalendar(string schedule)
    {
        if (Named.TryGetValue(schedule.Trim(), out var n)) return n.OnCalendar;
        if (SystemdAnalyzeAccepts(schedule.Trim()) ?? IsOnCalendar(schedule)) return schedule.Trim();
        throw new StagingException("ScheduleInvalid", StagingErrorCategory.InvalidArgument,
            $"'{schedule}' is neither weekly, monthly, daily nor a systemd calendar expression such as 'Sat *-*-* 02:00:00' or '*-*-1,15 04:30'.", schedule);
    }

    /// <summary>weekly, monthly, daily or five cron fields (checked by <see cref="CronSchedule"/>).</summary>
    public static string CronExpression(string schedule)
    {
        if (Named.TryGetValue(schedule.Trim(), out var n)) return n.Cron;
        return CronSchedule.Validate(schedule);
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

    /// <summary>Free text (Description=): only specifiers are expanded there, so % → %%.</summary>
    private static string SystemdText(string s) => s.Replace("%", "%%");

    /// <summary>One word of a path list (ReadWritePaths=): quoted, C escapes for \\ and ", specifiers escaped (% → %%).</summary>
    private static string SystemdPathWord(string s) => "\"" + s.Replace("\\", "\\\\").Replace("\"", "\\\"").Replace("%", "%%") + "\"";

    private static string ShellDoubleQuoted(string s) => Regex.Replace(s, "([\\\\\"$`])", "\\$1");

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

}
