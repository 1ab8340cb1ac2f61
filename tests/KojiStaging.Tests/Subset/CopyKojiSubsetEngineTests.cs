using Dapper;
using KojiStaging.Engine.Database;
using KojiStaging.Engine.Diagnostics;
using KojiStaging.Engine.Koji;
using KojiStaging.Engine.Koji.Hub;
using KojiStaging.Engine.Koji.Subset;
using KojiStaging.TestServices.KojiHub;
using Npgsql;

namespace KojiStaging.Tests.Subset;

public class CopyKojiSubsetEngineTests(SubsetHarness h) : IClassFixture<SubsetHarness>
{
    private static readonly string[] Keys = { "26e76adc", "8cc9b553" };

    private static Dictionary<string, object?> Kw(params (string, object?)[] kv) => kv.ToDictionary(x => x.Item1, x => x.Item2);

    /// <summary>listTaggedRPMS(tag, event, inherit, latest) as (rpm ids, build ids).</summary>
    private static async Task<(int[] Rpms, int[] Builds)> TaggedAsync(IKojiHub hub, string tag, int ev)
    {
        var v = (object?[])(await hub.CallAsync("listTaggedRPMS", new object?[] { tag }, Kw(("event", ev), ("inherit", true), ("latest", true)), default))!;
        int Id(object? o, string k) => (int)((Dictionary<string, object?>)o!)[k]!;
        return (((object?[])v[0]!).Select(r => Id(r, "id")).Order().ToArray(), ((object?[])v[1]!).Select(b => Id(b, "build_id")).Order().ToArray());
    }

    private static void Same((int[] Rpms, int[] Builds) expected, (int[] Rpms, int[] Builds) actual)
    {
        Assert.Equal(expected.Builds, actual.Builds);
        Assert.Equal(expected.Rpms, actual.Rpms);
    }

    private static async Task<long> CountAsync(KojiDatabaseConnection db, string sql)
    {
        await using var c = new NpgsqlConnection(db.ConnectionString);
        return await c.ExecuteScalarAsync<long>(sql);
    }

