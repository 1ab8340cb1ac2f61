using System.Diagnostics;
using System.Text.Json.Nodes;
using KojiStaging.Engine.Diagnostics;
using Microsoft.Extensions.Logging;

namespace KojiStaging.Engine.Storage.Ontap;

/// <summary>
/// Follows an ONTAP async job (<c>/api/cluster/jobs/{uuid}</c>) until it is final. States queued,
/// running and paused are not final; success and failure are. ONTAP deletes a finished job after
/// about 300 s, so a 404 can mean "finished and gone": then the caller's check decides.
/// </summary>
public sealed class OntapJobWaiter
{
    private readonly OntapRestClient _client;
    private readonly OntapConnectionOptions _options;
    private readonly ILogger _log;

    public OntapJobWaiter(OntapRestClient client, OntapConnectionOptions options, ILogger log)
    {
        _client = client;
        _options = options;
        _log = log;
    }

    public async Task<JsonObject> WaitAsync(string href, string what, Func<Task<bool>>? verify, CancellationToken ct)
    {
        var path = href.StartsWith("/") ? href : "/" + href;
        var query = path.Contains('?') ? "&" : "?";
        var clock = Stopwatch.StartNew();
        var delay = _options.JobPollInitial;
        string? lastState = null;
        while (true)
        {
            JsonObject job;
            try
            {
                (_, var body) = await _client.SendRawAsync(HttpMethod.Get, path + query + "fields=uuid,description,state,message,code,start_time,end_time", null, ct).ConfigureAwait(false);
                job = body ?? new JsonObject();
            }
            catch (OntapException ex) when (ex.HttpStatus == 404)
            {
                // The job is gone: look at the result itself rather than guess.
                if (verify is not null && await verify().ConfigureAwait(false))
                {
                    _log.LogDebug("Job {Job} for {What} disappeared; the change is in place", path, what);
                    return new JsonObject { ["state"] = "success", ["message"] = "job no longer listed; result verified" };
                }
                throw new OntapException("OntapJobFailed", StagingErrorCategory.InvalidOperation,
                    $"The ONTAP job for {what} disappeared (last seen {lastState ?? "never"}) and its result is not in place.", 404, null, ex.OntapMessage, path, ex);
            }
            var state = job["state"]?.ToString() ?? "unknown";
            if (state != lastState) _log.LogDebug("Job {Job} for {What}: {State}", path, what, state);
            lastState = state;
            switch (state)
            {
                case "success":
                    return job;
                case "failure":
                    var message = job["message"]?.ToString() ?? "no message";
                    var code = job["code"]?.ToString();
                    throw new OntapException("OntapJobFailed", StagingErrorCategory.InvalidOperation,
                        $"ONTAP job for {what} failed: {message} (ONTAP error {code ?? "none"}).", 202, code, message, path);
            }
            if (clock.Elapsed > _options.JobTimeout)
                throw new OntapException("OntapJobTimeout", StagingErrorCategory.OperationTimeout,
                    $"The ONTAP job for {what} is still {state} after {_options.JobTimeout.TotalSeconds:0} s; it may still finish on the cluster (job {path}).",
                    202, null, null, path);
            await Task.Delay(delay, ct).ConfigureAwait(false);
            delay = TimeSpan.FromTicks(Math.Min(delay.Ticks * 2, _options.JobPollMax.Ticks));
        }
    }
}
