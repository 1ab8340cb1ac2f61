using Dapper;
using KojiStaging.Engine.Database;
using KojiStaging.Engine.Database.Sync;
using KojiStaging.Engine.Diagnostics;
using KojiStaging.Tests.Infrastructure;
using Npgsql;

namespace KojiStaging.Tests.Database.Sync;

/// <summary>Helpers for sync tests: a fresh prod fixture database and a unique live staging name per test.</summary>
internal sealed class SyncCase
{
    public SyncCase(string prefix)
    {
        ProdDb = TestClusters.UniqueName(prefix + "_prod");
        TestClusters.Prod.CreateFixtureDatabase(ProdDb);
        Live = TestClusters.UniqueName(prefix + "_stg");
    }

    public string ProdDb { get; }
    public string Live { get; }
    public string ProdCs => TestClusters.Prod.ConnectionString(ProdDb);
    /// <summary>Live staging as the least-privilege sync role (not a superuser), as operators are told to run it.</summary>
    public string LiveCs => TestClusters.StagingAsSyncRole(Live);
    public KojiDatabaseConnection Source => new(ProdCs);
    public KojiDatabaseConnection Destination => new(LiveCs);

    public DbSyncOptions Options() =>
        new() { Source = Source, Destination = Destination, ThrottleLimit = 2 };

    public Task<DbSyncResult?> RunAsync(DbSyncOptions? options = null, CancellationToken ct = default) =>
        new DbSyncEngine().RunAsync(options ?? Options(), EngineScope.Silent(ct));

    public static async Task<T> QueryAsync<T>(string cs, string sql)
    {
        await using var c = new NpgsqlConnection(cs);
        return await c.ExecuteScalarAsync<T>(sql) ?? default!;
    }

    public static async Task<List<string>> DatabasesAsync(string prefix)
    {
        await using var c = new NpgsqlConnection(TestClusters.Staging.ConnectionString());
        return (await c.QueryAsync<string>("SELECT datname FROM pg_database WHERE datname LIKE @p ORDER BY 1", new { p = prefix + "%" })).ToList();
    }

    /// <summary>md5 of every row of a table in a canonical order: equal digests mean equal contents.</summary>
    public static async Task<Dictionary<string, string>> DigestsAsync(string cs)
    {
        await using var c = new NpgsqlConnection(cs);
        var tables = await c.QueryAsync<string>("SELECT tablename FROM pg_tables WHERE schemaname = 'public' AND tablename <> 'kojistaging_marker' ORDER BY 1");
        var d = new Dictionary<string, string>();
        foreach (var t in tables)
            d[t] = await c.ExecuteScalarAsync<string>($"SELECT coalesce(md5(string_agg(x::text, E'\\n' ORDER BY x::text)), 'empty') FROM public.\"{t}\" x") ?? "";
        return d;
    }
}
