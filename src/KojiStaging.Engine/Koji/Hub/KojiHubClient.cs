using System.Net.Http.Headers;
using System.Text;
using KojiStaging.Engine.Diagnostics;
using KojiStaging.Engine.Koji.XmlRpc;
using KojiStaging.Engine.Resilience;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace KojiStaging.Engine.Koji.Hub;

/// <summary>Settings of <see cref="KojiHubClient"/>.</summary>
public sealed record KojiHubClientOptions
{
    /// <summary>Time allowed for one HTTP round trip (request and the whole response body).</summary>
    public TimeSpan Timeout { get; init; } = TimeSpan.FromSeconds(120);
    /// <summary>Attempts per call for idempotent reads (1 = no retry).</summary>
    public int MaxAttempts { get; init; } = 5;
    /// <summary>Wait before the second attempt; grows exponentially (with jitter, <see cref="RetryPolicy"/>) up to <see cref="MaxBackoff"/>.</summary>
    public TimeSpan InitialBackoff { get; init; } = TimeSpan.FromMilliseconds(500);
    public TimeSpan MaxBackoff { get; init; } = TimeSpan.FromSeconds(15);
    /// <summary>Bound on one call with all its attempts and waits: a hub that accepts and never answers fails within it ("KojiHubTimeout").</summary>
    public TimeSpan TotalTimeout { get; init; } = TimeSpan.FromMinutes(5);
    /// <summary>Largest response body read, counted while streaming (after decompression): "KojiHubResponseTooLarge" beyond it.</summary>
    public long MaxResponseBytes { get; init; } = ResponseLimitFromEnvironment();
    public const long DefaultMaxResponseBytes = 1L << 30;
    /// <summary>The operator's setting for every hub client of a run (bytes; for a hub whose answers really are larger).</summary>
    public const string MaxResponseBytesVariable = "KOJISTAGING_HUB_MAX_RESPONSE_BYTES";

    private static long ResponseLimitFromEnvironment() =>
        long.TryParse(Environment.GetEnvironmentVariable(MaxResponseBytesVariable), out var v) && v >= 1024 ? v : DefaultMaxResponseBytes;
    /// <summary>Most calls per multiCall round trip; longer lists are split.</summary>
    public int MultiCallBatchSize { get; init; } = 500;
    /// <summary>
    /// Largest request body sent. Koji's hub refuses longer ones with "Request too long" (hub.conf
    /// MaxRequestLength, 4 MiB by default); a hub configured lower makes the client halve its batches.
    /// </summary>
    public int MaxRequestBytes { get; init; } = DefaultMaxRequestBytes;
    public const int DefaultMaxRequestBytes = 4 * 1024 * 1024;

    /// <summary>For bulk reads (Copy-KojiSubset): batches limited by request size alone, so a stage is one round trip where it fits.</summary>
    public static KojiHubClientOptions BulkRead { get; } = new() { MultiCallBatchSize = 100_000 };
}

/// <summary>
/// The Koji hub client: anonymous XML-RPC over HTTP(S) with Koji's wire extensions, multiCall batching,
/// and retries with exponential backoff for idempotent reads (get*/list*/query*/… and multiCalls made
/// only of those) on timeouts, connection failures, HTTP 5xx and ServerOffline (fault 1014). It gives up
/// with "KojiHubUnreachable" after <see cref="KojiHubClientOptions.MaxAttempts"/>; an answer that is not
/// XML-RPC (HTTP 404, HTML, …) fails at once with "KojiHubProtocolError". Thread-safe.
/// </summary>
public sealed class KojiHubClient : IKojiHub, IDisposable
{
    public const string UnreachableErrorId = "KojiHubUnreachable";
    private static readonly string[] IdempotentPrefixes =
        { "get", "list", "query", "has", "check", "count", "search", "echo", "show", "_listapi", "system.", "filterResults" };

    private readonly HttpClient _http;
    private readonly bool _ownsHttp;
    private readonly ILogger _log;
    private int _roundTrips;
    private string? _kojiVersion;

    public KojiHubClient(Uri hub, KojiHubClientOptions? options = null, ILogger? logger = null)
        : this(hub, new HttpClient(new SocketsHttpHandler { PooledConnectionLifetime = TimeSpan.FromMinutes(5), AutomaticDecompression = System.Net.DecompressionMethods.All })
        { Timeout = System.Threading.Timeout.InfiniteTimeSpan }, options, logger, ownsHttp: true) { }

    /// <param name="http">Used as given (its own Timeout should be infinite: the client applies <see cref="KojiHubClientOptions.Timeout"/>).</param>
    public KojiHubClient(Uri hub, HttpClient http, KojiHubClientOptions? options = null, ILogger? logger = null)
        : this(hub, http, options, logger, ownsHttp: false) { }

