namespace KojiStaging.Engine.Database.Follower;

/// <summary>What Enable-, Get- and Disable-KojiStagingFollower were asked to do.</summary>
public sealed record FollowerOptions
{
    /// <summary>Production, read-only, as a role with REPLICATION and SELECT.</summary>
    public required KojiDatabaseConnection Source { get; init; }
    /// <summary>The staging server; its database name is the live staging database the follower serves.</summary>
    public required KojiDatabaseConnection Destination { get; init; }
    /// <summary>The follower's name on production (slot, publications); default: the live database's name.</summary>
    public string? Name { get; init; }
    public int ThrottleLimit { get; init; } = Environment.ProcessorCount;
    /// <summary>Enable: re-create a follower that exists (after a Koji upgrade on production, say).</summary>
    public bool Force { get; init; }
    /// <summary>Asked with a description of the changes before any is made; false stops with nothing changed.</summary>
    public Func<string, Task<bool>>? Approve { get; init; }
}
