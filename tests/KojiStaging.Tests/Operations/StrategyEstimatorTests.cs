using Dapper;
using KojiStaging.Engine.Database;
using KojiStaging.Engine.Diagnostics;
using KojiStaging.Engine.Operations;
using KojiStaging.Tests.Infrastructure;
using KojiStaging.TestServices;
using Npgsql;

namespace KojiStaging.Tests.Operations;

/// <summary>Compare-KojiStagingStrategy's tree sample against the fixture's real tree with real hardlinks (ln), and prod's database.</summary>
public sealed class StrategyEstimatorTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("kojistaging-estimate-").FullName;

    public void Dispose() => Directory.Delete(_dir, true);

    private static Dictionary<string, StrategyEstimate> ByStrategy(IReadOnlyList<StrategyEstimate> e) => e.ToDictionary(x => x.Strategy);

    [Fact]
    public async Task Hardlinked_inodes_are_counted_once_in_the_sample_and_the_full_copy_and_each_strategy_says_what_happens_to_them()
    {
        var cs = TestClusters.Prod.CreateFixtureDatabase(TestClusters.UniqueName("estimate"));
        var source = new KojiDatabaseConnection(cs);
        var top = Fixtures.ExtractTopDir(Path.Combine(_dir, "tree"));
        var estimator = new StrategyEstimator();

        // The fixture's tree has no hardlinks; SampleBuilds above the build count samples every COMPLETE build.
        var (before, beforeRows) = await estimator.EstimateAsync(source, top, Array.Empty<string>(), 1000, EngineScope.Silent());
        Assert.True(before.SampledBuilds > 10);
        Assert.Equal(0, before.SampledLinkedNames);
        Assert.Equal(before.SampledBytes, before.SampledNameBytes);
        Assert.Contains($"no hardlinks in the sample ({before.SampledFiles} files of {before.SampledBuilds} builds)", ByStrategy(beforeRows)["FullCopy"].Hardlinks);

        // Three RPMs of sampled (COMPLETE) builds get a second name next to them, one of them a third name outside
        // packages/ (as a compose links it); one more RPM gets a plain copy, which is new bytes, not a link.
        await using var conn = new NpgsqlConnection(cs);
        var dirs = (await conn.QueryAsync<string>("""
            SELECT p.name || '/' || b.version || '/' || b.release FROM build b JOIN package p ON p.id = b.pkg_id
            WHERE b.state = 1 AND b.volume_id = 0 ORDER BY b.id
            """)).Select(d => Path.Combine(top, "packages", d)).Where(Directory.Exists).ToList();
        var rpms = dirs.SelectMany(d => Directory.EnumerateFiles(d, "*.rpm", SearchOption.AllDirectories).Order(StringComparer.Ordinal).Take(1))
            .Where(f => new FileInfo(f).Length > 0).Take(4).ToList();
        Assert.Equal(4, rpms.Count);
        long linkedBytes = 0;
        foreach (var rpm in rpms.Take(3))
        {
            ProcessRunner.Run("ln", new[] { rpm, rpm + ".dedup" });
            linkedBytes += new FileInfo(rpm).Length;
        }
        Directory.CreateDirectory(Path.Combine(top, "compose"));
        ProcessRunner.Run("ln", new[] { rpms[0], Path.Combine(top, "compose", Path.GetFileName(rpms[0])) });
        File.Copy(rpms[3], rpms[3] + ".copy");
        var copyBytes = new FileInfo(rpms[3]).Length;

        var (after, rows) = await estimator.EstimateAsync(source, top, Array.Empty<string>(), 1000, EngineScope.Silent());

        Assert.Equal(before.SampledBuilds, after.SampledBuilds);
        Assert.Equal(before.SampledFiles + 4, after.SampledFiles);
        Assert.Equal(6, after.SampledLinkedNames);
        Assert.Equal(3, after.SampledLinkedInodes);
        Assert.Equal(1, after.SampledLinksOutside);
        Assert.Equal(before.SampledBytes + copyBytes, after.SampledBytes);                    // a link adds no bytes, a copy does
        Assert.Equal(before.SampledNameBytes + linkedBytes + copyBytes, after.SampledNameBytes);
        Assert.Equal(linkedBytes, after.SampledLinkSavedBytes);
        // The tree factor (and so the full copy's storage) rests on bytes per inode: same builds, same RPM rows.
        Assert.Equal((double)after.SampledBytes / before.SampledBytes, after.TreeFactor!.Value / before.TreeFactor!.Value, 9);
        var e = ByStrategy(rows);
        Assert.Equal(after.DatabaseBytes + (long)((after.RpmBytes + after.ArchiveBytes + after.SignedBytes) * after.TreeFactor.Value), e["FullCopy"].StorageBytes);
        Assert.Contains("hardlinked inodes counted once", e["FullCopy"].StorageBasis);

        var found = $"6 of {after.SampledFiles} names in the sample share 3 inodes (+1 names outside the sampled builds)";
        Assert.Equal($"yes (hardlinks preserved); {found}: each inode copied and counted once", e["FullCopy"].Hardlinks);
        Assert.StartsWith("no: read-only mount on another file system (EXDEV)", e["SecondaryVolume"].Hardlinks);
        Assert.Contains($"prod's own hardlinks are read in place ({found})", e["SecondaryVolume"].Hardlinks);
        Assert.Contains("prod's hardlinks may not survive: files are fetched per name", e["Subset"].Hardlinks);
        Assert.Contains(found, e["Subset"].Hardlinks);
        Assert.Contains($"prod's hardlinks come along as they are ({found})", e["Snapshot"].Hardlinks);
    }

    [Fact]
    public void Without_a_tree_sample_the_hardlink_texts_say_so_and_the_tree_is_not_scaled()
    {
        var f = new ProductionFigures(1000, 24, 100, 5000, 0, 10, 500, null, null, null, 0, 0, 0, 0, 0, 0, 0, 1e6, null);
        var e = ByStrategy(StrategyEstimator.Build(f, Array.Empty<string>()));
        Assert.Equal(1000 + 5500, e["FullCopy"].StorageBytes);
        foreach (var row in e.Values) Assert.EndsWith("prod's hardlinks not sampled (give -TopDir)", row.Hardlinks);
        Assert.StartsWith("no:", e["SecondaryVolume"].Hardlinks);
    }
}
