using KojiStaging.Engine.Database;
using KojiStaging.Engine.Diagnostics;
using KojiStaging.Engine.Koji.Hub;
using KojiStaging.Engine.Koji.Subset;
using KojiStaging.Tests.Infrastructure;
using KojiStaging.Tests.Koji;
using KojiStaging.TestServices;
using KojiStaging.TestServices.KojiHub;
using Npgsql;

namespace KojiStaging.Tests.Subset;

/// <summary>
/// Prod for the snapshotter tests: the shared hub emulator (fixture database + topurl); staging: fresh databases made by <see cref="KojiSchemaInstaller"/>
/// from a schema-only dump of the fixture (made once per run with pg_dump -s).
/// </summary>
public sealed class SubsetHarness : IAsyncLifetime
{
    private static readonly Lazy<string> SchemaFile = new(() =>
    {
        var pg = TestClusters.Prod;
        var db = new NpgsqlConnectionStringBuilder(SubsetTestData.ProdConnectionString).Database!;
        var file = TestTempPaths.For("subset-schema", extension: ".sql");
        ProcessRunner.Run(Path.Combine(pg.BinDir, "pg_dump"), new[] { "-s", "--no-owner", "--no-privileges", "-h", pg.Host, "-p", pg.Port.ToString(), "-U", pg.SuperUser, "-d", db, "-f", file }, pg.PgEnv());
        AppDomain.CurrentDomain.ProcessExit += (_, _) => File.Delete(file);
        return file;
    });

    private readonly KojiHubEmulatorFixture _emulator = new();
    public KojiHubEmulator Emulator => _emulator.Hub;
    public string ProdConnectionString => _emulator.ConnectionString;
    public static string SchemaPath => SchemaFile.Value;

    public Task InitializeAsync() => _emulator.InitializeAsync();

    public Task DisposeAsync() => _emulator.DisposeAsync();

    public KojiHubClient NewClient(Uri? hub = null) => new(hub ?? Emulator.HubUrl, KojiHubClientOptions.BulkRead with
    {
        InitialBackoff = TimeSpan.FromMilliseconds(20), MaxBackoff = TimeSpan.FromMilliseconds(100), MaxAttempts = 4,
        Timeout = TimeSpan.FromSeconds(120), // a 4 MiB multiCall of 17,000 calls on a loaded CI machine
    });

    /// <summary>A new, empty, marked staging Koji database.</summary>
    public static async Task<KojiDatabaseConnection> NewStagingAsync(string prefix = "subset_stg")
    {
        var name = TestClusters.UniqueName(prefix);
        var conn = new KojiDatabaseConnection(TestClusters.Staging.ConnectionString(name));
        await KojiSchemaInstaller.CreateAsync(conn, SchemaPath, EngineScope.Silent());
        return conn;
    }

    public CopyKojiSubsetRequest Request(IKojiHub hub, KojiDatabaseConnection staging, string topDir, SubsetOptions options, bool whatIf = false) => new()
    {
        HubDisplay = Emulator.HubUrl.ToString(), HubClient = hub, TopUrl = Emulator.TopUrl, Destination = staging, TopDir = topDir,
        Options = options, ThrottleLimit = 4, WhatIf = whatIf,
    };
}
