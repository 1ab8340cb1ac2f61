using System.Net.Sockets;
using KojiStaging.Engine.Diagnostics;
using Npgsql;

namespace KojiStaging.Engine.Database;

/// <summary>
/// Opens connections and turns the ways that fails into StagingExceptions with stable ids:
/// PgUnreachable, PgAuthenticationFailed, PgDatabaseNotFound, PgPermissionDenied, PgConnectionFailed.
/// </summary>
public static class PgConnector
{
    /// <param name="role">Words for messages: "source", "staging", …</param>
    public static async Task<NpgsqlConnection> OpenAsync(string connectionString, string role, CancellationToken ct)
    {
        var conn = new NpgsqlConnection(connectionString);
        try
        {
            await conn.OpenAsync(ct).ConfigureAwait(false);
            return conn;
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            await conn.DisposeAsync().ConfigureAwait(false);
            throw Translate(ex, connectionString, role);
        }
    }

    /// <summary>Exception.Data key holding the role words ("source", "staging", …) of a refused login, for the cmdlet's hint.</summary>
    public const string RoleKey = "KojiStaging.PgRole";

    /// <summary>Where the password may have come from; <paramref name="credentialParameter"/> is the cmdlet's own parameter for this role, if it has one.</summary>
    public static string PasswordHint(string? credentialParameter) =>
        $"Check the user name and the password ({(credentialParameter is null ? "" : credentialParameter + ", ")}the connection string, PGPASSWORD or ~/.pgpass).";

    public static StagingException Translate(Exception ex, string connectionString, string role)
    {
        var where = PgConnectionFactory.Describe(connectionString);
        if (ex is StagingException se) return se;
        if (ex is PostgresException pg)
        {
            return pg.SqlState switch
            {
                "28P01" or "28000" => new StagingException("PgAuthenticationFailed", StagingErrorCategory.AuthenticationError,
                    $"The {role} server refused the login ({where}): {pg.MessageText}", where, ex)
                { RecommendedAction = PasswordHint(null), Data = { [RoleKey] = role } },
                "3D000" => new StagingException("PgDatabaseNotFound", StagingErrorCategory.ObjectNotFound,
                    $"The {role} database does not exist ({where}).", where, ex),
                "42501" => new StagingException("PgPermissionDenied", StagingErrorCategory.PermissionDenied,
                    $"The {role} server denied a permission ({where}): {pg.MessageText}", where, ex)
                { RecommendedAction = $"Connect as a role with the rights this needs on the {role} server (for staging: the role that owns the staging databases, see STAGING ROLE AND RECOVERY in Get-Help about_KojiStaging)." },
                _ => new StagingException("PgError", StagingErrorCategory.InvalidOperation,
                    $"The {role} server reported {pg.SqlState}: {pg.MessageText} ({where})", where, ex),
            };
        }
        if (ex is NpgsqlException { InnerException: SocketException or IOException or TimeoutException } || ex is SocketException or TimeoutException)
            return new StagingException("PgUnreachable", StagingErrorCategory.ConnectionError,
                $"The {role} server cannot be reached ({where}): {(ex.InnerException ?? ex).Message}", where, ex);
        return new StagingException("PgConnectionFailed", StagingErrorCategory.ConnectionError,
            $"Connecting to the {role} server failed ({where}): {ex.Message}", where, ex);
    }
}
