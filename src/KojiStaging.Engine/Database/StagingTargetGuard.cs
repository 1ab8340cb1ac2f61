using Dapper;
using KojiStaging.Engine.Database.Sync;
using KojiStaging.Engine.Diagnostics;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace KojiStaging.Engine.Database;

/// <summary>
/// The one place that decides whether the module may write a database. A database is written only when
/// it carries the staging marker (only Sync's replace-with-a-fresh-copy may take an unmarked one, with
/// -Force), and never when it is a sync's source: the same database as the source by identity
/// (<see cref="ServerIdentity"/>), or one that a marker on the source or on the target's server records as
/// a sync's source. -Force never overrides the source checks.
/// </summary>
public static class StagingTargetGuard
{
    /// <summary>For every cmdlet that writes into an existing staging database (SQL, volume, subset).</summary>
    /// <param name="targetConnectionString">The string <paramref name="target"/> was opened with (Npgsql forgets the password once open).</param>
    public static async Task EnsureStagingAsync(NpgsqlConnection target, string targetConnectionString, string display, ILogger log, CancellationToken ct,
        string notStagingErrorId = "TargetNotStaging")
    {
        if (!await StagingMarker.IsMarkedAsync(target).ConfigureAwait(false))
            throw new StagingException(notStagingErrorId, StagingErrorCategory.SecurityError,
                $"{display} has no {StagingMarker.Table} rows: it is not a staging database made by KojiStaging, so nothing was changed.", display)
            { RecommendedAction = "Point the cmdlet at the staging database; if this one really is a staging copy, mark it once with Set-KojiStagingMarker." };
        await EnsureNotRecordedSourceAsync(target, targetConnectionString, await ServerIdentity.ReadAsync(target, ct).ConfigureAwait(false), display, null, log, ct).ConfigureAwait(false);
    }

    /// <summary>Sync: the destination must not be the source, however either was spelled.</summary>
    public static void EnsureNotSource(ServerIdentity destination, ServerIdentity source, string destinationDisplay, string sourceDisplay)
    {
        if (destination.SameDatabaseAs(source))
            throw new StagingException("SourceIsDestination", StagingErrorCategory.InvalidArgument,
                $"The source and the destination are the same database ({sourceDisplay} and {destinationDisplay} reach database oid {source.DatabaseOid} " +
                $"of one server): refusing to replace production with a copy of itself. -Force does not change this.", destinationDisplay)
            { RecommendedAction = "Give the staging server as -Destination." };
    }

    /// <summary>
    /// Refuses <paramref name="target"/> when a sync marker records it as a source: in <paramref name="source"/>
    /// (a staging copy used as a source records its production), or in any database on the target's server.
    /// </summary>
    public static async Task EnsureNotRecordedSourceAsync(NpgsqlConnection target, string targetConnectionString, ServerIdentity targetId, string display,
        NpgsqlConnection? source, ILogger log, CancellationToken ct)
    {
        var recorded = new List<(string where, ServerIdentity id)>();
        if (source is not null)
            recorded.AddRange((await RecordedSourcesAsync(source, ct).ConfigureAwait(false)).Select(i => ("the source's marker", i)));
        recorded.AddRange((await RecordedSourcesAsync(target, ct).ConfigureAwait(false)).Select(i => ($"the marker of {targetId.Database}", i)));
        var others = await target.QueryAsync<string>(new CommandDefinition("""
            SELECT datname FROM pg_catalog.pg_database
            WHERE datallowconn AND NOT datistemplate AND datname <> current_database() AND has_database_privilege(datname, 'CONNECT')
            ORDER BY datname
            """, cancellationToken: ct)).ConfigureAwait(false);
        var baseCs = new NpgsqlConnectionStringBuilder(targetConnectionString) { Pooling = false, Timeout = 5 };
        foreach (var db in others)
        {
            try
            {
                await using var other = new NpgsqlConnection(new NpgsqlConnectionStringBuilder(baseCs.ConnectionString) { Database = db }.ConnectionString);
                await other.OpenAsync(ct).ConfigureAwait(false);
                recorded.AddRange((await RecordedSourcesAsync(other, ct).ConfigureAwait(false)).Select(i => ($"the marker of {db}", i)));
            }
            catch (Exception ex) when (ex is NpgsqlException or TimeoutException)
            {
                log.LogDebug("Could not read the marker of {Database}: {Message}", db, SecretRedactor.Redact(ex.Message));
            }
        }
        var hit = recorded.FirstOrDefault(r => r.id.SameDatabaseAs(targetId));
        if (hit.id is not null)
            throw new StagingException("TargetIsSyncSource", StagingErrorCategory.SecurityError,
                $"{display} is recorded as a sync's source in {hit.where}: it is production (or a source of staging) and is never written. -Force does not change this.", display)
            { RecommendedAction = "Point the cmdlet at the staging database, not at the database it was copied from." };
    }

    /// <summary>The sources recorded by the sync markers of one database (markers from before identities were recorded are skipped).</summary>
    public static async Task<IReadOnlyList<ServerIdentity>> RecordedSourcesAsync(NpgsqlConnection conn, CancellationToken ct)
    {
        // Checked first: an error would abort the caller's transaction (the source snapshot's, for one).
        var readable = await conn.ExecuteScalarAsync<bool>(new CommandDefinition(
            "SELECT to_regclass(@t) IS NOT NULL AND has_table_privilege(to_regclass(@t), 'SELECT')", new { t = StagingMarker.Table }, cancellationToken: ct)).ConfigureAwait(false);
        if (!readable) return Array.Empty<ServerIdentity>();
        return (await StagingMarker.ReadAsync(conn, "sync").ConfigureAwait(false))
            .Select(m => ServerIdentity.FromRecord(m.Details)).OfType<ServerIdentity>().ToList();
    }
}