    private KojiHubClient(Uri hub, HttpClient http, KojiHubClientOptions? options, ILogger? logger, bool ownsHttp)
    {
        ArgumentNullException.ThrowIfNull(hub);
        if (!hub.IsAbsoluteUri || (hub.Scheme != Uri.UriSchemeHttp && hub.Scheme != Uri.UriSchemeHttps))
            throw new StagingException("KojiHubInvalidUrl", StagingErrorCategory.InvalidArgument,
                $"'{hub}' is not an http(s) URL of a Koji hub (e.g. https://koji.example.org/kojihub)", hub.ToString());
        Hub = hub;
        Options = options ?? new KojiHubClientOptions();
        if (Options.MaxAttempts < 1 || Options.MultiCallBatchSize < 1 || Options.MaxRequestBytes < 1024 || Options.MaxResponseBytes < 1024
            || Options.TotalTimeout <= TimeSpan.Zero)
            throw new ArgumentOutOfRangeException(nameof(options), "MaxAttempts and MultiCallBatchSize must be at least 1, MaxRequestBytes and MaxResponseBytes at least 1024, TotalTimeout positive");
        _http = http;
        _ownsHttp = ownsHttp;
        _log = logger ?? NullLogger.Instance;
        HubDisplay = new UriBuilder(hub) { UserName = "", Password = "", Query = "" }.Uri.ToString();
    }

    public Uri Hub { get; }
    public KojiHubClientOptions Options { get; }
    /// <summary>The hub URL without user info or query (safe to print).</summary>
    public string HubDisplay { get; }
    public int RoundTrips => Volatile.Read(ref _roundTrips);
    public string? KojiVersion => Volatile.Read(ref _kojiVersion);

    public Task<object?> CallAsync(string method, IReadOnlyList<object?> args, IReadOnlyDictionary<string, object?>? kwargs, CancellationToken ct)
    {
        ArgumentException.ThrowIfNullOrEmpty(method);
        var body = XmlRpcWriter.MethodCall(method, XmlRpcWriter.EncodeArgs(args ?? Array.Empty<object?>(), kwargs));
        return SendAsync(method, body, IsIdempotent(method), ct);
    }

    /// <summary>
    /// The calls in as few round trips as the limits allow: batches of at most
    /// <see cref="KojiHubClientOptions.MultiCallBatchSize"/> calls and <see cref="KojiHubClientOptions.MaxRequestBytes"/>
    /// bytes. A batch the hub refuses as too long is split in two and sent again, and later batches stay below it.
    /// </summary>
    public async Task<IReadOnlyList<KojiCallResult>> MultiCallAsync(IReadOnlyList<KojiCall> calls, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(calls);
        var results = new KojiCallResult[calls.Count];
        var encoded = new string[calls.Count];
        var sizes = new int[calls.Count];
        for (var i = 0; i < calls.Count; i++)
        {
            var c = calls[i];
            encoded[i] = XmlRpcWriter.EncodeValue(new Dictionary<string, object?>(StringComparer.Ordinal)
            {
                ["methodName"] = c.Method,
                ["params"] = XmlRpcWriter.EncodeArgs(c.Args ?? Array.Empty<object?>(), c.Kwargs),
            });
            sizes[i] = Encoding.UTF8.GetByteCount(encoded[i]);
        }
        var start = 0;
        while (start < calls.Count)
        {
            var budget = Math.Min(Options.MaxRequestBytes, Volatile.Read(ref _learnedMaxRequestBytes)) - MultiCallOverhead;
            var count = 0;
            long bytes = 0;
            while (start + count < calls.Count && count < Options.MultiCallBatchSize && (count == 0 || bytes + sizes[start + count] <= budget))
                bytes += sizes[start + count++];
            await SendBatchAsync(calls, encoded, sizes, start, count, results, ct).ConfigureAwait(false);
            start += count;
        }
        return results;
    }

    private static readonly int MultiCallOverhead = XmlRpcWriter.EncodedArrayCallOverhead("multiCall");
    /// <summary>Half the smallest request the hub refused as too long (its MaxRequestLength is below that).</summary>
    private int _learnedMaxRequestBytes = int.MaxValue;

