using KojiStaging.Engine.Koji.Hub;
using KojiStaging.Tests.Infrastructure;
using KojiStaging.TestServices.KojiHub;

namespace KojiStaging.Tests.Koji;

/// <summary>
/// Inheritance options the fixture does not use (pkg_filter, maxdepth, intransitive, blocks), checked on a
/// clone of the fixture to which a few tags and links are added, as kojihub would add them (new events).
/// </summary>
public sealed class KojiHubEmulatorInheritanceTests(KojiHubEmulatorInheritanceTests.ModifiedHub fixture)
    : IClassFixture<KojiHubEmulatorInheritanceTests.ModifiedHub>
{
    private KojiHubClient Hub => fixture.Client;

    public sealed class ModifiedHub : IAsyncLifetime
    {
        private string _db = null!;
        private KojiHubEmulator _hub = null!;
        public KojiHubClient Client { get; private set; } = null!;

        public async Task InitializeAsync()
        {
            _db = TestClusters.UniqueName("hubinherit");
            TestClusters.Prod.CreateFixtureDatabase(_db);
            // 100 lab-filtered -> f41 with pkg_filter 'hello|tzdata'
            // 101 lab-shallow  -> f41-updates with maxdepth 0 (f41 behind it is not reached)
            // 103 lab-chain    -> f41-override, intransitive; 102 lab-intrans -> lab-chain (the intransitive link is ignored there)
            // 104 lab-block    -> f41, with hello blocked in its own package list
            TestClusters.Prod.Psql(_db, @"
                INSERT INTO tag (id, name) VALUES (100, 'lab-filtered'), (101, 'lab-shallow'), (102, 'lab-intrans'), (103, 'lab-chain'), (104, 'lab-block');
                INSERT INTO tag_config (tag_id, arches, creator_id) SELECT id, '', 1 FROM tag WHERE id >= 100;
                INSERT INTO tag_inheritance (tag_id, parent_id, priority, maxdepth, intransitive, noconfig, pkg_filter, creator_id) VALUES
                    (100, 1, 0, NULL, false, false, 'hello|tzdata', 1),
                    (101, 2, 0, 0, false, false, '', 1),
                    (103, 5, 0, NULL, true, false, '', 1),
                    (102, 103, 0, NULL, false, false, '', 1),
                    (104, 1, 0, NULL, false, false, '', 1);
                INSERT INTO tag_packages (package_id, tag_id, blocked, creator_id)
                    SELECT id, 104, true, 1 FROM package WHERE name = 'hello';
                INSERT INTO tag_package_owners (package_id, tag_id, owner, creator_id)
                    SELECT id, 104, 2, 1 FROM package WHERE name = 'hello';");
            _hub = await KojiHubEmulator.StartAsync(new KojiHubEmulatorOptions { ConnectionString = TestClusters.Prod.ConnectionString(_db) });
            Client = new KojiHubClient(_hub.HubUrl);
        }

        public async Task DisposeAsync()
        {
            Client.Dispose();
            await _hub.DisposeAsync();
            TestClusters.Prod.DropDatabase(_db);
        }
    }

    private async Task<string[]> Latest(string tag, int? ev = null)
    {
        var kw = new Dictionary<string, object?> { ["inherit"] = true, ["latest"] = true };
        if (ev is not null) kw["event"] = ev;
        var builds = KojiHubExtensions.List(await Hub.CallAsync("listTagged", new object?[] { tag }, kw, default), "listTagged");
        return builds.Select(b => (string)((Dictionary<string, object?>)b!)["nvr"]!).Order(StringComparer.Ordinal).ToArray();
    }

    private async Task<string[]> Parents(string tag)
    {
        var links = KojiHubExtensions.List(await Hub.CallAsync("getFullInheritance", new object?[] { tag }, null, default), "getFullInheritance");
        return links.Select(l => (string)((Dictionary<string, object?>)l!)["name"]!).ToArray();
    }

    [Fact]
    public async Task A_package_filter_limits_what_is_inherited()
    {
        Assert.Equal(new[] { "hello-2.12.1-1.fc41", "tzdata-2024a-1.fc41" }, await Latest("lab-filtered"));
        var pkgs = KojiHubExtensions.List(await Hub.CallAsync("listPackages", Array.Empty<object?>(),
            new Dictionary<string, object?> { ["tagID"] = "lab-filtered", ["inherited"] = true }, default), "listPackages");
        Assert.Equal(new[] { "hello", "tzdata" }, pkgs.Select(p => (string)((Dictionary<string, object?>)p!)["package_name"]!).Order());
        var link = (Dictionary<string, object?>)KojiHubExtensions.List(await Hub.CallAsync("getFullInheritance", new object?[] { "lab-filtered" }, null, default), "x")[0]!;
        Assert.Equal(new object?[] { "hello|tzdata" }, (object?[])link["filter"]!);
    }

    [Fact]
    public async Task Maxdepth_zero_stops_below_the_parent()
    {
        Assert.Equal(new[] { "f41-updates" }, await Parents("lab-shallow"));
        // f41-updates is reached, but the package list lives in f41, one level deeper: as in Koji,
        // builds of packages that are on no reachable package list are not listed
        Assert.Empty(await Latest("lab-shallow"));
        Assert.NotEmpty(await Latest("f41-updates"));
    }

    [Fact]
    public async Task Intransitive_links_count_only_at_the_root()
    {
        Assert.Equal(new[] { "f41-override", "f41-updates", "f41" }, await Parents("lab-chain"));
        Assert.Equal(new[] { "lab-chain" }, await Parents("lab-intrans"));
    }

    [Fact]
    public async Task A_block_hides_the_package_inherited_from_a_parent()
    {
        var nvrs = await Latest("lab-block");
        Assert.DoesNotContain(nvrs, n => n.StartsWith("hello-"));
        Assert.Contains("tzdata-2024a-1.fc41", nvrs);
    }

    [Fact]
    public async Task Before_the_links_existed_the_new_tags_had_no_config()
    {
        var tag = await Hub.CallAsync("getTag", new object?[] { "lab-block" }, new Dictionary<string, object?> { ["event"] = 166 }, default);
        Assert.Null(tag);
        var p = await Hub.CallAsync("getPackage", new object?[] { "hello" }, null, default);
        Assert.Equal(1, ((Dictionary<string, object?>)p!)["id"]);
    }
}
