using System.Management.Automation;
using KojiStaging.Engine.Database;
using KojiStaging.Engine.Database.Follower;
using KojiStaging.Engine.Diagnostics;
using KojiStaging.Infrastructure;

namespace KojiStaging.Cmdlets;

/// <summary>Removes the follower: its subscription and database on staging, its slot and (where the role owns them) publications on production.</summary>
[Cmdlet(VerbsLifecycle.Disable, "KojiStagingFollower", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.High)]
[OutputType(typeof(FollowerRemoval))]
public sealed class DisableKojiStagingFollowerCommand : FollowerCmdlet
{
    protected override void ProcessRecord()
    {
        var result = RunEngine(scope => new FollowerRemover().RunAsync(Options() with
        {
            Approve = what => HostConfirmation.AskAsync(this, scope, what, $"Remove the follower of '{Destination.Database}'"),
        }, scope));
        if (result is null) return;
        foreach (var sql in result.LeftForDba) WriteWarning($"Production's DBA must run: {sql}");
        WriteObject(result);
    }
}
