using KojiStaging.TestServices.KojiHub;

namespace KojiStaging.TestServices.Subset;

/// <summary>
/// The "subsethub" test service: the "hub" service (same options) behind a <see cref="HistoryHubProxy"/>,
/// so queryHistory answers every versioned table Copy-KojiSubset reads. HubUrl is the proxy's;
/// EmulatorHubUrl and ControlUrl reach the emulator itself (fault injection, stats).
/// </summary>
public static class SubsetHubService
{
    public static object Start(IReadOnlyDictionary<string, string> options, List<IDisposable> disposables)
    {
        var info = KojiHubService.Start(options, disposables);
        var d = System.Text.Json.JsonSerializer.SerializeToElement(info);
        var hubUrl = d.GetProperty("HubUrl").GetString()!;
        var connectionString = options.TryGetValue("connection", out var cs) ? cs : d.GetProperty("Pg").GetProperty("ConnectionString").GetString()!;
        var proxy = new HistoryHubProxy(new Uri(hubUrl), connectionString);
        disposables.Add(proxy);
        return new
        {
            HubUrl = proxy.HubUrl.ToString(), EmulatorHubUrl = hubUrl, TopUrl = d.GetProperty("TopUrl").GetString(),
            TopDir = d.GetProperty("TopDir").GetString(), ControlUrl = d.GetProperty("ControlUrl").GetString(), Pg = d.GetProperty("Pg"),
        };
    }
}
