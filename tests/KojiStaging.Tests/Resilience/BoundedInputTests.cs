using System.Diagnostics;
using System.Net;
using KojiStaging.Engine.Diagnostics;
using KojiStaging.Engine.Files;
using KojiStaging.Engine.Koji.Hub;
using KojiStaging.Engine.Resilience;
using KojiStaging.Engine.Storage.Ontap;
using Microsoft.Extensions.Logging.Abstractions;

namespace KojiStaging.Tests.Resilience;

/// <summary>
/// Issue 21, hole 5: an endless body and a silent server, for the hub client, ONTAP and file fetches. Each fails within
/// its bound with a stable id and a real category, instead of buffering without end or waiting 5 × 120 s.
/// </summary>
[Collection("Environment")]
public class BoundedInputTests
{
    [Fact]
    public void The_hub_limit_is_configurable_by_the_operator()
    {
        var old = Environment.GetEnvironmentVariable(KojiHubClientOptions.MaxResponseBytesVariable);
        try
        {
            Environment.SetEnvironmentVariable(KojiHubClientOptions.MaxResponseBytesVariable, "5000000000");
            Assert.Equal(5_000_000_000, new KojiHubClientOptions().MaxResponseBytes);
            Environment.SetEnvironmentVariable(KojiHubClientOptions.MaxResponseBytesVariable, "lots");
            Assert.Equal(KojiHubClientOptions.DefaultMaxResponseBytes, new KojiHubClientOptions().MaxResponseBytes);
        }
        finally { Environment.SetEnvironmentVariable(KojiHubClientOptions.MaxResponseBytesVariable, old); }
    }

    private const string XmlPrefix = "<?xml version='1.0'?><methodResponse><params><param><value><array><data>";
    private const string XmlPiece = "<value><string>aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa</string></value>";

    private static async Task<(StagingException Error, TimeSpan Elapsed)> FailsAsync(Func<Task> call)
    {
        var sw = Stopwatch.StartNew();
        var ex = await Assert.ThrowsAnyAsync<StagingException>(call);
        return (ex, sw.Elapsed);
    }

    [Fact]
    public async Task Hub_stops_an_endless_answer_at_its_size_limit()
    {
        Assert.Equal(1L << 30, KojiHubClientOptions.DefaultMaxResponseBytes);
        using var server = new MisbehavingServer(MisbehavingServer.Mode.Endless, "text/xml", XmlPrefix, XmlPiece);
        using var hub = new KojiHubClient(new Uri(server.BaseUri, "kojihub"), new KojiHubClientOptions { MaxResponseBytes = 4 << 20, MaxAttempts = 3 });
        var (ex, elapsed) = await FailsAsync(() => hub.CallAsync("getAPIVersion", Array.Empty<object?>(), null, default));
        Assert.Equal("KojiHubResponseTooLarge", ex.ErrorId);
        Assert.Equal(StagingErrorCategory.LimitsExceeded, ex.Category);
        Assert.Equal(1, server.Connections); // too large is not retried
        Assert.True(elapsed < TimeSpan.FromSeconds(20), $"took {elapsed}");
    }

    [Fact]
    public async Task Hub_that_never_answers_fails_within_the_whole_calls_bound()
    {
        using var server = new MisbehavingServer(MisbehavingServer.Mode.Silent);
        using var hub = new KojiHubClient(new Uri(server.BaseUri, "kojihub"), new KojiHubClientOptions
        {
            Timeout = TimeSpan.FromSeconds(1), MaxAttempts = 5, InitialBackoff = TimeSpan.FromMilliseconds(100),
            MaxBackoff = TimeSpan.FromMilliseconds(200), TotalTimeout = TimeSpan.FromSeconds(2.5),
        });
        var (ex, elapsed) = await FailsAsync(() => hub.CallAsync("getAPIVersion", Array.Empty<object?>(), null, default));
        Assert.Equal("KojiHubTimeout", ex.ErrorId);
        Assert.Equal(StagingErrorCategory.OperationTimeout, ex.Category);
        Assert.InRange(elapsed, TimeSpan.FromSeconds(2), TimeSpan.FromSeconds(6));
        Assert.InRange(server.Connections, 2, 3); // it did retry, within the bound
    }

    private static OntapRestClient Ontap(Uri uri, TimeSpan request, TimeSpan total, long max = 256L << 20) => new(new OntapConnectionOptions
    {
        Cluster = uri.ToString(), Credential = new NetworkCredential("admin", "pw"), RequestTimeout = request, TotalTimeout = total,
        MaxResponseBytes = max, RetryBaseDelay = TimeSpan.FromMilliseconds(50),
    }, NullLogger.Instance);

