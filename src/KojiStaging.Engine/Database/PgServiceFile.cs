using KojiStaging.Engine.Diagnostics;
using Npgsql;

namespace KojiStaging.Engine.Database;

/// <summary>
/// Reads libpq connection service files (pg_service.conf): PGSERVICEFILE or ~/.pg_service.conf first,
/// then PGSYSCONFDIR/pg_service.conf or /etc/postgresql-common/pg_service.conf.
/// </summary>
public static class PgServiceFile
{
    public static NpgsqlConnectionStringBuilder Resolve(string service)
    {
        foreach (var path in CandidateFiles())
        {
            if (!File.Exists(path)) continue;
            var section = ReadSection(path, service);
            if (section is null) continue;
            var b = new NpgsqlConnectionStringBuilder();
            foreach (var (key, value) in section) Apply(b, key, value);
            return b;
        }
        throw new StagingException("ServiceNotFound", StagingErrorCategory.ObjectNotFound,
            $"No PostgreSQL service '{service}' was found in {string.Join(", ", CandidateFiles())}.", service)
        {
            RecommendedAction = "Define the service in ~/.pg_service.conf or give a connection string such as 'Host=db01;Database=koji'.",
        };
    }

    /// <summary>Applies one libpq keyword to an Npgsql builder.</summary>
    public static void Apply(NpgsqlConnectionStringBuilder b, string key, string value)
    {
        switch (key.Trim().ToLowerInvariant())
        {
            case "host" or "hostaddr": b.Host = value; break;
            case "port": b.Port = int.Parse(value); break;
            case "dbname": b.Database = value; break;
            case "user": b.Username = value; break;
            case "password": b.Password = value; break;
            case "passfile": b.Passfile = value; break;
            case "sslmode": b.SslMode = Enum.Parse<SslMode>(value.Replace("-", ""), ignoreCase: true); break;
            case "sslrootcert": b.RootCertificate = value; break;
            case "sslcert": b.SslCertificate = value; break;
            case "sslkey": b.SslKey = value; break;
            case "connect_timeout": b.Timeout = int.Parse(value); break;
            case "application_name": b.ApplicationName = value; break;
            case "options": b.Options = value; break;
            default: break; // keywords Npgsql has no use for (e.g. gssencmode) are ignored, as libpq ignores unknown ones with a warning
        }
    }

    private static IEnumerable<string> CandidateFiles()
    {
        if (Environment.GetEnvironmentVariable("PGSERVICEFILE") is { Length: > 0 } f) yield return f;
        var home = Environment.GetFolderPath(Environment.SpecialFolder.UserProfile);
        if (home.Length > 0) yield return Path.Combine(home, ".pg_service.conf");
        var sys = Environment.GetEnvironmentVariable("PGSYSCONFDIR");
        yield return sys is { Length: > 0 } ? Path.Combine(sys, "pg_service.conf") : "/etc/postgresql-common/pg_service.conf";
    }

    private static List<(string, string)>? ReadSection(string path, string service)
    {
        List<(string, string)>? current = null, found = null;
        foreach (var raw in File.ReadLines(path))
        {
            var line = raw.Trim();
            if (line.Length == 0 || line[0] == '#') continue;
            if (line[0] == '[' && line[^1] == ']')
            {
                current = line[1..^1].Trim() == service ? (found ??= new()) : null;
                continue;
            }
            var eq = line.IndexOf('=');
            if (current is not null && eq > 0) current.Add((line[..eq].Trim(), line[(eq + 1)..].Trim()));
        }
        return found;
    }
}
