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

    /// <summary>
    /// The least-privilege role Sync-KojiStagingDb is documented to need on the staging server (docs/cmdlets/Sync-KojiStagingDb.md):
    /// LOGIN CREATEDB (it creates and so owns live and its generations) and pg_signal_backend (it ends other roles' sessions on
    /// live at the swap). Not a superuser: the Sync tests run as this role.
    /// </summary>
    public const string StagingRole = "kojistaging_sync";
    public const string StagingRolePassword = "sync-role-pw";
    private static readonly Lazy<bool> StagingRoleLazy = new(() =>
    {
        Staging.Psql("postgres", $"CREATE ROLE {StagingRole} LOGIN CREATEDB NOSUPERUSER PASSWORD '{StagingRolePassword}'; GRANT pg_signal_backend TO {StagingRole}");
        return true;
    });

    /// <summary>A connection string to <paramref name="database"/> on the staging cluster as <see cref="StagingRole"/>.</summary>
    public static string StagingAsSyncRole(string database)
    {
        _ = StagingRoleLazy.Value;
        return Staging.ConnectionString(database, StagingRole, StagingRolePassword);
    }

    public static string UniqueName(string prefix) =>
        $"{prefix}_{Environment.ProcessId}_{Interlocked.Increment(ref _counter)}";

    private static PgCluster StartAndTrack()
    {
        var cluster = PgCluster.Start();
        AppDomain.CurrentDomain.ProcessExit += (_, _) => cluster.Dispose();
        return cluster;
    }
}
