namespace KojiStaging.TestServices.KojiHub;

/// <summary>
/// The "hub" test service: <c>hub --fixture NAME</c> starts its own PostgreSQL cluster with the fixture
/// in database NAME; <c>hub --connection "Host=…;Database=…"</c> uses an existing database instead.
/// <c>--topdir PATH</c> serves that tree at the topurl; without it the fixture's topdir tarball is unpacked
/// into a temporary directory. <c>--port N</c> picks the port (default: any free one); <c>--max-request-length N</c> is
/// hub.conf's MaxRequestLength (default 4 MiB). <c>--synthetic-builds N [--synthetic-tag NAME] [--synthetic-rpms M]</c>
/// first adds a tag of N synthetic signed builds (<see cref="SyntheticKojiTag"/>).
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
        object? synthetic = null;
        if (options.TryGetValue("synthetic-builds", out var sb))
            synthetic = SyntheticKojiTag.Add(connectionString, options.GetValueOrDefault("synthetic-tag") ?? "synthetic", int.Parse(sb),
                options.TryGetValue("synthetic-rpms", out var sr) ? int.Parse(sr) : 16);
        if (!options.TryGetValue("topdir", out var topDir))
        {
            var tmp = Path.Combine(Path.GetTempPath(), $"kojistaging-hub-{Environment.ProcessId}-{Guid.NewGuid():N}");
            topDir = Fixtures.ExtractTopDir(tmp);
            disposables.Add(new DeleteOnDispose(tmp));
        }
        var port = options.TryGetValue("port", out var p) ? int.Parse(p) : 0;
        var maxRequest = options.TryGetValue("max-request-length", out var m) ? int.Parse(m) : 4194304;
        var hub = KojiHubEmulator.StartAsync(new KojiHubEmulatorOptions { ConnectionString = connectionString, TopDir = topDir, Port = port, MaxRequestLength = maxRequest })
            .GetAwaiter().GetResult();
        disposables.Add(hub);
        return new
        {
            HubUrl = hub.HubUrl.ToString(),
            TopUrl = hub.TopUrl?.ToString(),
            TopDir = topDir,
            ControlUrl = new Uri(hub.BaseUrl, "_emulator/").ToString(),
            Pg = pgInfo,
            Synthetic = synthetic,
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
