using System.Management.Automation;
using KojiStaging.Engine.Storage.Ontap;
using KojiStaging.Infrastructure;

namespace KojiStaging.Cmdlets;

/// <summary>Snapshots prod's volume and makes a writable FlexClone of it with a junction path and an NFS export.</summary>
[Cmdlet(VerbsCommon.New, "NetAppSnapshot", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Medium)]
[OutputType(typeof(NetAppSnapshot))]
public sealed class NewNetAppSnapshotCommand : NetAppCmdlet
{
    [Parameter(Mandatory = true)]
    [ValidateNotNullOrEmpty]
    [ArgumentCompleter(typeof(OntapNameCompleter))]
    public string Svm { get; set; } = "";

    [Parameter(Mandatory = true)]
    [ValidateNotNullOrEmpty]
    [ArgumentCompleter(typeof(OntapNameCompleter))]
    public string Volume { get; set; } = "";

    [Parameter]
    [ValidateNotNullOrEmpty]
    public string? SnapshotName { get; set; }

    [Parameter(Mandatory = true)]
    [ValidatePattern("^[A-Za-z_][A-Za-z0-9_]*$")]
    [ValidateLength(1, 197)]
    public string CloneName { get; set; } = "";

    [Parameter]
    [ValidatePattern("^/")]
    public string? JunctionPath { get; set; }

    [Parameter]
    [ValidateNotNullOrEmpty]
    public string[]? ExportClient { get; set; }

    [Parameter]
    [ValidateNotNullOrEmpty]
    public string? NfsServer { get; set; }

    [Parameter(ValueFromPipelineByPropertyName = true)]
    public int? SyncedEvent { get; set; }

    protected override void ProcessRecord()
    {
        var request = new NetAppSnapshotRequest(Svm, Volume, CloneName, SnapshotName, JunctionPath, ExportClient ?? Array.Empty<string>(), SyncedEvent, NfsServer);
        var plan = OntapSnapshotProvider.PlanCreate(request, DateTimeOffset.UtcNow);
        if (!ShouldProcess(
                $"Create writable FlexClone '{CloneName}' of {Svm}:{Volume} on {Cluster} with these ONTAP REST calls:{Plan(plan)}",
                $"Create writable FlexClone '{CloneName}' of {Svm}:{Volume} on {Cluster}?",
                "New-NetAppSnapshot"))
            return;
        if (TryRunEngine(async scope =>
            {
                using var client = CreateClient(scope);
                return await new OntapSnapshotProvider(client).CreateAsync(request, scope).ConfigureAwait(false);
            }, CloneName, out var snapshot))
            WriteObject(snapshot);
    }
}
