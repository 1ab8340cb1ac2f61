using Dapper;
using KojiStaging.Engine.Database;
using KojiStaging.Engine.Diagnostics;
using KojiStaging.Engine.Operations;
using KojiStaging.Engine.Operations.Health;
using KojiStaging.Tests.Infrastructure;

namespace KojiStaging.Tests.Operations;

public class StagingHealthServiceTests : IClassFixture<ProdTreeMount>
{
    private readonly ProdTreeMount _tree;
    public StagingHealthServiceTests(ProdTreeMount tree) => _tree = tree;

    /// <summary>What a finished refresh looks like: sanitised, sequences raised, volume set up from the read-only tree.</summary>
    private async Task<(KojiDatabaseConnection db, string top)> HealthyAsync(string prefix, string? volumePath = null, bool writable = false)
    {
        var db = await StagingVolumeDb.CreateAsync(prefix);
        await using (var conn = await StagingVolumeDb.OpenAsync(db))
            await conn.ExecuteAsync("""
                DELETE FROM sessions; UPDATE users SET password = NULL; UPDATE build_reservations SET token = NULL;
                SELECT setval('task_id_seq', 990000000); SELECT setval('repo_id_seq', 990000000);
                -- the fixture has two signatures whose signed copies production never wrote; drop them so the sample is clean
                DELETE FROM rpmsigs s USING rpminfo r, build b, package p
                 WHERE s.rpm_id = r.id AND r.build_id = b.id AND b.pkg_id = p.id AND p.name IN ('lab-docs', 'rust-tiny-crate') AND s.sigkey <> '';
                """);
        var top = _tree.NewStagingTopDir();
        Directory.CreateDirectory(Path.Combine(top, "compose"));
        await new SecondaryVolumeService().RunAsync(new SecondaryVolumeRequest(db, TopDir: top, Path: volumePath ?? _tree.ReadOnly, AllowWritable: writable),
            (_, _) => true, EngineScope.Silent());
        return (db, top);
    }

    private static async Task<Dictionary<string, StagingCheckResult>> CheckAsync(StagingHealthRequest request)
    {
        var results = new List<StagingCheckResult>();
        await new StagingHealthService().RunAsync(request, results.Add, EngineScope.Silent());
        Assert.Equal(StagingHealthService.CheckNames, results.Select(r => r.Name));
        return results.ToDictionary(r => r.Name);
    }

    [Fact]
    public async Task A_refreshed_staging_passes_and_the_read_only_volume_gives_exdev_with_the_copy_cost()
    {
        var (db, top) = await HealthyAsync("health_ok");

        var r = await CheckAsync(new StagingHealthRequest(db, top, SampleSize: 100));

        foreach (var name in new[] { "Database", "SyncedEvent", "Secrets", "Volumes", "BuildFiles", "Sequences" })
            Assert.True(r[name].Status == StagingCheckStatus.Pass, $"{name}: {r[name].Status} {r[name].Detail}");
        Assert.Contains("23 builds", r["BuildFiles"].Detail);
        Assert.Contains("event 166", r["SyncedEvent"].Detail);
        var link = r["ComposeHardlink"];
        Assert.Equal(StagingCheckStatus.Warn, link.Status);
        Assert.Contains("EXDEV", link.Detail);
        Assert.Contains("hardlink-or-copy", link.Advice);
        Assert.Matches(@"total \d+(\.\d)? (KiB|MiB|bytes) \(\d+ RPMs\)", link.Detail);
    }

    [Fact]
    public async Task Hardlinks_pass_when_the_compose_area_shares_the_volume_mount()
    {
        var copy = Path.Combine(_tree.Root, "copy-" + Guid.NewGuid().ToString("N"));
        KojiStaging.TestServices.ProcessRunner.Run("cp", new[] { "-a", _tree.Writable, copy });
        var (db, top) = await HealthyAsync("health_link", copy, writable: true);
        Directory.CreateDirectory(Path.Combine(copy, "compose"));

        var r = await CheckAsync(new StagingHealthRequest(db, top, ComposeDir: Path.Combine(copy, "compose")));

        Assert.Equal(StagingCheckStatus.Pass, r["ComposeHardlink"].Status);
        Assert.Empty(Directory.GetFiles(Path.Combine(copy, "compose"), "*", SearchOption.AllDirectories)); // probe removed
        Assert.Equal(StagingCheckStatus.Warn, r["Volumes"].Status); // writable volume
        Assert.Contains("writable", r["Volumes"].Detail);
    }

    [Fact]
    public async Task Database_fails_when_unreachable_or_unmarked()
    {
        var dead = new KojiDatabaseConnection($"Host=127.0.0.1;Port=1;Database=x;Username=u;Password=secretpw;Timeout=2");
        var r = await CheckAsync(new StagingHealthRequest(dead));
        Assert.Equal(StagingCheckStatus.Fail, r["Database"].Status);
        Assert.DoesNotContain("secretpw", r["Database"].Detail);
        Assert.All(r.Values.Where(x => x.Name != "Database"), x => Assert.Equal(StagingCheckStatus.Warn, x.Status));

        var unmarked = await StagingVolumeDb.CreateAsync("health_unmarked", marked: false);
        Assert.Equal(StagingCheckStatus.Fail, (await CheckAsync(new StagingHealthRequest(unmarked)))["Database"].Status);
    }

