using System.Management.Automation;
using KojiStaging.Completers;
using KojiStaging.Engine.Operations;
using KojiStaging.Infrastructure;

namespace KojiStaging.Cmdlets;

/// <summary>Schedules a resync configuration with a systemd service + timer, or a cron entry.</summary>
[Cmdlet(VerbsLifecycle.Register, "KojiStagingResync", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Medium)]
[OutputType(typeof(ScheduleRegistration))]
public sealed class RegisterKojiStagingResyncCommand : KojiStagingCmdlet
{
    /// <summary>The resync configuration (.psd1).</summary>
    [Parameter(Mandatory = true, Position = 0, ValueFromPipelineByPropertyName = true)]
    [Alias("FullName", "ConfigPath")]
    [ArgumentCompleter(typeof(ResyncConfigCompleter))]
    public string Path { get; set; } = null!;

    /// <summary>weekly, monthly, daily, a systemd OnCalendar expression, or (with -Cron) five cron fields.</summary>
    [Parameter(Mandatory = true, Position = 1)]
    [ArgumentCompleter(typeof(ScheduleCompleter))]
    public string Schedule { get; set; } = null!;

    /// <summary>Writes an /etc/cron.d entry instead of systemd units.</summary>
    [Parameter]
    public SwitchParameter Cron { get; set; }

    /// <summary>Where the unit files (or the cron entry) go.</summary>
    [Parameter]
    [Alias("CronDirectory")]
    [ArgumentCompleter(typeof(DirectoryPathCompleter))]
    public string? UnitDirectory { get; set; }

    /// <summary>The account the resync runs as (User= in the service, the user field in cron).</summary>
    [Parameter]
    public string? User { get; set; }

    /// <summary>The pwsh executable the schedule starts (default: this pwsh).</summary>
    [Parameter]
    public string? PwshPath { get; set; }

    /// <summary>Does not run systemctl daemon-reload / enable --now after writing the units.</summary>
    [Parameter]
    public SwitchParameter NoEnable { get; set; }

    protected override void ProcessRecord()
    {
        var config = SessionState.Path.GetUnresolvedProviderPathFromPSPath(Path);
        if (!File.Exists(config)) ThrowInvalidArgument("ResyncConfigNotFound", $"The resync configuration '{config}' does not exist.", config);
        var name = ScheduleHost.ConfigName(this, config);
        var request = new ScheduleRequest(name, config, Schedule, ScheduleHost.ModuleManifest(this),
            PwshPath is null ? ScheduleHost.CurrentPwsh() : new[] { PwshPath }, Cron,
            UnitDirectory is null ? ScheduleHost.DefaultDirectory(Cron) : SessionState.Path.GetUnresolvedProviderPathFromPSPath(UnitDirectory), User);
        ScheduleRegistration plan;
        try { plan = ResyncSchedule.Plan(request); }
        catch (Exception ex) { ThrowTerminatingError(ToErrorRecord(ex, Schedule)); return; }

        if (!ShouldProcess(string.Join(", ", plan.Files.Select(f => f.Path)), $"Schedule resync '{name}' ({plan.When})")) return;
        var enable = !Cron && !NoEnable && UnitDirectory is null;
        RunEngine(scope => new ResyncScheduler().ApplyAsync(plan, enable, scope));
        WriteObject(plan);
    }
}
