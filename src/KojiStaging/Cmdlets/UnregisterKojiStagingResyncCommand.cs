using System.Management.Automation;
using KojiStaging.Completers;
using KojiStaging.Engine.Operations;
using KojiStaging.Infrastructure;

namespace KojiStaging.Cmdlets;

/// <summary>Removes the systemd service + timer (or the cron entry) of a scheduled resync.</summary>
[Cmdlet(VerbsLifecycle.Unregister, "KojiStagingResync", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Medium, DefaultParameterSetName = "Name")]
[OutputType(typeof(string))]
public sealed class UnregisterKojiStagingResyncCommand : KojiStagingCmdlet
{
    /// <summary>The resync's name (the configuration's Name).</summary>
    [Parameter(Mandatory = true, Position = 0, ParameterSetName = "Name", ValueFromPipelineByPropertyName = true)]
    [ArgumentCompleter(typeof(ScheduledResyncCompleter))]
    public string Name { get; set; } = null!;

    /// <summary>The resync configuration whose schedule to remove.</summary>
    [Parameter(Mandatory = true, ParameterSetName = "Path")]
    [ArgumentCompleter(typeof(ResyncConfigCompleter))]
    public string Path { get; set; } = null!;

    /// <summary>Removes the cron entry instead of systemd units.</summary>
    [Parameter(ValueFromPipelineByPropertyName = true)]
    public SwitchParameter Cron { get; set; }

    /// <summary>Write the paths of the files removed; otherwise nothing is written.</summary>
    [Parameter]
    public SwitchParameter PassThru { get; set; }

    /// <summary>Where the unit files (or the cron entry) are.</summary>
    [Parameter]
    [Alias("CronDirectory")]
    [ArgumentCompleter(typeof(DirectoryPathCompleter))]
    public string? UnitDirectory { get; set; }

    protected override void ProcessRecord()
    {
        var name = ParameterSetName == "Path" ? ScheduleHost.ConfigName(this, SessionState.Path.GetUnresolvedProviderPathFromPSPath(Path)) : Name;
        var dir = UnitDirectory is null ? ScheduleHost.DefaultDirectory(Cron) : ResolveDirectory(UnitDirectory, nameof(UnitDirectory));
        var files = ResyncScheduler.FilesOf(name, Cron, dir).Where(File.Exists).ToArray();
        if (files.Length == 0)
        {
            WriteError(new ErrorRecord(new ItemNotFoundException($"No scheduled resync '{name}' in {dir}."), "ScheduleNotFound", ErrorCategory.ObjectNotFound, name));
            return;
        }
        if (!ShouldProcess(string.Join(", ", files), $"Remove scheduled resync '{name}'")) return;
        if (TryRunEngine(scope => new ResyncScheduler().RemoveAsync(name, files, !Cron && UnitDirectory is null, scope), name) && PassThru)
            WriteObject(files, enumerateCollection: true);
    }
}
