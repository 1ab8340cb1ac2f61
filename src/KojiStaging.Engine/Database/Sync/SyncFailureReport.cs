using KojiStaging.Engine.Diagnostics;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace KojiStaging.Engine.Database.Sync;

/// <summary>
/// After a sync failed or was cancelled: drops its half-built database, then checks on a fresh connection what is really
/// on the server (by database oid, not by assumption) and says so in the error: the new database dropped or not, live
/// unchanged, missing, or already the new copy when the swap had committed.
/// </summary>
internal sealed class SyncFailureReport
{
    public required string StagingConnectionString { get; init; }
    public required string Live { get; init; }
    public long? LiveOidBefore { get; init; }
    public string? Fresh { get; set; }
    public long? FreshOid { get; set; }
    public string? Previous { get; init; }

    public async Task<StagingException> BuildAsync(Exception ex, bool cancelled, ILogger log)
    {
        var left = await WhatWasLeftAsync(log).ConfigureAwait(false);
        log.LogWarning("Sync {How}: {Left}", cancelled ? "cancelled" : "failed", left);
        if (cancelled)
            return new StagingException("SyncCancelled", StagingErrorCategory.OperationStopped, $"The sync was cancelled; {left}.", Live, ex);
        if (ex is StagingException se)
            return new StagingException(se.ErrorId, se.Category, $"{se.Message} ({left}.)", se.Target, se) { RecommendedAction = se.RecommendedAction };
        var what = ex is PostgresException pg ? $"{pg.SqlState}: {pg.MessageText}" : ex.Message;
        return new StagingException("SyncFailed", StagingErrorCategory.InvalidOperation, $"The sync failed ({left}): {SecretRedactor.Redact(what)}", Live, ex);
    }

    private async Task<string> WhatWasLeftAsync(ILogger log)
    {
        try
        {
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(8));
            await using var s = await GenerationSwapper.OpenAsync(StagingConnectionString, Live, log, timeout.Token).ConfigureAwait(false);
            var liveOid = await s.OidAsync(Live, timeout.Token).ConfigureAwait(false);
            if (FreshOid is not null && liveOid == FreshOid)
                return $"the swap had already committed: '{Live}' is the new copy" + (Previous is not null ? $" and the previous one is '{Previous}'" : "");
            var parts = new List<string>();
            if (Fresh is null || FreshOid is null) parts.Add("no new database had been created");
            else
            {
                var freshOid = await s.OidAsync(Fresh, timeout.Token).ConfigureAwait(false);
                if (freshOid is not null)
                {
                    try { await s.DropAsync(Fresh, timeout.Token, attempts: 2).ConfigureAwait(false); }
                    catch (Exception e) when (e is PostgresException or NpgsqlException or OperationCanceledException) { log.LogWarning("Could not drop {Database}: {Message}", Fresh, e.Message); }
                    freshOid = await s.OidAsync(Fresh, CancellationToken.None).ConfigureAwait(false);
                }
                parts.Add(freshOid is null ? $"'{Fresh}' dropped" : $"'{Fresh}' could not be dropped and is still there (the next sync drops it)");
            }
            parts.Add(LiveOidBefore is null
                ? liveOid is null ? $"'{Live}' still does not exist" : $"'{Live}' now exists but is not this sync's copy"
                : liveOid == LiveOidBefore ? $"'{Live}' unchanged"
                : liveOid is null ? $"'{Live}' is MISSING (the next sync restores it from its newest generation)" : $"'{Live}' is another database than before");
            return string.Join(", ", parts);
        }
        catch (Exception e)
        {
            return $"what was left could not be checked ({SecretRedactor.Redact(e.Message)}); the next sync finds and repairs any leftovers";
        }
    }
}
