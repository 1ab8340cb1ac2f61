using Dapper;

namespace KojiStaging.Engine.Operations.Health;

/// <summary>No production credentials survived the copy: sessions, stored passwords, content-generator reservation tokens.</summary>
public sealed class SecretsCheck : IStagingCheck
{
    public string Name => "Secrets";

    public async Task<StagingCheckResult> RunAsync(HealthContext ctx)
    {
        var found = new List<string>();
        if (await ctx.TableExistsAsync("sessions"))
            Add(found, await ctx.Connection.ExecuteScalarAsync<long>("SELECT count(*) FROM sessions"), "sessions rows (live session keys)");
        if (await ctx.ColumnExistsAsync("users", "password"))
            Add(found, await ctx.Connection.ExecuteScalarAsync<long>("SELECT count(*) FROM users WHERE password IS NOT NULL"), "users with a stored password");
        if (await ctx.ColumnExistsAsync("build_reservations", "token"))
            Add(found, await ctx.Connection.ExecuteScalarAsync<long>("SELECT count(*) FROM build_reservations WHERE token IS NOT NULL"), "build reservation tokens");
        return found.Count == 0
            ? StagingCheckResult.Pass(Name, "no sessions, stored passwords or reservation tokens")
            : StagingCheckResult.Fail(Name, "production secrets present: " + string.Join(", ", found),
                "Sanitise: DELETE FROM sessions; UPDATE users SET password = NULL; UPDATE build_reservations SET token = NULL (Sync-KojiStagingDb does this by default).");
    }

    private static void Add(List<string> found, long n, string what)
    {
        if (n > 0) found.Add($"{n} {what}");
    }
}
