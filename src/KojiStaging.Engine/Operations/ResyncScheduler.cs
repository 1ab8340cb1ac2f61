using System.Diagnostics;
using KojiStaging.Engine.Diagnostics;
using Microsoft.Extensions.Logging;

namespace KojiStaging.Engine.Operations;

/// <summary>
/// Writes and removes the files of a scheduled resync, and (for systemd units in /etc/systemd/system on a
/// machine where systemd runs) reloads systemd and enables/disables the timer.
/// </summary>
public sealed class ResyncScheduler
{
    public static IEnumerable<string> FilesOf(string name, bool cron, string directory) => cron
        ? new[] { Path.Combine(directory, ResyncSchedule.CronFileName(name)) }
        : new[] { Path.Combine(directory, ResyncSchedule.UnitName(name) + ".timer"), Path.Combine(directory, ResyncSchedule.UnitName(name) + ".service") };

    public static IEnumerable<string> ListNames(IEnumerable<string> directories) => directories
        .Where(Directory.Exists)
        .SelectMany(d => Directory.EnumerateFiles(d, ResyncSchedule.UnitPrefix + "*"))
        .Select(f => Path.GetFileName(f)[ResyncSchedule.UnitPrefix.Length..])
        .Select(n => n.EndsWith(".timer") ? n[..^6] : n.EndsWith(".service") ? n[..^8] : n)
        .Distinct().Order(StringComparer.Ordinal);

    public static bool SystemdRunning => Directory.Exists("/run/systemd/system");

    public async Task ApplyAsync(ScheduleRegistration plan, bool enable, EngineScope scope)
    {
        var log = scope.Logger<ResyncScheduler>();
        foreach (var f in plan.Files)
        {
            Directory.CreateDirectory(Path.GetDirectoryName(f.Path)!);
            var tmp = f.Path + ".tmp";
            await File.WriteAllTextAsync(tmp, f.Content, scope.Cancellation).ConfigureAwait(false);
            if (!OperatingSystem.IsWindows()) File.SetUnixFileMode(tmp, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead);
            File.Move(tmp, f.Path, overwrite: true);
            log.LogInformation("Wrote {File}", f.Path);
        }
        if (plan.Unit is null) return;
        if (enable && SystemdRunning)
        {
            await Systemctl(log, scope.Cancellation, "daemon-reload").ConfigureAwait(false);
            await Systemctl(log, scope.Cancellation, "enable", "--now", plan.Unit).ConfigureAwait(false);
            plan.Enabled = true;
        }
        else
            log.LogWarning("Not enabled: run 'systemctl daemon-reload; systemctl enable --now {Unit}' where the units are installed", plan.Unit);
    }

    public async Task RemoveAsync(string name, IReadOnlyList<string> files, bool systemd, EngineScope scope)
    {
        var log = scope.Logger<ResyncScheduler>();
        var timer = ResyncSchedule.UnitName(name) + ".timer";
        if (systemd && SystemdRunning) await Systemctl(log, scope.Cancellation, "disable", "--now", timer).ConfigureAwait(false);
        foreach (var f in files) { File.Delete(f); log.LogInformation("Removed {File}", f); }
        if (systemd && SystemdRunning) await Systemctl(log, scope.Cancellation, "daemon-reload").ConfigureAwait(false);
    }

    private static async Task Systemctl(ILogger log, CancellationToken ct, params string[] args)
    {
        var psi = new ProcessStartInfo("systemctl") { RedirectStandardError = true, RedirectStandardOutput = true };
        foreach (var a in args) psi.ArgumentList.Add(a);
        using var p = Process.Start(psi) ?? throw new StagingException("SystemctlFailed", StagingErrorCategory.InvalidOperation, "systemctl could not be started.");
        var err = await p.StandardError.ReadToEndAsync(ct).ConfigureAwait(false);
        await p.WaitForExitAsync(ct).ConfigureAwait(false);
        if (p.ExitCode != 0)
            throw new StagingException("SystemctlFailed", StagingErrorCategory.InvalidOperation, $"systemctl {string.Join(' ', args)} failed ({p.ExitCode}): {err.Trim()}");
        log.LogInformation("systemctl {Args}", string.Join(' ', args));
    }
}
