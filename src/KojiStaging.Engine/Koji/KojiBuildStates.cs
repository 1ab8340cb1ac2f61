namespace KojiStaging.Engine.Koji;

/// <summary>Koji's build and repo state numbers (koji.BUILD_STATES, koji.REPO_STATES).</summary>
public static class KojiBuildStates
{
    public const int Building = 0, Complete = 1, Deleted = 2, Failed = 3, Canceled = 4;
    public const int RepoInit = 0, RepoReady = 1, RepoExpired = 2;

    public static string Name(int state) => state switch
    {
        Building => "BUILDING",
        Complete => "COMPLETE",
        Deleted => "DELETED",
        Failed => "FAILED",
        Canceled => "CANCELED",
        _ => $"STATE{state}",
    };
}