    [Fact]
    public async Task Subset_is_exactly_what_listTagged_names_keeps_prod_ids_and_a_compose_finds_everything()
    {
        var staging = await SubsetHarness.NewStagingAsync();
        var top = SubsetTestData.NewTempDir("subset-top");
        using var hub = h.NewClient();
        var result = await new CopyKojiSubsetEngine().RunAsync(
            h.Request(hub, staging, top, new SubsetOptions { Tags = new[] { "f41-updates" }, SigKeys = Keys }), EngineScope.Silent());

        Assert.Equal(166, result.Summary.Event);
        Assert.Equal(new[] { "f41", "f41-updates" }, result.Summary.ClosureTags.Order());
        Assert.InRange(result.Summary.RoundTrips, 1, 5);
        var prod = await TaggedAsync(hub, "f41-updates", 166);
        Assert.Equal(prod.Builds, result.Builds.Select(b => b.Id).Order());

        // A hub over the STAGING database answers the compose query exactly as prod does.
        await using var stagingHub = await KojiHubEmulator.StartAsync(new KojiHubEmulatorOptions { ConnectionString = staging.ConnectionString });
        using var stagingClient = h.NewClient(stagingHub.HubUrl);
        Same(prod, await TaggedAsync(stagingClient, "f41-updates", 166));
        // Build rows: the selected builds and every build the closure tags' tagging history names (any state).
        await using (var pc = new NpgsqlConnection(h.ProdConnectionString))
        {
            var named = await pc.QueryAsync<int>("SELECT DISTINCT build_id FROM tag_listing WHERE tag_id IN (1, 2)");
            Assert.Equal(prod.Builds.Union(named).Order(), (await new NpgsqlConnection(staging.ConnectionString).QueryAsync<int>("SELECT id FROM build")).Order());
        }

        // Same ids, same values as prod for every RPM and signature row copied.
        await using var p = new NpgsqlConnection(h.ProdConnectionString);
        await using var s = new NpgsqlConnection(staging.ConnectionString);
        const string rpmSql = "SELECT id, build_id, name, version, release, arch, payloadhash, size, buildtime FROM rpminfo ORDER BY id";
        var stagingRpms = (await s.QueryAsync(rpmSql)).Select(r => string.Join('|', ((IDictionary<string, object?>)r).Values)).ToList();
        var prodRpms = (await p.QueryAsync(rpmSql)).Select(r => string.Join('|', ((IDictionary<string, object?>)r).Values)).ToList();
        Assert.Equal(prod.Rpms.Length, stagingRpms.Count);
        Assert.Subset(prodRpms.ToHashSet(), stagingRpms.ToHashSet());
        var sigSql = "SELECT rpm_id || '/' || sigkey || '/' || sighash FROM rpmsigs WHERE rpm_id = ANY(@ids) ORDER BY 1";
        Assert.Equal(await p.QueryAsync<string>(sigSql, new { ids = prod.Rpms }), await s.QueryAsync<string>(sigSql, new { ids = prod.Rpms }));
        Assert.Contains(await s.QueryAsync<string>("SELECT sigkey FROM rpmsigs"), k => k == "");
        // Configured tags: the closure. Tag rows: also the children whose inheritance rows name f41 or f41-updates as parent.
        Assert.Equal(new[] { "f41", "f41-updates" }, await s.QueryAsync<string>("SELECT DISTINCT t.name FROM tag t JOIN tag_config c ON c.tag_id = t.id ORDER BY 1"));
        Assert.Equal(new[] { 1, 2, 3, 4, 5, 6 }, await s.QueryAsync<int>("SELECT id FROM tag ORDER BY id"));

        // Every RPM file and every signed copy prod has for those rows is in the staging tree, verified.
        var prodTop = h.Emulator.TopDir!;
        foreach (var f in Directory.EnumerateFiles(prodTop, "*.rpm", SearchOption.AllDirectories))
        {
            var rel = Path.GetRelativePath(prodTop, f);
            var nvra = Path.GetFileName(f);
            var needed = (await p.QueryAsync<int>("SELECT r.id FROM rpminfo r WHERE r.name || '-' || r.version || '-' || r.release || '.' || r.arch || '.rpm' = @nvra", new { nvra }))
                .Any(id => prod.Rpms.Contains(id)) && (!rel.Contains("/data/signed/") || Keys.Any(k => rel.Contains($"/data/signed/{k}/")));
            Assert.Equal(needed, File.Exists(Path.Combine(top, rel)));
            if (needed) Assert.Equal(File.ReadAllBytes(f), File.ReadAllBytes(Path.Combine(top, rel)));
        }
        var marker = Assert.Single(await StagingMarker.ReadAsync(s, "subset"));
        Assert.Equal(166, marker.EventId);

        // Second run: nothing to copy.
        var again = await new CopyKojiSubsetEngine().RunAsync(
            h.Request(hub, staging, top, new SubsetOptions { Tags = new[] { "f41-updates" }, SigKeys = Keys }), EngineScope.Silent());
        Assert.All(again.Builds, b => Assert.True(b.Skipped));
        Assert.Equal(0, again.Summary.FilesCopied);
        Assert.Equal(0, again.Summary.Rows);
        Directory.Delete(top, true);
    }

    [Fact]
    public async Task A_later_event_copies_only_the_difference_and_revokes_what_prod_revoked()
    {
        var staging = await SubsetHarness.NewStagingAsync();
        var top = SubsetTestData.NewTempDir("subset-inc");
        using var hub = h.NewClient();
        var first = await new CopyKojiSubsetEngine().RunAsync(
            h.Request(hub, staging, top, new SubsetOptions { Tags = new[] { "f41", "f42" }, Event = 160 }), EngineScope.Silent());
        Assert.Contains(first.Builds, b => b.Nvr == "legacy-tool-0.9-1.fc41");

        var second = await new CopyKojiSubsetEngine().RunAsync(
            h.Request(hub, staging, top, new SubsetOptions { Tags = new[] { "f41", "f42" } }), EngineScope.Silent());
        var before = (await TaggedAsync(hub, "f41", 160)).Builds.Union((await TaggedAsync(hub, "f42", 160)).Builds).ToHashSet();
        var after = (await TaggedAsync(hub, "f41", 166)).Builds.Union((await TaggedAsync(hub, "f42", 166)).Builds).ToHashSet();
        Assert.NotEmpty(after.Except(before));
        Assert.Equal(after.Except(before).Order(), second.Builds.Where(b => !b.Skipped).Select(b => b.Id).Order());

        await using var stagingHub = await KojiHubEmulator.StartAsync(new KojiHubEmulatorOptions { ConnectionString = staging.ConnectionString });
        using var stagingClient = h.NewClient(stagingHub.HubUrl);
        foreach (var tag in new[] { "f41", "f42" })
        {
            Same(await TaggedAsync(hub, tag, 166), await TaggedAsync(stagingClient, tag, 166));
            Same(await TaggedAsync(hub, tag, 160), await TaggedAsync(stagingClient, tag, 160));
        }
        Assert.Equal(166, await CountAsync(staging, "SELECT revoke_event FROM tag_listing WHERE build_id = 12 AND tag_id = 1"));
        Directory.Delete(top, true);
    }
}
