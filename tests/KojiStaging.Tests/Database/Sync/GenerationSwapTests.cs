using Dapper;
using KojiStaging.Engine.Database;
using KojiStaging.Engine.Database.Sync;
using KojiStaging.Engine.Diagnostics;
using KojiStaging.Tests.Infrastructure;
using Npgsql;

namespace KojiStaging.Tests.Database.Sync;

/// <summary>The swap, recovery, rotation and naming of Sync-KojiStagingDb's generations, as the least-privilege sync role.</summary>
public class GenerationSwapTests
{
    private static string Super(string db) => TestClusters.Staging.ConnectionString(db);

    private static async Task MarkAsync(SyncCase c, string stagingOnly)
    {
        TestClusters.Staging.Psql(c.Live, $"INSERT INTO package (id, name) VALUES (901, '{stagingOnly}')");
    }

    private static Task<long> StagingOnlyAsync(SyncCase c) =>
        SyncCase.QueryAsync<long>(Super(c.Live), "SELECT count(*) FROM package WHERE id = 901");

    [Theory]
    [InlineData("swap:begun")]
    [InlineData("swap:renamed-live")]
    [InlineData("swap:renamed-new")]
    public async Task A_failure_inside_the_swap_transaction_leaves_exactly_the_old_live(string point)
    {
        var c = new SyncCase("swap_tx");
        await c.RunAsync();
        await MarkAsync(c, "old-live");
        var ex = await Assert.ThrowsAsync<StagingException>(() => c.RunAsync(c.Options() with
        {
            FaultHook = (p, _) => p == point ? throw new IOException("injected fault") : Task.CompletedTask,
        }));
        Assert.Equal("SyncFailed", ex.ErrorId);
        Assert.Matches(@"'[^']+_new_\d{14}' dropped, '[^']+' unchanged", ex.Message);
        Assert.Equal(new[] { c.Live }, await SyncCase.DatabasesAsync(c.Live));
        Assert.Equal(1, await StagingOnlyAsync(c));
        Assert.True(await SyncCase.QueryAsync<bool>(Super("postgres"), $"SELECT datallowconn FROM pg_database WHERE datname = '{c.Live}'"));
    }

    [Fact]
    public async Task A_failure_after_the_commit_says_the_swap_happened_and_drops_nothing()
    {
        var c = new SyncCase("swap_after");
        await c.RunAsync();
        await MarkAsync(c, "old-live");
        var ex = await Assert.ThrowsAsync<StagingException>(() => c.RunAsync(c.Options() with
        {
            FaultHook = (p, _) => p == "swap:committed" ? throw new IOException("injected fault") : Task.CompletedTask,
        }));
        Assert.Contains("the swap had already committed", ex.Message);
        Assert.DoesNotContain("unchanged", ex.Message);
        Assert.Equal(0, await StagingOnlyAsync(c)); // live is the new copy
        var dbs = await SyncCase.DatabasesAsync(c.Live);
        Assert.Equal(2, dbs.Count);
        Assert.Matches(@"_gen_\d{14}$", dbs.Single(d => d != c.Live));
    }

    [Fact]
    public async Task A_client_that_dies_inside_the_swap_transaction_leaves_the_old_live()
    {
        var c = new SyncCase("swap_die");
        await c.RunAsync();
        await MarkAsync(c, "old-live");
        var paused = new TaskCompletionSource();
        using var cts = new CancellationTokenSource();
        var run = c.RunAsync(c.Options() with
        {
            FaultHook = async (p, ct) =>
            {
                if (p != "swap:renamed-new") return;
                paused.SetResult();
                await Task.Delay(Timeout.Infinite, ct);
            },
        }, cts.Token);
        await paused.Task.WaitAsync(TimeSpan.FromMinutes(2));
        // Both renames are done inside the open transaction: end the sync's maintenance session as a crash would.
        await using (var su = new NpgsqlConnection(Super("postgres")))
            Assert.Equal(1, await su.ExecuteScalarAsync<int>("""
                SELECT count(pg_terminate_backend(l.pid)) FROM pg_locks l
                WHERE l.locktype = 'advisory' AND l.granted AND l.objsubid = 2 AND l.classid = hashtext('kojistaging-sync')::oid AND l.objid = hashtext(@live)::oid
                """, new { live = c.Live }));
        Assert.Equal(1, await StagingOnlyAsync(c));
        var dbs = await SyncCase.DatabasesAsync(c.Live);
        Assert.Contains(c.Live, dbs);
        Assert.DoesNotContain(dbs, d => d.Contains("_gen_"));
        cts.Cancel();
        var ex = await Assert.ThrowsAsync<StagingException>(() => run);
        Assert.Equal("SyncCancelled", ex.ErrorId);
        Assert.Matches(@"'[^']+_new_\d{14}' dropped, '[^']+' unchanged", ex.Message);
        Assert.Equal(new[] { c.Live }, await SyncCase.DatabasesAsync(c.Live));
    }

