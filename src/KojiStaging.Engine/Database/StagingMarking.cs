using KojiStaging.Engine.Diagnostics;
using Microsoft.Extensions.Logging;

namespace KojiStaging.Engine.Database;

/// <summary>What Set-KojiStagingMarker did: Connection binds by property name to the cmdlets that write staging.</summary>
public sealed record StagingMarkResult(KojiDatabaseConnection Connection, string Server, string Database, bool AlreadyMarked,
    long? MarkerId, string? Note);

/// <summary>
/// Set-KojiStagingMarker's engine: the operator's explicit "this database is a staging copy" for a database the
/// module did not make (one restored by hand, say). Writes a 'marked' row into the marker table, after the same
/// source checks as every write (<see cref="StagingTargetGuard"/>): a database that a marker records as a sync's
/// source is never marked. A database already marked is left as it is.
/// </summary>
public sealed class StagingMarking
{
    public async Task<StagingMarkResult> MarkAsync(KojiDatabaseConnection target, string? note, EngineScope scope)
    {
        var log = scope.Logger<StagingMarking>();
        var ct = scope.Cancellation;
        await using var conn = await PgConnector.OpenAsync(target.ConnectionString, "staging", ct).ConfigureAwait(false);
        var server = $"{target.Host}:{target.Port}";
        var identity = await Sync.ServerIdentity.ReadAsync(conn, ct).ConfigureAwait(false);
        await StagingTargetGuard.EnsureNotRecordedSourceAsync(conn, target.ConnectionString, identity, target.ToString(), null, log, ct).ConfigureAwait(false);
        if (await StagingMarker.IsMarkedAsync(conn).ConfigureAwait(false))
        {
            log.LogInformation("{Target} already carries the staging marker; nothing written", target);
            return new StagingMarkResult(target, server, target.Database, true, null, note);
        }
        try
        {
            await using var tx = await conn.BeginTransactionAsync(ct).ConfigureAwait(false);
            await StagingMarker.EnsureTableAsync(conn, tx).ConfigureAwait(false);
            var id = await StagingMarker.AppendAsync(conn, "marked", null, null, new { by = Environment.UserName, note }, tx).ConfigureAwait(false);
            await tx.CommitAsync(ct).ConfigureAwait(false);
            log.LogInformation("Marked {Target} as a staging database (marker row {Id})", target, id);
            return new StagingMarkResult(target, server, target.Database, false, id, note);
        }
        catch (Npgsql.PostgresException ex) { throw PgConnector.Translate(ex, target.ConnectionString, "staging"); }
    }
}
