using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using Npgsql;

namespace KojiStaging.TestServices;

/// <summary>
/// A throw-away PostgreSQL cluster: initdb into a temp dir, run as a non-root user on 127.0.0.1 at a
/// free port, with settings that trade durability for speed. Password (scram) auth over TCP so tests
/// can exercise bad credentials; the superuser is "postgres" with a random password.
/// </summary>
public sealed class PgCluster : IDisposable
{
    private const string DirPrefix = "kojistaging-pg-";
    private static readonly object TemplateLock = new();
    private bool _fixtureTemplateLoaded;

    private PgCluster(string root, int port, string password, string bin, string? runAs)
    {
        Root = root; Port = port; Password = password; BinDir = bin; RunAs = runAs;
    }

    public string Root { get; }
    public string DataDir => Path.Combine(Root, "data");
    public string Host => "127.0.0.1";
    public int Port { get; private set; }
    public string SuperUser => "postgres";
    public string Password { get; }
    public string BinDir { get; }
    public string? RunAs { get; }

    /// <summary>The database holding the unchanged fixture; clone it with <see cref="CreateFixtureDatabase"/>.</summary>
    public const string FixtureTemplate = "koji_fixture_template";

    /// <summary>
    /// Settings for a cluster that publishes by logical replication (the follower's production side): logical WAL,
    /// slots and WAL senders for the follower's slot, its walsender and the tests' own replication connections.
    /// </summary>
    public static IReadOnlyDictionary<string, string> LogicalPublisherSettings { get; } = new Dictionary<string, string>
    {
        ["wal_level"] = "logical", ["max_replication_slots"] = "10", ["max_wal_senders"] = "10", ["wal_sender_timeout"] = "'60s'",
    };

    /// <param name="binDir">Server binaries of another major (tools/install-test-postgres.sh); default: Debian's newest.</param>
    public static PgCluster Start(IDictionary<string, string>? settings = null, string? binDir = null)
    {
        CleanStale();
        var bin = binDir ?? FindBinDir();
        var runAs = Environment.UserName == "root" || Environment.GetEnvironmentVariable("USER") == "root" || geteuid() == 0
            ? (Environment.GetEnvironmentVariable("KOJISTAGING_PG_USER") ?? "postgres")
            : null;
        var root = Directory.CreateTempSubdirectory(DirPrefix).FullName;
        File.WriteAllText(Path.Combine(root, "owner.pid"), Environment.ProcessId.ToString());
        var password = Convert.ToHexString(RandomNumberGenerator.GetBytes(12)).ToLowerInvariant();
        var pwFile = Path.Combine(root, "pw");
        File.WriteAllText(pwFile, password);
        if (runAs is not null) ProcessRunner.Run("chown", new[] { "-R", runAs, root });

        var port = FreePort();
        var cluster = new PgCluster(root, port, password, bin, runAs);
        try
        {
            ProcessRunner.Run(Path.Combine(bin, "initdb"), new[]
            {
                "-D", cluster.DataDir, "-U", "postgres", "--pwfile", pwFile, "-E", "UTF8", "--locale=C",
                "--auth-local=trust", "--auth-host=scram-sha-256", "--no-sync",
            }, asUser: runAs);
            File.Delete(pwFile);
            var conf = new Dictionary<string, string>
            {
                ["listen_addresses"] = "'127.0.0.1'",
                ["port"] = port.ToString(),
                ["unix_socket_directories"] = $"'{root}'",
                ["fsync"] = "off",
                ["synchronous_commit"] = "off",
                ["full_page_writes"] = "off",
                ["max_connections"] = "200",
                ["shared_buffers"] = "256MB",
                ["max_wal_size"] = "4GB",
                ["checkpoint_timeout"] = "30min",
                ["max_worker_processes"] = "16",
                ["max_parallel_maintenance_workers"] = "2",
                ["maintenance_work_mem"] = "512MB",
                ["log_min_messages"] = "warning",
            };
            if (settings is not null) foreach (var (k, v) in settings) conf[k] = v;
            File.AppendAllLines(Path.Combine(cluster.DataDir, "postgresql.conf"), conf.Select(kv => $"{kv.Key} = {kv.Value}"));
            for (var attempt = 1; ; attempt++)
            {
                try
                {
                    cluster.PgCtl("start", "-w", "-t", "60", "-l", Path.Combine(root, "server.log"));
                    return cluster;
                }
                catch (InvalidOperationException) when (attempt < 3 && File.ReadAllText(Path.Combine(root, "server.log")).Contains("could not bind"))
                {
                    // Another process took the probed port before the server bound it: the last "port" line wins.
                    cluster.Port = FreePort();
                    File.AppendAllText(Path.Combine(cluster.DataDir, "postgresql.conf"), $"port = {cluster.Port}\n");
                }
            }
        }
        catch
        {
            cluster.Dispose();
            throw;
        }
    }

    public string ConnectionString(string database = "postgres", string? user = null, string? password = null) =>
        new NpgsqlConnectionStringBuilder
        {
            Host = Host, Port = Port, Database = database,
            Username = user ?? SuperUser, Password = password ?? (user is null ? Password : null),
            Pooling = false,
        }.ConnectionString;

    /// <summary>Runs SQL as the superuser through psql (handles psql-only syntax such as COPY FROM stdin).</summary>
    public string Psql(string database, string sql) => ProcessRunner.Run("psql", PsqlArgs(database, "-c", sql), PgEnv());

    public void PsqlFile(string database, string file) => ProcessRunner.Run("psql", PsqlArgs(database, "-f", file), PgEnv());

