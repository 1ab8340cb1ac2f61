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
                { RecommendedAction = "Check the user name and the password from -Credential, PGPASSWORD or ~/.pgpass." },
                "3D000" => new StagingException("PgDatabaseNotFound", StagingErrorCategory.ObjectNotFound,
                    $"The {role} database does not exist ({where}).", where, ex),
                "42501" => new StagingException("PgPermissionDenied", StagingErrorCategory.PermissionDenied,
                    $"The {role} server denied a permission ({where}): {pg.MessageText}", where, ex),
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
