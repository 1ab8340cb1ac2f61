using System.Net;
using KojiStaging.Engine.Diagnostics;
using Npgsql;

namespace KojiStaging.Engine.Database;

/// <summary>
/// Turns what an operator types (an Npgsql connection string, a libpq URI, a libpq service name or
/// <c>service=name</c>) plus an optional credential into Npgsql connection strings.
/// Passwords come from the credential, the service file, PGPASSWORD or pgpass (Npgsql reads
/// ~/.pgpass and PGPASSFILE itself); they never appear in <see cref="Describe"/>.
/// </summary>
public static class PgConnectionFactory
{
    public const string ApplicationName = "KojiStaging";

    public static NpgsqlConnectionStringBuilder Parse(string connection, NetworkCredential? credential = null)
    {
        if (string.IsNullOrWhiteSpace(connection))
            throw new StagingException("ConnectionStringEmpty", StagingErrorCategory.InvalidArgument,
                "The connection is empty. Give an Npgsql connection string ('Host=db01;Database=koji'), a libpq URI or a service name.");

        NpgsqlConnectionStringBuilder builder;
        try
        {
            var text = connection.Trim();
            if (text.StartsWith("postgres://", StringComparison.OrdinalIgnoreCase) ||
                text.StartsWith("postgresql://", StringComparison.OrdinalIgnoreCase))
                builder = FromUri(text);
            else if (!text.Contains('='))
                builder = PgServiceFile.Resolve(text);
            else
            {
                var service = TakeServiceKeyword(ref text);
                builder = new NpgsqlConnectionStringBuilder(text);
                if (service is not null) builder = Merge(PgServiceFile.Resolve(service), builder);
            }
        }
        catch (StagingException) { throw; }
        catch (Exception ex) when (ex is ArgumentException or FormatException or KeyNotFoundException or UriFormatException)
        {
            throw new StagingException("ConnectionStringInvalid", StagingErrorCategory.InvalidArgument,
                UnknownKeyMessage(connection) ?? $"The connection string is not valid: {ex.Message}", inner: ex);
        }

        ApplyEnvironmentDefaults(builder);
        if (credential is not null)
        {
            if (!string.IsNullOrEmpty(credential.UserName)) builder.Username = credential.UserName;
            builder.Password = credential.Password;
        }
        if (string.IsNullOrEmpty(builder.ApplicationName)) builder.ApplicationName = ApplicationName;
        return builder;
    }

    /// <summary>Npgsql's keywords as it documents them (the DisplayName of each builder property: Host, Port, Username, …).</summary>
    private static readonly Lazy<string[]> KnownKeys = new(() => typeof(NpgsqlConnectionStringBuilder).GetProperties()
        .Select(p => p.GetCustomAttributes(typeof(System.ComponentModel.DisplayNameAttribute), true).OfType<System.ComponentModel.DisplayNameAttribute>().FirstOrDefault()?.DisplayName)
        .OfType<string>().Distinct().ToArray());

    /// <summary>"unknown key 'hots'. Did you mean 'Host'?" for the first key Npgsql does not know; null when every key is known.</summary>
    private static string? UnknownKeyMessage(string connection)
    {
        var parsed = new System.Data.Common.DbConnectionStringBuilder();
        try { parsed.ConnectionString = connection.Trim(); }
        catch (ArgumentException) { return null; }
        var known = new NpgsqlConnectionStringBuilder();
        foreach (string key in parsed.Keys)
        {
            if (key.Equals("service", StringComparison.OrdinalIgnoreCase) || known.ContainsKey(key)) continue;
            return $"The connection string has an unknown key '{key}'.{NearestNames.DidYouMean(key, KnownKeys.Value)}";
        }
        return null;
    }

    /// <summary>A connection string for reading production: every transaction is read-only on the server side.</summary>
    public static string ForSource(string connection, NetworkCredential? credential = null)
    {
        var b = Parse(connection, credential);
        b.Options = AppendOption(b.Options, "-c default_transaction_read_only=on");
        return b.ConnectionString;
    }

