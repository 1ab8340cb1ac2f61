using Dapper;
using KojiStaging.Engine.Database;
using KojiStaging.Engine.Database.Sync;
using KojiStaging.Engine.Diagnostics;
using KojiStaging.Engine.Operations;
using KojiStaging.Tests.Infrastructure;
using Npgsql;

namespace KojiStaging.Tests.Database.Sync;

/// <summary>Production is never a target: by identity, -Force or not (issue 21, hole 1).</summary>
public class SourceGuardTests
{
    [Fact]
    public async Task Sync_refuses_prod_reached_over_the_unix_socket_even_with_force()
    {
        var c = new SyncCase("guard_socket");
        // The hostile test's command: prod over TCP as the source, the same database over the socket as the destination.
        const string secrets = "SELECT (SELECT count(*) FROM users WHERE password IS NOT NULL) + (SELECT count(*) FROM sessions)";
        var before = await SyncCase.QueryAsync<long>(c.ProdCs, secrets);
        Assert.True(before > 0);
        var viaSocket = new NpgsqlConnectionStringBuilder(c.ProdCs) { Host = TestClusters.Prod.Root, Password = null }.ConnectionString;
        var ex = await Assert.ThrowsAsync<StagingException>(() => c.RunAsync(
            new DbSyncOptions { Source = c.Source, Destination = new KojiDatabaseConnection(viaSocket), Force = true }));
        Assert.Equal("SourceIsDestination", ex.ErrorId);
        Assert.Equal(before, await SyncCase.QueryAsync<long>(c.ProdCs, secrets));
        await using var conn = new NpgsqlConnection(TestClusters.Prod.ConnectionString());
        Assert.Empty(await conn.QueryAsync<string>("SELECT datname FROM pg_database WHERE datname LIKE @p", new { p = c.ProdDb + "_%" }));
    }

    [Fact]
    public async Task A_database_a_marker_records_as_a_source_is_never_written()
    {
        // A small setup: staging lives on prod's server. One sync records prod's identity in staging's marker.
        var c = new SyncCase("guard_recorded");
        var live = new KojiDatabaseConnection(TestClusters.Prod.ConnectionString(c.Live));
        var r = await c.RunAsync(new DbSyncOptions { Source = c.Source, Destination = live, ThrottleLimit = 2 });
        Assert.NotNull(r);
        var recorded = await SyncCase.QueryAsync<string>(TestClusters.Prod.ConnectionString(c.Live),
            "SELECT details->'sourceIdentity'->>'databaseOid' FROM kojistaging_marker WHERE kind = 'sync'");
        Assert.Equal(await SyncCase.QueryAsync<long>(c.ProdCs, "SELECT oid FROM pg_database WHERE datname = current_database()"), long.Parse(recorded));

        // Syncing staging back over prod: refused by the source's own marker, -Force or not.
        var back = await Assert.ThrowsAsync<StagingException>(() => c.RunAsync(
            new DbSyncOptions { Source = live, Destination = c.Source, Force = true }));
        Assert.Equal("TargetIsSyncSource", back.ErrorId);

        // Someone marked prod by mistake: the writing cmdlets still refuse it, and it cannot be marked either.
        TestClusters.Prod.Psql(c.ProdDb, StagingMarker.CreateSql + $"INSERT INTO {StagingMarker.Table} (kind, module_version) VALUES ('marked', 'x');");
        var sql = await Assert.ThrowsAsync<StagingException>(() => new StagingSqlRunner().RunAsync(
            new KojiDatabaseConnection(new NpgsqlConnectionStringBuilder(c.ProdCs) { Host = "localhost" }.ConnectionString),
            new[] { new SqlScript("q", "DELETE FROM build_notifications_block") }, EngineScope.Silent()));
        Assert.Equal("TargetIsSyncSource", sql.ErrorId);
        var mark = await Assert.ThrowsAsync<StagingException>(() => new StagingMarking().MarkAsync(c.Source, null, EngineScope.Silent()));
        Assert.Equal("TargetIsSyncSource", mark.ErrorId);
        Assert.Equal(24, await SyncCase.QueryAsync<long>(c.ProdCs, "SELECT count(*) FROM build"));
    }

    [Fact]
    public async Task Sql_runs_only_on_marked_databases_and_marking_is_explicit()
    {
        var name = TestClusters.UniqueName("guard_mark");
        TestClusters.Staging.CreateDatabase(name);
        TestClusters.Staging.Psql(name, "CREATE TABLE build (id int); INSERT INTO build VALUES (1)");
        var db = new KojiDatabaseConnection(TestClusters.Staging.ConnectionString(name));
        var scripts = new[] { new SqlScript("q", "DELETE FROM build") };
        var ex = await Assert.ThrowsAsync<StagingException>(() => new StagingSqlRunner().RunAsync(db, scripts, EngineScope.Silent()));
        Assert.Equal("TargetNotStaging", ex.ErrorId);
        Assert.Equal(StagingErrorCategory.SecurityError, ex.Category);
        Assert.Equal(1, await SyncCase.QueryAsync<long>(TestClusters.Staging.ConnectionString(name), "SELECT count(*) FROM build"));

        var marked = await new StagingMarking().MarkAsync(db, "restored by hand", EngineScope.Silent());
        Assert.False(marked.AlreadyMarked);
        Assert.NotNull(marked.MarkerId);
        Assert.True((await new StagingMarking().MarkAsync(db, null, EngineScope.Silent())).AlreadyMarked);
        var run = await new StagingSqlRunner().RunAsync(db, scripts, EngineScope.Silent());
        Assert.Equal(1, run.RowsAffected);
        Assert.Equal("restored by hand", await SyncCase.QueryAsync<string>(TestClusters.Staging.ConnectionString(name),
            "SELECT details->>'note' FROM kojistaging_marker WHERE kind = 'marked'"));
    }
}
