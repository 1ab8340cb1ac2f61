using Dapper;
using KojiStaging.Engine.Diagnostics;
using KojiStaging.Engine.Koji.Subset;
using KojiStaging.Tests.Infrastructure;
using KojiStaging.TestServices.KojiHub;
using Npgsql;

namespace KojiStaging.Tests.Subset;

/// <summary>
/// The snapshotter at Fedora's shape and a size the fixture cannot show: a prod of 1,000 builds of 16 signed
/// RPMs in one tag, behind the emulated hub with Koji's default 4 MiB request limit.
/// </summary>
public class SubsetScaleTests(SubsetHarness h, Xunit.Abstractions.ITestOutputHelper output) : IClassFixture<SubsetHarness>
{
    [Fact]
    public async Task A_thousand_builds_of_sixteen_signed_rpms_take_at_most_five_hub_round_trips()
    {
        var prod = TestClusters.Prod.CreateFixtureDatabase(TestClusters.UniqueName("subset_scale"));
        var tag = SyntheticKojiTag.Add(prod, "synth-f99", builds: 1000, rpmsPerBuild: 16);
        await using var hub = await KojiHubEmulator.StartAsync(new KojiHubEmulatorOptions { ConnectionString = prod });
        var staging = await SubsetHarness.NewStagingAsync("subset_scale_stg");
        using var client = h.NewClient(hub.HubUrl);

        var result = await new CopyKojiSubsetEngine().RunAsync(h.Request(client, staging, SubsetTestData.NewTempDir("subset-scale"),
            new SubsetOptions { Tags = new[] { tag.Tag }, SigKeys = new[] { "5eedf00d" } }, whatIf: true), EngineScope.Silent());

        output.WriteLine($"1,000 builds x 16 RPMs: {result.Summary.RoundTrips} round trips, largest request {hub.LargestRequest:N0} bytes, {result.Summary.Rows:N0} rows, {result.Summary.Duration.TotalSeconds:F1} s");
        Assert.Equal(1000, result.Summary.Builds);
        Assert.Equal(tag.Event, result.Summary.Event);
        Assert.Equal(48_000, result.Summary.Files); // every RPM, its signed copy and its cached signature header
        Assert.Equal(16_000, hub.CallCount("queryRPMSigs"));
        Assert.Equal(16_000, hub.CallCount("getRPMChecksums"));
        // The event; tags, listTaggedRPMS and reference tables; 1,000 getBuild + 16,000 queryRPMSigs + history (about 3.4 MB,
        // inside one 4 MiB request); users and 16,000 getRPMChecksums (one or two requests). The target is at most 5 per 1,000 builds.
        Assert.InRange(result.Summary.RoundTrips, 4, 5);
        Assert.Equal(result.Summary.RoundTrips, hub.RoundTrips);

        // -WhatIf wrote nothing, though the rows went through the writer in a rolled-back transaction.
        await using var c = new NpgsqlConnection(staging.ConnectionString);
        Assert.Equal(0, await c.ExecuteScalarAsync<long>("SELECT count(*) FROM rpminfo"));
    }
}
