using KojiStaging.Tests.Infrastructure;
using KojiStaging.TestServices;
using KojiStaging.TestServices.KojiHub;

namespace KojiStaging.Tests.Koji;

/// <summary>
/// A hub emulator over a clone of the prod fixture (one read-only database shared by all emulators of
/// the run, created on first use) with the fixture's topdir unpacked once. Each test class gets its own
/// emulator instance, so fault injection and counters do not leak between classes running in parallel.
/// </summary>
public sealed class KojiHubEmulatorFixture : IAsyncLifetime
{
    private static readonly Lazy<string> SharedDatabase = new(() => TestClusters.Prod.CreateFixtureDatabase(TestClusters.UniqueName("hubfixture")));
    private static readonly Lazy<string> SharedTopDir = new(() =>
    {
        var parent = TestTempPaths.For("hubtop");
        if (Directory.Exists(parent)) Directory.Delete(parent, true);
        var top = Fixtures.ExtractTopDir(parent);
        AppDomain.CurrentDomain.ProcessExit += (_, _) => { try { Directory.Delete(parent, true); } catch (IOException) { } };
        return top;
    });

    public KojiHubEmulator Hub { get; private set; } = null!;
    public string ConnectionString => SharedDatabase.Value;

    public async Task InitializeAsync() =>
        Hub = await KojiHubEmulator.StartAsync(new KojiHubEmulatorOptions { ConnectionString = SharedDatabase.Value, TopDir = SharedTopDir.Value });

    public async Task DisposeAsync() => await Hub.DisposeAsync();
}
