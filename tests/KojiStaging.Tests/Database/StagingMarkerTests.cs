using KojiStaging.Engine.Database;
using KojiStaging.Tests.Infrastructure;
using Npgsql;

namespace KojiStaging.Tests.Database;

public class StagingMarkerTests
{
    [Fact]
    public async Task Marker_is_absent_then_records_entries_in_order()
    {
        var pg = TestClusters.Staging;
        var db = TestClusters.UniqueName("marker");
        pg.CreateDatabase(db);
        await using var conn = new NpgsqlConnection(pg.ConnectionString(db));
        await conn.OpenAsync();

        Assert.False(await StagingMarker.IsMarkedAsync(conn));
        Assert.Empty(await StagingMarker.ReadAsync(conn));

        await StagingMarker.EnsureTableAsync(conn);
        Assert.False(await StagingMarker.IsMarkedAsync(conn)); // a table alone is not a mark
        await StagingMarker.AppendAsync(conn, "sync", "Host=db01;Database=koji", 166, new { rules = new[] { "sessions" } });
        await StagingMarker.AppendAsync(conn, "volume", null, 166, new { volume = "prod", builds = 23 });

        Assert.True(await StagingMarker.IsMarkedAsync(conn));
        var all = await StagingMarker.ReadAsync(conn);
        Assert.Equal(new[] { "sync", "volume" }, all.Select(e => e.Kind));
        Assert.Equal(23, all[1].Details.GetProperty("builds").GetInt32());
        var sync = Assert.Single(await StagingMarker.ReadAsync(conn, "sync"));
        Assert.Equal(166, sync.EventId);
    }
}
