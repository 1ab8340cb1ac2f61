using System.Management.Automation;
using KojiStaging.Engine.Database;
using KojiStaging.Engine.Database.Follower;
using KojiStaging.Infrastructure;

namespace KojiStaging.Cmdlets;

/// <summary>Prints the exact settings, role and CREATE PUBLICATION statements production's DBA runs once for a follower. Read-only.</summary>
[Cmdlet(VerbsCommon.Get, "KojiStagingFollowerSetup")]
[OutputType(typeof(FollowerSetup))]
public sealed class GetKojiStagingFollowerSetupCommand : FollowerCmdlet
{
    /// <summary>The role the follower connects to production as.</summary>
    [Parameter]
    [ValidatePattern("^[A-Za-z_][A-Za-z0-9_]{0,62}$")]
    public string Role { get; set; } = "kojistaging_follower";

    /// <summary>The most WAL production keeps for a follower that stopped consuming (max_slot_wal_keep_size).</summary>
    [Parameter]
    [ValidatePattern("^[0-9]+ ?(kB|MB|GB|TB)$")]
    public string MaxSlotWalKeepSize { get; set; } = "50GB";

    /// <summary>Do not propose REPLICA IDENTITY FULL for tables without a replica identity: publish them INSERT-only (their revokes then do not reach staging).</summary>
    [Parameter]
    public SwitchParameter KeepReplicaIdentity { get; set; }

    protected override void ProcessRecord() =>
        WriteObject(RunEngine(scope => FollowerSetupWriter.RunAsync(Options(), Role, MaxSlotWalKeepSize, KeepReplicaIdentity, scope)));
}
