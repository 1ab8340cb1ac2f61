using System.Management.Automation;
using KojiStaging.Engine.Storage;
using KojiStaging.Engine.Storage.Local;
using KojiStaging.Infrastructure;

namespace KojiStaging.Cmdlets;

/// <summary>Unmounts a local overlay snapshot and deletes its upper, work and mount directories.</summary>
[Cmdlet(VerbsCommon.Remove, "KojiLocalSnapshot", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.High)]
[OutputType(typeof(SnapshotRemoval))]
public sealed class RemoveKojiLocalSnapshotCommand : KojiStagingCmdlet
{
    [Parameter(Mandatory = true, Position = 0, ValueFromPipelineByPropertyName = true)]
    [ValidatePattern("^[A-Za-z0-9][A-Za-z0-9._-]*$")]
    public string Name { get; set; } = "";

    [Parameter(ValueFromPipelineByPropertyName = true)]
    [ValidateNotNullOrEmpty]
    public string Root { get; set; } = OverlaySnapshotProvider.DefaultRoot;

    [Parameter]
    public SwitchParameter Force { get; set; }

    /// <summary>Write what was removed (a SnapshotRemoval per snapshot); otherwise nothing is written.</summary>
    [Parameter]
    public SwitchParameter PassThru { get; set; }

    protected override void ProcessRecord()
    {
        var root = ResolveDirectory(Root, nameof(Root));
        if (!ShouldProcess($"Unmount local snapshot '{Name}' and delete {System.IO.Path.Combine(root, Name)} (everything written into it)",
                $"Remove local snapshot '{Name}'? Anything staging wrote into it is lost.", "Remove-KojiLocalSnapshot"))
            return;
        if (!TryRunEngine(scope => new OverlaySnapshotProvider(root).RemoveAsync(new LocalSnapshotKey(root, Name), Force, scope), Name, out var result))
            return;
        foreach (var r in result.Removed) WriteVerbose($"Removed {r}");
        if (PassThru) WriteObject(result);
    }
}
