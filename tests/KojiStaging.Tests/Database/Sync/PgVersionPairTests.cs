using Dapper;
using KojiStaging.Engine.Database;
using KojiStaging.Engine.Database.Sync;
using KojiStaging.Engine.Diagnostics;
using KojiStaging.TestServices;
using KojiStaging.Tests.Infrastructure;
using Npgsql;

namespace KojiStaging.Tests.Database.Sync;

/// <summary>
/// Sync-KojiStagingDb across PostgreSQL majors (README "Supported PostgreSQL versions"): real servers of 11, 13 and 17
/// (tools/install-test-postgres.sh) beside Debian's 15, the Debian pg_dump 15 the only client installed.
/// </summary>
[Collection(nameof(PgVersionPairTests))]
public class PgVersionPairTests
{
    private static PgCluster Cluster(int major) => major == 15 ? TestClusters.Prod : OtherMajorClusters.Get(major);
    private static PgCluster StagingCluster(int major) => major == 15 ? TestClusters.Staging : OtherMajorClusters.Get(major);

    private static async Task<(DbSyncResult? Result, string LiveCs, string ProdCs)> SyncAsync(int prodMajor, int stagingMajor)
    {
        var prod = Cluster(prodMajor);
        Assert.Equal(prodMajor, prod.Major);
        var db = TestClusters.UniqueName($"pair{prodMajor}_{stagingMajor}_prod");
        var prodCs = prod.CreateFixtureDatabase(db);
        var staging = StagingCluster(stagingMajor);
        Assert.Equal(stagingMajor, staging.Major);
        var liveCs = staging.ConnectionString(TestClusters.UniqueName($"pair{prodMajor}_{stagingMajor}_stg"));
        var r = await new DbSyncEngine().RunAsync(new DbSyncOptions
        {
            Source = new KojiDatabaseConnection(prodCs), Destination = new KojiDatabaseConnection(liveCs), ThrottleLimit = 2,
        }, EngineScope.Silent());
        return (r, liveCs, prodCs);
    }

    [Theory]
    [InlineData(13, 15)]
    [InlineData(15, 17)]
    [InlineData(11, 15)]
    [InlineData(15, 13)]
    public async Task A_supported_pair_syncs_the_fixture_with_every_rule(int prodMajor, int stagingMajor)
    {
        var (r, liveCs, prodCs) = await SyncAsync(prodMajor, stagingMajor);
        Assert.NotNull(r);
        Assert.Equal(166, r!.SyncedEvent);
        Assert.Equal(24, r.Builds);
        Assert.Equal(58, r.Rpms);
        Assert.Equal(SanitizeRules.Names.OrderBy(n => n), r.RulesApplied.OrderBy(n => n));
        Assert.Empty(r.RulesNotApplicable);
        await using var live = new NpgsqlConnection(liveCs);
        await using var prod = new NpgsqlConnection(prodCs);
        Assert.Equal(0, await live.ExecuteScalarAsync<long>("SELECT count(*) FROM sessions"));
        const string objects = "SELECT (SELECT count(*) FROM pg_indexes WHERE schemaname = 'public' AND tablename <> 'kojistaging_marker') || '/' || (SELECT count(*) FROM pg_constraint WHERE connamespace = 'public'::regnamespace AND conrelid <> coalesce(to_regclass('public.kojistaging_marker'), 0))";
        Assert.Equal(await prod.ExecuteScalarAsync<string>(objects), await live.ExecuteScalarAsync<string>(objects));
        Assert.Equal(await prod.ExecuteScalarAsync<string>("SELECT string_agg(id || ':' || state, ',' ORDER BY id) FROM build"),
            await live.ExecuteScalarAsync<string>("SELECT string_agg(id || ':' || state, ',' ORDER BY id) FROM build"));
    }

    [Fact]
    public async Task A_source_newer_than_every_installed_pg_dump_is_refused_naming_the_version_and_the_package()
    {
        var ex = await Assert.ThrowsAsync<StagingException>(() => SyncAsync(17, 15));
        Assert.Equal("PgDumpTooOld", ex.ErrorId);
        Assert.Equal(StagingErrorCategory.NotInstalled, ex.Category);
        Assert.Contains("PostgreSQL 17.", ex.Message);
        Assert.Contains("newest pg_dump installed is 15", ex.Message);
        Assert.Contains("postgresql-client-17", ex.RecommendedAction);
        Assert.Contains(PgVersionSupport.PgDumpVariable, ex.RecommendedAction);
        Assert.Empty((await DatabaseNamesAsync(TestClusters.Staging)).Where(n => n.StartsWith("pair17_15_")));
    }

    [Fact]
    public async Task A_pg_dump_named_by_the_variable_must_be_new_enough()
    {
        Environment.SetEnvironmentVariable(PgVersionSupport.PgDumpVariable, "/usr/lib/postgresql/15/bin/pg_dump");
        try
        {
            var ex = await Assert.ThrowsAsync<StagingException>(() => SyncAsync(17, 15));
            Assert.Equal("PgDumpTooOld", ex.ErrorId);
            Assert.Contains("names pg_dump 15", ex.Message);
        }
        finally { Environment.SetEnvironmentVariable(PgVersionSupport.PgDumpVariable, null); }
    }

    [Fact]
    public async Task A_staging_server_older_than_13_is_refused_before_anything_is_created()
    {
        var before = await DatabaseNamesAsync(OtherMajorClusters.Get(11));
        var ex = await Assert.ThrowsAsync<StagingException>(() => SyncAsync(15, 11));
        Assert.Equal("StagingServerUnsupported", ex.ErrorId);
        Assert.Equal(StagingErrorCategory.InvalidOperation, ex.Category);
        Assert.Contains("PostgreSQL 11.", ex.Message);
        Assert.Contains("13 or later", ex.Message);
        Assert.Equal(before, await DatabaseNamesAsync(OtherMajorClusters.Get(11)));
    }

    [Fact]
    public void Set_lines_the_staging_server_does_not_know_are_dropped()
    {
        var sql = "SET statement_timeout = 0;\nSET transaction_timeout = 0;\nSET default_table_access_method = heap;\nCREATE TABLE t (a int);\n";
        var known = new HashSet<string> { "statement_timeout", "default_table_access_method" };
        Assert.Equal("SET statement_timeout = 0;\n\nSET default_table_access_method = heap;\nCREATE TABLE t (a int);\n", PgVersionSupport.ForTarget(sql, known));
    }

    private static async Task<List<string>> DatabaseNamesAsync(PgCluster pg)
    {
        await using var c = new NpgsqlConnection(pg.ConnectionString());
        return (await c.QueryAsync<string>("SELECT datname FROM pg_database ORDER BY 1")).ToList();
    }
}
