using System.Management.Automation;
using KojiStaging.Engine.Database;
using KojiStaging.Engine.Database.Follower;

namespace KojiStaging.Infrastructure;

/// <summary>The parameters every follower cmdlet takes: production, the staging server with its live database, and the follower's name.</summary>
public abstract class FollowerCmdlet : KojiStagingCmdlet
{
    /// <summary>Production (for Enable and Get, a role with REPLICATION and SELECT: Get-KojiStagingFollowerSetup).</summary>
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

    protected FollowerOptions Options() => new() { Source = Source, Destination = Destination, Name = Name };
}
