using Dapper;
using Npgsql;

namespace KojiStaging.Engine.Database.Sync;

/// <summary>A session on a database that this role could not end (a superuser's, or another role's without pg_signal_backend).</summary>
public sealed record BlockingSession(int Pid, string? User, string? Application, string? BackendType)
{
    public override string ToString() => $"pid {Pid} (user {User ?? "?"}, {(string.IsNullOrEmpty(Application) ? BackendType ?? "client" : Application)})";
}

/// <summary>
/// Ends the sessions on one database within the staging role's rights: its own sessions always, other roles' with
/// pg_signal_backend, never a superuser's. Autovacuum workers are left to the server: ALTER DATABASE … RENAME and
/// DROP DATABASE signal them to exit themselves while they wait for the database to empty.
/// </summary>
public static class SessionTerminator
{
    public static async Task<IReadOnlyList<BlockingSession>> TerminateAsync(NpgsqlConnection admin, string database, CancellationToken ct)
    {
        var sessions = (await admin.QueryAsync<(int pid, string? user, string? app, string? type)>(new CommandDefinition(
            "SELECT pid, usename, application_name, backend_type FROM pg_stat_activity WHERE datname = @database AND pid <> pg_backend_pid()",
            new { database }, cancellationToken: ct)).ConfigureAwait(false)).ToList();
        var blocked = new List<BlockingSession>();
        foreach (var s in sessions.Where(s => s.type != "autovacuum worker"))
        {
            try
            {
                await admin.ExecuteAsync(new CommandDefinition("SELECT pg_terminate_backend(@pid)", new { s.pid }, cancellationToken: ct)).ConfigureAwait(false);
            }
            catch (PostgresException ex) when (ex.SqlState == "42501")
            {
                blocked.Add(new BlockingSession(s.pid, s.user, s.app, s.type));
            }
        }
        if (sessions.Count > blocked.Count)
        {
            // pg_terminate_backend only signals: give the ended sessions a moment to leave.
            for (var i = 0; i < 20; i++)
            {
                var left = await admin.ExecuteScalarAsync<long>(new CommandDefinition(
                    "SELECT count(*) FROM pg_stat_activity WHERE datname = @database AND pid <> pg_backend_pid() AND NOT pid = ANY(@keep)",
                    new { database, keep = blocked.Select(b => b.Pid).ToArray() }, cancellationToken: ct)).ConfigureAwait(false);
                if (left == 0) break;
                await Task.Delay(100, ct).ConfigureAwait(false);
            }
        }
        return blocked;
    }
}
