using System.Collections.Concurrent;
using Dapper;
using KojiStaging.Engine.Diagnostics;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace KojiStaging.Engine.Database.Sync;

/// <summary>
/// Loads the data and builds the post-data objects with N workers. Each worker holds one source
/// connection in the shared snapshot and one connection to the new database. As soon as every range
/// of a table is in, that table's indexes are queued (ahead of remaining copies) and then its constraints,
/// so index builds overlap other tables' copies. Foreign keys follow once all tables are complete.
/// </summary>
public sealed class ParallelLoader
{
    private readonly SourceSnapshot _snapshot;
    private readonly string _targetConnectionString;
    private readonly EngineScope _scope;
    private readonly ILogger _log;
    private readonly Func<string, CancellationToken, Task>? _hook;
    private long _bytes;
    private long _bytesTotal;

    public ParallelLoader(SourceSnapshot snapshot, string targetConnectionString, EngineScope scope, Func<string, CancellationToken, Task>? hook)
    {
        _snapshot = snapshot; _targetConnectionString = targetConnectionString; _scope = scope; _hook = hook;
        _log = scope.Logger<ParallelLoader>();
    }

    public long BytesCopied => Interlocked.Read(ref _bytes);

    /// <summary>Told the bytes copied so far and the estimated total after every chunk (the phase's parent bar).</summary>
    public Action<long, long>? OverallProgress { get; init; }

    private sealed class Worker : IAsyncDisposable
    {
        public required int Index { get; init; }
        /// <summary>Set for the load's workers when there are several of them; see <see cref="TargetOf"/>.</summary>
        public bool SerialIndexBuilds { get; init; }
        public NpgsqlConnection? Source;
        public NpgsqlConnection? Target;
        public async ValueTask DisposeAsync()
        {
            if (Source is not null) await Source.DisposeAsync().ConfigureAwait(false);
            if (Target is not null) await Target.DisposeAsync().ConfigureAwait(false);
        }
    }

    /// <summary>Copies every planned table and builds per-table constraints and indexes.</summary>
    public async Task LoadAsync(IReadOnlyList<TablePlan> plans, IReadOnlyList<PostDataItem> postData, int workers, CancellationToken ct)
    {
        var queue = new WorkQueue<Worker>();
        var perTable = postData.Where(p => p.Table is not null && p.Kind is PostDataKind.TableConstraint or PostDataKind.Index)
            .GroupBy(p => p.Table!).ToDictionary(g => g.Key, g => g.ToList());
        var remaining = new ConcurrentDictionary<string, int>();
        _bytesTotal = Math.Max(1, plans.Sum(p => p.Jobs.Sum(j => j.EstimatedBytes)));

        void TableLoaded(string table)
        {
            if (!perTable.TryGetValue(table, out var items)) return;
            var constraints = items.Where(i => i.Kind == PostDataKind.TableConstraint).ToList();
            var indexes = items.Where(i => i.Kind == PostDataKind.Index).ToList();
            // Indexes (unique ones included, see KeyIndexSplitter) build in parallel under SHARE locks; the constraints
            // then go one after another (each takes ACCESS EXCLUSIVE) and are instant where they adopt an index.
            void QueueConstraints()
            {
                if (constraints.Count > 0)
                    queue.Add(0, async (w, c) => { foreach (var con in constraints) await ExecuteAsync(w, con.Name, con.Sql, c).ConfigureAwait(false); });
            }
            if (indexes.Count == 0) { QueueConstraints(); return; }
            var building = indexes.Count;
            foreach (var ix in indexes)
                queue.Add(0, async (w, c) =>
                {
                    await ExecuteAsync(w, ix.Name, ix.Sql, c).ConfigureAwait(false);
                    if (Interlocked.Decrement(ref building) == 0) QueueConstraints();
                });
        }

        // Constraints and indexes of tables that get no copy job at all (e.g. a partitioned parent) still run.
        var planned = plans.Select(p => p.Table.Key).ToHashSet();
        foreach (var orphan in perTable.Keys.Where(k => !planned.Contains(k)).ToList()) TableLoaded(orphan);
        var rank = 1;
        foreach (var plan in plans)
        {
            var key = plan.Table.Key;
            if (plan.Jobs.Count == 0) { TableLoaded(key); continue; }
            remaining[key] = plan.Jobs.Count;
        }
        foreach (var job in plans.OrderByDescending(p => ChainCost(p, perTable)).SelectMany(p => p.Jobs))
        {
            var key = job.Table.Key;
            queue.Add(rank++, async (w, c) =>
            {
                await CopyAsync(w, job, c).ConfigureAwait(false);
                if (remaining.AddOrUpdate(key, 0, (_, n) => n - 1) == 0) TableLoaded(key);
            });
        }

        var pool = Enumerable.Range(0, Math.Max(1, workers)).Select(i => new Worker { Index = i, SerialIndexBuilds = workers > 1 }).ToList();
        try
        {
            await queue.RunAsync(pool, ct).ConfigureAwait(false);
        }
        finally
        {
            foreach (var w in pool)
            {
                _scope.Progress.Report(new StagingProgress(10 + w.Index, $"Worker {w.Index + 1}", "done", ParentActivityId: 1, Completed: true));
                await w.DisposeAsync().ConfigureAwait(false);
            }
        }
    }

