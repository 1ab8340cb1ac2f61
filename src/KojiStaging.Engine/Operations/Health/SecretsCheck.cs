using System.Text.Json;
using Dapper;
using KojiStaging.Engine.Database;

namespace KojiStaging.Engine.Operations.Health;

/// <summary>
/// No production credentials survived the copy: sessions, stored passwords, content-generator reservation tokens.
/// What staging made itself after the copy is not production's: when the last sync (the marker's 'sync' entry)
/// applied a rule, everything of that kind now present was created in staging; without the rule, sessions and
/// reservations started after the sync was recorded are staging's own (production's could not be newer than it).
/// </summary>
public sealed class SecretsCheck : IStagingCheck
{
    public string Name => "Secrets";

    public async Task<StagingCheckResult> RunAsync(HealthContext ctx)
    {
        var sync = (await StagingMarker.ReadAsync(ctx.Connection, "sync")).LastOrDefault();
        var applied = RulesApplied(sync);
        var since = sync?.RecordedAt;
        var prod = new List<string>();
        var own = new List<string>();
        if (await ctx.TableExistsAsync("sessions"))
            await Count(ctx, prod, own, "sessions", "true", "start_time", applied.Contains("Sessions"), since, "sessions rows (live session keys)");
        if (await ctx.ColumnExistsAsync("users", "password"))
            await Count(ctx, prod, own, "users", "password IS NOT NULL", null, applied.Contains("Passwords"), since, "users with a stored password");
        if (await ctx.ColumnExistsAsync("build_reservations", "token"))
            await Count(ctx, prod, own, "build_reservations", "token IS NOT NULL", "created", applied.Contains("ReservationTokens"), since, "build reservation tokens");
        var ownText = own.Count == 0 ? "" : $" ({string.Join(", ", own)} made in staging since the sync of {since:yyyy-MM-dd HH:mm} UTC: staging's own)";
        return prod.Count == 0
            ? StagingCheckResult.Pass(Name, "no production sessions, stored passwords or reservation tokens" + ownText)
            : StagingCheckResult.Fail(Name, "production secrets present: " + string.Join(", ", prod) + ownText,
                "Sanitise: DELETE FROM sessions; UPDATE users SET password = NULL; UPDATE build_reservations SET token = NULL (Sync-KojiStagingDb does this by default).");
    }

    /// <summary>
    /// Splits the rows of one kind into production's and staging's own: all staging's when the sync's rule removed
    /// production's, else by the row's time against the sync (rows without a time count as production's).
    /// </summary>
    private static async Task Count(HealthContext ctx, List<string> prod, List<string> own, string table, string where, string? timeColumn,
        bool ruleApplied, DateTimeOffset? since, string what)
    {
        long total = await ctx.Connection.ExecuteScalarAsync<long>($"SELECT count(*) FROM {table} WHERE {where}");
        long fromProd = ruleApplied ? 0
            : timeColumn is null || since is null ? total
            : await ctx.Connection.ExecuteScalarAsync<long>($"SELECT count(*) FROM {table} WHERE {where} AND NOT ({timeColumn} > @since)", new { since });
        if (fromProd > 0) prod.Add($"{fromProd} {what}");
        if (total - fromProd > 0) own.Add($"{total - fromProd} {what}");
    }

    private static HashSet<string> RulesApplied(MarkerEntry? sync)
    {
        var rules = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        if (sync is not null && sync.Details.ValueKind == JsonValueKind.Object && sync.Details.TryGetProperty("rulesApplied", out var r) && r.ValueKind == JsonValueKind.Array)
            foreach (var e in r.EnumerateArray()) if (e.GetString() is { } s) rules.Add(s);
        return rules;
    }
}
