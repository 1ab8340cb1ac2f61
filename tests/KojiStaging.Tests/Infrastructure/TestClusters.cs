using KojiStaging.TestServices;

namespace KojiStaging.Tests.Infrastructure;

/// <summary>
/// Two PostgreSQL clusters shared by the whole test run: "prod" and "staging". Tests isolate
/// themselves by database name (<see cref="UniqueName"/>), so they may run in parallel.
/// Both clusters stop when the test process exits; clusters of a crashed run are cleaned by the next.
/// </summary>
public static class TestClusters
{
    private static readonly Lazy<PgCluster> ProdLazy = new(() => StartAndTrack());
    private static readonly Lazy<PgCluster> StagingLazy = new(() => StartAndTrack());
    private static int _counter;

    public static PgCluster Prod => ProdLazy.Value;
    public static PgCluster Staging => StagingLazy.Value;

    public static string UniqueName(string prefix) =>
        $"{prefix}_{Environment.ProcessId}_{Interlocked.Increment(ref _counter)}";

    private static PgCluster StartAndTrack()
    {
        var cluster = PgCluster.Start();
        AppDomain.CurrentDomain.ProcessExit += (_, _) => cluster.Dispose();
        return cluster;
    }
}
