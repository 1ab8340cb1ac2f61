using System.Management.Automation;
using KojiStaging.Engine.Database;
using KojiStaging.Engine.Database.Follower;
using KojiStaging.Engine.Diagnostics;
using KojiStaging.Infrastructure;

namespace KojiStaging.Cmdlets;

/// <summary>Removes the follower: its subscription and database on staging, its slot and (where the role owns them) publications on production.</summary>
[Cmdlet(VerbsLifecycle.Disable, "KojiStagingFollower", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.High)]
[OutputType(typeof(FollowerRemoval))]
public sealed class DisableKojiStagingFollowerCommand : KojiStagingCmdlet
{
    [Parameter(Mandatory = true, Position = 0)]
    public KojiDatabaseConnection Source { get; set; } = null!;

    [Parameter(Mandatory = true, Position = 1, ValueFromPipelineByPropertyName = true)]
    [Alias("Connection")]
    public KojiDatabaseConnection Destination { get; set; } = null!;

    [Parameter]
    [ValidatePattern("^[a-z0-9_]{1,40}$")]
    public string? Name { get; set; }

    protected override void ProcessRecord()
    {
        var result = RunEngine(scope => new FollowerRemover().RunAsync(new FollowerOptions
        {
            Source = Source, Destination = Destination, Name = Name,
            Approve = what => Ask(scope, what),
        }, scope));
        if (result is null) return;
        foreach (var sql in result.LeftForDba) WriteWarning($"Production's DBA must run: {sql}");
        WriteObject(result);
    }

    private Task<bool> Ask(EngineScope scope, string what)
    {
        var answer = new TaskCompletionSource<bool>(TaskCreationOptions.RunContinuationsAsynchronously);
        scope.Post(() =>
        {
            try { answer.SetResult(ShouldProcess(what, $"Remove the follower of '{Destination.Database}'")); }
            catch (Exception ex) { answer.SetException(ex); }
        });
        return answer.Task;
    }
}
