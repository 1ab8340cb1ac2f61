using System.Management.Automation;
using KojiStaging.Engine.Database;
using KojiStaging.Engine.Database.Follower;
using KojiStaging.Infrastructure;

namespace KojiStaging.Cmdlets;

/// <summary>Reports the follower's state and lag (bytes and time), the WAL production keeps for it, and warns past the bounds. Read-only on both sides.</summary>
[Cmdlet(VerbsCommon.Get, "KojiStagingFollower")]
[OutputType(typeof(FollowerStatus))]
public sealed class GetKojiStagingFollowerCommand : FollowerCmdlet
{
    /// <summary>Warn when the follower is more than this many bytes of production's WAL behind (default 1 GiB).</summary>
    [Parameter]
    [ValidateRange(0L, long.MaxValue)]
    public long WarnLagBytes { get; set; } = 1L << 30;

    /// <summary>Warn when the follower's newest event is older than production's by more than this (default 10 minutes).</summary>
    [Parameter]
    public TimeSpan WarnLag { get; set; } = TimeSpan.FromMinutes(10);

    /// <summary>Warn when production retains more WAL than this for the slot (default 8 GiB).</summary>
    [Parameter]
    [ValidateRange(0L, long.MaxValue)]
    public long WarnRetainedWalBytes { get; set; } = 8L << 30;

    protected override void ProcessRecord()
    {
        var status = RunEngine(scope => FollowerStatusReader.RunAsync(Options(),
            new FollowerBounds(WarnLagBytes, WarnLag, WarnRetainedWalBytes), scope));
        foreach (var w in status.Warnings) WriteWarning(w);
        WriteObject(status);
    }
}
