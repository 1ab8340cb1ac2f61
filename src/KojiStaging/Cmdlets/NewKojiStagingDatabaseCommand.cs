using System.Management.Automation;
using KojiStaging.Engine.Database;
using KojiStaging.Infrastructure;

namespace KojiStaging.Cmdlets;

/// <summary>Creates an empty staging Koji database from a Koji schema file and marks it as staging.</summary>
[Cmdlet(VerbsCommon.New, "KojiStagingDatabase", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Medium)]
[OutputType(typeof(KojiStagingDatabase))]
public sealed class NewKojiStagingDatabaseCommand : KojiStagingCmdlet
{
    [Parameter(Mandatory = true, Position = 0, ValueFromPipelineByPropertyName = true)]
    [Alias("Connection")] public KojiDatabaseConnection Destination { get; set; } = null!;

    [Parameter(Mandatory = true, Position = 1)] public string SchemaPath { get; set; } = null!;

    [Parameter] [Credential] public PSCredential? Credential { get; set; }

    protected override void ProcessRecord()
    {
        var destination = Destination.WithCredential(Credential?.GetNetworkCredential());
        var schema = GetUnresolvedProviderPathFromPSPath(SchemaPath);
        if (!ShouldProcess(destination.ToString(), $"Create an empty Koji staging database from {schema}")) return;
        if (TryRunEngine(scope => KojiSchemaInstaller.CreateAsync(destination, schema, scope), destination.ToString(), out var created)) WriteObject(created);
    }
}
