using System.Management.Automation;
using KojiStaging.Engine.Database;
using KojiStaging.Engine.Database.Follower;
using KojiStaging.Engine.Diagnostics;
using KojiStaging.Infrastructure;

namespace KojiStaging.Cmdlets;

/// <summary>
/// Creates the follower: a sanitised copy of production on the staging server (database &lt;live&gt;_follower) kept
/// current by logical replication, which Sync-KojiStagingDb -FromFollower clones in seconds.
/// </summary>
[Cmdlet(VerbsLifecycle.Enable, "KojiStagingFollower", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.High)]
[OutputType(typeof(FollowerStatus))]
public sealed class EnableKojiStagingFollowerCommand : KojiStagingCmdlet
{
    /// <summary>Production, as a role with REPLICATION and SELECT (Get-KojiStagingFollowerSetup).</summary>
    [Parameter(Mandatory = true, Position = 0)]
    public KojiDatabaseConnection Source { get; set; } = null!;

    /// <summary>The staging server; its database name is the live staging database.</summary>
    [Parameter(Mandatory = true, Position = 1, ValueFromPipelineByPropertyName = true)]
    [Alias("Connection")]
    public KojiDatabaseConnection Destination { get; set; } = null!;

    /// <summary>The follower's name on production (slot and publications kojistaging_NAME); default: the live database's name.</summary>
    [Parameter]
    [ValidatePattern("^[a-z0-9_]{1,40}$")]
    public string? Name { get; set; }

    [Parameter]
    [ValidateRange(1, 64)]
    public int ThrottleLimit { get; set; } = Environment.ProcessorCount;

    /// <summary>Re-create a follower that exists (after a Koji upgrade on production, say).</summary>
    [Parameter]
    public SwitchParameter Force { get; set; }

    protected override void ProcessRecord()
    {
        var result = RunEngine(scope => new FollowerBuilder().RunAsync(new FollowerOptions
        {
            Source = Source, Destination = Destination, Name = Name, ThrottleLimit = ThrottleLimit, Force = Force,
            Approve = what => Ask(scope, what, $"Create the follower of '{Destination.Database}' on {Destination.Host}:{Destination.Port}"),
        }, scope));
        if (result is null) return;
        foreach (var w in result.Warnings) WriteWarning(w);
        WriteObject(result);
    }

    private Task<bool> Ask(EngineScope scope, string what, string action)
    {
        var answer = new TaskCompletionSource<bool>(TaskCreationOptions.RunContinuationsAsynchronously);
        scope.Post(() =>
        {
            try { answer.SetResult(ShouldProcess(what, action)); }
            catch (Exception ex) { answer.SetException(ex); }
        });
        return answer.Task;
    }
}
