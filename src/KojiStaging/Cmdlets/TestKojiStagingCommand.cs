using System.Management.Automation;
using KojiStaging.Completers;
using KojiStaging.Engine.Database;
using KojiStaging.Engine.Operations.Health;
using KojiStaging.Infrastructure;

namespace KojiStaging.Cmdlets;

/// <summary>Health checks of a staging Koji: one result per check, or one boolean with -Quiet.</summary>
[Cmdlet(VerbsDiagnostic.Test, "KojiStaging")]
[OutputType(typeof(StagingCheckResult), typeof(bool))]
public sealed class TestKojiStagingCommand : KojiStagingCmdlet
{
    [Parameter(Mandatory = true, Position = 0, ValueFromPipelineByPropertyName = true)]
    [ValidateNotNull]
    public KojiDatabaseConnection Connection { get; set; } = null!;

    [Parameter(ValueFromPipelineByPropertyName = true)]
    [ValidateNotNullOrEmpty]
    [ArgumentCompleter(typeof(DirectoryPathCompleter))]
    public string TopDir { get; set; } = "/mnt/koji";

    [Parameter]
    [ValidateNotNullOrEmpty]
    [ArgumentCompleter(typeof(DirectoryPathCompleter))]
    public string? ComposeDir { get; set; }

    [Parameter]
    public KojiDatabaseConnection? ProdConnection { get; set; }

    [Parameter]
    [ValidateRange(1, 100_000)]
    public int SampleSize { get; set; } = 50;

    [Parameter]
    public TimeSpan MaxSyncAge { get; set; } = TimeSpan.FromDays(35);

    [Parameter]
    public SwitchParameter Quiet { get; set; }

    [Parameter]
    [Credential]
    public PSCredential? Credential { get; set; }

    protected override void ProcessRecord()
    {
        var request = new StagingHealthRequest(
            Connection.WithCredential(Credential?.GetNetworkCredential()),
            ResolveDirectory(TopDir, nameof(TopDir)),
            ComposeDir is null ? null : GetUnresolvedProviderPathFromPSPath(ComposeDir),
            ProdConnection, SampleSize, MaxSyncAge);
        var results = new List<StagingCheckResult>();
        if (!TryRunEngine(scope => new StagingHealthService().RunAsync(request, r => scope.Post(() =>
            {
                results.Add(r);
                if (!Quiet) WriteObject(r);
            }), scope), request.Connection.ToString()))
            return;
        if (Quiet) WriteObject(results.All(r => r.Status != StagingCheckStatus.Fail));
    }
}
