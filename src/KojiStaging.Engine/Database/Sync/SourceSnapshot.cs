using Dapper;
using KojiStaging.Engine.Diagnostics;
using Npgsql;

namespace KojiStaging.Engine.Database.Sync;

/// <summary>
/// The coordinator on production: one read-only REPEATABLE READ transaction whose snapshot is exported
/// (pg_export_snapshot works for any role) so that parallel workers and pg_dump read exactly the same
/// state. It also fixes the synced event: max(events.id) visible in that snapshot. The transaction stays
/// open until the copy is done; nothing is ever written on the source.
/// </summary>
public sealed class SourceSnapshot : IAsyncDisposable
{
    private readonly NpgsqlConnection _conn;
    private readonly NpgsqlTransaction _tx;

    private SourceSnapshot(NpgsqlConnection conn, NpgsqlTransaction tx, string connectionString)
    {
        _conn = conn; _tx = tx; ConnectionString = connectionString;
    }

    public string ConnectionString { get; }
    public string SnapshotId { get; private set; } = "";
    public int SyncedEvent { get; private set; }
    public DateTimeOffset SyncedEventTime { get; private set; }
    public ServerIdentity Identity { get; private set; } = null!;
    /// <summary>The source session's TimeZone: how Koji before 1.22 wrote events.time (timestamp without time zone).</summary>
    public string TimeZone { get; private set; } = "UTC";
    /// <summary>The TimeZone came from this client (PGTZ, the connection string), not the server: the hub may have written in another.</summary>
    public bool TimeZoneSetByClient { get; private set; }
    /// <summary>events.time is timestamptz (Koji 1.22 and later).</summary>
    public bool EventTimesHaveZone { get; private set; }
    /// <summary>server_version_num of the source (150018 for 15.18).</summary>
    public int ServerVersionNum { get; private set; }
    public NpgsqlConnection Connection => _conn;

    /// <param name="sourceConnectionString">Must come from KojiDatabaseConnection.SourceConnectionString (read-only).</param>
    /// <param name="importSnapshot">A snapshot to take instead of a new one: the one a logical slot exported (the follower's initial copy).</param>
    public static async Task<SourceSnapshot> OpenAsync(string sourceConnectionString, CancellationToken ct, string? importSnapshot = null)
    {
        var conn = await PgConnector.OpenAsync(sourceConnectionString, "source", ct).ConfigureAwait(false);
        try
        {
            var tx = await conn.BeginTransactionAsync(System.Data.IsolationLevel.RepeatableRead, ct).ConfigureAwait(false);
            if (importSnapshot is not null)
                await conn.ExecuteAsync(new CommandDefinition($"SET TRANSACTION SNAPSHOT {Ident.Literal(importSnapshot)}", transaction: tx, cancellationToken: ct)).ConfigureAwait(false);
            await conn.ExecuteAsync(new CommandDefinition("SET TRANSACTION READ ONLY", transaction: tx, cancellationToken: ct)).ConfigureAwait(false);
            var s = new SourceSnapshot(conn, tx, sourceConnectionString);
            s.SnapshotId = await conn.ExecuteScalarAsync<string>(new CommandDefinition("SELECT pg_export_snapshot()", transaction: tx, cancellationToken: ct)).ConfigureAwait(false)
                ?? throw new InvalidOperationException("pg_export_snapshot returned nothing");
            s.Identity = await ServerIdentity.ReadAsync(conn, ct).ConfigureAwait(false);
            var hasEvents = await conn.ExecuteScalarAsync<bool>(new CommandDefinition(
                "SELECT to_regclass('events') IS NOT NULL", transaction: tx, cancellationToken: ct)).ConfigureAwait(false);
            if (!hasEvents)
                throw new StagingException("SourceNotKoji", StagingErrorCategory.InvalidData,
                    $"The source database has no 'events' table; it does not look like a Koji database ({PgConnectionFactory.Describe(sourceConnectionString)}).");
            var zone = await conn.QuerySingleAsync<(string setting, string source)>(new CommandDefinition(
                "SELECT setting, source FROM pg_settings WHERE name = 'TimeZone'", transaction: tx, cancellationToken: ct)).ConfigureAwait(false);
            (s.TimeZone, s.TimeZoneSetByClient) = (zone.setting, zone.source == "client");
            s.EventTimesHaveZone = await EventTimes.HaveZoneAsync(conn, tx, ct).ConfigureAwait(false);
            s.ServerVersionNum = await conn.ExecuteScalarAsync<int>(new CommandDefinition("SELECT current_setting('server_version_num')::int", transaction: tx, cancellationToken: ct)).ConfigureAwait(false);
            var time = await EventTimes.ExpressionAsync(conn, null, tx: tx, ct: ct).ConfigureAwait(false);
            var ev = await conn.QuerySingleAsync<(int? id, DateTime? time)>(new CommandDefinition(
                $"SELECT id, {time} FROM events WHERE id = (SELECT max(id) FROM events)", transaction: tx, cancellationToken: ct)).ConfigureAwait(false);
            s.SyncedEvent = ev.id ?? 0;
            s.SyncedEventTime = ev.time is { } t ? new DateTimeOffset(DateTime.SpecifyKind(t, DateTimeKind.Utc)) : DateTimeOffset.MinValue;
            return s;
        }
        catch (PostgresException ex)
        {
            await conn.DisposeAsync().ConfigureAwait(false);
            throw PgConnector.Translate(ex, sourceConnectionString, "source");
        }
        catch
        {
            await conn.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>A worker connection on the source that sees exactly the coordinator's snapshot.</summary>
    public async Task<NpgsqlConnection> OpenWorkerAsync(CancellationToken ct)
    {
        var conn = await PgConnector.OpenAsync(ConnectionString, "source", ct).ConfigureAwait(false);
        try
        {
            await conn.ExecuteAsync(new CommandDefinition(
                $"BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY; SET TRANSACTION SNAPSHOT {Ident.Literal(SnapshotId)}", cancellationToken: ct)).ConfigureAwait(false);
            return conn;
        }
        catch
        {
            await conn.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    public async ValueTask DisposeAsync()
    {
        try { await _tx.RollbackAsync().ConfigureAwait(false); } catch { /* connection may be gone */ }
        await _conn.DisposeAsync().ConfigureAwait(false);
    }
}
