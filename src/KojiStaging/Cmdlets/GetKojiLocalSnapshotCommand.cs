using System.Management.Automation;
using KojiStaging.Engine.Storage.Local;
using KojiStaging.Infrastructure;

namespace KojiStaging.Cmdlets;

/// <summary>Lists the module's local overlay snapshots with their growth (bytes in the upper dir) and age.</summary>
[Cmdlet(VerbsCommon.Get, "KojiLocalSnapshot")]
[OutputType(typeof(LocalSnapshot))]
public sealed class GetKojiLocalSnapshotCommand : KojiStagingCmdlet
{
    [Parameter(Position = 0)]
    [SupportsWildcards]
    [ValidateNotNullOrEmpty]
    public string? Name { get; set; }

    [Parameter(ValueFromPipelineByPropertyName = true)]
    [ValidateNotNullOrEmpty]
    public string Root { get; set; } = OverlaySnapshotProvider.DefaultRoot;

    protected override void ProcessRecord()
    {
        var root = ResolveDirectory(Root, nameof(Root));
        if (TryRunEngine(scope => new OverlaySnapshotProvider(root).ListAsync(Name, false, scope), root, out var list))
            foreach (var s in list) WriteObject(s);
    }
}
