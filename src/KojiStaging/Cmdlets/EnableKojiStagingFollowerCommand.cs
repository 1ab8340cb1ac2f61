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
public sealed class EnableKojiStagingFollowerCommand : FollowerCmdlet
{
    [Parameter]
    [ValidateRange(1, 64)]
    public int ThrottleLimit { get; set; } = Environment.ProcessorCount;

    /// <summary>Re-create a follower that exists (after a Koji upgrade on production, say).</summary>
    [Parameter]
    public SwitchParameter Force { get; set; }

    protected override void ProcessRecord()
    {
        var result = RunEngine(scope => new FollowerBuilder().RunAsync(Options() with
        {
            ThrottleLimit = ThrottleLimit, Force = Force,
            Approve = what => HostConfirmation.AskAsync(this, scope, what, $"Create the follower of '{Destination.Database}' on {Destination.Host}:{Destination.Port}"),
        }, scope));
        if (result is null) return;
        foreach (var w in result.Warnings) WriteWarning(w);
        WriteObject(result);
    }
}
