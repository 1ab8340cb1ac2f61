using System.Net;
using System.Net.Http.Headers;
using System.Runtime.CompilerServices;
using System.Security.Authentication;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using KojiStaging.Engine.Diagnostics;
using KojiStaging.Engine.Resilience;
using Microsoft.Extensions.Logging;

namespace KojiStaging.Engine.Storage.Ontap;

/// <summary>
/// Talks ONTAP REST over HTTPS: authentication (basic or client certificate), TLS verification,
/// error bodies ({"error":{"message","code","target"}}) turned into <see cref="OntapException"/>s,
/// paging by <c>_links.next</c>, retries of "temporarily locked" answers, and async jobs
/// (202 + job link, polled by <see cref="OntapJobWaiter"/>).
/// </summary>
public sealed class OntapRestClient : IDisposable
{
    private readonly HttpClient _http;
    private readonly ILogger _log;
    private readonly OntapJobWaiter _jobs;

    public OntapRestClient(OntapConnectionOptions options, ILogger log, HttpMessageHandler? handler = null)
    {
        Options = options;
        _log = log;
        if (options.Credential is null && options.ClientCertificate is null)
            throw new StagingException("OntapCredentialRequired", StagingErrorCategory.InvalidArgument,
                "ONTAP needs a user (-Credential) or a client certificate (-Certificate).")
            { RecommendedAction = "Pass -Credential (Get-Credential) for a REST user with the role described in docs/strategies/writable-snapshot.md." };
        _http = new HttpClient(handler ?? CreateHandler(options), disposeHandler: true)
        {
            BaseAddress = options.BaseUri,
            Timeout = System.Threading.Timeout.InfiniteTimeSpan, // RequestTimeout bounds each request and its body (SendRawAsync)
        };
        _http.DefaultRequestHeaders.Accept.Add(new MediaTypeWithQualityHeaderValue("application/json"));
        _http.DefaultRequestHeaders.UserAgent.Add(new ProductInfoHeaderValue("KojiStaging", ModuleInfo.Version));
        if (options.Credential is { } c)
            _http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Basic",
                Convert.ToBase64String(Encoding.UTF8.GetBytes($"{c.UserName}:{c.Password}")));
        _jobs = new OntapJobWaiter(this, options, log);
    }

    public OntapConnectionOptions Options { get; }

    public static HttpMessageHandler CreateHandler(OntapConnectionOptions options)
    {
        var handler = new HttpClientHandler { CheckCertificateRevocationList = false };
        if (options.SkipCertificateCheck)
            handler.ServerCertificateCustomValidationCallback = HttpClientHandler.DangerousAcceptAnyServerCertificateValidator;
        if (options.ClientCertificate is { } cert)
        {
            handler.ClientCertificateOptions = ClientCertificateOption.Manual;
            handler.ClientCertificates.Add(cert);
        }
        return handler;
    }

    /// <summary>GET one resource or collection page.</summary>
    public async Task<JsonObject> GetAsync(string path, CancellationToken ct) =>
        (await WithRetriesAsync(() => SendRawAsync(HttpMethod.Get, path, null, ct), $"GET {path}", ct).ConfigureAwait(false)).Body ?? new JsonObject();

    /// <summary>Every record of a collection, following <c>_links.next</c> page by page.</summary>
    public async IAsyncEnumerable<JsonObject> GetRecordsAsync(string path, [EnumeratorCancellation] CancellationToken ct)
    {
        string? next = path;
        var pages = 0;
        while (next is not null)
        {
            var page = await GetAsync(next, ct).ConfigureAwait(false);
            if (page["records"] is JsonArray records)
                foreach (var r in records)
                    if (r is JsonObject o) yield return o;
            next = page["_links"]?["next"]?["href"]?.GetValue<string>();
            if (++pages > 10_000) throw new StagingException("OntapPagingLoop", StagingErrorCategory.ProtocolError, $"ONTAP kept returning pages for {path}.");
        }
    }

    public async Task<JsonObject?> FirstOrDefaultAsync(string path, CancellationToken ct)
    {
        await foreach (var r in GetRecordsAsync(path, ct).ConfigureAwait(false)) return r;
        return null;
    }

    /// <summary>
    /// POST/PATCH/DELETE. A 202 answer's job is polled to the end; <paramref name="verify"/> says whether the
    /// change is in place, for when the job was already deleted before we could read its outcome.
    /// Returns the response body (201) or the finished job (202).
    /// </summary>
    public async Task<JsonObject?> SendAsync(HttpMethod method, string path, JsonNode? body, CancellationToken ct,
        Func<Task<bool>>? verify = null)
    {
        var what = $"{method.Method} {path}";
        return await WithRetriesAsync(async () =>
        {
            var response = await SendRawAsync(method, path, body, ct).ConfigureAwait(false);
            if (response.Status != HttpStatusCode.Accepted) return response;
            var job = response.Body?["job"];
            var href = job?["_links"]?["self"]?["href"]?.GetValue<string>()
                ?? (job?["uuid"]?.GetValue<string>() is { } u ? $"/api/cluster/jobs/{u}" : null)
                ?? throw new StagingException("OntapProtocolError", StagingErrorCategory.ProtocolError, $"ONTAP accepted {what} but named no job to follow.");
            var finished = await _jobs.WaitAsync(href, what, verify, ct).ConfigureAwait(false);
            return (response.Status, (JsonObject?)finished);
        }, what, ct).ConfigureAwait(false) is var (_, result) ? result : null;
    }

    private async Task<(HttpStatusCode Status, JsonObject? Body)> WithRetriesAsync(
        Func<Task<(HttpStatusCode, JsonObject?)>> call, string what, CancellationToken ct)
    {
        var settings = new RetrySettings
        {
            MaxAttempts = Options.MaxRetries + 1, InitialBackoff = Options.RetryBaseDelay,
            MaxBackoff = Options.RetryBaseDelay * Math.Pow(2, Math.Max(0, Options.MaxRetries - 1)), TotalTimeout = Options.TotalTimeout,
        };
        try
        {
            // The calls take the caller's token; the total bound cancels the wait between attempts and is checked after each one.
            return await RetryPolicy.ExecuteAsync(settings, ex => ex is OntapException o && OntapErrors.IsTransient(o),
                async (_, token) =>
                {
                    using var linked = CancellationTokenSource.CreateLinkedTokenSource(ct, token);
                    _budget.Value = linked.Token;
                    try { return await call().ConfigureAwait(false); }
                    catch (Exception ex) when (token.IsCancellationRequested && !ct.IsCancellationRequested && ex is not OperationCanceledException)
                    {
                        throw new OperationCanceledException("the call's time is up", ex, token);
                    }
                    finally { _budget.Value = default; }
                },
                n => _log.LogWarning("ONTAP is busy with {What} ({Message}); retry {Attempt} of {Max} in {Delay:0.#} s",
                    what, (n.Failure as OntapException)?.OntapMessage, n.NextAttempt - 1, Options.MaxRetries, n.Delay.TotalSeconds),
                ct).ConfigureAwait(false);
        }
        catch (RetryBudgetExceededException ex)
        {
            throw new OntapException("OntapTimeout", StagingErrorCategory.OperationTimeout,
                $"ONTAP at {Options.BaseUri.Authority} did not finish {what} within {ex.Budget.TotalSeconds:0} s ({ex.Attempts} attempt(s)).",
                null, null, null, Options.Cluster, ex);
        }
    }

    /// <summary>The token of the call's total bound, for the requests made inside it (job polls included).</summary>
    private readonly AsyncLocal<CancellationToken> _budget = new();

    internal async Task<(HttpStatusCode Status, JsonObject? Body)> SendRawAsync(HttpMethod method, string path, JsonNode? body, CancellationToken ct)
    {
        using var request = new HttpRequestMessage(method, path.TrimStart('/'));
        if (body is not null) request.Content = new StringContent(body.ToJsonString(), Encoding.UTF8, "application/json");
        _log.LogDebug("{Method} {Path}", method.Method, path);
        HttpResponseMessage response;
        using var requestCts = CancellationTokenSource.CreateLinkedTokenSource(ct, _budget.Value);
        requestCts.CancelAfter(Options.RequestTimeout);
        var token = requestCts.Token;
        try
        {
            response = await _http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, token).ConfigureAwait(false);
        }
        catch (HttpRequestException ex) when (FindInner<AuthenticationException>(ex) is { } tls)
        {
            throw new OntapException("OntapCertificateUntrusted", StagingErrorCategory.SecurityError,
                $"The TLS certificate of {Options.BaseUri.Authority} is not trusted: {tls.Message}", null, null, null, Options.Cluster, ex)
            {
                RecommendedAction = "Install the cluster's CA certificate in the system trust store, or pass -SkipCertificateCheck if you accept an unverified connection.",
            };
        }
        catch (HttpRequestException ex)
        {
            throw new OntapException("OntapUnreachable", StagingErrorCategory.ConnectionError,
                $"ONTAP at {Options.BaseUri.Authority} cannot be reached: {ex.Message}", null, null, null, Options.Cluster, ex);
        }
        catch (TaskCanceledException ex) when (!ct.IsCancellationRequested && !_budget.Value.IsCancellationRequested)
        {
            throw RequestTimedOut(method, path, ex);
        }
        using (response)
        {
            string text;
            try { text = await ReadBodyAsync(response, method, path, token).ConfigureAwait(false); }
            catch (OperationCanceledException ex) when (!ct.IsCancellationRequested && !_budget.Value.IsCancellationRequested)
            {
                throw RequestTimedOut(method, path, ex);
            }
            JsonObject? json = null;
            if (!string.IsNullOrWhiteSpace(text))
            {
                try { json = JsonNode.Parse(text) as JsonObject; }
                catch (JsonException) when (!response.IsSuccessStatusCode) { }
                catch (JsonException ex)
                {
                    throw new StagingException("OntapProtocolError", StagingErrorCategory.ProtocolError,
                        $"ONTAP answered {method.Method} {path} with something that is not JSON: {ex.Message}", path, ex);
                }
            }
            if (!response.IsSuccessStatusCode) throw ToException(response.StatusCode, method, path, json, text);
            return (response.StatusCode, json);
        }
    }

    private OntapException RequestTimedOut(HttpMethod method, string path, Exception ex) =>
        new("OntapUnreachable", StagingErrorCategory.OperationTimeout,
            $"ONTAP at {Options.BaseUri.Authority} did not answer {method.Method} {path} within {Options.RequestTimeout.TotalSeconds:0} s.", null, null, null, Options.Cluster, ex);

    /// <summary>The body as text, read through a bound on its size (an endless answer stops at MaxResponseBytes).</summary>
    private async Task<string> ReadBodyAsync(HttpResponseMessage response, HttpMethod method, string path, CancellationToken token)
    {
        var raw = await response.Content.ReadAsStreamAsync(token).ConfigureAwait(false);
        await using var body = new BoundedReadStream(raw, Options.MaxResponseBytes, max => new OntapException("OntapResponseTooLarge",
            StagingErrorCategory.LimitsExceeded, $"ONTAP at {Options.BaseUri.Authority} sent more than {max} bytes for {method.Method} {PathOnly(path)}: stopped reading.",
            (int)response.StatusCode, null, null, Options.Cluster));
        var charset = response.Content.Headers.ContentType?.CharSet;
        Encoding encoding;
        try { encoding = charset is null ? Encoding.UTF8 : Encoding.GetEncoding(charset.Trim('"')); }
        catch (ArgumentException) { encoding = Encoding.UTF8; }
        using var reader = new StreamReader(body, encoding);
        return await reader.ReadToEndAsync(token).ConfigureAwait(false);
    }

    private OntapException ToException(HttpStatusCode status, HttpMethod method, string path, JsonObject? json, string text)
    {
        var error = json?["error"];
        var message = error?["message"]?.ToString() ?? (text.Length > 0 && text.Length < 300 ? text.Trim() : status.ToString());
        var code = error?["code"]?.ToString();
        var target = error?["target"]?.ToString();
        var where = $"{method.Method} {PathOnly(path)}";
        var full = $"ONTAP refused {where}: {message} (ONTAP error {code ?? "none"}{(target is null ? "" : $", target {target}")}, HTTP {(int)status}).";
        return status switch
        {
            HttpStatusCode.Unauthorized => new OntapException("OntapAuthenticationFailed", StagingErrorCategory.AuthenticationError,
                $"ONTAP at {Options.BaseUri.Authority} refused the login: {message} (ONTAP error {code ?? "none"}).", 401, code, message, Options.Cluster)
            { RecommendedAction = "Check the user name and password given with -Credential (or the client certificate)." },
            HttpStatusCode.Forbidden => new OntapException("OntapPermissionDenied", StagingErrorCategory.PermissionDenied, full, 403, code, message, target)
            { RecommendedAction = "Give the REST user the role in docs/strategies/writable-snapshot.md." },
            HttpStatusCode.NotFound => new OntapException("OntapNotFound", StagingErrorCategory.ObjectNotFound, full, 404, code, message, target),
            HttpStatusCode.BadRequest => new OntapException("OntapError", StagingErrorCategory.InvalidArgument, full, 400, code, message, target),
            HttpStatusCode.Conflict => new OntapException("OntapError", StagingErrorCategory.ResourceExists, full, 409, code, message, target),
            _ => new OntapException("OntapError", (int)status >= 500 ? StagingErrorCategory.ResourceUnavailable : StagingErrorCategory.InvalidOperation,
                full, (int)status, code, message, target),
        };
    }

    private static string PathOnly(string path) => path.Split('?')[0];

    private static T? FindInner<T>(Exception ex) where T : Exception
    {
        for (Exception? e = ex; e is not null; e = e.InnerException)
            if (e is T t) return t;
        return null;
    }

    public void Dispose() => _http.Dispose();
}
