using System.Management.Automation;
using KojiStaging.Engine.Storage;
using KojiStaging.Engine.Storage.Ontap;
using KojiStaging.Infrastructure;

namespace KojiStaging.Cmdlets;

/// <summary>Unmounts and deletes a FlexClone the module made, its export policy, then its snapshot.</summary>
[Cmdlet(VerbsCommon.Remove, "NetAppSnapshot", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.High)]
[OutputType(typeof(SnapshotRemoval))]
public sealed class RemoveNetAppSnapshotCommand : NetAppCmdlet
{
    [Parameter(Mandatory = true, ValueFromPipelineByPropertyName = true)]
    [ValidateNotNullOrEmpty]
    [ArgumentCompleter(typeof(OntapNameCompleter))]
    public string Svm { get; set; } = "";

    [Parameter(Position = 0, ValueFromPipelineByPropertyName = true)]
    [Alias("CloneName")]
    public string? Clone { get; set; }

    [Parameter(ValueFromPipelineByPropertyName = true)]
    [ArgumentCompleter(typeof(OntapNameCompleter))]
    public string? ParentVolume { get; set; }

    [Parameter(ValueFromPipelineByPropertyName = true)]
    public string? Snapshot { get; set; }

    [Parameter]
    public SwitchParameter Force { get; set; }

    /// <summary>Write what was removed (a SnapshotRemoval per clone or snapshot); otherwise nothing is written.</summary>
    [Parameter]
    public SwitchParameter PassThru { get; set; }

    protected override void ProcessRecord()
    {
        var clone = string.IsNullOrEmpty(Clone) ? null : Clone;
        if (clone is null && (string.IsNullOrEmpty(Snapshot) || string.IsNullOrEmpty(ParentVolume)))
        {
            WriteItemError("OntapNothingToRemove", ErrorCategory.InvalidArgument, "Give -Clone, or -ParentVolume with -Snapshot for a snapshot without a clone.", this);
            return;
        }
        var key = new NetAppSnapshotKey(Svm, clone, ParentVolume, Snapshot);
        var what = clone is null ? $"snapshot '{Snapshot}' of {Svm}:{ParentVolume}" : $"FlexClone '{Svm}:{clone}' and its snapshot";
        if (!ShouldProcess($"Remove {what} on {Cluster} with these ONTAP REST calls:{Plan(OntapSnapshotProvider.PlanRemove(key))}",
                $"Remove {what} on {Cluster}? Anything staging wrote into the clone is lost.", "Remove-NetAppSnapshot"))
            return;
        if (!TryRunEngine(async scope =>
            {
                using var client = CreateClient(scope);
                return await new OntapSnapshotProvider(client).RemoveAsync(key, Force, scope).ConfigureAwait(false);
            }, clone ?? Snapshot, out var result))
            return;
        foreach (var r in result.Removed) WriteVerbose($"Removed {r}");
        if (result.KeptBecause is { } kept) WriteError(ToErrorRecord(kept, result.Name));
        if (PassThru) WriteObject(result);
    }
}
