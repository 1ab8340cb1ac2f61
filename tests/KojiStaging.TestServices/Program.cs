using System.Text.Json;

namespace KojiStaging.TestServices;

/// <summary>
/// Starts a test service for Pester (or a person) and keeps it up until standard input closes.
/// The first line written is JSON describing the service; everything is torn down on exit.
///   pg [--fixture NAME] [--timezone ZONE] [--major N] [--logical]   a PostgreSQL cluster; with --fixture, a database NAME holding the prod fixture
/// </summary>
public static class Program
{
    public static int Main(string[] args)
    {
        if (args.Length == 0)
        {
            Console.Error.WriteLine("usage: KojiStaging.TestServices pg [--fixture NAME]");
            return 2;
        }
        var options = ParseOptions(args.Skip(1).ToArray());
        var disposables = new List<IDisposable>();
        try
        {
            object info = args[0] switch
            {
                "pg" => StartPg(options, disposables),
                "ontap" => Ontap.OntapService.Start(options, disposables),
                "hub" => KojiHub.KojiHubService.Start(options, disposables),
                _ => throw new ArgumentException($"unknown service '{args[0]}'"),
            };
            Console.WriteLine(JsonSerializer.Serialize(info));
            Console.Out.Flush();
            while (Console.In.ReadLine() is { } line && line.Trim() != "stop") { }
            return 0;
        }
        catch (Exception ex)
        {
            Console.Error.WriteLine(ex.Message);
            return 1;
        }
        finally
        {
            foreach (var d in Enumerable.Reverse(disposables)) d.Dispose();
        }
    }

    private static object StartPg(IReadOnlyDictionary<string, string> options, List<IDisposable> disposables)
    {
        // --timezone ZONE: the server's TimeZone (Koji before 1.22 stored event times in it);
        // --major N: a server of that major from tools/install-test-postgres.sh's cache instead of Debian's
        // --logical: wal_level = logical and slots, for the follower's production side
        var settings = new Dictionary<string, string>();
        if (options.TryGetValue("timezone", out var zone)) settings["timezone"] = $"'{zone}'";
        if (options.ContainsKey("logical")) foreach (var (k, v) in PgCluster.LogicalPublisherSettings) settings[k] = v;
        var pg = PgCluster.Start(settings.Count > 0 ? settings : null,
            options.TryGetValue("major", out var major) ? PgCluster.CachedBinDir(int.Parse(major)) : null);
        disposables.Add(pg);
        string? fixtureDb = null;
        if (options.TryGetValue("fixture", out var name)) { pg.CreateFixtureDatabase(name); fixtureDb = name; }
        return new { pg.Host, pg.Port, User = pg.SuperUser, pg.Password, pg.Root, ConnectionString = pg.ConnectionString(), FixtureDatabase = fixtureDb };
    }

    public static IReadOnlyDictionary<string, string> ParseOptions(string[] args)
    {
        var d = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        for (var i = 0; i < args.Length; i++)
            if (args[i].StartsWith("--"))
                d[args[i][2..]] = i + 1 < args.Length && !args[i + 1].StartsWith("--") ? args[++i] : "true";
        return d;
    }
}
