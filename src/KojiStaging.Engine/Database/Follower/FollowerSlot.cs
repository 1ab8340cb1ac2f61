using Dapper;
using KojiStaging.Engine.Diagnostics;
using Npgsql;
using Npgsql.Replication;
using Npgsql.Replication.PgOutput;
using NpgsqlTypes;

namespace KojiStaging.Engine.Database.Follower;

/// <summary>
/// The follower's logical replication slot on production. It is created over a replication connection with
/// EXPORT_SNAPSHOT: the exported snapshot sees exactly the transactions committed before the slot's consistent
/// point, and the slot streams exactly those committed after it, so an initial copy read in that snapshot and the
/// subscription that starts at the slot meet with nothing lost and nothing applied twice (as pgcopydb --follow does).
/// The snapshot stays valid while the replication connection stays open and idle: dispose this after the copy.
/// </summary>
public sealed class FollowerSlot : IAsyncDisposable
{
    private readonly LogicalReplicationConnection _conn;

    private FollowerSlot(LogicalReplicationConnection conn, string name, string snapshot, NpgsqlLogSequenceNumber consistentPoint)
    {
        _conn = conn; Name = name; SnapshotName = snapshot; ConsistentPoint = consistentPoint;
    }

    public string Name { get; }
    public string SnapshotName { get; }
    public NpgsqlLogSequenceNumber ConsistentPoint { get; }

    public static async Task<FollowerSlot> CreateAsync(string sourceConnectionString, string name, CancellationToken ct)
    {
        var conn = new LogicalReplicationConnection(sourceConnectionString);
        try
        {
            await conn.Open(ct).ConfigureAwait(false);
            var slot = await conn.CreatePgOutputReplicationSlot(name, temporarySlot: false, slotSnapshotInitMode: LogicalSlotSnapshotInitMode.Export, cancellationToken: ct).ConfigureAwait(false);
            return new FollowerSlot(conn, name, slot.SnapshotName ?? throw new InvalidOperationException("the slot exported no snapshot"), slot.ConsistentPoint);
        }
        catch (PostgresException ex)
        {
            await conn.DisposeAsync().ConfigureAwait(false);
            throw ex.SqlState switch
            {
                "42501" => new StagingException("FollowerReplicationDenied", StagingErrorCategory.PermissionDenied,
                    $"Production refused to create the replication slot {name}: {ex.MessageText}. The role needs the REPLICATION attribute.", name, ex)
                    { RecommendedAction = "Have production's DBA run what Get-KojiStagingFollowerSetup prints." },
                "55000" => new StagingException("FollowerWalLevel", StagingErrorCategory.InvalidOperation,
                    $"Production cannot create a logical replication slot: {ex.MessageText}", name, ex)
                    { RecommendedAction = "Set wal_level = logical on production (a restart): see Get-KojiStagingFollowerSetup." },
                _ => PgConnector.Translate(ex, sourceConnectionString, "source"),
            };
        }
        catch
        {
            await conn.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>Drops the slot if it exists and no walsender holds it; true when it is gone.</summary>
    public static async Task<bool> DropAsync(NpgsqlConnection prod, string name, CancellationToken ct)
    {
        for (var i = 0; i < 50; i++)
        {
            var active = await prod.ExecuteScalarAsync<bool?>(new CommandDefinition(
                "SELECT active FROM pg_replication_slots WHERE slot_name = @name", new { name }, cancellationToken: ct)).ConfigureAwait(false);
            if (active is null) return true;
            if (active == false)
            {
                try
                {
                    await prod.ExecuteAsync(new CommandDefinition("SELECT pg_drop_replication_slot(@name)", new { name }, cancellationToken: ct)).ConfigureAwait(false);
                    return true;
                }
                catch (PostgresException ex) when (ex.SqlState is "55006" or "42704") { /* became active, or already gone: look again */ }
            }
            await Task.Delay(200, ct).ConfigureAwait(false);
        }
        return false;
    }

    public async ValueTask DisposeAsync() => await _conn.DisposeAsync().ConfigureAwait(false);
}
