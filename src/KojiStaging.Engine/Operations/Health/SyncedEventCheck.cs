using Dapper;
using KojiStaging.Engine.Database;

namespace KojiStaging.Engine.Operations.Health;

/// <summary>The database records the production event it was copied at, and that copy is not too old.</summary>
public sealed class SyncedEventCheck : IStagingCheck
{
    public string Name => "SyncedEvent";

    public async Task<StagingCheckResult> RunAsync(HealthContext ctx)
    {
        var conn = ctx.Connection;
        var sync = (await StagingMarker.ReadAsync(conn, "sync")).LastOrDefault(e => e.EventId is not null);
        var newest = await conn.ExecuteScalarAsync<int?>("SELECT max(id) FROM events");
        if (sync is null)
            return StagingCheckResult.Fail(Name, $"No 'sync' entry in the marker: nothing records which production event this copy holds (newest event here: {newest?.ToString() ?? "none"}).",
                "Refresh staging with Sync-KojiStagingDb; it records the synced event that Set-KojiSecondaryVolume and New-NetAppSnapshot rely on.");
        var ev = sync.EventId!.Value;
        var timeSql = await EventTimes.ExpressionAsync(conn, EventTimes.RecordedZone(await StagingMarker.ReadAsync(conn, "sync")));
        var (found, time, now) = await conn.QuerySingleAsync<(bool, DateTime?, DateTime)>(
            $"SELECT EXISTS (SELECT 1 FROM events WHERE id = @ev), (SELECT {timeSql} FROM events WHERE id = @ev), now()", new { ev });
        if (!found || time is null)
            return StagingCheckResult.Fail(Name, $"The synced event {ev} is not in the events table (newest: {newest}): the marker does not describe this database.",
                "Refresh staging with Sync-KojiStagingDb.");
        var age = now - time.Value;
        var detail = $"event {ev} of {time.Value.ToUniversalTime():yyyy-MM-dd HH:mm} UTC, {FormatAge(age)} old; {Math.Max(0, (newest ?? ev) - ev)} events made in staging since";
        return age > ctx.Request.SyncAgeLimit
            ? StagingCheckResult.Warn(Name, detail + $" (older than {FormatAge(ctx.Request.SyncAgeLimit)})", "Re-sync staging (Sync-KojiStagingDb), or raise -MaxSyncAge if that is expected.")
            : StagingCheckResult.Pass(Name, detail);
    }

    internal static string FormatAge(TimeSpan t) =>
        t.TotalDays >= 2 ? $"{t.TotalDays:0} days" : t.TotalHours >= 2 ? $"{t.TotalHours:0} hours" : $"{Math.Max(0, t.TotalMinutes):0} minutes";
}