    [Fact]
    public async Task A_session_of_another_role_on_live_is_ended_even_when_it_keeps_reconnecting()
    {
        var c = new SyncCase("swap_hub");
        await c.RunAsync();
        var hub = TestClusters.UniqueName("hub");
        TestClusters.Staging.Psql("postgres", $"CREATE ROLE {hub} LOGIN PASSWORD 'hub-pw'; GRANT CONNECT ON DATABASE \"{c.Live}\" TO {hub}");
        var hubCs = TestClusters.Staging.ConnectionString(c.Live, hub, "hub-pw");
        using var stop = new CancellationTokenSource();
        var connects = 0;
        var hubLoop = Task.Run(async () =>
        {
            while (!stop.IsCancellationRequested)
            {
                try
                {
                    await using var h = new NpgsqlConnection(hubCs);
                    await h.OpenAsync();
                    Interlocked.Increment(ref connects);
                    await h.ExecuteAsync("SELECT pg_sleep(0.2)");
                    await Task.Delay(20);
                }
                catch (Exception) { await Task.Delay(20); }
            }
        });
        try
        {
            var r = await c.RunAsync();
            Assert.NotNull(r!.PreviousGeneration);
        }
        finally { stop.Cancel(); await hubLoop; }
        Assert.True(connects > 3);
    }

    [Fact]
    public async Task A_superuser_session_on_live_blocks_the_swap_with_a_clear_error_and_nothing_changes()
    {
        var c = new SyncCase("swap_block");
        await c.RunAsync();
        await MarkAsync(c, "old-live");
        await using var su = new NpgsqlConnection(new NpgsqlConnectionStringBuilder(Super(c.Live)) { ApplicationName = "dba-console" }.ConnectionString);
        await su.OpenAsync();
        var ex = await Assert.ThrowsAsync<StagingException>(() => c.RunAsync(c.Options() with { SwapAttempts = 1 }));
        Assert.Equal("SwapBlocked", ex.ErrorId);
        Assert.Equal(StagingErrorCategory.ResourceBusy, ex.Category);
        Assert.Contains("dba-console", ex.Message);
        Assert.Matches(@"'[^']+_new_\d{14}' dropped, '[^']+' unchanged", ex.Message);
        Assert.Equal(new[] { c.Live }, await SyncCase.DatabasesAsync(c.Live));
        Assert.Equal(1, await su.ExecuteScalarAsync<long>("SELECT count(*) FROM package WHERE id = 901"));
    }

    [Fact]
    public async Task Rotation_that_cannot_drop_a_generation_still_succeeds_says_so_and_the_next_run_drops_it()
    {
        var c = new SyncCase("swap_rot");
        var first = await c.RunAsync(c.Options() with { KeepGenerations = 1 });
        var gen1 = (await c.RunAsync(c.Options() with { KeepGenerations = 1 }))!.PreviousGeneration!;
        // A session the role may not end (a superuser's; autovacuum workers are refused by WITH (FORCE) the same way).
        await using (var su = new NpgsqlConnection(Super(gen1)))
        {
            await su.OpenAsync();
            var r = await c.RunAsync(c.Options() with { KeepGenerations = 1 });
            Assert.Equal(new[] { gen1 }, r!.GenerationsNotDropped);
            Assert.Empty(r.DroppedGenerations);
            Assert.Contains(gen1, await SyncCase.DatabasesAsync(c.Live));
        }
        var again = await c.RunAsync(c.Options() with { KeepGenerations = 1 });
        Assert.Contains(gen1, again!.DroppedGenerations);
        Assert.Equal(2, (await SyncCase.DatabasesAsync(c.Live)).Count);
    }

    [Fact]
    public async Task Rotation_waits_out_a_session_it_may_not_end_when_that_session_leaves()
    {
        var c = new SyncCase("swap_wait");
        await c.RunAsync(c.Options() with { KeepGenerations = 0 });
        var gen = (await c.RunAsync(c.Options() with { KeepGenerations = 5 }))!.PreviousGeneration!;
        var su = new NpgsqlConnection(Super(gen));
        await su.OpenAsync();
        var closing = Task.Run(async () => { await Task.Delay(1500); await su.DisposeAsync(); });
        await using var s = await GenerationSwapper.OpenAsync(c.LiveCs, c.Live, Microsoft.Extensions.Logging.Abstractions.NullLogger.Instance, default);
        Assert.True(await s.DropAsync(gen));
        await closing;
        Assert.DoesNotContain(gen, await SyncCase.DatabasesAsync(c.Live));
    }