    [Fact]
    public async Task Ontap_stops_an_endless_answer_and_a_silent_cluster()
    {
        using (var endless = new MisbehavingServer(MisbehavingServer.Mode.Endless, "application/json", "{\"records\":[", "{\"name\":\"vol\"},"))
        using (var client = Ontap(endless.BaseUri, TimeSpan.FromSeconds(30), TimeSpan.FromSeconds(60), 4 << 20))
        {
            var (ex, elapsed) = await FailsAsync(() => client.GetAsync("/api/storage/volumes", default));
            Assert.Equal("OntapResponseTooLarge", ex.ErrorId);
            Assert.Equal(StagingErrorCategory.LimitsExceeded, ex.Category);
            Assert.True(elapsed < TimeSpan.FromSeconds(20), $"took {elapsed}");
        }
        using var silent = new MisbehavingServer(MisbehavingServer.Mode.Silent);
        using (var client = Ontap(silent.BaseUri, TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(30)))
        {
            var (ex, elapsed) = await FailsAsync(() => client.GetAsync("/api/storage/volumes", default));
            Assert.Equal("OntapUnreachable", ex.ErrorId);
            Assert.Equal(StagingErrorCategory.OperationTimeout, ex.Category);
            Assert.InRange(elapsed, TimeSpan.FromSeconds(0.9), TimeSpan.FromSeconds(5));
        }
        using (var client = Ontap(silent.BaseUri, TimeSpan.FromSeconds(30), TimeSpan.FromSeconds(1.5)))
        {
            var (ex, elapsed) = await FailsAsync(() => client.GetAsync("/api/storage/volumes", default));
            Assert.Equal("OntapTimeout", ex.ErrorId);
            Assert.Equal(StagingErrorCategory.OperationTimeout, ex.Category);
            Assert.InRange(elapsed, TimeSpan.FromSeconds(1.4), TimeSpan.FromSeconds(5));
        }
    }

    [Fact]
    public async Task File_fetches_stop_an_endless_body_and_a_silent_server()
    {
        var request = new RpmFileRequest("packages/a/1/1/noarch/a-1-1.noarch.rpm", new RpmFileExpectation("00", 1000), 1000);
        Assert.Equal(2000 + (64L << 20), RpmFileFetcher.MaxBytesFor(request));
        var dest = Directory.CreateTempSubdirectory("kojistaging-bounded-").FullName;
        try
        {
            using (var endless = new MisbehavingServer(MisbehavingServer.Mode.Endless, "application/x-rpm", "", new string('x', 4096)))
            using (var source = RpmFileSource.FromTopUrl(endless.BaseUri))
            {
                var (ex, elapsed) = await FailsAsync(() => new RpmFileFetcher(source, dest, 1) { Attempts = 3 }.FetchAllAsync(new[] { request }, EngineScope.Silent()));
                Assert.Equal("SourceFileTooLarge", ex.ErrorId);
                Assert.Equal(StagingErrorCategory.LimitsExceeded, ex.Category);
                Assert.True(elapsed < TimeSpan.FromSeconds(30), $"took {elapsed}");
                Assert.InRange(endless.BytesSent, 64L << 20, 1L << 30);
            }
            using var silent = new MisbehavingServer(MisbehavingServer.Mode.Silent);
            using (var source = RpmFileSource.FromTopUrl(silent.BaseUri, idleTimeout: TimeSpan.FromSeconds(1)))
            {
                var fetcher = new RpmFileFetcher(source, dest, 1) { Attempts = 5, FirstBackoff = TimeSpan.FromMilliseconds(50), TotalTimeout = TimeSpan.FromSeconds(2.5) };
                var (ex, elapsed) = await FailsAsync(() => fetcher.FetchAllAsync(new[] { request }, EngineScope.Silent()));
                Assert.Equal("RpmFileFetchTimeout", ex.ErrorId);
                Assert.Equal(StagingErrorCategory.OperationTimeout, ex.Category);
                Assert.InRange(elapsed, TimeSpan.FromSeconds(2.4), TimeSpan.FromSeconds(6));
                Assert.InRange(silent.Connections, 2, 3);
            }
            Assert.Empty(Directory.EnumerateFiles(dest, "*", SearchOption.AllDirectories)); // no partial file left behind
        }
        finally { Directory.Delete(dest, true); }
    }

    [Fact]
    public async Task The_policy_retries_transient_failures_with_jitter_and_passes_others_at_once()
    {
        var delays = new List<TimeSpan>();
        var settings = new RetrySettings { MaxAttempts = 4, InitialBackoff = TimeSpan.FromMilliseconds(10), MaxBackoff = TimeSpan.FromMilliseconds(50) };
        var calls = 0;
        var result = await RetryPolicy.ExecuteAsync(settings, e => e is IOException, (n, _) =>
        {
            calls++;
            return n < 4 ? throw new IOException("flaky") : Task.FromResult(n);
        }, r => delays.Add(r.Delay), default);
        Assert.Equal(4, result);
        Assert.Equal(3, delays.Count);
        Assert.All(delays, d => Assert.InRange(d, TimeSpan.Zero, TimeSpan.FromMilliseconds(50)));
        calls = 0;
        await Assert.ThrowsAsync<InvalidDataException>(() => RetryPolicy.ExecuteAsync<int>(settings, e => e is IOException,
            (_, _) => { calls++; throw new InvalidDataException("bad"); }, null, default));
        Assert.Equal(1, calls);
    }
}
