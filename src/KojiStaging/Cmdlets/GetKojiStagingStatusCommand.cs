using System.Management.Automation;
using System.Security.Cryptography.X509Certificates;
using KojiStaging.Completers;
using KojiStaging.Engine.Database;
using KojiStaging.Engine.Operations;
using KojiStaging.Engine.Storage;
using KojiStaging.Infrastructure;

namespace KojiStaging.Cmdlets;

/// <summary>Reports drift between production and staging: events, age, builds since, generations, volumes and writable snapshots.</summary>
[Cmdlet(VerbsCommon.Get, "KojiStagingStatus")]
[OutputType(typeof(StagingStatus))]
public sealed class GetKojiStagingStatusCommand : KojiStagingCmdlet
{
    private static readonly string[] OntapOnly = { "Credential", "Certificate", "SkipCertificateCheck", "Svm", "CloneName", "Volume", "NfsServer" };
    private readonly List<IWritableSnapshot> _piped = new();
    private bool _collect;

    /// <summary>The staging database (binds Connection from Sync-KojiStagingDb's output).</summary>
    [Parameter(Mandatory = true, Position = 0, ValueFromPipelineByPropertyName = true)]
    [Alias("Destination")]
    public KojiDatabaseConnection Connection { get; set; } = null!;

    /// <summary>Production's database (read-only); without it only staging's side is reported.</summary>
    [Parameter(Position = 1)]
    public KojiDatabaseConnection? Source { get; set; }

    /// <summary>Staging's Koji topdir: checks each volume's directory and mount, and limits local snapshots to those mounted at or around it.</summary>
    [Parameter]
    [ArgumentCompleter(typeof(DirectoryPathCompleter))]
    public string? TopDir { get; set; }

    /// <summary>Snapshot objects from Get-NetAppSnapshot or Get-KojiLocalSnapshot (or piped).</summary>
    [Parameter(ValueFromPipeline = true)]
    public IWritableSnapshot[]? Snapshot { get; set; }

    /// <summary>Where the module keeps local overlay snapshots (Get-KojiLocalSnapshot -Root).</summary>
    [Parameter]
    [Alias("Root")]
    [ValidateNotNullOrEmpty]
    [ArgumentCompleter(typeof(DirectoryPathCompleter))]
    public string? LocalSnapshotRoot { get; set; }

    // Get-NetAppSnapshot's parameters, same names and types, so one splatted hashtable serves both.
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string? Cluster { get; set; }

    [Parameter]
    [Credential]
    public PSCredential? Credential { get; set; }

    [Parameter]
    public X509Certificate2? Certificate { get; set; }

    [Parameter]
    public SwitchParameter SkipCertificateCheck { get; set; }

    [Parameter]
    [ValidateNotNullOrEmpty]
    [ArgumentCompleter(typeof(OntapNameCompleter))]
    public string? Svm { get; set; }

    [Parameter]
    [SupportsWildcards]
    [ValidateNotNullOrEmpty]
    public string? CloneName { get; set; }

    [Parameter]
    [ValidateNotNullOrEmpty]
    [ArgumentCompleter(typeof(OntapNameCompleter))]
    public string? Volume { get; set; }

    [Parameter]
    [ValidateNotNullOrEmpty]
    public string? NfsServer { get; set; }

    /// <summary>RotateSoon at or above this percentage of a snapshot's bound (default 80).</summary>
    [Parameter]
    [ValidateRange(1.0, 100.0)]
    public double? RotateAtPercent { get; set; }

    /// <summary>RotateSoon at or above this age (default 14 days).</summary>
    [Parameter]
    public TimeSpan? RotateAfter { get; set; }

    /// <summary>-Credential here is ONTAP's; PostgreSQL passwords come from the connection strings.</summary>
    protected override string? PgCredentialParameter(string role) => null;

    protected override void BeginProcessing()
    {
        if (Cluster is null && OntapOnly.FirstOrDefault(MyInvocation.BoundParameters.ContainsKey) is { } name)
            ThrowInvalidArgument("OntapClusterRequired", $"-{name} is for listing ONTAP snapshots and needs -Cluster.", name);
        // A connection on the command line and snapshots piped in: one status for all of them, written at the end.
        _collect = MyInvocation.ExpectingInput && MyInvocation.BoundParameters.ContainsKey(nameof(Connection));
    }

    protected override void ProcessRecord()
    {
        if (_collect) _piped.AddRange(Snapshot ?? Array.Empty<IWritableSnapshot>());
        else WriteStatus(Snapshot);
    }

    protected override void EndProcessing()
    {
        if (_collect) WriteStatus(_piped);
    }

    private void WriteStatus(IReadOnlyList<IWritableSnapshot>? given)
    {
        var topDir = TopDir is null ? null : ResolveDirectory(TopDir, nameof(TopDir));
        var query = new StagingSnapshotQuery(
            LocalSnapshotRoot is null ? null : ResolveDirectory(LocalSnapshotRoot, nameof(LocalSnapshotRoot)),
            Cluster is null ? null : NetAppCmdlet.ConnectionOptions(Cluster, Credential, Certificate, SkipCertificateCheck),
            Svm, CloneName, Volume, NfsServer, given,
            new SnapshotRotation(RotateAtPercent ?? SnapshotRotation.DefaultSpaceUsedPercent, RotateAfter));
        if (TryRunEngine(scope => new StagingStatusReader().ReadAsync(Connection, Source, topDir, scope, query), Connection.ToString(), out var status))
            WriteObject(status);
    }
}