    [Fact]
    public async Task Recovery_repairs_what_an_interrupted_swap_of_an_older_version_left_and_reports_each_repair()
    {
        var c = new SyncCase("swap_rec");
        await c.RunAsync();
        await MarkAsync(c, "old-live");
        var role = TestClusters.StagingRole;
        // What 15c03e5 left when killed between its autocommit statements: connections off, live renamed away, a half-built _new_.
        var gen = $"{c.Live}_gen_20260101000000";
        var half = $"{c.Live}_new_20260101000001";
        TestClusters.Staging.Psql("postgres", $"ALTER DATABASE \"{c.Live}\" WITH ALLOW_CONNECTIONS false");
        TestClusters.Staging.Psql("postgres", $"ALTER DATABASE \"{c.Live}\" RENAME TO \"{gen}\"");
        TestClusters.Staging.Psql("postgres", $"CREATE DATABASE \"{half}\" OWNER {role}");
        SyncPlan? plan = null;
        Assert.Null(await c.RunAsync(c.Options() with { Approve = p => { plan = p; return Task.FromResult(false); } }));
        Assert.Equal(3, plan!.Repairs.Count);
        Assert.Contains("repair: ", plan.Describe());
        Assert.Equal(new[] { gen, half }, await SyncCase.DatabasesAsync(c.Live)); // -WhatIf repaired nothing

        var r = await c.RunAsync();
        Assert.Equal(3, r!.Repairs.Count);
        Assert.Contains(r.Repairs, x => x.Contains("allow connections") && x.Contains(gen));
        Assert.Contains(r.Repairs, x => x.Contains($"rename '{gen}' back to '{c.Live}'"));
        Assert.Contains(r.Repairs, x => x.Contains($"drop '{half}'"));
        var dbs = await SyncCase.DatabasesAsync(c.Live);
        Assert.DoesNotContain(half, dbs);
        Assert.Contains(r.PreviousGeneration!, dbs);
        Assert.Equal(1, await SyncCase.QueryAsync<long>(Super(r.PreviousGeneration!), "SELECT count(*) FROM package WHERE id = 901"));
        Assert.True(await SyncCase.QueryAsync<bool>(Super("postgres"), $"SELECT bool_and(datallowconn) FROM pg_database WHERE datname LIKE '{c.Live}%'"));
    }

    [Fact]
    public async Task A_stale_lock_of_a_dead_process_is_released_and_a_live_one_is_respected()
    {
        var c = new SyncCase("swap_lock");
        var dead = Enumerable.Range(3_000_000, 1000).First(p => !Directory.Exists($"/proc/{p}"));
        async Task<NpgsqlConnection> HoldAsync(string app)
        {
            var h = new NpgsqlConnection(new NpgsqlConnectionStringBuilder(c.LiveCs) { Database = "postgres", ApplicationName = app }.ConnectionString);
            await h.OpenAsync();
            await h.ExecuteAsync("SELECT pg_advisory_lock(hashtext('kojistaging-sync'), hashtext(@live))", new { live = c.Live });
            return h;
        }
        await using (var running = await HoldAsync($"KojiStaging pid={Environment.ProcessId} host={Environment.MachineName}"))
        {
            var busy = await Assert.ThrowsAsync<StagingException>(() => c.RunAsync());
            Assert.Equal("SyncInProgress", busy.ErrorId);
        }
        await using var stale = await HoldAsync($"KojiStaging pid={dead} host={Environment.MachineName}");
        var r = await c.RunAsync();
        Assert.Contains(r!.Repairs, x => x.Contains("released the sync lock"));
    }

    [Fact]
    public async Task Names_are_refused_when_generations_would_not_fit_and_other_stagings_are_never_touched()
    {
        var c = new SyncCase("swap_names");
        var tooLong = c.Live + new string('x', GenerationNames.MaxLiveNameBytes + 1 - c.Live.Length);
        var ex = await Assert.ThrowsAsync<StagingException>(() => c.RunAsync(c.Options() with { Destination = new KojiDatabaseConnection(TestClusters.StagingAsSyncRole(tooLong)) }));
        Assert.Equal("DestinationNameTooLong", ex.ErrorId);
        Assert.Equal(StagingErrorCategory.InvalidArgument, ex.Category);
        Assert.Empty(await SyncCase.DatabasesAsync(c.Live));
        Assert.Equal("DestinationNameReserved", Assert.Throws<StagingException>(() => GenerationNames.Validate("koji_gen_20261124231500")).ErrorId);

        // Neighbours: a sibling staging sharing the prefix, another staging's generation and look-alikes.
        var neighbours = new[] { c.Live + "2", c.Live + "_a_gen_20200101000000", c.Live + "_a_new_20200101000000", c.Live + "_gen_2020" };
        foreach (var n in neighbours) TestClusters.Staging.Psql("postgres", $"CREATE DATABASE \"{n}\" OWNER {TestClusters.StagingRole}");
        await c.RunAsync(c.Options() with { KeepGenerations = 0 });
        var r = await c.RunAsync(c.Options() with { KeepGenerations = 0 });
        Assert.Single(r!.DroppedGenerations);
        Assert.Equal(neighbours.Append(c.Live).OrderBy(n => n, StringComparer.Ordinal), (await SyncCase.DatabasesAsync(c.Live)).OrderBy(n => n, StringComparer.Ordinal));
        Assert.True(GenerationNames.IsGenerationOf("koji_stg_a", "koji_stg_a_gen_20261124231500"));
        Assert.False(GenerationNames.IsGenerationOf("koji_stg_a", "koji_stg_a2"));
        Assert.False(GenerationNames.IsGenerationOf("koji_stg", "koji_stg_a_gen_20261124231500"));
    }
}
