using System.Collections.Concurrent;
using System.Net;
using System.Text;
using KojiStaging.Engine.Koji.XmlRpc;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.FileProviders;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace KojiStaging.TestServices.KojiHub;

/// <summary>What the next round trips of the emulated hub do instead of (or before) answering.</summary>
public enum KojiHubFaultKind
{
    /// <summary>HTTP 500 with a text body.</summary>
    Http500,
    /// <summary>The connection is aborted before any answer.</summary>
    Drop,
    /// <summary>The answer is held back for the given delay, then sent normally.</summary>
    Delay,
    /// <summary>Koji fault 1014 (ServerOffline) with HTTP 200, as a hub in maintenance answers.</summary>
    ServerOffline,
}

public sealed record KojiHubEmulatorOptions
{
    /// <summary>Npgsql connection string of a database holding a Koji schema (e.g. the fixture).</summary>
    public required string ConnectionString { get; init; }
    /// <summary>Served read-only under /kojifiles/ (a Koji topdir); null = no file serving.</summary>
    public string? TopDir { get; init; }
    public string KojiVersion { get; init; } = "1.35.3";
    /// <summary>hub.conf MaxRequestLength: a longer request body is answered with GenericError "Request too long".</summary>
    public int MaxRequestLength { get; init; } = 4194304;
    public int Port { get; init; }
}

/// <summary>
/// A loopback Koji hub: XML-RPC at /kojihub answered from a Koji database (see <see cref="KojiHubMethods"/>),
/// the topdir at /kojifiles/, fault injection and counters for tests. Control endpoints for out-of-process
/// users (Pester): POST /_emulator/faults?kind=Http500&amp;count=2&amp;delayMs=…, GET /_emulator/stats,
/// POST /_emulator/reset; GET /_emulator/html answers an HTML page (a "not a hub" URL for tests).
/// </summary>
public sealed class KojiHubEmulator : IAsyncDisposable, IDisposable
{
    private readonly WebApplication _app;
    private readonly NpgsqlDataSource _db;
    private readonly KojiHubEmulatorOptions _options;
    private readonly ConcurrentQueue<(KojiHubFaultKind Kind, TimeSpan Delay)> _faults = new();
    private readonly ConcurrentDictionary<string, int> _calls = new(StringComparer.Ordinal);
    private int _roundTrips;
    private int _stopped;

    private KojiHubEmulator(WebApplication app, NpgsqlDataSource db, KojiHubEmulatorOptions options)
    {
        _app = app;
        _db = db;
        _options = options;
    }

    public Uri BaseUrl { get; private set; } = null!;
    public Uri HubUrl => new(BaseUrl, "kojihub");
    /// <summary>The topurl (ends with '/'), or null without a topdir.</summary>
    public Uri? TopUrl => _options.TopDir is null ? null : new Uri(BaseUrl, "kojifiles/");
    public string? TopDir => _options.TopDir;
    /// <summary>HTTP requests to /kojihub (each multiCall is one).</summary>
    public int RoundTrips => Volatile.Read(ref _roundTrips);
    /// <summary>Calls answered per method, the calls inside multiCalls included.</summary>
    public IReadOnlyDictionary<string, int> Calls => new Dictionary<string, int>(_calls);
    public int CallCount(string method) => _calls.GetValueOrDefault(method);
    /// <summary>The longest request body read so far (bytes).</summary>
    public long LargestRequest => Interlocked.Read(ref _largestRequest);
    private long _largestRequest;

