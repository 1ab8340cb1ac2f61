using System.Management.Automation;
using KojiStaging.Engine.Storage.Ontap;
using KojiStaging.Infrastructure;

namespace KojiStaging.Cmdlets;

/// <summary>Lists the module's FlexClones (and tagged snapshots left without a clone) with space use and age.</summary>
[Cmdlet(VerbsCommon.Get, "NetAppSnapshot")]
[OutputType(typeof(NetAppSnapshot))]
public sealed class GetNetAppSnapshotCommand : NetAppCmdlet
{
    [Parameter(Position = 0)]
    [SupportsWildcards]
    [ValidateNotNullOrEmpty]
    public string? CloneName { get; set; }

    [Parameter(ValueFromPipelineByPropertyName = true)]
    [ValidateNotNullOrEmpty]
    [ArgumentCompleter(typeof(OntapNameCompleter))]
    public string? Svm { get; set; }

    [Parameter]
    [ValidateNotNullOrEmpty]
    [ArgumentCompleter(typeof(OntapNameCompleter))]
    public string? Volume { get; set; }

    [Parameter]
    public SwitchParameter IncludeForeign { get; set; }

    [Parameter]
    [ValidateNotNullOrEmpty]
    public string? NfsServer { get; set; }

    protected override void ProcessRecord()
    {
        if (Volume is not null && Svm is null)
            ThrowInvalidArgument("OntapSvmRequired", "-Volume needs -Svm: snapshots are looked up on one SVM's volume.", Volume);
        if (!TryRunEngine(async scope =>
            {
                using var client = CreateClient(scope);
                return await new OntapSnapshotProvider(client).ListAsync(Svm, CloneName, Volume, IncludeForeign, scope, NfsServer).ConfigureAwait(false);
            }, Svm ?? Cluster, out var list))
            return;
        foreach (var s in list) WriteObject(s);
    }
}
