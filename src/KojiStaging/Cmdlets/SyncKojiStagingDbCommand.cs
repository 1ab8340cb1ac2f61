using System.Management.Automation;
using KojiStaging.Completers;
using KojiStaging.Engine.Database;
using KojiStaging.Engine.Database.Follower;
using KojiStaging.Engine.Database.Sync;
using KojiStaging.Engine.Diagnostics;
using KojiStaging.Infrastructure;

namespace KojiStaging.Cmdlets;

/// <summary>
/// Copies production's Koji database into a new database on the staging server at one consistent
/// snapshot, sanitised in the stream, and swaps it in (the old one becomes a previous generation).
/// </summary>
[Cmdlet(VerbsData.Sync, "KojiStagingDb", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.High)]
[OutputType(typeof(DbSyncResult))]
public sealed class SyncKojiStagingDbCommand : KojiStagingCmdlet
{
    /// <summary>Production: a connection string, libpq URI, service name or KojiDatabaseConnection. Only read.</summary>
    [Parameter(Mandatory = true, Position = 0)]
    public object Source { get; set; } = null!;

    /// <summary>The staging server; its database name is the live staging database.</summary>
    [Parameter(Mandatory = true, Position = 1, ValueFromPipelineByPropertyName = true)]
    public object Destination { get; set; } = null!;

    [Parameter] [Credential] public PSCredential? SourceCredential { get; set; }

    [Parameter] [Credential] public PSCredential? DestinationCredential { get; set; }

    [Parameter] [ValidateRange(1, 64)] public int ThrottleLimit { get; set; } = Environment.ProcessorCount;

    [Parameter] [ValidateRange(0, 100)] public int KeepGenerations { get; set; } = 2;

    [Parameter] [ArgumentCompleter(typeof(KojiTableCompleter))] public string[] ExcludeTableData { get; set; } = Array.Empty<string>();

    [Parameter] [ArgumentCompleter(typeof(SanitizeRuleCompleter))] public string[] SkipSanitize { get; set; } = Array.Empty<string>();

    [Parameter] [ArgumentCompleter(typeof(SqlFileCompleter))] public string[] PostSyncSql { get; set; } = Array.Empty<string>();

    [Parameter] [ValidateRange(1L, 1_000_000_000_000L)] public long SequenceOffset { get; set; } = 100_000_000;

    [Parameter] public SwitchParameter ValidateForeignKeys { get; set; }

    [Parameter] public SwitchParameter Force { get; set; }

    /// <summary>Clone the follower (Enable-KojiStagingFollower) instead of copying production: seconds instead of the whole database.</summary>
    [Parameter] public SwitchParameter FromFollower { get; set; }

    /// <summary>-FromFollower: how long to wait for the follower to apply production's WAL up to now.</summary>
    [Parameter] public TimeSpan FollowerTimeout { get; set; } = TimeSpan.FromMinutes(10);

    protected override string? PgCredentialParameter(string role) => role == "source" ? "-SourceCredential" : "-DestinationCredential";

    protected override void ProcessRecord()
    {
        var source = ToConnection(Source, SourceCredential, nameof(Source));
        var destination = ToConnection(Destination, DestinationCredential, nameof(Destination));
        var files = PostSyncSql.Select(p => SessionState.Path.GetUnresolvedProviderPathFromPSPath(p)).ToArray();
        if (FromFollower && ValidateForeignKeys)
            ThrowInvalidArgument("NotWithFromFollower", "-ValidateForeignKeys does not apply to -FromFollower: the clone keeps the follower's constraints.", nameof(ValidateForeignKeys));
        var result = RunEngine(scope =>
        {
            var options = new DbSyncOptions
            {
                Source = source, Destination = destination, ThrottleLimit = ThrottleLimit, KeepGenerations = KeepGenerations,
                ExcludeTableData = ExcludeTableData, SkipSanitize = SkipSanitize, PostSyncSql = files, SequenceOffset = SequenceOffset,
                ValidateForeignKeys = ValidateForeignKeys, Force = Force, Approve = plan => Ask(scope, plan),
            };
            return FromFollower ? new FollowerRefresher().RunAsync(options, FollowerTimeout, scope) : new DbSyncEngine().RunAsync(options, scope);
        });
        if (result is not null) WriteObject(result);
    }

    private Task<bool> Ask(EngineScope scope, SyncPlan plan) =>
        HostConfirmation.AskAsync(this, scope, plan.Describe(), $"Replace staging database '{plan.Live}' on {plan.Server}");

    private KojiDatabaseConnection ToConnection(object value, PSCredential? credential, string parameter)
    {
        var v = value is PSObject pso ? pso.BaseObject : value;
        try
        {
            return v switch
            {
                KojiDatabaseConnection c => c.WithCredential(credential?.GetNetworkCredential()),
                string s => new KojiDatabaseConnection(s, credential?.GetNetworkCredential()),
                Uri u => new KojiDatabaseConnection(u.OriginalString, credential?.GetNetworkCredential()),
                _ => throw new StagingException("ConnectionTypeInvalid", StagingErrorCategory.InvalidArgument,
                    $"-{parameter} takes a connection string, a libpq URI, a service name or a KojiDatabaseConnection, not {v?.GetType().Name ?? "null"}."),
            };
        }
        catch (StagingException ex)
        {
            ThrowTerminatingError(ToErrorRecord(ex, parameter));
            throw; // not reached
        }
    }
}