    public static async Task<KojiHubEmulator> StartAsync(KojiHubEmulatorOptions options)
    {
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { ContentRootPath = AppContext.BaseDirectory });
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(k => k.Listen(IPAddress.Loopback, options.Port));
        var app = builder.Build();
        var pooled = new NpgsqlConnectionStringBuilder(options.ConnectionString) { Pooling = true, MaxPoolSize = 20 }.ConnectionString;
        var emulator = new KojiHubEmulator(app, NpgsqlDataSource.Create(pooled), options);
        if (options.TopDir is not null)
            app.UseStaticFiles(new StaticFileOptions
            {
                FileProvider = new PhysicalFileProvider(Path.GetFullPath(options.TopDir)),
                RequestPath = "/kojifiles",
                ServeUnknownFileTypes = true,
                DefaultContentType = "application/octet-stream",
            });
        app.MapPost("/kojihub", emulator.HandleAsync);
        app.MapPost("/_emulator/faults", (HttpContext ctx) =>
        {
            var q = ctx.Request.Query;
            var kind = Enum.Parse<KojiHubFaultKind>(q["kind"].ToString(), ignoreCase: true);
            var count = int.TryParse(q["count"], out var c) ? c : 1;
            var delay = TimeSpan.FromMilliseconds(int.TryParse(q["delayMs"], out var d) ? d : 0);
            emulator.InjectFaults(kind, count, delay);
            return Results.Ok();
        });
        app.MapGet("/_emulator/stats", () => Results.Json(new { emulator.RoundTrips, Calls = emulator.Calls }));
        app.MapPost("/_emulator/reset", () => { emulator.ResetCounters(); return Results.Ok(); });
        app.MapGet("/_emulator/html", () => Results.Content("<html><body>Not a hub</body></html>", "text/html"));
        app.MapPost("/_emulator/html", () => Results.Content("<html><body>Not a hub</body></html>", "text/html"));
        await app.StartAsync().ConfigureAwait(false);
        emulator.BaseUrl = new Uri(app.Urls.First().TrimEnd('/') + "/");
        return emulator;
    }

    /// <summary>The next <paramref name="count"/> round trips to /kojihub fail (or wait) as <paramref name="kind"/> says.</summary>
    public void InjectFaults(KojiHubFaultKind kind, int count = 1, TimeSpan? delay = null)
    {
        for (var i = 0; i < count; i++) _faults.Enqueue((kind, delay ?? TimeSpan.FromSeconds(5)));
    }

    public void ClearFaults() => _faults.Clear();

    public void ResetCounters()
    {
        Interlocked.Exchange(ref _roundTrips, 0);
        Interlocked.Exchange(ref _largestRequest, 0);
        _calls.Clear();
    }

    private async Task HandleAsync(HttpContext ctx)
    {
        Interlocked.Increment(ref _roundTrips);
        if (_faults.TryDequeue(out var fault))
        {
            switch (fault.Kind)
            {
                case KojiHubFaultKind.Http500:
                    ctx.Response.StatusCode = 500;
                    await ctx.Response.WriteAsync("Internal Server Error (injected)").ConfigureAwait(false);
                    return;
                case KojiHubFaultKind.Drop:
                    ctx.Abort();
                    return;
                case KojiHubFaultKind.Delay:
                    try { await Task.Delay(fault.Delay, ctx.RequestAborted).ConfigureAwait(false); }
                    catch (OperationCanceledException) { return; }
                    break;
                case KojiHubFaultKind.ServerOffline:
                    await WriteAsync(ctx, XmlRpcWriter.Fault(1014, "Server disabled for maintenance (injected)")).ConfigureAwait(false);
                    return;
            }
        }
        string body;
        try
        {
            var request = await ReadBodyAsync(ctx.Request.Body, ctx.RequestAborted).ConfigureAwait(false);
            var (method, ps) = await XmlRpcReader.ReadMethodCallAsync(request, ctx.RequestAborted).ConfigureAwait(false);
            body = await AnswerAsync(method, ps).ConfigureAwait(false);
        }
        catch (KojiStaging.Engine.Diagnostics.StagingException ex)
        {
            body = XmlRpcWriter.Fault(1000, ex.Message);
        }
        catch (HubFaultException f)
        {
            body = XmlRpcWriter.Fault(f.Code, f.Message);
        }
        await WriteAsync(ctx, body).ConfigureAwait(false);
    }

    /// <summary>The request body, read in chunks and counted as kojixmlrpc._read_request does.</summary>
    private async Task<MemoryStream> ReadBodyAsync(Stream body, CancellationToken ct)
    {
        var buffer = new MemoryStream();
        var chunk = new byte[8192];
        int n;
        while ((n = await body.ReadAsync(chunk, ct).ConfigureAwait(false)) > 0)
        {
            if (buffer.Length + n > _options.MaxRequestLength) throw HubFaultException.Generic("Request too long");
            buffer.Write(chunk, 0, n);
        }
        long seen;
        while (buffer.Length > (seen = Interlocked.Read(ref _largestRequest)) && Interlocked.CompareExchange(ref _largestRequest, buffer.Length, seen) != seen) { }
        buffer.Position = 0;
        return buffer;
    }

    private async Task<string> AnswerAsync(string method, object?[] ps)
    {
        await using var conn = await _db.OpenConnectionAsync().ConfigureAwait(false);
        await using var tx = await conn.BeginTransactionAsync(System.Data.IsolationLevel.RepeatableRead).ConfigureAwait(false);
        var methods = new KojiHubMethods(conn, _options.KojiVersion);
        try
        {
            if (method != "multiCall")
            {
                Count(method);
                return XmlRpcWriter.Response(await methods.CallAsync(method, ps).ConfigureAwait(false));
            }
            Count(method);
            if (ps.Length != 1 || ps[0] is not object?[] calls)
                throw HubFaultException.Parameter("multiCall() takes exactly one argument: a list of calls");
            var results = new object?[calls.Length];
            for (var i = 0; i < calls.Length; i++)
            {
                try
                {
                    if (calls[i] is not Dictionary<string, object?> call || call.GetValueOrDefault("methodName") is not string name)
                        throw HubFaultException.Generic("Invalid call in multiCall");
                    if (name == "multiCall") throw HubFaultException.Generic("multicall cannot be nested");
                    Count(name);
                    var callParams = call.GetValueOrDefault("params") as object?[] ?? Array.Empty<object?>();
                    results[i] = new object?[] { await methods.CallAsync(name, callParams).ConfigureAwait(false) };
                }
                catch (HubFaultException f)
                {
                    results[i] = new Dictionary<string, object?>
                    {
                        ["faultCode"] = f.Code,
                        ["faultString"] = f.Message,
                        ["traceback"] = new object?[]
                        {
                            "Traceback (most recent call last):\n",
                            "  File \"KojiHubEmulator\", in multiCall\n",
                            $"koji.{f.KojiClass}: {f.Message}\n",
                        },
                    };
                }
            }
            return XmlRpcWriter.Response(results);
        }
        catch (HubFaultException f)
        {
            return XmlRpcWriter.Fault(f.Code, f.Message);
        }
        catch (PostgresException ex)
        {
            return XmlRpcWriter.Fault(1000, $"database error in the emulator: {ex.MessageText}");
        }
    }

    private void Count(string method) => _calls.AddOrUpdate(method, 1, (_, n) => n + 1);

    private async Task WriteAsync(HttpContext ctx, string body)
    {
        var bytes = Encoding.UTF8.GetBytes(body);
        ctx.Response.StatusCode = 200;
        ctx.Response.ContentType = "text/xml";
        ctx.Response.ContentLength = bytes.Length;
        ctx.Response.Headers["Koji-Version"] = _options.KojiVersion;
        await ctx.Response.Body.WriteAsync(bytes).ConfigureAwait(false);
    }

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _stopped, 1) != 0) return;
        await _app.StopAsync().ConfigureAwait(false);
        await _app.DisposeAsync().ConfigureAwait(false);
        await _db.DisposeAsync().ConfigureAwait(false);
    }

    public void Dispose() => DisposeAsync().AsTask().GetAwaiter().GetResult();
}
