using Dapper;
using Npgsql;

namespace KojiStaging.Engine.Database.Sync;

/// <summary>
/// Which PostgreSQL server and database a connection really reached, however it was named (TCP or
/// the Unix socket, localhost or another address, a service name, a URI). The server is known by its
/// <c>system_identifier</c> (pg_control_system(), for superusers and pg_monitor members) and otherwise
/// by the running postmaster: its port setting, start time and, where readable, data directory.
/// <c>inet_server_port()</c> is not used: it is NULL over the Unix socket.
/// </summary>
public sealed record ServerIdentity(string? SystemIdentifier, string? DataDirectory, int Port, DateTimeOffset StartedAt,
    string Database, uint DatabaseOid)
{
    // Two steps: what the role may read first, so that a role without the right never meets an error (it would abort the
    // caller's transaction, the source snapshot's). A CASE does not help: PostgreSQL may run the subquery as an InitPlan anyway.
    private const string RightsSql = """
        SELECT has_function_privilege('pg_catalog.pg_control_system()', 'EXECUTE'),
               coalesce((SELECT rolsuper FROM pg_catalog.pg_roles WHERE rolname = current_user), false)
               OR pg_has_role(current_user, 'pg_read_all_settings', 'USAGE')
        """;

    public static async Task<ServerIdentity> ReadAsync(NpgsqlConnection conn, CancellationToken ct)
    {
        var (sysidAllowed, settingsAllowed) = await conn.QuerySingleAsync<(bool, bool)>(new CommandDefinition(RightsSql, cancellationToken: ct)).ConfigureAwait(false);
        var sysid = sysidAllowed ? "(SELECT system_identifier::text FROM pg_catalog.pg_control_system())" : "NULL::text";
        var datadir = settingsAllowed ? "current_setting('data_directory')" : "NULL::text";
        var sql = $"""
            SELECT {sysid} AS sysid, {datadir} AS datadir,
                   current_setting('port')::int AS port, pg_postmaster_start_time() AS started, current_database() AS db,
                   (SELECT oid FROM pg_catalog.pg_database WHERE datname = current_database())::bigint AS oid
            """;
        var r = await conn.QuerySingleAsync<(string? sysid, string? datadir, int port, DateTime started, string db, long oid)>(
            new CommandDefinition(sql, cancellationToken: ct)).ConfigureAwait(false);
        return new ServerIdentity(r.sysid, r.datadir, r.port, new DateTimeOffset(DateTime.SpecifyKind(r.started, DateTimeKind.Utc)), r.db, (uint)r.oid);
    }

    /// <summary>
    /// One cluster: equal system identifiers (a streaming replica or a clone of prod's base backup counts as prod too:
    /// the refusal errs on the safe side), or, when either side may not read it, one running postmaster.
    /// Data directory and port alone are not enough: two hosts with the distribution's default layout share them.
    /// </summary>
    public bool SameServerAs(ServerIdentity other)
    {
        if (SystemIdentifier is not null && other.SystemIdentifier is not null) return SystemIdentifier == other.SystemIdentifier;
        return Port == other.Port && StartedAt == other.StartedAt
            && (DataDirectory is null || other.DataDirectory is null || DataDirectory == other.DataDirectory);
    }

    public bool SameDatabaseAs(ServerIdentity other) => SameServerAs(other) && DatabaseOid == other.DatabaseOid;

    /// <summary>What a sync marker records of its source (details.sourceIdentity).</summary>
    public object ToRecord() => new
    {
        systemIdentifier = SystemIdentifier, dataDirectory = DataDirectory, port = Port, startedAt = StartedAt,
        database = Database, databaseOid = DatabaseOid,
    };

    public static ServerIdentity? FromRecord(System.Text.Json.JsonElement details)
    {
        if (details.ValueKind != System.Text.Json.JsonValueKind.Object || !details.TryGetProperty("sourceIdentity", out var s)
            || s.ValueKind != System.Text.Json.JsonValueKind.Object) return null;
        try
        {
            string? Str(string name) => s.TryGetProperty(name, out var v) && v.ValueKind == System.Text.Json.JsonValueKind.String ? v.GetString() : null;
            return new ServerIdentity(Str("systemIdentifier"), Str("dataDirectory"), s.GetProperty("port").GetInt32(),
                s.GetProperty("startedAt").GetDateTimeOffset(), Str("database") ?? "", s.GetProperty("databaseOid").GetUInt32());
        }
        catch (Exception e) when (e is KeyNotFoundException or InvalidOperationException or FormatException) { return null; }
    }
}