    [Fact]
    public async Task SyncedEvent_fails_without_a_sync_entry_and_warns_when_stale()
    {
        var (db, top) = await HealthyAsync("health_sync");
        Assert.Equal(StagingCheckStatus.Warn, (await CheckAsync(new StagingHealthRequest(db, top, MaxSyncAge: TimeSpan.FromSeconds(0))))["SyncedEvent"].Status);

        await using (var conn = await StagingVolumeDb.OpenAsync(db))
            await conn.ExecuteAsync("DELETE FROM kojistaging_marker WHERE kind = 'sync'");
        var r = await CheckAsync(new StagingHealthRequest(db, top));
        Assert.Equal(StagingCheckStatus.Pass, r["Database"].Status); // the 'volume' entry still marks it
        Assert.Equal(StagingCheckStatus.Fail, r["SyncedEvent"].Status);
    }

    [Theory]
    // Rows older than the sync are production's (rows made in staging after it are staging's own: Test-KojiStaging.Tests.ps1).
    [InlineData("INSERT INTO sessions (user_id, key, authtype, hostip, callnum, start_time) VALUES (2, 'k3y', 0, '-', 0, '2000-01-01')", "sessions")]
    [InlineData("UPDATE users SET password = 'pw' WHERE name = 'alice'", "password")]
    [InlineData("INSERT INTO build_reservations (build_id, token, created) VALUES (1, 'tok', '2000-01-01')", "token")]
    public async Task Secrets_fail_when_any_production_secret_is_present(string sql, string what)
    {
        var (db, top) = await HealthyAsync("health_secret");
        await using (var conn = await StagingVolumeDb.OpenAsync(db)) await conn.ExecuteAsync(sql);

        var s = (await CheckAsync(new StagingHealthRequest(db, top)))["Secrets"];

        Assert.Equal(StagingCheckStatus.Fail, s.Status);
        Assert.Contains(what, s.Detail);
        Assert.DoesNotContain("k3y", s.Detail);
    }

    [Fact]
    public async Task Volumes_fail_when_the_volume_is_not_mounted()
    {
        var (db, _) = await HealthyAsync("health_vol");
        var other = _tree.NewStagingTopDir(); // the same database seen from a host without vol/prod

        var r = await CheckAsync(new StagingHealthRequest(db, other));

        Assert.Equal(StagingCheckStatus.Fail, r["Volumes"].Status);
        Assert.Equal(StagingCheckStatus.Fail, r["BuildFiles"].Status);
    }

    [Fact]
    public async Task BuildFiles_fails_on_a_missing_rpm_and_warns_on_a_missing_signed_copy()
    {
        var copy = Path.Combine(_tree.Root, "copy-" + Guid.NewGuid().ToString("N"));
        KojiStaging.TestServices.ProcessRunner.Run("cp", new[] { "-a", _tree.Writable, copy });
        var (db, top) = await HealthyAsync("health_files", copy, writable: true);
        var build = Path.Combine(copy, "packages", "hello", "2.12.1", "2.fc41");

        File.Delete(Path.Combine(build, "data", "signed", "26e76adc", "x86_64", "hello-2.12.1-2.fc41.x86_64.rpm"));
        var warn = (await CheckAsync(new StagingHealthRequest(db, top, SampleSize: 100)))["BuildFiles"];
        Assert.Equal(StagingCheckStatus.Warn, warn.Status);
        Assert.Contains("1 signed copies missing", warn.Detail);

        File.Delete(Path.Combine(build, "x86_64", "hello-2.12.1-2.fc41.x86_64.rpm"));
        var fail = (await CheckAsync(new StagingHealthRequest(db, top, SampleSize: 100)))["BuildFiles"];
        Assert.Equal(StagingCheckStatus.Fail, fail.Status);
        Assert.Contains("1 RPM files missing", fail.Detail);
    }

    [Fact]
    public async Task ComposeHardlink_fails_when_the_compose_area_is_read_only_or_missing()
    {
        var (db, top) = await HealthyAsync("health_compose");

        var ro = (await CheckAsync(new StagingHealthRequest(db, top, ComposeDir: Path.Combine(top, "vol", "prod", "repos"))))["ComposeHardlink"];
        Assert.Equal(StagingCheckStatus.Fail, ro.Status);
        Assert.Contains("EROFS", ro.Detail);

        var missing = (await CheckAsync(new StagingHealthRequest(db, top, ComposeDir: Path.Combine(top, "nope"))))["ComposeHardlink"];
        Assert.Equal(StagingCheckStatus.Fail, missing.Status);
    }

    [Fact]
    public async Task Sequences_fail_when_not_raised_above_production()
    {
        var (db, top) = await HealthyAsync("health_seq");
        var prod = new KojiDatabaseConnection(TestClusters.Prod.CreateFixtureDatabase(TestClusters.UniqueName("health_prod")));
        Assert.Equal(StagingCheckStatus.Pass, (await CheckAsync(new StagingHealthRequest(db, top, ProdConnection: prod)))["Sequences"].Status);

        await using (var conn = await StagingVolumeDb.OpenAsync(db))
            await conn.ExecuteAsync("SELECT setval('task_id_seq', 3)"); // as copied from production
        var without = (await CheckAsync(new StagingHealthRequest(db, top)))["Sequences"];
        Assert.Equal(StagingCheckStatus.Fail, without.Status);
        Assert.Contains("task_id_seq", without.Detail);
        var with = (await CheckAsync(new StagingHealthRequest(db, top, ProdConnection: prod)))["Sequences"];
        Assert.Equal(StagingCheckStatus.Fail, with.Status);
        Assert.Contains("production's next 4", with.Detail);
    }
}
