using System.Diagnostics;
using KojiStaging.Engine.Database;
using KojiStaging.Engine.Diagnostics;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace KojiStaging.Engine.Operations;

/// <summary>One SQL script to run against a staging database (a file or an inline query).</summary>
public sealed record SqlScript(string Name, string Text);

/// <summary>What Invoke-KojiStagingSql ran.</summary>
public sealed record SqlRunResult(string Database, string[] Scripts, long RowsAffected, TimeSpan Duration);

/// <summary>
/// Runs operator SQL (post-sync fixes, local reset scripts) against a staging database in one transaction:
/// all scripts apply or none does. Runs only on a marked staging database that no marker records as a sync's
/// source (<see cref="StagingTargetGuard"/>; no -Force), and records what ran in the marker (kind 'sql'). Cancellation aborts the statement on the server.
/// </summary>
public sealed class StagingSqlRunner
{
    public async Task<SqlRunResult> RunAsync(KojiDatabaseConnection target, IReadOnlyList<SqlScript> scripts, EngineScope scope)
    {
        var log = scope.Logger<StagingSqlRunner>();
        var ct = scope.Cancellation;
        var watch = Stopwatch.StartNew();
        await using var conn = await PgConnector.OpenAsync(target.ConnectionString, "staging", ct).ConfigureAwait(false);
        await StagingTargetGuard.EnsureStagingAsync(conn, target.ConnectionString, target.ToString(), log, ct).ConfigureAwait(false);

        long rows = 0;
        await using var tx = await conn.BeginTransactionAsync(ct).ConfigureAwait(false);
        try
        {
            for (var i = 0; i < scripts.Count; i++)
            {
                var s = scripts[i];
                scope.Progress.Report(new StagingProgress(1, "Running staging SQL", s.Name, i * 100 / scripts.Count));
                log.LogInformation("Running {Script} on {Target}", s.Name, target);
                await using var cmd = new NpgsqlCommand(s.Text, conn, tx) { CommandTimeout = 0 };
                var n = await cmd.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
                if (n > 0) rows += n;
            }
            await StagingMarker.AppendAsync(conn, "sql", null, null, new { scripts = scripts.Select(s => s.Name).ToArray() }, tx).ConfigureAwait(false);
            await tx.CommitAsync(ct).ConfigureAwait(false);
        }
        catch (PostgresException ex)
        {
            throw new StagingException("StagingSqlFailed", StagingErrorCategory.InvalidOperation,
                $"SQL failed on {target} ({ex.SqlState}: {ex.MessageText}); the transaction was rolled back, nothing changed.", target.ToString(), ex);
        }
        scope.Progress.Report(new StagingProgress(1, "Running staging SQL", "done", 100, Completed: true));
        log.LogInformation("Ran {Count} script(s), {Rows} row(s) affected", scripts.Count, rows);
        return new SqlRunResult(target.Database, scripts.Select(s => s.Name).ToArray(), rows, watch.Elapsed);
    }
}