    private async Task SendBatchAsync(IReadOnlyList<KojiCall> calls, string[] encoded, int[] sizes, int start, int count,
        KojiCallResult[] results, CancellationToken ct)
    {
        var idempotent = true;
        for (var i = start; i < start + count; i++) idempotent &= IsIdempotent(calls[i].Method);
        var body = XmlRpcWriter.MethodCallWithEncodedArray("multiCall", new ArraySegment<string>(encoded, start, count));
        object? answer;
        try
        {
            answer = await SendAsync("multiCall", body, idempotent, ct).ConfigureAwait(false);
        }
        catch (KojiGenericErrorException ex) when (count > 1 && ex.FaultString.Contains("Request too long", StringComparison.Ordinal))
        {
            var refused = new ArraySegment<int>(sizes, start, count).Sum() + MultiCallOverhead;
            InterlockedMin(ref _learnedMaxRequestBytes, refused / 2);
            _log.LogWarning("Koji hub {Hub} refused a {Bytes}-byte multiCall as too long (its MaxRequestLength is lower); sending it in two halves",
                HubDisplay, refused);
            var half = count / 2;
            await SendBatchAsync(calls, encoded, sizes, start, half, results, ct).ConfigureAwait(false);
            await SendBatchAsync(calls, encoded, sizes, start + half, count - half, results, ct).ConfigureAwait(false);
            return;
        }
        if (answer is not object?[] items || items.Length != count)
            throw XmlRpcReader.ProtocolError($"multiCall of {count} calls answered with {(answer is object?[] a ? a.Length + " results" : answer?.GetType().Name ?? "nil")}");
        for (var i = 0; i < count; i++)
        {
            results[start + i] = items[i] switch
            {
                object?[] { Length: 1 } one => new KojiCallResult(one[0], null),
                Dictionary<string, object?> f when f.ContainsKey("faultCode") => new KojiCallResult(null, XmlRpcReader.ToFault(f)),
                var other => throw XmlRpcReader.ProtocolError($"multiCall result {start + i} is neither [value] nor a fault ({other?.GetType().Name ?? "nil"})"),
            };
        }
    }

    private static void InterlockedMin(ref int target, int value)
    {
        int seen;
        while (value < (seen = Volatile.Read(ref target)) && Interlocked.CompareExchange(ref target, value, seen) != seen) { }
    }

    /// <summary>An operator-supplied hub URL as a Uri, or "KojiHubInvalidUrl" (InvalidArgument) when it is not an absolute http(s) URL.</summary>
    public static Uri ParseHubUrl(string url)
    {
        if (Uri.TryCreate(url?.Trim(), UriKind.Absolute, out var uri) && (uri.Scheme == Uri.UriSchemeHttp || uri.Scheme == Uri.UriSchemeHttps))
            return uri;
        throw new StagingException("KojiHubInvalidUrl", StagingErrorCategory.InvalidArgument,
            $"'{url}' is not an http(s) URL of a Koji hub (e.g. https://koji.example.org/kojihub)", url);
    }

    /// <summary>Whether a failed call may be sent again: Koji's read-only verbs.</summary>
    public static bool IsIdempotent(string method) =>
        IdempotentPrefixes.Any(p => method.StartsWith(p, StringComparison.Ordinal));

