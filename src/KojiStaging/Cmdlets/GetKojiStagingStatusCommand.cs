using System.Management.Automation;
using KojiStaging.Completers;
using KojiStaging.Engine.Database;
using KojiStaging.Engine.Operations;
using KojiStaging.Infrastructure;

namespace KojiStaging.Cmdlets;

/// <summary>Reports drift between production and staging: events, age, builds since, generations and volumes.</summary>
[Cmdlet(VerbsCommon.Get, "KojiStagingStatus")]
[OutputType(typeof(StagingStatus))]
public sealed class GetKojiStagingStatusCommand : KojiStagingCmdlet
{
    /// <summary>The staging database (binds Connection from Sync-KojiStagingDb's output).</summary>
    [Parameter(Mandatory = true, Position = 0, ValueFromPipelineByPropertyName = true)]
    [Alias("Destination")]
    public KojiDatabaseConnection Connection { get; set; } = null!;

    /// <summary>Production's database (read-only); without it only staging's side is reported.</summary>
    [Parameter(Position = 1)]
    public KojiDatabaseConnection? Source { get; set; }

    /// <summary>Staging's Koji topdir: checks each volume's directory and mount.</summary>
    [Parameter]
    [ArgumentCompleter(typeof(DirectoryPathCompleter))]
    public string? TopDir { get; set; }

    protected override void ProcessRecord()
    {
        var topDir = TopDir is null ? null : SessionState.Path.GetUnresolvedProviderPathFromPSPath(TopDir);
        var status = RunEngine(scope => new StagingStatusReader().ReadAsync(Connection, Source, topDir, scope));
        WriteObject(status);
    }
}
