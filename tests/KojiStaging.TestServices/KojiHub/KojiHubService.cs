namespace KojiStaging.TestServices.KojiHub;

/// <summary>
/// The "hub" test service: <c>hub --fixture NAME</c> starts its own PostgreSQL cluster with the fixture
/// in database NAME; <c>hub --connection "Host=…;Database=…"</c> uses an existing database instead.
/// <c>--topdir PATH</c> serves that tree at the topurl; without it the fixture's topdir tarball is unpacked
/// into a temporary directory. <c>--port N</c> picks the port (default: any free one).
/// </summary>
public static class KojiHubService
{
    public static object Start(IReadOnlyDictionary<string, string> options, List<IDisposable> disposables)
    {
        string connectionString;
        object? pgInfo = null;
        if (options.TryGetValue("connection", out var cs)) connectionString = cs;
        else
        {
            var pg = PgCluster.Start();
            disposables.Add(pg);
            var name = options.TryGetValue("fixture", out var f) && f != "true" ? f : "koji_prod";
            pg.CreateFixtureDatabase(name);
            connectionString = pg.ConnectionString(name);
            pgInfo = new { pg.Host, pg.Port, User = pg.SuperUser, pg.Password, Database = name, ConnectionString = connectionString };
        }
        if (!options.TryGetValue("topdir", out var topDir))
        {
            var tmp = Path.Combine(Path.GetTempPath(), $"kojistaging-hub-{Environment.ProcessId}-{Guid.NewGuid():N}");
            topDir = Fixtures.ExtractTopDir(tmp);
            disposables.Add(new DeleteOnDispose(tmp));
        }
        var port = options.TryGetValue("port", out var p) ? int.Parse(p) : 0;
        var hub = KojiHubEmulator.StartAsync(new KojiHubEmulatorOptions { ConnectionString = connectionString, TopDir = topDir, Port = port })
            .GetAwaiter().GetResult();
        disposables.Add(hub);
        return new
        {
            HubUrl = hub.HubUrl.ToString(),
            TopUrl = hub.TopUrl?.ToString(),
            TopDir = topDir,
            ControlUrl = new Uri(hub.BaseUrl, "_emulator/").ToString(),
            Pg = pgInfo,
        };
    }

    private sealed class DeleteOnDispose(string path) : IDisposable
    {
        public void Dispose()
        {
            try { Directory.Delete(path, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
        }
    }
}
