using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;
using KojiStaging.Engine.Koji.XmlRpc;
using KojiStaging.Engine.Diagnostics;
using KojiStaging.Engine.Koji.Hub;
using KojiStaging.TestServices.KojiHub;

namespace KojiStaging.Tests.Koji;

/// <summary>The client against the loopback hub emulator: multiCall batching, per-call faults, retries, cancellation.</summary>
public class KojiHubClientTests(KojiHubEmulatorFixture fixture) : IClassFixture<KojiHubEmulatorFixture>, IDisposable
{
    private static readonly KojiHubClientOptions Fast = new()
    {
        InitialBackoff = TimeSpan.FromMilliseconds(20),
        MaxBackoff = TimeSpan.FromMilliseconds(100),
        MaxAttempts = 4,
        Timeout = TimeSpan.FromSeconds(10),
    };


    public void Dispose()
    {
        fixture.Hub.ClearFaults();
        fixture.Hub.ResetCounters();
    }

    [Fact]
    public async Task MultiCall_splits_into_batches_and_keeps_order_and_per_call_faults()
    {
        fixture.Hub.ResetCounters();
        using var client = new KojiHubClient(fixture.Hub.HubUrl, Fast with { MultiCallBatchSize = 10 });
        var calls = Enumerable.Range(1, 24).Select(id => new KojiCall("getBuild", new object?[] { id })).ToList();
        calls.Insert(12, new KojiCall("getTag", new object?[] { "no-such-tag" }, new Dictionary<string, object?> { ["strict"] = true }));
        var results = await client.MultiCallAsync(calls, default);

        Assert.Equal(25, results.Count);
        Assert.Equal(3, client.RoundTrips); // 25 calls in batches of 10
        Assert.Equal(3, fixture.Hub.RoundTrips);
        Assert.Equal(24, fixture.Hub.CallCount("getBuild"));
        for (var i = 0; i < 25; i++)
        {
            if (i == 12)
            {
                var fault = Assert.IsType<KojiGenericErrorException>(results[i].Fault);
                Assert.Equal("KojiGenericError", fault.ErrorId);
                Assert.Contains("no-such-tag", fault.FaultString);
                Assert.Throws<KojiGenericErrorException>(() => results[i].GetValueOrThrow());
                continue;
            }
            Assert.Null(results[i].Fault);
            var build = Assert.IsType<Dictionary<string, object?>>(results[i].Value);
            Assert.Equal(i < 12 ? i + 1 : i, build["id"]);
        }
        Assert.Empty(await client.MultiCallAsync(Array.Empty<KojiCall>(), default));
        Assert.Equal(3, client.RoundTrips);
    }

    [Fact]
    public async Task Thousand_builds_need_two_round_trips_with_the_default_batch_size()
    {
        using var client = new KojiHubClient(fixture.Hub.HubUrl, Fast);
        var calls = Enumerable.Range(0, 1000).Select(i => new KojiCall("getBuild", new object?[] { i % 24 + 1 })).ToList();
        var results = await client.MultiCallAsync(calls, default);
        Assert.Equal(2, client.RoundTrips);
        Assert.All(results, r => Assert.Null(r.Fault));
    }

    [Fact]
    public async Task Batches_are_packed_up_to_the_request_byte_limit_not_a_call_count()
    {
        // queryRPMSigs(rpm_id) positional, as Copy-KojiSubset sends it: about 200 bytes a call.
        fixture.Hub.ResetCounters();
        const int limit = 256 * 1024;
        var calls = Enumerable.Range(0, 4000).Select(i => new KojiCall("queryRPMSigs", new object?[] { i % 50 + 1 })).ToList();
        using var client = new KojiHubClient(fixture.Hub.HubUrl, Fast with { MultiCallBatchSize = int.MaxValue, MaxRequestBytes = limit });
        var results = await client.MultiCallAsync(calls, default);

        var whole = Encoding.UTF8.GetByteCount(XmlRpcWriter.MethodCall("multiCall", new object?[] { calls.Select(c =>
            new Dictionary<string, object?> { ["methodName"] = c.Method, ["params"] = c.Args }).ToArray() }));
        Assert.Equal((whole + limit - 1) / limit, client.RoundTrips); // as few as the limit allows
        Assert.InRange(fixture.Hub.LargestRequest, limit - 1024, limit);
        Assert.Equal(4000, fixture.Hub.CallCount("queryRPMSigs"));
        Assert.All(results, r => Assert.Null(r.Fault));
        Assert.Equal(((object?[])results[0].Value!).Length, ((object?[])results[50].Value!).Length);
    }

