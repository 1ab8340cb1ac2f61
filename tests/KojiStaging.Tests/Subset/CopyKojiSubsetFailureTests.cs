using Dapper;
using KojiStaging.Engine.Database;
using KojiStaging.Engine.Diagnostics;
using KojiStaging.Engine.Koji.Hub;
using KojiStaging.Engine.Koji.Subset;
using KojiStaging.Tests.Infrastructure;
using KojiStaging.TestServices.KojiHub;
using Npgsql;

namespace KojiStaging.Tests.Subset;

public class CopyKojiSubsetFailureTests(SubsetHarness h) : IClassFixture<SubsetHarness>
{
    private static SubsetOptions F41 => new() { Tags = new[] { "f41" }, SigKeys = new[] { "26e76adc" } };

    /// <summary>Nothing of the subset reached staging: no build rows, no subset marker, no files.</summary>
    private static async Task AssertUntouchedAsync(KojiDatabaseConnection staging, string top)
    {
        await using var c = new NpgsqlConnection(staging.ConnectionString);
        Assert.Equal(0, await c.ExecuteScalarAsync<long>("SELECT count(*) FROM build"));
        Assert.Equal(0, await c.ExecuteScalarAsync<long>("SELECT count(*) FROM tag_listing"));
        Assert.Empty(await StagingMarker.ReadAsync(c, "subset"));
        Assert.Empty(Directory.Exists(top) ? Directory.EnumerateFiles(top, "*", SearchOption.AllDirectories) : Array.Empty<string>());
    }

    [Fact]
    public async Task A_missing_tag_fails_clearly_before_anything_is_written()
    {
        var staging = await SubsetHarness.NewStagingAsync();
        var top = SubsetTestData.NewTempDir("subset-missing");
        using var hub = h.NewClient();
        var ex = await Assert.ThrowsAsync<StagingException>(() => new CopyKojiSubsetEngine().RunAsync(
            h.Request(hub, staging, top, new SubsetOptions { Tags = new[] { "f41", "no-such-tag" } }), EngineScope.Silent()));
        Assert.Equal("KojiTagNotFound", ex.ErrorId);
        Assert.Contains("no-such-tag", ex.Message);
        await AssertUntouchedAsync(staging, top);
    }

    [Fact]
    public async Task A_hub_that_is_down_fails_clearly_and_writes_nothing()
    {
        var staging = await SubsetHarness.NewStagingAsync();
        var top = SubsetTestData.NewTempDir("subset-down");
        using var hub = h.NewClient(new Uri("http://127.0.0.1:9/kojihub"));
        var ex = await Assert.ThrowsAsync<StagingException>(() => new CopyKojiSubsetEngine().RunAsync(h.Request(hub, staging, top, F41), EngineScope.Silent()));
        Assert.Equal(KojiHubClient.UnreachableErrorId, ex.ErrorId);
        await AssertUntouchedAsync(staging, top);
    }

    [Fact]
    public async Task A_bad_topurl_fails_on_the_first_file_and_the_database_stays_as_it_was()
    {
        var staging = await SubsetHarness.NewStagingAsync();
        var top = SubsetTestData.NewTempDir("subset-badurl");
        using var hub = h.NewClient();
        var request = h.Request(hub, staging, top, F41) with { TopUrl = new Uri(h.Emulator.BaseUrl, "no-such-root/") };
        var ex = await Assert.ThrowsAsync<StagingException>(() => new CopyKojiSubsetEngine().RunAsync(request, EngineScope.Silent()));
        Assert.Equal("SourceFileMissing", ex.ErrorId);
        await AssertUntouchedAsync(staging, top);
    }

    [Fact]
    public async Task An_unmarked_destination_is_refused_until_marked_explicitly()
    {
        var name = TestClusters.UniqueName("subset_unmarked");
        var staging = new KojiDatabaseConnection(TestClusters.Staging.ConnectionString(name));
        await KojiSchemaInstaller.CreateAsync(staging, SubsetHarness.SchemaPath, EngineScope.Silent());
        await using (var c = new NpgsqlConnection(staging.ConnectionString)) await c.ExecuteAsync($"DROP TABLE {StagingMarker.Table}");
        var top = SubsetTestData.NewTempDir("subset-unmarked");
        using var hub = h.NewClient();
        var ex = await Assert.ThrowsAsync<StagingException>(() => new CopyKojiSubsetEngine().RunAsync(h.Request(hub, staging, top, F41), EngineScope.Silent()));
        Assert.Equal("DestinationNotStaging", ex.ErrorId);
        Assert.Equal(0, hub.RoundTrips); // refused before reading prod
        // No -Force any more, -WhatIf refused too (it writes in a rolled-back transaction); the operator marks it explicitly.
        ex = await Assert.ThrowsAsync<StagingException>(() => new CopyKojiSubsetEngine().RunAsync(h.Request(hub, staging, top, F41, whatIf: true), EngineScope.Silent()));
        Assert.Equal("DestinationNotStaging", ex.ErrorId);
        await new StagingMarking().MarkAsync(staging, "test", EngineScope.Silent());
        var marked = await new CopyKojiSubsetEngine().RunAsync(h.Request(hub, staging, top, F41), EngineScope.Silent());
        Assert.NotEmpty(marked.Builds);
    }

