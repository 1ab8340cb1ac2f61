using System.Management.Automation;
using KojiStaging.Completers;
using KojiStaging.Engine.Operations;
using KojiStaging.Infrastructure;

namespace KojiStaging.Cmdlets;

/// <summary>Schedules a resync configuration with a hardened systemd service + timer, or a cron entry.</summary>
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

    /// <summary>The account the resync runs as (User= in the service, the user field in cron); checked with getent.</summary>
    [Parameter]
    public string? User { get; set; }

    /// <summary>The installed pwsh the schedule starts (default /usr/bin/pwsh).</summary>
    [Parameter]
    public string PwshPath { get; set; } = "/usr/bin/pwsh";

    /// <summary>The module the schedule imports: a name (installed module) or a manifest path (default: this module, by name when installed).</summary>
    [Parameter]
    public string? Module { get; set; }

    /// <summary>A unit systemd starts when the resync fails (OnFailure=), e.g. 'status-mail@%n.service'.</summary>
    [Parameter]
    public string? OnFailure { get; set; }

    /// <summary>How long a run may take before systemd stops it (TimeoutStartSec=; default 12 hours).</summary>
    [Parameter]
    public TimeSpan Timeout { get; set; } = TimeSpan.FromHours(12);

    /// <summary>Cron: who gets mail when a run fails (MAILTO; default root).</summary>
    [Parameter]
    public string? MailTo { get; set; }

    /// <summary>Cron: the file pwsh's output is appended to (default /var/log/kojistaging/NAME.cron.log).</summary>
    [Parameter]
    public string? CronLogPath { get; set; }

    /// <summary>Does not run systemctl daemon-reload / enable --now after writing the units.</summary>
    [Parameter]
    public SwitchParameter NoEnable { get; set; }

    protected override void ProcessRecord()
    {
        var configPath = SessionState.Path.GetUnresolvedProviderPathFromPSPath(Path);
        if (!File.Exists(configPath)) ThrowInvalidArgument("ResyncConfigNotFound", $"The resync configuration '{configPath}' does not exist.", configPath);
        ScheduleRegistration plan;
        try
        {
            var config = ScheduleHost.Config(this, configPath);
            var account = User is null ? ScheduleAccount.Current() : ScheduleAccount.Lookup(User);
            if (User is null && account.Uid == 0)
                WriteWarning($"Resync '{config.Name}' will run as root: give -User <account> to run it as the account that owns staging (-User root to mean it).");
            if (account.Name == "nobody")
                WriteWarning("'nobody' is shared by unrelated daemons (systemd says: not safe); give the resync a dedicated account such as koji.");
            var module = Module ?? ScheduleHost.ModuleImport(this);
            var request = new ScheduleRequest(config.Name, configPath, Schedule, module, new[] { PwshPath }, Cron,
                UnitDirectory is null ? ScheduleHost.DefaultDirectory(Cron) : ResolveDirectory(UnitDirectory, nameof(UnitDirectory)), User)
            {
                WritablePaths = config.WrittenPaths().Where(System.IO.Path.IsPathRooted).ToArray(),
                OnFailure = OnFailure, Timeout = Timeout, MailTo = MailTo,
                CronLogPath = CronLogPath is null ? null : SessionState.Path.GetUnresolvedProviderPathFromPSPath(CronLogPath),
            };
            plan = ResyncSchedule.Plan(request);   // refuses control characters and bad schedules before anything runs
            if (!ScheduleAccount.VerifyUsable(account, PwshPath, module))
                WriteWarning($"Not checked that {account.Name} can run {PwshPath} and import {module}: only root can test as another user.");
            if (Cron) ScheduleAccount.VerifyWritable(account, System.IO.Path.GetDirectoryName(request.CronLogPath ?? ResyncSchedule.CronLogFor(config.Name))!, "The cron entry's output");
        }
        catch (Exception ex) when (ex is not PipelineStoppedException) { ThrowTerminatingError(ToErrorRecord(ex, Schedule)); return; }

        if (!ShouldProcess(string.Join(", ", plan.Files.Select(f => f.Path)), $"Schedule resync '{plan.Name}' ({plan.When})")) return;
        var enable = !Cron && !NoEnable && UnitDirectory is null;
        RunEngine(scope => new ResyncScheduler().ApplyAsync(plan, enable, scope));
        WriteObject(plan);
    }
}
