using Dapper;
using Npgsql;

namespace KojiStaging.Engine.Database.Sync;

/// <summary>
/// Which PostgreSQL server and database a connection really reached, however it was named
/// (localhost vs 127.0.0.1, a service name, a URI): the port, the postmaster's start time and the
/// database's name and oid together identify one database of one running server.
/// </summary>
public sealed record ServerIdentity(string? Address, int? Port, DateTimeOffset StartedAt, string Database, uint DatabaseOid)
{
    public static async Task<ServerIdentity> ReadAsync(NpgsqlConnection conn, CancellationToken ct)
    {
        var r = await conn.QuerySingleAsync<(string? addr, int? port, DateTime started, string db, long oid)>(new CommandDefinition("""
            SELECT host(inet_server_addr()), inet_server_port(), pg_postmaster_start_time(), current_database(),
                   (SELECT oid FROM pg_database WHERE datname = current_database())::bigint
            """, cancellationToken: ct)).ConfigureAwait(false);
        return new ServerIdentity(r.addr, r.port, new DateTimeOffset(DateTime.SpecifyKind(r.started, DateTimeKind.Utc)), r.db, (uint)r.oid);
    }

    public bool SameServerAs(ServerIdentity other) => Port == other.Port && StartedAt == other.StartedAt;

    public bool SameDatabaseAs(ServerIdentity other) =>
        SameServerAs(other) && DatabaseOid == other.DatabaseOid && Database == other.Database;
}