    [Fact]
    public async Task A_hub_with_a_lower_MaxRequestLength_gets_halved_batches_and_every_answer_in_order()
    {
        await using var strict = await KojiHubEmulator.StartAsync(new KojiHubEmulatorOptions { ConnectionString = fixture.ConnectionString, MaxRequestLength = 20_000 });
        using var client = new KojiHubClient(strict.HubUrl, Fast with { MultiCallBatchSize = int.MaxValue, MaxRequestBytes = 50_000 });
        var calls = Enumerable.Range(0, 600).Select(i => new KojiCall("getBuild", new object?[] { i % 24 + 1 })).ToList();
        var results = await client.MultiCallAsync(calls, default);
        Assert.Equal(600, strict.CallCount("getBuild"));
        for (var i = 0; i < 600; i++) Assert.Equal(i % 24 + 1, ((Dictionary<string, object?>)results[i].Value!)["id"]);
        // The client remembers the limit it learnt: the same calls again go in batches the hub accepts at once.
        var first = strict.RoundTrips;
        await client.MultiCallAsync(calls, default);
        var second = strict.RoundTrips - first;
        Assert.Equal(1200, strict.CallCount("getBuild"));
        Assert.True(second < first, $"second run took {second} round trips, the first {first}");
        Assert.Equal(second, client.RoundTrips - first);
        using var single = new KojiHubClient(strict.HubUrl, Fast with { MaxRequestBytes = 50_000 });
        var whole = await Assert.ThrowsAsync<KojiGenericErrorException>(() =>
            single.CallAsync("getBuild", new object?[] { new string('x', 30_000) }, null, default));
        Assert.Equal("Request too long", whole.FaultString);
    }

    [Theory]
    [InlineData(KojiHubFaultKind.Http500)]
    [InlineData(KojiHubFaultKind.Drop)]
    [InlineData(KojiHubFaultKind.ServerOffline)]
    public async Task Reads_recover_from_transient_faults(KojiHubFaultKind kind)
    {
        using var client = new KojiHubClient(fixture.Hub.HubUrl, Fast);
        fixture.Hub.InjectFaults(kind, count: 2);
        var (id, _) = await client.GetLastEventAsync(default);
        Assert.Equal(166, id);
        Assert.Equal(3, client.RoundTrips);
    }

    [Fact]
    public async Task A_slow_answer_times_out_and_is_retried()
    {
        using var client = new KojiHubClient(fixture.Hub.HubUrl, Fast with { Timeout = TimeSpan.FromMilliseconds(300) });
        fixture.Hub.InjectFaults(KojiHubFaultKind.Delay, count: 1, delay: TimeSpan.FromSeconds(3));
        Assert.Equal(1, await client.GetApiVersionAsync(default));
        Assert.Equal(2, client.RoundTrips);
    }

    [Fact]
    public async Task Multicall_batches_are_retried_too()
    {
        using var client = new KojiHubClient(fixture.Hub.HubUrl, Fast with { MultiCallBatchSize = 2 });
        fixture.Hub.InjectFaults(KojiHubFaultKind.Http500, count: 1);
        var results = await client.MultiCallAsync(new[]
        {
            new KojiCall("getTag", new object?[] { "f41" }),
            new KojiCall("getTag", new object?[] { "f42" }),
            new KojiCall("getAPIVersion", Array.Empty<object?>()),
        }, default);
        Assert.Equal(new object?[] { "f41", "f42" }, results.Take(2).Select(r => ((Dictionary<string, object?>)r.Value!)["name"]));
        Assert.Equal(1, results[2].Value);
        Assert.Equal(3, client.RoundTrips);
    }

    [Fact]
    public async Task It_gives_up_with_KojiHubUnreachable_after_the_last_attempt()
    {
        using var client = new KojiHubClient(fixture.Hub.HubUrl, Fast);
        fixture.Hub.InjectFaults(KojiHubFaultKind.Http500, count: 10);
        var ex = await Assert.ThrowsAsync<StagingException>(() => client.GetLastEventAsync(default));
        Assert.Equal("KojiHubUnreachable", ex.ErrorId);
        Assert.Equal(StagingErrorCategory.ConnectionError, ex.Category);
        Assert.Contains("HTTP 500", ex.Message);
        Assert.Equal(4, client.RoundTrips);
    }

    [Fact]
    public async Task Writes_are_not_retried()
    {
        using var client = new KojiHubClient(fixture.Hub.HubUrl, Fast);
        fixture.Hub.InjectFaults(KojiHubFaultKind.Http500, count: 3);
        var ex = await Assert.ThrowsAsync<StagingException>(() => client.CallAsync("tagBuild", new object?[] { "f41", 1 }, null, default));
        Assert.Equal("KojiHubUnreachable", ex.ErrorId);
        Assert.Equal(1, client.RoundTrips);
        fixture.Hub.ClearFaults();
    }

    [Fact]
    public async Task Server_offline_is_a_typed_fault_when_retries_are_exhausted_for_writes()
    {
        using var client = new KojiHubClient(fixture.Hub.HubUrl, Fast);
        fixture.Hub.InjectFaults(KojiHubFaultKind.ServerOffline, count: 1);
        var ex = await Assert.ThrowsAsync<KojiServerOfflineException>(() => client.CallAsync("tagBuild", new object?[] { "f41", 1 }, null, default));
        Assert.Equal(1014, ex.FaultCode);
        Assert.Equal("KojiServerOffline", ex.ErrorId);
    }