    private async Task<object?> SendAsync(string method, string body, bool idempotent, CancellationToken ct)
    {
        var bytes = Encoding.UTF8.GetBytes(body);
        var settings = new RetrySettings
        {
            MaxAttempts = idempotent ? Options.MaxAttempts : 1, InitialBackoff = Options.InitialBackoff, MaxBackoff = Options.MaxBackoff,
            TotalTimeout = Options.TotalTimeout,
        };
        Exception? last = null;
        try
        {
            return await RetryPolicy.ExecuteAsync(settings, ex => idempotent && ex is TransientHubFailure or KojiServerOfflineException,
                async (_, token) =>
                {
                    using var attemptCts = CancellationTokenSource.CreateLinkedTokenSource(token);
                    attemptCts.CancelAfter(Options.Timeout);
                    try
                    {
                        return await SendOnceAsync(method, bytes, attemptCts.Token).ConfigureAwait(false);
                    }
                    catch (KojiServerOfflineException ex) { last = ex; throw; }
                    // Cancelled by the caller or by the total timeout (the stream was disposed under the reader): say so, as cancellation.
                    catch (Exception ex) when (token.IsCancellationRequested && ex is not OperationCanceledException)
                    {
                        throw new OperationCanceledException("cancelled while waiting for the hub", ex, token);
                    }
                    catch (Exception ex) when (!token.IsCancellationRequested && IsTransient(ex, attemptCts.IsCancellationRequested))
                    {
                        last = attemptCts.IsCancellationRequested && ex is OperationCanceledException or ObjectDisposedException
                            ? new TimeoutException($"no complete answer within {Options.Timeout.TotalSeconds:0.#} s", ex)
                            : ex;
                        throw new TransientHubFailure(last);
                    }
                },
                n => _log.LogWarning("Koji hub {Hub}: {Method} failed ({Reason}); retry {Attempt}/{Max} in {Delay:0.0} s",
                    HubDisplay, method, last?.Message, n.NextAttempt, n.MaxAttempts, n.Delay.TotalSeconds),
                ct).ConfigureAwait(false);
        }
        catch (RetryBudgetExceededException ex)
        {
            throw new StagingException("KojiHubTimeout", StagingErrorCategory.OperationTimeout,
                $"Koji hub {HubDisplay} did not answer {method} within {ex.Budget.TotalSeconds:0.#} s ({ex.Attempts} attempt(s)){(last is null ? "" : ": " + last.Message)}",
                HubDisplay, ex)
            { RecommendedAction = "Check that the hub is up and answering (koji moshimoshi); a hub that needs longer needs a larger TotalTimeout." };
        }
        catch (TransientHubFailure ex) when (!ct.IsCancellationRequested)
        {
            throw new StagingException(UnreachableErrorId, StagingErrorCategory.ConnectionError,
                $"Koji hub {HubDisplay} did not answer {method} after {settings.MaxAttempts} attempt(s): {ex.InnerException?.Message}", HubDisplay, ex.InnerException)
            { RecommendedAction = "Check the hub URL and that the hub is up (koji moshimoshi), then run the command again." };
        }
        catch (KojiServerOfflineException ex) when (idempotent && !ct.IsCancellationRequested)
        {
            throw new StagingException(UnreachableErrorId, StagingErrorCategory.ConnectionError,
                $"Koji hub {HubDisplay} did not answer {method} after {settings.MaxAttempts} attempt(s): {ex.Message}", HubDisplay, ex)
            { RecommendedAction = "Check the hub URL and that the hub is up (koji moshimoshi), then run the command again." };
        }
    }

    /// <summary>A failure of one attempt worth another (the hub's real failure inside).</summary>
    private sealed class TransientHubFailure(Exception inner) : Exception(inner.Message, inner);

    private static bool IsTransient(Exception ex, bool timedOut) => ex switch
    {
        HttpRequestException => true,
        IOException => true,
        TransientHttpStatusException => true,
        OperationCanceledException or ObjectDisposedException => timedOut,
        _ => false,
    };

    private async Task<object?> SendOnceAsync(string method, byte[] body, CancellationToken token)
    {
        Interlocked.Increment(ref _roundTrips);
        using var request = new HttpRequestMessage(HttpMethod.Post, Hub) { Content = new ByteArrayContent(body) };
        request.Content.Headers.ContentType = new MediaTypeHeaderValue("text/xml");
        using var response = await _http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, token).ConfigureAwait(false);
        if (response.Headers.TryGetValues("Koji-Version", out var versions))
            Volatile.Write(ref _kojiVersion, versions.FirstOrDefault());
        var status = (int)response.StatusCode;
        if (status >= 500)
            throw new TransientHttpStatusException($"HTTP {status} {response.ReasonPhrase}");
        if (status != 200)
            throw XmlRpcReader.ProtocolError($"{HubDisplay} answered {method} with HTTP {status} {response.ReasonPhrase}: is it the URL of a Koji hub (…/kojihub)?");
        var mediaType = response.Content.Headers.ContentType?.MediaType;
        if (mediaType is not null && !mediaType.Contains("xml", StringComparison.OrdinalIgnoreCase))
            throw XmlRpcReader.ProtocolError($"{HubDisplay} answered {method} with {mediaType}, not XML-RPC: is it the URL of a Koji hub (…/kojihub)?");
        var stream = new BoundedReadStream(await response.Content.ReadAsStreamAsync(token).ConfigureAwait(false), Options.MaxResponseBytes,
            max => new StagingException("KojiHubResponseTooLarge", StagingErrorCategory.LimitsExceeded,
                $"Koji hub {HubDisplay} sent more than {max} bytes for {method}: stopped reading (KojiHubClientOptions.MaxResponseBytes).", HubDisplay));
        await using (stream.ConfigureAwait(false))
        await using (token.Register(static s => ((Stream)s!).Dispose(), stream).ConfigureAwait(false))
        {
            _log.LogDebug("Koji hub {Hub}: {Method} ({Bytes} bytes sent)", HubDisplay, method, body.Length);
            return await XmlRpcReader.ReadResponseAsync(stream, token).ConfigureAwait(false);
        }
    }

    public void Dispose()
    {
        if (_ownsHttp) _http.Dispose();
    }

    private sealed class TransientHttpStatusException(string message) : Exception(message);
}
