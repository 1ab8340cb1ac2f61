using Dapper;
using KojiStaging.Engine.Database;
using KojiStaging.Engine.Database.Sync;
using KojiStaging.Engine.Diagnostics;
using KojiStaging.Tests.Infrastructure;
using Npgsql;

namespace KojiStaging.Tests.Database.Sync;

public class DbSyncEngineTests
{
    private static readonly HashSet<string> Sanitised = new()
    {
        "sessions", "users", "build_reservations", "host", "host_config", "host_channels", "task", "build", "repo",
        "standard_buildroot", "proton_queue", "repo_queue",
    };

    [Fact]
    public async Task Sanitised_copy_equals_the_source_except_where_rules_apply()
    {
        var c = new SyncCase("sync_full");
        var result = await c.RunAsync();

        Assert.NotNull(result);
        Assert.Equal(166, result!.SyncedEvent);
        Assert.Equal(c.Live, result.Database);
        Assert.Null(result.PreviousGeneration);
        Assert.Equal(24, result.Builds);
        Assert.Equal(58, result.Rpms);
        Assert.Equal(43, result.TagListings);
        Assert.Equal(c.Live, result.Connection.Database);
        Assert.DoesNotContain(TestClusters.Prod.Password, result.Source);

        var src = await SyncCase.DigestsAsync(c.ProdCs);
        var dst = await SyncCase.DigestsAsync(c.LiveCs);
        Assert.Equal(src.Keys.OrderBy(k => k), dst.Keys.OrderBy(k => k));
        foreach (var t in src.Keys.Where(t => !Sanitised.Contains(t) && !t.StartsWith("scheduler_")))
            Assert.True(src[t] == dst[t], $"table {t} differs");

        // schema objects came along: indexes, constraints, foreign keys, functions, defaults
        const string objects = "SELECT (SELECT count(*) FROM pg_indexes WHERE schemaname = 'public' AND tablename <> 'kojistaging_marker') || '/' || (SELECT count(*) FROM pg_constraint c JOIN pg_namespace n ON n.oid = c.connamespace WHERE n.nspname = 'public' AND c.conrelid <> coalesce(to_regclass('public.kojistaging_marker'), 0)) || '/' || (SELECT count(*) FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace WHERE n.nspname = 'public')";
        Assert.Equal(await SyncCase.QueryAsync<string>(c.ProdCs, objects), await SyncCase.QueryAsync<string>(c.LiveCs, objects));
        Assert.Equal(167, await SyncCase.QueryAsync<int>(c.LiveCs, "SELECT get_event()"));
        var marker = Assert.Single(await ReadMarkersAsync(c.LiveCs));
        Assert.Equal("sync", marker.Kind);
        Assert.Equal(166, marker.EventId);
        Assert.DoesNotContain("Password", marker.Source ?? "", StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public async Task Keys_built_as_separate_unique_indexes_match_the_source_definition_for_definition()
    {
        var c = new SyncCase("sync_keys");
        TestClusters.Prod.Psql(c.ProdDb, """"
            CREATE TABLE "Odd ""Keys""" (id int NOT NULL, a int, b text,
                CONSTRAINT "Odd ""pk""" PRIMARY KEY (id), CONSTRAINT odd_ab UNIQUE (a, b) DEFERRABLE INITIALLY DEFERRED,
                CONSTRAINT odd_b UNIQUE NULLS NOT DISTINCT (b) INCLUDE (a) WITH (fillfactor = 70));
            CREATE INDEX odd_a ON "Odd ""Keys""" (a DESC);
            INSERT INTO "Odd ""Keys""" SELECT i, i % 7, 'b' || i FROM generate_series(1, 500) i;
            """");
        await c.RunAsync();
        // Every key and index: its definition, deferral, and the index the constraint owns.
        const string keys = """
            SELECT string_agg(format('%s %s %s %s%s %s', conrelid::regclass, conname, replace(pg_get_constraintdef(oid), ' NOT VALID', ''),
                                     condeferrable, condeferred, conindid::regclass), E'\n' ORDER BY conrelid::regclass::text, conname)
            FROM pg_constraint WHERE connamespace = 'public'::regnamespace AND conrelid <> coalesce(to_regclass('public.kojistaging_marker'), 0)
            """;
        const string indexes = "SELECT string_agg(indexdef, E'\\n' ORDER BY indexdef) FROM pg_indexes WHERE schemaname = 'public' AND tablename <> 'kojistaging_marker'";
        var sourceKeys = await SyncCase.QueryAsync<string>(c.ProdCs, keys);
        Assert.Contains("Odd \"pk\" PRIMARY KEY (id) ff \"Odd \"\"pk\"\"\"", sourceKeys);
        Assert.Contains("odd_ab UNIQUE (a, b) DEFERRABLE INITIALLY DEFERRED tt odd_ab", sourceKeys);
        Assert.Equal(sourceKeys, await SyncCase.QueryAsync<string>(c.LiveCs, keys));
        Assert.Equal(await SyncCase.QueryAsync<string>(c.ProdCs, indexes), await SyncCase.QueryAsync<string>(c.LiveCs, indexes));
        Assert.Equal(500, await SyncCase.QueryAsync<long>(c.LiveCs, "SELECT count(*) FROM \"Odd \"\"Keys\"\"\""));
    }

    [Fact]
    public async Task With_several_workers_every_index_builds_in_one_process()
    {
        var c = new SyncCase("sync_serial");
        // The index's expression fails unless the session that builds it has parallel builds off.
        TestClusters.Prod.Psql(c.ProdDb, """
            CREATE FUNCTION serial_build_probe(v int) RETURNS int IMMUTABLE LANGUAGE plpgsql AS $$
            BEGIN
                IF current_setting('max_parallel_maintenance_workers') <> '0' THEN RAISE EXCEPTION 'parallel index builds are on'; END IF;
                RETURN v;
            END $$;
            CREATE TABLE probed (a int);
            INSERT INTO probed SELECT generate_series(1, 100);
            SET max_parallel_maintenance_workers = 0;
            CREATE INDEX probed_a ON probed (serial_build_probe(a));
            """);
        await c.RunAsync(new DbSyncOptions { Source = c.Source, Destination = c.Destination, ThrottleLimit = 2 });
        Assert.Equal(100, await SyncCase.QueryAsync<long>(c.LiveCs, "SELECT count(*) FROM probed"));
        Assert.Equal("probed_a", await SyncCase.QueryAsync<string>(c.LiveCs, "SELECT indexname FROM pg_indexes WHERE tablename = 'probed'"));

        // one worker leaves the server's setting alone: the same index cannot build
        var ex = await Assert.ThrowsAsync<StagingException>(() => c.RunAsync(new DbSyncOptions { Source = c.Source, Destination = c.Destination, ThrottleLimit = 1 }));
        Assert.Contains("parallel index builds are on", ex.Message);
    }

    [Fact]
    public async Task Every_sanitise_rule_takes_effect()
    {
        var c = new SyncCase("sync_rules");
        TestClusters.Prod.Psql(c.ProdDb, """
            INSERT INTO build (id, volume_id, pkg_id, version, release, state, owner, create_event) VALUES (900, 0, 1, '9', '9', 0, 1, 166);
            INSERT INTO repo (id, create_event, tag_id, state) VALUES (900, 166, 1, 1);
            """);
        var r = await c.RunAsync();
        Assert.Equal(SanitizeRules.Names.OrderBy(n => n), r!.RulesApplied.OrderBy(n => n));
        Assert.Equal(4, await SyncCase.QueryAsync<int>(c.LiveCs, "SELECT state FROM build WHERE id = 900"));
        Assert.Equal(3, await SyncCase.QueryAsync<int>(c.LiveCs, "SELECT state FROM repo WHERE id = 900"));
        var cs = c.LiveCs;
        Assert.Equal(34, await SyncCase.QueryAsync<long>(c.ProdCs, "SELECT count(*) FROM sessions"));
        Assert.Equal(0, await SyncCase.QueryAsync<long>(cs, "SELECT count(*) FROM sessions"));
        Assert.Equal(0, await SyncCase.QueryAsync<long>(cs, "SELECT count(*) FROM users WHERE password IS NOT NULL"));
        Assert.Equal(11, await SyncCase.QueryAsync<long>(cs, "SELECT count(*) FROM users"));
        Assert.Equal(0, await SyncCase.QueryAsync<long>(cs, "SELECT count(*) FROM host_config WHERE active AND enabled"));
        Assert.Equal(0, await SyncCase.QueryAsync<long>(cs, "SELECT count(*) FROM host_channels"));
        Assert.Equal(0, await SyncCase.QueryAsync<long>(cs, "SELECT count(*) FROM host WHERE ready"));
        Assert.Equal("host_config", r.SanitizeForms["Hosts"]);
        Assert.Equal("standard_buildroot", r.SanitizeForms["Buildroots"]);
        Assert.Empty(r.RulesNotApplicable);
        Assert.Equal(0, await SyncCase.QueryAsync<long>(cs, "SELECT count(*) FROM task WHERE state IN (0, 1, 4)"));
        Assert.Equal(3, await SyncCase.QueryAsync<long>(cs, "SELECT count(*) FROM task WHERE state = 3"));
        Assert.Equal(0, await SyncCase.QueryAsync<long>(cs, "SELECT count(*) FROM build WHERE state = 0"));
        Assert.Equal(0, await SyncCase.QueryAsync<long>(cs, "SELECT count(*) FROM repo WHERE state IN (0, 1, 2)"));
        Assert.Equal(0, await SyncCase.QueryAsync<long>(cs, "SELECT count(*) FROM standard_buildroot WHERE retire_event IS NULL OR state <> 3"));
        Assert.Equal(0, await SyncCase.QueryAsync<long>(cs, "SELECT count(*) FROM proton_queue"));
        Assert.Equal(0, await SyncCase.QueryAsync<long>(cs, "SELECT count(*) FROM repo_queue"));
        Assert.Equal(0, await SyncCase.QueryAsync<long>(cs, "SELECT count(*) FROM build_reservations WHERE token IS NOT NULL"));
        var prodTask = await SyncCase.QueryAsync<long>(c.ProdCs, "SELECT last_value FROM task_id_seq");
        Assert.Equal(prodTask + 100_000_000, await SyncCase.QueryAsync<long>(cs, "SELECT nextval('task_id_seq')"));
        // a sequence no rule moves keeps production's value
        Assert.Equal(await SyncCase.QueryAsync<long>(c.ProdCs, "SELECT last_value FROM build_id_seq") + 1, await SyncCase.QueryAsync<long>(cs, "SELECT nextval('build_id_seq')"));
    }

    [Fact]
    public async Task Rules_inject_state_into_rows_that_need_it_and_can_be_skipped_one_by_one()
    {
        var c = new SyncCase("sync_skip");
        // give prod rows each rule has to change (the fixture has idle buildroots/repos otherwise)
        TestClusters.Prod.Psql(c.ProdDb, """
            INSERT INTO repo (id, create_event, tag_id, state) VALUES (900, 166, 1, 1);
            INSERT INTO proton_queue (address, props, body) VALUES ('topic', '{}', '{}');
            """);
        var o = new DbSyncOptions { Source = c.Source, Destination = c.Destination, ThrottleLimit = 2, SkipSanitize = new[] { "Sessions", "Repos" } };
        var r = await c.RunAsync(o);
        Assert.DoesNotContain("Sessions", r!.RulesApplied);
        Assert.DoesNotContain("Repos", r.RulesApplied);
        Assert.Equal(34, await SyncCase.QueryAsync<long>(c.LiveCs, "SELECT count(*) FROM sessions"));
        Assert.Equal(1, await SyncCase.QueryAsync<int>(c.LiveCs, "SELECT state FROM repo WHERE id = 900"));
        Assert.Equal(0, await SyncCase.QueryAsync<long>(c.LiveCs, "SELECT count(*) FROM proton_queue"));

        var all = new DbSyncOptions { Source = c.Source, Destination = c.Destination, ThrottleLimit = 2, SkipSanitize = new[] { "All" } };
        var r2 = await c.RunAsync(all);
        Assert.Empty(r2!.RulesApplied);
        var src = await SyncCase.DigestsAsync(c.ProdCs);
        var dst = await SyncCase.DigestsAsync(c.LiveCs);
        Assert.Equal(src, dst); // with no rule, every table is equal row for row

        var bad = Assert.Throws<StagingException>(() => SanitizeRules.Select(new[] { "Nope" }));
        Assert.Equal("SanitizeRuleUnknown", bad.ErrorId);
    }

    [Fact]
    public async Task Snapshot_hides_changes_committed_after_it_and_the_synced_event_is_the_snapshot_max()
    {
        var c = new SyncCase("sync_snap");
        var o = new DbSyncOptions
        {
            Source = c.Source, Destination = c.Destination, ThrottleLimit = 2,
            FaultHook = async (point, ct) =>
            {
                if (point != "phase:Schema") return;
                await using var w = new NpgsqlConnection(c.ProdCs);
                await w.OpenAsync(ct);
                await w.ExecuteAsync("INSERT INTO events (id, time) VALUES (500, now()); INSERT INTO package (id, name) VALUES (900, 'late-package')");
            },
        };
        var r = await c.RunAsync(o);
        Assert.Equal(166, r!.SyncedEvent);
        Assert.Equal(new DateTimeOffset(2026, 11, 24, 22, 19, 35, TimeSpan.Zero), r.SyncedEventTime.AddTicks(-(r.SyncedEventTime.Ticks % TimeSpan.TicksPerSecond)));
        Assert.Equal(0, await SyncCase.QueryAsync<long>(c.LiveCs, "SELECT count(*) FROM package WHERE name = 'late-package'"));
        Assert.Equal(166, await SyncCase.QueryAsync<int>(c.LiveCs, "SELECT max(id) FROM events"));
        Assert.Equal(1, await SyncCase.QueryAsync<long>(c.ProdCs, "SELECT count(*) FROM package WHERE name = 'late-package'"));
    }

    [Fact]
    public async Task A_select_only_role_is_enough_on_the_source()
    {
        var c = new SyncCase("sync_reader");
        var role = TestClusters.UniqueName("reader");
        TestClusters.Prod.Psql(c.ProdDb, $"""
            CREATE ROLE {role} LOGIN PASSWORD 'reader-pw';
            GRANT SELECT ON ALL TABLES IN SCHEMA public TO {role};
            """);
        var source = new KojiDatabaseConnection(TestClusters.Prod.ConnectionString(c.ProdDb, role, "reader-pw"));
        var r = await c.RunAsync(new DbSyncOptions { Source = source, Destination = c.Destination, ThrottleLimit = 2 });
        Assert.Equal(166, r!.SyncedEvent);
        Assert.Equal(58, r.Rpms);
        // sequences came from the owning columns (the role may not read the sequences themselves)
        Assert.Equal(await SyncCase.QueryAsync<long>(c.ProdCs, "SELECT max(id) FROM build") + 1, await SyncCase.QueryAsync<long>(c.LiveCs, "SELECT nextval('build_id_seq')"));
        // the role cannot write, and the sync never tried: prod has no marker table
        Assert.False(await SyncCase.QueryAsync<bool>(c.ProdCs, "SELECT to_regclass('kojistaging_marker') IS NOT NULL"));
    }

    [Fact]
    public async Task Same_source_and_destination_is_refused_however_it_is_named()
    {
        var c = new SyncCase("sync_same");
        var b = new NpgsqlConnectionStringBuilder(c.ProdCs) { Host = "localhost" }; // another name for the same server
        var ex = await Assert.ThrowsAsync<StagingException>(() => new DbSyncEngine().RunAsync(
            new DbSyncOptions { Source = c.Source, Destination = new KojiDatabaseConnection(b.ConnectionString), Force = true }, EngineScope.Silent()));
        Assert.Equal("SourceIsDestination", ex.ErrorId);
        Assert.Equal(24, await SyncCase.QueryAsync<long>(c.ProdCs, "SELECT count(*) FROM build"));
    }

    [Fact]
    public async Task Unmarked_destination_needs_force()
    {
        var c = new SyncCase("sync_unmarked");
        _ = c.LiveCs; // the sync role exists
        TestClusters.Staging.Psql("postgres", $"CREATE DATABASE \"{c.Live}\" OWNER {TestClusters.StagingRole}");
        TestClusters.Staging.Psql(c.Live, "CREATE TABLE precious (x int); INSERT INTO precious VALUES (1)");
        var ex = await Assert.ThrowsAsync<StagingException>(() => c.RunAsync());
        Assert.Equal("DestinationNotStaging", ex.ErrorId);
        Assert.Equal(1, await SyncCase.QueryAsync<long>(TestClusters.Staging.ConnectionString(c.Live), "SELECT count(*) FROM precious"));
        Assert.Empty((await SyncCase.DatabasesAsync(c.Live)).Where(n => n != c.Live));

        var r = await c.RunAsync(new DbSyncOptions { Source = c.Source, Destination = c.Destination, Force = true, KeepGenerations = 1 });
        Assert.NotNull(r!.PreviousGeneration);
        Assert.Equal(1, await SyncCase.QueryAsync<long>(TestClusters.Staging.ConnectionString(r.PreviousGeneration!), "SELECT count(*) FROM precious"));
    }

    [Fact]
    public async Task WhatIf_changes_nothing()
    {
        var c = new SyncCase("sync_whatif");
        await c.RunAsync();
        var before = await SyncCase.DatabasesAsync(c.Live);
        SyncPlan? seen = null;
        var r = await c.RunAsync(new DbSyncOptions { Source = c.Source, Destination = c.Destination, Approve = p => { seen = p; return Task.FromResult(false); } });
        Assert.Null(r);
        Assert.NotNull(seen);
        Assert.True(seen!.LiveExists);
        Assert.Contains("_gen_", seen.PreviousGeneration);
        Assert.Contains(seen.NewDatabase, seen.Describe());
        Assert.Equal(before, await SyncCase.DatabasesAsync(c.Live));
    }

    [Theory]
    [InlineData("copy:rpminfo")]
    [InlineData("phase:Foreign keys")]
    [InlineData("phase:Swap")]
    public async Task A_failure_at_any_point_leaves_live_staging_intact_and_no_half_built_database(string point)
    {
        var c = new SyncCase("sync_fail");
        var first = await c.RunAsync();
        TestClusters.Staging.Psql(c.Live, "INSERT INTO package (id, name) VALUES (901, 'staging-only')");
        var ex = await Assert.ThrowsAsync<StagingException>(() => c.RunAsync(new DbSyncOptions
        {
            Source = c.Source, Destination = c.Destination, ThrottleLimit = 2,
            FaultHook = (p, _) => p == point ? throw new IOException("injected fault") : Task.CompletedTask,
        }));
        Assert.Equal("SyncFailed", ex.ErrorId);
        Assert.Contains("injected fault", ex.Message);
        Assert.Equal(new[] { c.Live }, await SyncCase.DatabasesAsync(c.Live));
        Assert.Equal(1, await SyncCase.QueryAsync<long>(c.LiveCs, "SELECT count(*) FROM package WHERE name = 'staging-only'"));
    }

    [Fact]
    public async Task Cancellation_cleans_up()
    {
        var c = new SyncCase("sync_cancel");
        using var cts = new CancellationTokenSource();
        var ex = await Assert.ThrowsAsync<StagingException>(() => new DbSyncEngine().RunAsync(new DbSyncOptions
        {
            Source = c.Source, Destination = c.Destination, ThrottleLimit = 2,
            FaultHook = (p, ct) => { if (p == "copy:build") cts.Cancel(); ct.ThrowIfCancellationRequested(); return Task.CompletedTask; },
        }, EngineScope.Silent(cts.Token)));
        Assert.Equal("SyncCancelled", ex.ErrorId);
        Assert.Empty(await SyncCase.DatabasesAsync(c.Live));
    }

    [Fact]
    public async Task Post_sync_sql_runs_before_the_swap_and_its_failure_rolls_back()
    {
        var c = new SyncCase("sync_post");
        var good = Path.GetTempFileName();
        var bad = Path.GetTempFileName();
        File.WriteAllText(good, "UPDATE users SET status = 1 WHERE name = 'alice';");
        File.WriteAllText(bad, "UPDATE no_such_table SET x = 1;");
        try
        {
            await c.RunAsync(new DbSyncOptions { Source = c.Source, Destination = c.Destination, PostSyncSql = new[] { good } });
            Assert.Equal(1, await SyncCase.QueryAsync<int>(c.LiveCs, "SELECT status FROM users WHERE name = 'alice'"));
            var ex = await Assert.ThrowsAsync<StagingException>(() => c.RunAsync(new DbSyncOptions { Source = c.Source, Destination = c.Destination, PostSyncSql = new[] { bad } }));
            Assert.Equal("PostSyncSqlFailed", ex.ErrorId);
            Assert.Equal(new[] { c.Live }, await SyncCase.DatabasesAsync(c.Live));
            Assert.Equal(1, await SyncCase.QueryAsync<int>(c.LiveCs, "SELECT status FROM users WHERE name = 'alice'"));
        }
        finally { File.Delete(good); File.Delete(bad); }
    }

    [Fact]
    public async Task Generations_rotate()
    {
        var c = new SyncCase("sync_gen");
        var names = new List<string?>();
        // with pooling on, as operators' connection strings usually are: the swap must not meet the engine's own idle connections
        var pooled = new KojiDatabaseConnection(new NpgsqlConnectionStringBuilder(c.LiveCs) { Pooling = true }.ConnectionString);
        for (var i = 0; i < 4; i++)
            names.Add((await c.RunAsync(new DbSyncOptions { Source = c.Source, Destination = pooled, KeepGenerations = 2 }))!.PreviousGeneration);
        Assert.Null(names[0]);
        var dbs = await SyncCase.DatabasesAsync(c.Live);
        Assert.Equal(3, dbs.Count); // live + 2 previous
        Assert.Contains(names[3], dbs);
        Assert.Contains(names[2], dbs);
        Assert.DoesNotContain(names[1], dbs);
        var markers = await ReadMarkersAsync(TestClusters.Staging.ConnectionString(names[3]!));
        Assert.Equal("sync", Assert.Single(markers).Kind);
    }

    [Fact]
    public async Task Excluded_tables_keep_their_schema_but_no_rows()
    {
        var c = new SyncCase("sync_excl");
        TestClusters.Prod.Psql(c.ProdDb, "INSERT INTO buildroot (id, br_type) VALUES (1, 1); INSERT INTO buildroot_listing (buildroot_id, rpm_id, is_update) VALUES (1, 1, false)");
        var r = await c.RunAsync(new DbSyncOptions { Source = c.Source, Destination = c.Destination, ExcludeTableData = new[] { "buildroot_listing" } });
        Assert.Equal(new[] { "buildroot_listing" }, r!.ExcludedTables);
        Assert.Equal(0, await SyncCase.QueryAsync<long>(c.LiveCs, "SELECT count(*) FROM buildroot_listing"));
        Assert.Equal(1, await SyncCase.QueryAsync<long>(c.LiveCs, "SELECT count(*) FROM buildroot"));
        var ex = await Assert.ThrowsAsync<StagingException>(() => c.RunAsync(new DbSyncOptions { Source = c.Source, Destination = c.Destination, ExcludeTableData = new[] { "no_such" } }));
        Assert.Equal("ExcludedTableUnknown", ex.ErrorId);
    }

    [Theory]
    [InlineData("unreachable", "PgUnreachable")]
    [InlineData("password", "PgAuthenticationFailed")]
    [InlineData("database", "PgDatabaseNotFound")]
    public async Task Connection_problems_are_clear_errors(string what, string errorId)
    {
        var c = new SyncCase("sync_err");
        var b = new NpgsqlConnectionStringBuilder(c.ProdCs) { Timeout = 3 };
        if (what == "unreachable") b.Port = 1;
        if (what == "password") b.Password = "wrong";
        if (what == "database") b.Database = "no_such_db";
        var ex = await Assert.ThrowsAsync<StagingException>(() => c.RunAsync(new DbSyncOptions { Source = new KojiDatabaseConnection(b.ConnectionString), Destination = c.Destination }));
        Assert.Equal(errorId, ex.ErrorId);
        Assert.DoesNotContain("wrong", ex.Message);
        Assert.Empty(await SyncCase.DatabasesAsync(c.Live));
        var bad = Assert.Throws<StagingException>(() => new KojiDatabaseConnection("Host=x;Nonsense=1"));
        Assert.Equal("ConnectionStringInvalid", bad.ErrorId);
    }

    private static async Task<IReadOnlyList<MarkerEntry>> ReadMarkersAsync(string cs)
    {
        await using var conn = new NpgsqlConnection(cs);
        await conn.OpenAsync();
        return await StagingMarker.ReadAsync(conn);
    }
}
