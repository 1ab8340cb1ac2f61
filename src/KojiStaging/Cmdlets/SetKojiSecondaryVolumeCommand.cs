using System.Management.Automation;
using KojiStaging.Completers;
using KojiStaging.Engine.Database;
using KojiStaging.Engine.Operations;
using KojiStaging.Infrastructure;

namespace KojiStaging.Cmdlets;

/// <summary>
/// Serves production's files to a staging Koji from production's read-only tree mounted as a Koji
/// volume: checks the mount, registers the volume, re-points the synced COMPLETE builds to it.
/// </summary>
[Cmdlet(VerbsCommon.Set, "KojiSecondaryVolume", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Medium)]
[OutputType(typeof(SecondaryVolumeResult))]
public sealed class SetKojiSecondaryVolumeCommand : KojiStagingCmdlet
{
    [Parameter(Mandatory = true, Position = 0, ValueFromPipelineByPropertyName = true)]
    [ValidateNotNull]
    public KojiDatabaseConnection Connection { get; set; } = null!;

    [Parameter(ValueFromPipelineByPropertyName = true)]
    [ValidateRange(0, int.MaxValue)]
    public int SyncedEvent { get; set; }

    [Parameter]
    [ValidateNotNullOrEmpty]
    [ArgumentCompleter(typeof(VolumeNameCompleter))]
    public string Name { get; set; } = "prod";

    [Parameter]
    [ValidateNotNullOrEmpty]
    [ArgumentCompleter(typeof(DirectoryPathCompleter))]
    public string TopDir { get; set; } = "/mnt/koji";

    [Parameter]
    [ValidateNotNullOrEmpty]
    [ArgumentCompleter(typeof(DirectoryPathCompleter))]
    public string? Path { get; set; }

    [Parameter]
    public SwitchParameter AllowWritable { get; set; }

    [Parameter]
    public SwitchParameter CompatLinks { get; set; }

    [Parameter]
    [ValidateRange(0, 1_000_000)]
    public int SampleSize { get; set; } = 200;

    [Parameter]
    [Credential]
    public PSCredential? Credential { get; set; }

    protected override void ProcessRecord()
    {
        var connection = Connection.WithCredential(Credential?.GetNetworkCredential());
        var request = new SecondaryVolumeRequest(
            connection,
            MyInvocation.BoundParameters.ContainsKey(nameof(SyncedEvent)) ? SyncedEvent : null,
            Name,
            ResolveDirectory(TopDir, nameof(TopDir)),
            Path is null ? null : GetUnresolvedProviderPathFromPSPath(Path),
            AllowWritable, CompatLinks, SampleSize);
        var result = RunEngine(scope => new SecondaryVolumeService().RunAsync(request, HostConfirmation.For(this, scope), scope));
        if (result is not null) WriteObject(result);
    }
}