    /// <summary>Bytes of copying one indexed row is worth, for ordering (sorting it into an index costs about as much as streaming this many bytes).</summary>
    private const long IndexBytesPerRow = 64;

    /// <summary>
    /// What loading a table costs until it is complete: its copy and then the work of its index and constraint
    /// builds (an ADD CONSTRAINT … USING INDEX costs nothing). Longest chain first: for a narrow, long table
    /// (buildroot_listing: tens of millions of rows, two index sorts) the index builds outweigh the copy, and
    /// starting it first lets them overlap the other copies.
    /// </summary>
    internal static long ChainCost(TablePlan plan, IReadOnlyDictionary<string, List<PostDataItem>> perTable)
    {
        var items = perTable.TryGetValue(plan.Table.Key, out var list)
            ? list.Count(i => !i.AdoptsIndex)
            : 0;
        return plan.Jobs.Sum(j => j.EstimatedBytes) + plan.Jobs.Sum(j => j.EstimatedRows) * IndexBytesPerRow * items;
    }

    /// <summary>Adds the foreign keys (NOT VALID: instant), then optionally validates them in parallel per table.</summary>
    public async Task ForeignKeysAsync(IReadOnlyList<PostDataItem> postData, bool validate, int workers, CancellationToken ct)
    {
        var fks = postData.Where(p => p.Kind == PostDataKind.ForeignKey).ToList();
        if (fks.Count > 0)
            await using (var conn = await OpenTargetAsync(ct).ConfigureAwait(false))
            {
                // Adding a key takes SHARE ROW EXCLUSIVE on both tables; NOT VALID makes each add a catalog change. All of them go
                // in one transaction and one round trip: one commit instead of one per key.
                await using var tx = await conn.BeginTransactionAsync(ct).ConfigureAwait(false);
                await conn.ExecuteAsync(new CommandDefinition(string.Join("\n", fks.Select(fk => AsNotValid(fk.Sql))), transaction: tx,
                    cancellationToken: ct, commandTimeout: 0)).ConfigureAwait(false);
                await tx.CommitAsync(ct).ConfigureAwait(false);
            }
        if (!validate || fks.Count == 0) return;
        var queue = new WorkQueue<Worker>();
        foreach (var group in fks.Where(f => f.ConstraintName is not null).GroupBy(f => f.Table!).OrderByDescending(g => g.Count()))
        {
            var list = group.ToList();
            queue.Add(0, async (w, c) =>
            {
                foreach (var fk in list)
                    await ExecuteAsync(w, "VALIDATE " + fk.Name, $"ALTER TABLE {Ident.FromKey(fk.Table!)} VALIDATE CONSTRAINT {fk.ConstraintName}", c).ConfigureAwait(false);
            });
        }
        var pool = Enumerable.Range(0, Math.Max(1, workers)).Select(i => new Worker { Index = i }).ToList();
        try { await queue.RunAsync(pool, ct).ConfigureAwait(false); }
        finally { foreach (var w in pool) await w.DisposeAsync().ConfigureAwait(false); }
    }

    /// <summary>Everything else of post-data (triggers, rules, …), in dump order.</summary>
    public async Task OtherAsync(IReadOnlyList<PostDataItem> postData, CancellationToken ct)
    {
        var rest = postData.Where(p => p.Kind == PostDataKind.Other || p.Table is null && p.Kind != PostDataKind.ForeignKey).ToList();
        if (rest.Count == 0) return;
        await using var conn = await OpenTargetAsync(ct).ConfigureAwait(false);
        foreach (var item in rest)
            await conn.ExecuteAsync(new CommandDefinition(item.Sql, cancellationToken: ct, commandTimeout: 0)).ConfigureAwait(false);
    }