    public static string ForTarget(string connection, NetworkCredential? credential = null) =>
        Parse(connection, credential).ConnectionString;

    /// <summary>The same server with another database name.</summary>
    public static string WithDatabase(string connectionString, string database)
    {
        var b = new NpgsqlConnectionStringBuilder(connectionString) { Database = database };
        return b.ConnectionString;
    }

    /// <summary>A description safe for logs and output: host, port, database and user, never a password.</summary>
    public static string Describe(string connectionString)
    {
        var b = new NpgsqlConnectionStringBuilder(connectionString);
        var user = string.IsNullOrEmpty(b.Username) ? "" : $";Username={b.Username}";
        return $"Host={b.Host};Port={b.Port};Database={b.Database}{user}";
    }

    /// <summary>Npgsql has no "service" keyword; take it out of the string and resolve it ourselves.</summary>
    private static string? TakeServiceKeyword(ref string text)
    {
        string? service = null;
        var kept = new List<string>();
        foreach (var part in text.Split(';', StringSplitOptions.RemoveEmptyEntries))
        {
            var eq = part.IndexOf('=');
            if (eq > 0 && part[..eq].Trim().Equals("service", StringComparison.OrdinalIgnoreCase)) service = part[(eq + 1)..].Trim();
            else kept.Add(part);
        }
        text = string.Join(';', kept);
        return service;
    }

    private static NpgsqlConnectionStringBuilder Merge(NpgsqlConnectionStringBuilder baseline, NpgsqlConnectionStringBuilder overrides)
    {
        foreach (string key in overrides.Keys)
            if (overrides.TryGetValue(key, out var v) && v is not null && !(v is string s && s.Length == 0))
                baseline[key] = v;
        return baseline;
    }

    private static NpgsqlConnectionStringBuilder FromUri(string text)
    {
        var uri = new Uri(text);
        var b = new NpgsqlConnectionStringBuilder { Host = uri.Host };
        if (uri.Port > 0) b.Port = uri.Port;
        var db = Uri.UnescapeDataString(uri.AbsolutePath.TrimStart('/'));
        if (db.Length > 0) b.Database = db;
        if (uri.UserInfo.Length > 0)
        {
            var parts = uri.UserInfo.Split(':', 2);
            b.Username = Uri.UnescapeDataString(parts[0]);
            if (parts.Length == 2) b.Password = Uri.UnescapeDataString(parts[1]);
        }
        foreach (var pair in uri.Query.TrimStart('?').Split('&', StringSplitOptions.RemoveEmptyEntries))
        {
            var kv = pair.Split('=', 2);
            if (kv.Length == 2) PgServiceFile.Apply(b, Uri.UnescapeDataString(kv[0]), Uri.UnescapeDataString(kv[1]));
        }
        return b;
    }

    private static void ApplyEnvironmentDefaults(NpgsqlConnectionStringBuilder b)
    {
        if (string.IsNullOrEmpty(b.Host)) b.Host = Env("PGHOST") ?? "localhost";
        if (!b.ContainsKey("Port") || b.Port == NpgsqlConnection.DefaultPort)
            if (int.TryParse(Env("PGPORT"), out var port)) b.Port = port;
        if (string.IsNullOrEmpty(b.Database) && Env("PGDATABASE") is { } db) b.Database = db;
        if (string.IsNullOrEmpty(b.Username) && Env("PGUSER") is { } user) b.Username = user;
        if (string.IsNullOrEmpty(b.Password) && Env("PGPASSWORD") is { } pw) b.Password = pw;
    }

    private static string? Env(string name) =>
        Environment.GetEnvironmentVariable(name) is { Length: > 0 } v ? v : null;

    private static string AppendOption(string? options, string option) =>
        string.IsNullOrWhiteSpace(options) ? option : $"{options} {option}";
}
