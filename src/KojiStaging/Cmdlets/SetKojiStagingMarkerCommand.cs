using System.Management.Automation;
using KojiStaging.Engine.Database;
using KojiStaging.Infrastructure;

namespace KojiStaging.Cmdlets;

/// <summary>
/// Marks a database as a KojiStaging staging copy, explicitly: the only way besides Sync-KojiStagingDb and
/// New-KojiStagingDatabase for a database to become one that Invoke-KojiStagingSql, Set-KojiSecondaryVolume and
/// Copy-KojiSubset will write.
/// </summary>
[Cmdlet(VerbsCommon.Set, "KojiStagingMarker", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.High)]
[OutputType(typeof(StagingMarkResult))]
public sealed class SetKojiStagingMarkerCommand : KojiStagingCmdlet
{
    [Parameter(Mandatory = true, Position = 0, ValueFromPipelineByPropertyName = true)]
    [Alias("Destination")]
    public KojiDatabaseConnection Connection { get; set; } = null!;

    /// <summary>Why this database is a staging copy: kept in the marker row.</summary>
    [Parameter]
    public string? Note { get; set; }

    [Parameter]
    [Credential]
    public PSCredential? Credential { get; set; }

    protected override void ProcessRecord()
    {
        var target = Connection.WithCredential(Credential?.GetNetworkCredential());
        if (!ShouldProcess(target.ToString(), "Mark as a KojiStaging staging database (the module's cmdlets may then change or replace it)")) return;
        if (TryRunEngine(scope => new StagingMarking().MarkAsync(target, Note, scope), target.ToString(), out var marked)) WriteObject(marked);
    }
}
