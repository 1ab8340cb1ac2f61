using System.Management.Automation;
using KojiStaging.Engine.Storage.Local;
using KojiStaging.Infrastructure;

namespace KojiStaging.Cmdlets;

/// <summary>Makes a writable overlay of a read-only tree on this host: the local writable-snapshot provider.</summary>
[Cmdlet(VerbsCommon.New, "KojiLocalSnapshot", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Medium)]
[OutputType(typeof(LocalSnapshot))]
public sealed class NewKojiLocalSnapshotCommand : KojiStagingCmdlet
{
    [Parameter(Mandatory = true)]
    [ValidatePattern("^[A-Za-z0-9][A-Za-z0-9._-]*$")]
    public string Name { get; set; } = "";

    [Parameter(Mandatory = true)]
    [ValidateNotNullOrEmpty]
    public string Source { get; set; } = "";

    [Parameter]
    [ValidateNotNullOrEmpty]
    public string Root { get; set; } = OverlaySnapshotProvider.DefaultRoot;

    [Parameter]
    [ValidateNotNullOrEmpty]
    public string? Path { get; set; }

    [Parameter]
    [ValidateRange(1, long.MaxValue)]
    public long? MaxSize { get; set; }

    [Parameter(ValueFromPipelineByPropertyName = true)]
    public int? SyncedEvent { get; set; }

    protected override void ProcessRecord()
    {
        var root = ResolveDirectory(Root, nameof(Root));
        var source = GetUnresolvedProviderPathFromPSPath(Source);
        var path = Path is null ? null : GetUnresolvedProviderPathFromPSPath(Path);
        var mountAt = path ?? System.IO.Path.Combine(root, Name, "merged");
        var upper = System.IO.Path.Combine(root, Name, "upper");
        var work = System.IO.Path.Combine(root, Name, "work");
        if (!ShouldProcess($"Mount a writable overlay of '{source}' at '{mountAt}': mount -t overlay overlay -o lowerdir={source},upperdir={upper},workdir={work} {mountAt}",
                $"Mount a writable overlay of '{source}' at '{mountAt}'?", "New-KojiLocalSnapshot"))
            return;
        var request = new LocalSnapshotRequest(Name, source, root, path, MaxSize, SyncedEvent);
        if (TryRunEngine(scope => new OverlaySnapshotProvider(root).CreateAsync(request, scope), Name, out var snapshot)) WriteObject(snapshot);
    }
}
