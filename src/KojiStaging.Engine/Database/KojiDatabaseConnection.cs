using System.Net;
using Npgsql;

namespace KojiStaging.Engine.Database;

/// <summary>
/// A Koji database an operator named: what flows between cmdlets in the pipeline. It keeps the full
/// connection string (password included) to itself: ToString, the public properties and any
/// serialisation show host, port, database and user only. PowerShell converts a string parameter
/// value to it through the string constructor, so '-Connection "Host=db;Database=koji"' works too.
/// </summary>
public sealed class KojiDatabaseConnection
{
    private readonly string _connectionString;

    public KojiDatabaseConnection(string connection) : this(connection, null) { }

    public KojiDatabaseConnection(string connection, NetworkCredential? credential)
        : this(PgConnectionFactory.ForTarget(connection, credential), parsed: true) { }

    private KojiDatabaseConnection(string connectionString, bool parsed)
    {
        _ = parsed;
        _connectionString = connectionString;
        var b = new NpgsqlConnectionStringBuilder(connectionString);
        Host = b.Host ?? "localhost";
        Port = b.Port;
        Database = b.Database ?? "";
        Username = b.Username;
    }

    public string Host { get; }
    public int Port { get; }
    public string Database { get; }
    public string? Username { get; }

    /// <summary>The full connection string, password included: for opening connections, never for printing.</summary>
    internal string ConnectionString => _connectionString;

    /// <summary>Read-only variant for sources: every transaction is read-only on the server.</summary>
    internal string SourceConnectionString => PgConnectionFactory.ForSource(_connectionString);

    public KojiDatabaseConnection WithDatabase(string database) =>
        new(PgConnectionFactory.WithDatabase(_connectionString, database), parsed: true);

    public KojiDatabaseConnection WithCredential(NetworkCredential? credential) =>
        credential is null ? this : new(PgConnectionFactory.ForTarget(_connectionString, credential), parsed: true);

    public override string ToString() => PgConnectionFactory.Describe(_connectionString);
}
