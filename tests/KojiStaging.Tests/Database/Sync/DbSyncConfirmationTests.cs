using System.Collections.Concurrent;
using System.Diagnostics;
using Dapper;
using KojiStaging.Engine.Database.Sync;
using KojiStaging.Engine.Diagnostics;
using KojiStaging.Tests.Infrastructure;
using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;

namespace KojiStaging.Tests.Database.Sync;

/// <summary>What production holds while the operator decides, and what the sync reports about itself.</summary>
public class DbSyncConfirmationTests
{
    [Fact]
    public async Task Production_holds_no_transaction_while_the_confirmation_waits_and_Duration_leaves_the_wait_out()
    {
        var c = new SyncCase("sync_confirm");
        List<(string State, string? Xmin)>? duringPrompt = null;
        var clock = Stopwatch.StartNew();
        var result = await c.RunAsync(new DbSyncOptions
        {
            Source = c.Source, Destination = c.Destination, ThrottleLimit = 2,
            Approve = async plan =>
            {
                // The operator reads the plan for a while; meanwhile look at production's sessions on the copied database.
                await Task.Delay(TimeSpan.FromSeconds(2));
                await using var prod = new NpgsqlConnection(TestClusters.Prod.ConnectionString());
                duringPrompt = (await prod.QueryAsync<(string, string?)>(
                    "SELECT coalesce(state, ''), backend_xmin::text FROM pg_stat_activity WHERE datname = @db AND pid <> pg_backend_pid()",
                    new { db = c.ProdDb })).ToList();
                return true;
            },
        });
        var elapsed = clock.Elapsed;

        Assert.NotNull(duringPrompt);
        Assert.Empty(duringPrompt!);   // no snapshot, no idle-in-transaction session, no xmin held back
        Assert.NotNull(result);
        Assert.Equal(166, result!.SyncedEvent);
        Assert.True(result.Duration <= elapsed - TimeSpan.FromSeconds(2), $"Duration {result.Duration} should leave out the 2 s the answer took (run took {elapsed})");
    }

    [Fact]
    public async Task The_phase_bar_moves_by_bytes_with_time_left_and_worker_bars_show_their_own_part()
    {
        var c = new SyncCase("sync_progress");
        var reports = new ConcurrentQueue<StagingProgress>();
        var scope = new EngineScope(NullLoggerFactory.Instance, new SyncProgress(reports.Enqueue), CancellationToken.None);
        var result = await new DbSyncEngine().RunAsync(new DbSyncOptions { Source = c.Source, Destination = c.Destination, ThrottleLimit = 2 }, scope);
        Assert.NotNull(result);

        var parent = reports.Where(r => r.ActivityId == 1 && r.Status.StartsWith("Data and indexes:")).ToList();
        Assert.NotEmpty(parent);
        Assert.All(parent, r => Assert.InRange(r.PercentComplete, 10, 80));
        Assert.Contains(parent, r => r.SecondsRemaining >= 0);
        Assert.True(parent.Select(r => r.PercentComplete).Distinct().Count() > 2, "the parent bar should move during the load");

        // A worker's bar is its own part, so it starts again for each table (a bar of overall bytes never goes back).
        var perWorker = reports.Where(r => r.ParentActivityId == 1 && r.Activity.Contains(": copying ")).GroupBy(r => r.ActivityId).ToList();
        Assert.NotEmpty(perWorker);
        Assert.Contains(perWorker, g => g.Zip(g.Skip(1)).Any(p => p.Second.Activity != p.First.Activity && p.Second.PercentComplete < p.First.PercentComplete));
    }

    /// <summary>Records reports synchronously (Progress&lt;T&gt; would post them to the thread pool out of order).</summary>
    private sealed class SyncProgress(Action<StagingProgress> report) : IProgress<StagingProgress>
    {
        public void Report(StagingProgress value) => report(value);
    }
}