    [Fact]
    public async Task Faults_are_not_retried_and_keep_their_type()
    {
        using var client = new KojiHubClient(fixture.Hub.HubUrl, Fast);
        var ex = await Assert.ThrowsAsync<KojiParameterErrorException>(() =>
            client.CallAsync("getTag", new object?[] { "f41" }, new Dictionary<string, object?> { ["bogus"] = 1 }, default));
        Assert.Equal(1019, ex.FaultCode);
        Assert.Equal(1, client.RoundTrips);
    }

    [Fact]
    public async Task Cancellation_stops_a_call_waiting_for_an_answer_and_the_backoff()
    {
        using var client = new KojiHubClient(fixture.Hub.HubUrl, Fast with { Timeout = TimeSpan.FromSeconds(30) });
        fixture.Hub.InjectFaults(KojiHubFaultKind.Delay, count: 1, delay: TimeSpan.FromSeconds(20));
        using var cts = new CancellationTokenSource(TimeSpan.FromMilliseconds(300));
        var sw = Stopwatch.StartNew();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => client.GetLastEventAsync(cts.Token));
        Assert.True(sw.Elapsed < TimeSpan.FromSeconds(5), $"took {sw.Elapsed}");

        using var slowRetry = new KojiHubClient(fixture.Hub.HubUrl, Fast with { InitialBackoff = TimeSpan.FromSeconds(30), MaxBackoff = TimeSpan.FromSeconds(30) });
        fixture.Hub.InjectFaults(KojiHubFaultKind.Http500, count: 1);
        using var cts2 = new CancellationTokenSource(TimeSpan.FromMilliseconds(300));
        sw.Restart();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => slowRetry.GetLastEventAsync(cts2.Token));
        Assert.True(sw.Elapsed < TimeSpan.FromSeconds(5), $"took {sw.Elapsed}");
        fixture.Hub.ClearFaults();
    }

    [Fact]
    public async Task A_url_that_is_not_a_hub_is_a_protocol_error_without_retries()
    {
        using var notFound = new KojiHubClient(new Uri(fixture.Hub.BaseUrl, "nothing-here"), Fast);
        var ex = await Assert.ThrowsAsync<StagingException>(() => notFound.GetLastEventAsync(default));
        Assert.Equal("KojiHubProtocolError", ex.ErrorId);
        Assert.Contains("404", ex.Message);
        Assert.Equal(1, notFound.RoundTrips);

        using var html = new KojiHubClient(new Uri(fixture.Hub.BaseUrl, "_emulator/html"), Fast);
        var ex2 = await Assert.ThrowsAsync<StagingException>(() => html.GetLastEventAsync(default));
        Assert.Equal("KojiHubProtocolError", ex2.ErrorId);
    }

    [Fact]
    public async Task A_hub_that_is_down_is_unreachable_after_bounded_attempts()
    {
        var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop(); // nothing listens there now
        using var client = new KojiHubClient(new Uri($"http://127.0.0.1:{port}/kojihub"), Fast with { MaxAttempts = 3 });
        var ex = await Assert.ThrowsAsync<StagingException>(() => client.GetLastEventAsync(default));
        Assert.Equal("KojiHubUnreachable", ex.ErrorId);
        Assert.Equal(3, client.RoundTrips);
        Assert.NotNull(ex.RecommendedAction);
    }

    [Fact]
    public void A_hub_url_that_is_not_http_is_refused()
    {
        var ex = Assert.Throws<StagingException>(() => new KojiHubClient(new Uri("ftp://koji.example.org/kojihub")));
        Assert.Equal("KojiHubInvalidUrl", ex.ErrorId);
        Assert.Equal(StagingErrorCategory.InvalidArgument, ex.Category);
        Assert.Equal("KojiHubInvalidUrl", Assert.Throws<StagingException>(() => KojiHubClient.ParseHubUrl("koji.example.org")).ErrorId);
        Assert.Equal("KojiHubInvalidUrl", Assert.Throws<StagingException>(() => KojiHubClient.ParseHubUrl("")).ErrorId);
        Assert.Equal("https://koji.example.org/kojihub", KojiHubClient.ParseHubUrl(" https://koji.example.org/kojihub ").ToString());
    }

    [Fact]
    public async Task Logs_and_messages_do_not_carry_url_credentials()
    {
        var withSecret = new UriBuilder(fixture.Hub.HubUrl) { UserName = "alice", Password = "s3cret" }.Uri;
        using var client = new KojiHubClient(withSecret, Fast with { MaxAttempts = 1 });
        Assert.DoesNotContain("s3cret", client.HubDisplay);
        fixture.Hub.InjectFaults(KojiHubFaultKind.Http500, count: 1);
        var ex = await Assert.ThrowsAsync<StagingException>(() => client.GetLastEventAsync(default));
        Assert.DoesNotContain("s3cret", ex.Message);
    }

}
