using Dapper;
using KojiStaging.Engine.Database.Sync;
using Npgsql;

namespace KojiStaging.Engine.Database.Follower;

/// <summary>The follower's subscription as the staging server's catalogs show it.</summary>
public sealed record SubscriptionInfo(long Oid, string Name, string Database, bool Enabled, string? Slot, IReadOnlyList<string> Publications,
    int? WorkerPid, string? ReceivedLsn, DateTimeOffset? LastMessage, long ApplyErrors);

/// <summary>
/// The subscription on the staging server: created on the follower database with the module's slot (create_slot = false,
/// copy_data = false: the initial copy came from the slot's snapshot), paused and resumed around a clone.
/// </summary>
public static class FollowerSubscription
{
    /// <summary>The subscription whose database is <paramref name="followerDb"/>, or null.</summary>
    public static async Task<SubscriptionInfo?> FindAsync(NpgsqlConnection staging, string followerDb, CancellationToken ct)
    {
        var errors = await staging.ExecuteScalarAsync<bool>(new CommandDefinition("SELECT to_regclass('pg_catalog.pg_stat_subscription_stats') IS NOT NULL", cancellationToken: ct)).ConfigureAwait(false)
            ? "(SELECT apply_error_count FROM pg_stat_subscription_stats x WHERE x.subid = s.oid)" : "0";
        var r = await staging.QueryFirstOrDefaultAsync<(long oid, string name, bool enabled, string? slot, string[] pubs, int? pid, string? lsn, DateTime? last, long? errs)?>(new CommandDefinition($"""
            SELECT s.oid::bigint, s.subname::text, s.subenabled, s.subslotname::text, s.subpublications::text[],
                   w.pid, w.received_lsn::text, w.last_msg_receipt_time, {errors}
            FROM pg_subscription s JOIN pg_database d ON d.oid = s.subdbid
            LEFT JOIN pg_stat_subscription w ON w.subid = s.oid AND w.relid IS NULL
            WHERE d.datname = @followerDb
            """, new { followerDb }, cancellationToken: ct)).ConfigureAwait(false);
        if (r is not { } x) return null;
        return new SubscriptionInfo(x.oid, x.name, followerDb, x.enabled, x.slot, x.pubs, x.pid, x.lsn,
            x.last is { } t ? new DateTimeOffset(DateTime.SpecifyKind(t, DateTimeKind.Utc)) : null, x.errs ?? 0);
    }

    /// <summary>The libpq conninfo the staging server's apply worker uses to reach production.</summary>
    public static string PublisherConnInfo(string sourceConnectionString)
    {
        var b = new NpgsqlConnectionStringBuilder(sourceConnectionString);
        string Q(string v) => "'" + v.Replace("\\", "\\\\").Replace("'", "\\'") + "'";
        var parts = new List<string> { $"host={Q(b.Host ?? "localhost")}", $"port={b.Port}", $"dbname={Q(b.Database ?? "")}" };
        if (!string.IsNullOrEmpty(b.Username)) parts.Add($"user={Q(b.Username)}");
        if (!string.IsNullOrEmpty(b.Password)) parts.Add($"password={Q(b.Password)}");
        if (b.SslMode is SslMode.Require or SslMode.VerifyCA or SslMode.VerifyFull) parts.Add($"sslmode={b.SslMode.ToString().ToLowerInvariant().Replace("verifyca", "verify-ca").Replace("verifyfull", "verify-full")}");
        parts.Add("application_name=kojistaging_follower");
        return string.Join(' ', parts);
    }

    /// <summary>CREATE SUBSCRIPTION on the follower database (a connection to it); binary transfer, large transactions streamed, disabled on an apply error.</summary>
    public static Task CreateAsync(NpgsqlConnection follower, FollowerNames names, IReadOnlyList<string> publications, string conninfo, CancellationToken ct) =>
        follower.ExecuteAsync(new CommandDefinition(
            $"CREATE SUBSCRIPTION {Ident.Quote(names.Subscription)} CONNECTION {Ident.Literal(conninfo)} PUBLICATION {string.Join(", ", publications.Select(Ident.Quote))} " +
            $"WITH (create_slot = false, slot_name = {Ident.Literal(names.Slot)}, copy_data = false, enabled = true, binary = true, streaming = on, disable_on_error = true)",
            cancellationToken: ct));

    /// <summary>ENABLE or DISABLE, over a short connection to the follower database (subscriptions belong to a database), closed again so it can be cloned.</summary>
    public static async Task EnableAsync(string followerCs, string subscription, bool enabled, CancellationToken ct)
    {
        await using var conn = await PgConnector.OpenAsync(followerCs, "staging", ct).ConfigureAwait(false);
        await conn.ExecuteAsync(new CommandDefinition($"ALTER SUBSCRIPTION {Ident.Quote(subscription)} {(enabled ? "ENABLE" : "DISABLE")}", cancellationToken: ct)).ConfigureAwait(false);
    }

    /// <summary>After DISABLE the apply worker leaves at its next check: wait for it, so the follower has no session and a whole transaction boundary.</summary>
    public static async Task WaitForWorkerExitAsync(NpgsqlConnection staging, long oid, TimeSpan timeout, CancellationToken ct)
    {
        var until = DateTime.UtcNow + timeout;
        while (await staging.ExecuteScalarAsync<long>(new CommandDefinition(
                   "SELECT count(*) FROM pg_stat_subscription WHERE subid = @oid AND pid IS NOT NULL", new { oid }, cancellationToken: ct)).ConfigureAwait(false) > 0)
        {
            if (DateTime.UtcNow > until)
                throw new Diagnostics.StagingException("FollowerWorkerBusy", Diagnostics.StagingErrorCategory.OperationTimeout,
                    $"The follower's apply worker did not stop within {timeout.TotalSeconds:F0} s of pausing the subscription.");
            await Task.Delay(100, ct).ConfigureAwait(false);
        }
    }

    /// <summary>Drops the subscription without touching production (slot_name = NONE first); the slot is dropped separately.</summary>
    public static async Task DropAsync(NpgsqlConnection follower, string subscription, CancellationToken ct)
    {
        var q = Ident.Quote(subscription);
        await follower.ExecuteAsync(new CommandDefinition($"ALTER SUBSCRIPTION {q} DISABLE", cancellationToken: ct)).ConfigureAwait(false);
        await follower.ExecuteAsync(new CommandDefinition($"ALTER SUBSCRIPTION {q} SET (slot_name = NONE)", cancellationToken: ct)).ConfigureAwait(false);
        await follower.ExecuteAsync(new CommandDefinition($"DROP SUBSCRIPTION {q}", cancellationToken: ct)).ConfigureAwait(false);
    }
}