    public void CreateDatabase(string name, string? template = null) =>
        Psql("postgres", template is null ? $"CREATE DATABASE \"{name}\"" : $"CREATE DATABASE \"{name}\" TEMPLATE \"{template}\"");

    public void DropDatabase(string name) => Psql("postgres", $"DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)");

    /// <summary>Creates <paramref name="name"/> holding the production fixture (loaded once per cluster, then cloned).</summary>
    public string CreateFixtureDatabase(string name)
    {
        lock (TemplateLock)
        {
            if (!_fixtureTemplateLoaded)
            {
                CreateDatabase(FixtureTemplate);
                PsqlFile(FixtureTemplate, FixtureSqlForThisServer());
                _fixtureTemplateLoaded = true;
            }
            CreateDatabase(name, FixtureTemplate);
        }
        return ConnectionString(name);
    }

    /// <summary>The server's major version (15 for 15.18).</summary>
    public int Major => Query("SHOW server_version_num").Select(int.Parse).Single() / 10000;

    private List<string> Query(string sql)
    {
        using var c = new NpgsqlConnection(ConnectionString());
        c.Open();
        using var cmd = new NpgsqlCommand(sql, c);
        using var r = cmd.ExecuteReader();
        var rows = new List<string>();
        while (r.Read()) rows.Add(r.GetString(0));
        return rows;
    }

    /// <summary>The fixture dump (pg_dump 15) without SET lines for settings an older server lacks (default_table_access_method on 11).</summary>
    private string FixtureSqlForThisServer()
    {
        var known = Query("SELECT name FROM pg_settings").ToHashSet();
        var lines = File.ReadLines(Fixtures.ProdSql).Where(l =>
            !(l.StartsWith("SET ") && l.IndexOf(' ', 4) is var end && end > 4 && !known.Contains(l[4..end])));
        var path = Path.Combine(Root, "fixture.sql");
        File.WriteAllLines(path, lines);
        return path;
    }

    public IDictionary<string, string> PgEnv() => new Dictionary<string, string>
    {
        ["PGHOST"] = Host, ["PGPORT"] = Port.ToString(), ["PGUSER"] = SuperUser, ["PGPASSWORD"] = Password,
    };

    public void Dispose()
    {
        try { if (File.Exists(Path.Combine(DataDir, "postmaster.pid"))) PgCtl("stop", "-m", "immediate", "-w"); }
        catch { /* the directory goes anyway */ }
        try { Directory.Delete(Root, true); } catch { }
    }

    private void PgCtl(params string[] args) =>
        ProcessRunner.Run(Path.Combine(BinDir, "pg_ctl"), new[] { "-D", DataDir }.Concat(args), asUser: RunAs, timeout: TimeSpan.FromMinutes(2));

    private static string[] PsqlArgs(string database, string flag, string value) =>
        new[] { "-X", "-q", "-v", "ON_ERROR_STOP=1", "-d", database, flag, value };

    /// <summary>
    /// Server binaries of another major, as tools/install-test-postgres.sh caches them: $KOJISTAGING_PG_CACHE/MAJOR/bin,
    /// by default /var/cache/kojistaging/postgresql as root and ~/.cache/kojistaging/postgresql otherwise.
    /// </summary>
    public static string CachedBinDir(int major)
    {
        var cache = Environment.GetEnvironmentVariable("KOJISTAGING_PG_CACHE") is { Length: > 0 } c ? c
            : geteuid() == 0 ? "/var/cache/kojistaging/postgresql"
            : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".cache/kojistaging/postgresql");
        var bin = Path.Combine(cache, major.ToString(), "bin");
        if (!File.Exists(Path.Combine(bin, "postgres")))
            throw new InvalidOperationException($"PostgreSQL {major} server binaries are not in {bin}: run tools/install-test-postgres.sh (./build.sh does).");
        return bin;
    }

    private static string FindBinDir()
    {
        if (Environment.GetEnvironmentVariable("KOJISTAGING_PG_BIN") is { Length: > 0 } b) return b;
        var candidates = Directory.Exists("/usr/lib/postgresql")
            ? Directory.GetDirectories("/usr/lib/postgresql").OrderByDescending(d => int.TryParse(Path.GetFileName(d), out var v) ? v : 0)
                .Select(d => Path.Combine(d, "bin")).Where(d => File.Exists(Path.Combine(d, "initdb")))
            : Enumerable.Empty<string>();
        return candidates.FirstOrDefault() ?? throw new InvalidOperationException(
            "PostgreSQL server binaries not found; run ./build.sh Bootstrap (installs the Debian postgresql package).");
    }

    private static int FreePort()
    {
        using var l = new TcpListener(IPAddress.Loopback, 0);
        l.Start();
        return ((IPEndPoint)l.LocalEndpoint).Port;
    }

    /// <summary>Stops clusters left behind by test processes that died.</summary>
    private static void CleanStale()
    {
        foreach (var dir in Directory.GetDirectories(Path.GetTempPath(), DirPrefix + "*"))
        {
            var pidFile = Path.Combine(dir, "owner.pid");
            if (!File.Exists(pidFile) || !int.TryParse(File.ReadAllText(pidFile), out var pid) || IsAlive(pid)) continue;
            var postmaster = Path.Combine(dir, "data", "postmaster.pid");
            if (File.Exists(postmaster) && int.TryParse(File.ReadLines(postmaster).First(), out var pm))
                try { Process.GetProcessById(pm).Kill(); } catch { }
            try { Directory.Delete(dir, true); } catch { }
        }
    }

    private static bool IsAlive(int pid)
    {
        try { return !Process.GetProcessById(pid).HasExited; } catch { return false; }
    }

    [System.Runtime.InteropServices.DllImport("libc")]
    private static extern uint geteuid();
}