    [Fact]
    public async Task Hub_faults_are_retried_and_the_copy_completes()
    {
        var staging = await SubsetHarness.NewStagingAsync();
        var top = SubsetTestData.NewTempDir("subset-faults");
        using var hub = h.NewClient();
        h.Emulator.InjectFaults(KojiHubFaultKind.Http500, 2);
        var result = await new CopyKojiSubsetEngine().RunAsync(h.Request(hub, staging, top, F41), EngineScope.Silent());
        Assert.True(hub.RoundTrips >= 6, $"{hub.RoundTrips} round trips: the two failed ones should count");
        await using var c = new NpgsqlConnection(staging.ConnectionString);
        await using var p = new NpgsqlConnection(h.ProdConnectionString);
        // the selected builds, and every build f41's tagging history names (legacy-tool, untagged at 166)
        Assert.Equal(await p.ExecuteScalarAsync<long>("SELECT count(DISTINCT build_id) FROM tag_listing WHERE tag_id = 1"),
            await c.ExecuteScalarAsync<long>("SELECT count(*) FROM build"));
        Assert.Equal(result.Builds.Count, await c.ExecuteScalarAsync<long>("SELECT count(DISTINCT build_id) FROM rpminfo"));
        Directory.Delete(top, true);
    }

    [Fact]
    public async Task WhatIf_reports_builds_rows_and_bytes_and_changes_nothing()
    {
        var staging = await SubsetHarness.NewStagingAsync();
        var top = SubsetTestData.NewTempDir("subset-whatif");
        using var hub = h.NewClient();
        await using var c = new NpgsqlConnection(staging.ConnectionString);
        var seqBefore = await c.ExecuteScalarAsync<long>("SELECT COALESCE(pg_sequence_last_value('build_id_seq'), 0)");
        var result = await new CopyKojiSubsetEngine().RunAsync(h.Request(hub, staging, top, F41, whatIf: true), EngineScope.Silent());
        Assert.True(result.Summary.WhatIf);
        Assert.Equal(10, result.Summary.Builds);
        Assert.Equal(10, result.Summary.BuildsCopied);
        Assert.True(result.Summary.Rows > 50, $"{result.Summary.Rows} rows");
        Assert.True(result.Summary.Bytes > 100_000, $"{result.Summary.Bytes} bytes");
        await AssertUntouchedAsync(staging, top);
        Assert.Equal(seqBefore, await c.ExecuteScalarAsync<long>("SELECT COALESCE(pg_sequence_last_value('build_id_seq'), 0)"));
    }

    [Fact]
    public async Task Filters_limit_packages_and_arches_and_an_older_event_is_refused_after_a_newer_one()
    {
        var staging = await SubsetHarness.NewStagingAsync();
        var top = SubsetTestData.NewTempDir("subset-filter");
        using var hub = h.NewClient();
        var result = await new CopyKojiSubsetEngine().RunAsync(h.Request(hub, staging, top,
            new SubsetOptions { Tags = new[] { "f41" }, Packages = new[] { "hello" }, Arches = new[] { "x86_64" } }), EngineScope.Silent());
        var build = Assert.Single(result.Builds);
        Assert.Equal("hello-2.12.1-1.fc41", build.Nvr);
        Assert.Equal(3, build.Rpms); // hello, hello-devel, hello-debuginfo: x86_64 only
        Assert.All(Directory.EnumerateFiles(top, "*.rpm", SearchOption.AllDirectories), f => Assert.EndsWith(".x86_64.rpm", f));
        var ex = await Assert.ThrowsAsync<StagingException>(() => new CopyKojiSubsetEngine().RunAsync(
            h.Request(hub, staging, top, new SubsetOptions { Tags = new[] { "f41" }, Event = 150 }), EngineScope.Silent()));
        Assert.Equal("SubsetEventBehind", ex.ErrorId);
        Directory.Delete(top, true);
    }
}