    public static string AsNotValid(string sql)
    {
        var s = sql.TrimEnd().TrimEnd(';');
        return s.EndsWith("NOT VALID", StringComparison.Ordinal) ? s + ";" : s + " NOT VALID;";
    }

    public async Task<NpgsqlConnection> OpenTargetAsync(CancellationToken ct)
    {
        var conn = await PgConnector.OpenAsync(_targetConnectionString, "staging", ct).ConfigureAwait(false);
        // The new database is thrown away if anything fails, so commits need not wait for the WAL flush.
        await conn.ExecuteAsync("SET synchronous_commit = off; SELECT pg_catalog.set_config('search_path', '', false)").ConfigureAwait(false);
        return conn;
    }

    /// <summary>The worker's connection to the new database, opened on first use.</summary>
    private async Task<NpgsqlConnection> TargetOf(Worker w, CancellationToken ct)
    {
        if (w.Target is not null) return w.Target;
        w.Target = await OpenTargetAsync(ct).ConfigureAwait(false);
        // With several workers the load already runs that many builds and copies at once. Parallel index builds would
        // add processes beyond the cores and split maintenance_work_mem among them (more external sorting); measured
        // at 3.4 GB on 2 cores, the load took 47-54 s without them against 57-59 s with the server's default of 2.
        if (w.SerialIndexBuilds) await w.Target.ExecuteAsync("SET max_parallel_maintenance_workers = 0").ConfigureAwait(false);
        return w.Target;
    }

    private async Task CopyAsync(Worker w, CopyJob job, CancellationToken ct)
    {
        if (_hook is not null) await _hook($"copy:{job.Table.Name}", ct).ConfigureAwait(false);
        w.Source ??= await _snapshot.OpenWorkerAsync(ct).ConfigureAwait(false);
        var target = await TargetOf(w, ct).ConfigureAwait(false);
        var part = job.Parts > 1 ? $" part {job.Part}/{job.Parts}" : "";
        var started = DateTime.UtcNow;
        long last = 0;
        var bytes = await TableStreamCopier.CopyAsync(w.Source, target, job, n =>
        {
            Interlocked.Add(ref _bytes, n - last);
            last = n;
            Report(w, $"{job.Table.DisplayName}{part}", n, job);
        }, ct).ConfigureAwait(false);
        _log.LogDebug("Copied {Table}{Part}: {Bytes} bytes in {Seconds:F1}s", job.Table.DisplayName, part, bytes, (DateTime.UtcNow - started).TotalSeconds);
    }

    private void Report(Worker w, string what, long bytes, CopyJob job)
    {
        // A worker's bar is its own table (or part): the share of the part's estimated bytes copied so far.
        var share = job.EstimatedBytes > 0 ? Math.Min(1.0, (double)bytes / job.EstimatedBytes) : 0;
        var rows = (long)(job.EstimatedRows * share);
        var pct = job.EstimatedBytes > 0 ? (int)(100 * share) : -1;
        _scope.Progress.Report(new StagingProgress(10 + w.Index, $"Worker {w.Index + 1}: copying {what}",
            $"{bytes / 1048576.0:F1} of ~{job.EstimatedBytes / 1048576.0:F1} MiB, ~{rows:N0} of ~{job.EstimatedRows:N0} rows", pct, ParentActivityId: 1));
        OverallProgress?.Invoke(Interlocked.Read(ref _bytes), _bytesTotal);
    }

    private async Task ExecuteAsync(Worker w, string name, string sql, CancellationToken ct)
    {
        var target = await TargetOf(w, ct).ConfigureAwait(false);
        _scope.Progress.Report(new StagingProgress(10 + w.Index, $"Worker {w.Index + 1}: {name}", "building", ParentActivityId: 1));
        var started = DateTime.UtcNow;
        await target.ExecuteAsync(new CommandDefinition(sql, cancellationToken: ct, commandTimeout: 0)).ConfigureAwait(false);
        _log.LogDebug("{Name} in {Seconds:F1}s", name, (DateTime.UtcNow - started).TotalSeconds);
    }
}
