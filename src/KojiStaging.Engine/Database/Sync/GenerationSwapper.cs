using Dapper;
using KojiStaging.Engine.Diagnostics;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace KojiStaging.Engine.Database.Sync;

/// <summary>
/// Database generations on the staging server: the live name (e.g. koji), the database being built
/// (koji_new_20261124231500) and previous generations (koji_gen_20261124231500), named by <see cref="GenerationNames"/>.
/// Runs on a maintenance connection to the server's 'postgres' (or 'template1') database.
/// To put a fully built database in as live: <c>await using var s = await GenerationSwapper.OpenAsync(cs, live, log, ct);
/// await s.LockAsync(ct); await s.SwapAsync(built, ct);</c>
/// </summary>
public sealed class GenerationSwapper : IAsyncDisposable
{
    private readonly NpgsqlConnection _admin;
    private readonly string _adminConnectionString;
    private readonly ILogger _log;
    private readonly bool _ownsConnection;

    /// <summary>Attempts of terminate + swap transaction before giving up on sessions that keep live busy (each waits up to 5 s).</summary>
    public int SwapAttempts { get; set; } = 5;

    /// <summary>Plain DROP attempts when a drop WITH (FORCE) is refused (each waits up to 5 s for the database to empty).</summary>
    public int DropAttempts { get; set; } = 2;

    /// <summary>Test hook, called with the same names as <see cref="PausePoints"/> ("swap:renamed-live", …).</summary>
    internal Func<string, CancellationToken, Task>? FaultHook { get; set; }

    private async Task Point(string name, CancellationToken ct)
    {
        await PausePoints.ReachedAsync(name, ct).ConfigureAwait(false);
        if (FaultHook is not null) await FaultHook(name, ct).ConfigureAwait(false);
    }

    public GenerationSwapper(NpgsqlConnection admin, string adminConnectionString, string live, ILogger log)
        : this(admin, adminConnectionString, live, log, false) { }

    private GenerationSwapper(NpgsqlConnection admin, string adminConnectionString, string live, ILogger log, bool owns)
    {
        GenerationNames.Validate(live);
        _admin = admin; _adminConnectionString = adminConnectionString; _log = log; Live = live; _ownsConnection = owns;
    }

    /// <summary>Opens the maintenance connection on the server that <paramref name="stagingConnectionString"/> names.</summary>
    public static async Task<GenerationSwapper> OpenAsync(string stagingConnectionString, string live, ILogger log, CancellationToken ct)
    {
        GenerationNames.Validate(live);
        var b = new NpgsqlConnectionStringBuilder(stagingConnectionString) { Pooling = false, CommandTimeout = 0, ApplicationName = LockOwner.ApplicationName };
        foreach (var db in new[] { "postgres", "template1" })
        {
            b.Database = db;
            try { return new GenerationSwapper(await PgConnector.OpenAsync(b.ConnectionString, "staging", ct).ConfigureAwait(false), b.ConnectionString, live, log, true); }
            catch (StagingException e) when (e.ErrorId == "PgDatabaseNotFound" && db == "postgres") { }
        }
        throw new InvalidOperationException("not reached");
    }

    public string Live { get; }
    public NpgsqlConnection Connection => _admin;

    public ValueTask DisposeAsync() => _ownsConnection ? _admin.DisposeAsync() : ValueTask.CompletedTask;

    public static string Stamp(DateTimeOffset t) => GenerationNames.Stamp(t);

    public string NameFor(string kind, string stamp) => GenerationNames.For(Live, kind, stamp);

    public Task<bool> ExistsAsync(string db, CancellationToken ct) =>
        _admin.ExecuteScalarAsync<bool>(new CommandDefinition("SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = @db)", new { db }, cancellationToken: ct));

    /// <summary>The database's oid, or null when no database has that name: tells after the fact which database is live.</summary>
    public Task<long?> OidAsync(string db, CancellationToken ct) =>
        _admin.ExecuteScalarAsync<long?>(new CommandDefinition("SELECT oid::bigint FROM pg_database WHERE datname = @db", new { db }, cancellationToken: ct));

    /// <summary>Generations of this live name only (exact pattern), newest first.</summary>
    public async Task<IReadOnlyList<string>> GenerationsAsync(string kind, CancellationToken ct)
    {
        var all = await _admin.QueryAsync<string>(new CommandDefinition("SELECT datname FROM pg_database", cancellationToken: ct)).ConfigureAwait(false);
        return all.Where(n => GenerationNames.IsGenerationOf(Live, n, kind))
            .OrderByDescending(GenerationNames.StampOf, StringComparer.Ordinal).ThenByDescending(n => n, StringComparer.Ordinal).ToList();
    }

    /// <summary>A stamp for which neither live_gen_ nor live_new_ exists yet.</summary>
    public async Task<string> UniqueStampAsync(CancellationToken ct)
    {
        for (var t = DateTimeOffset.UtcNow; ; t = t.AddSeconds(1))
        {
            var stamp = Stamp(t);
            if (!await ExistsAsync(NameFor("gen", stamp), ct).ConfigureAwait(false) && !await ExistsAsync(NameFor("new", stamp), ct).ConfigureAwait(false))
                return stamp;
        }
    }

    /// <summary>
    /// Serialises syncs of the same live database on this server (session-level advisory lock: the server drops it with
    /// the session). A lock whose holder is a backend of a process on this host that no longer exists is released first.
    /// Returns what was repaired, if anything.
    /// </summary>
    public async Task<string?> LockAsync(CancellationToken ct)
    {
        string? repair = null;
        for (var attempt = 0; ; attempt++)
        {
            var ok = await _admin.ExecuteScalarAsync<bool>(new CommandDefinition(
                "SELECT pg_try_advisory_lock(hashtext('kojistaging-sync'), hashtext(@live))", new { live = Live }, cancellationToken: ct)).ConfigureAwait(false);
            if (ok) return repair;
            var holder = await _admin.QueryFirstOrDefaultAsync<(int pid, string? app, DateTime? since)>(new CommandDefinition("""
                SELECT l.pid, a.application_name, a.backend_start FROM pg_locks l LEFT JOIN pg_stat_activity a ON a.pid = l.pid
                WHERE l.locktype = 'advisory' AND l.granted AND l.objsubid = 2
                  AND l.classid = hashtext('kojistaging-sync')::oid AND l.objid = hashtext(@live)::oid
                """, new { live = Live }, cancellationToken: ct)).ConfigureAwait(false);
            if (attempt == 0 && holder.pid != 0 && LockOwner.IsDeadLocalProcess(holder.app))
            {
                await _admin.ExecuteAsync(new CommandDefinition("SELECT pg_terminate_backend(@pid, 5000)", new { holder.pid }, cancellationToken: ct)).ConfigureAwait(false);
                repair = $"released the sync lock on '{Live}' held by backend {holder.pid} of a process that no longer runs ({holder.app})";
                _log.LogWarning("Repair: {Repair}", repair);
                continue;
            }
            throw new StagingException("SyncInProgress", StagingErrorCategory.ResourceBusy,
                $"Another Sync-KojiStagingDb is replacing '{Live}' on this server right now" +
                (holder.pid != 0 ? $" (backend {holder.pid}, {holder.app}, since {holder.since:u})" : "") + ". Nothing was changed.", Live);
        }
    }

    public async Task CreateAsync(string db, string? encoding, string? collate, string? ctype, CancellationToken ct)
    {
        var sql = $"CREATE DATABASE {Ident.Quote(db)} TEMPLATE template0";
        if (encoding is not null) sql += $" ENCODING {Ident.Literal(encoding)}";
        if (collate is not null && ctype is not null)
        {
            try
            {
                await _admin.ExecuteAsync(new CommandDefinition(sql + $" LC_COLLATE {Ident.Literal(collate)} LC_CTYPE {Ident.Literal(ctype)}", cancellationToken: ct)).ConfigureAwait(false);
                return;
            }
            catch (PostgresException ex) when (ex.SqlState is "42809" or "22023" or "0A000")
            {
                _log.LogWarning("The staging server cannot create a database with the source's locale ({Collate}); using its default: {Message}", collate, ex.MessageText);
            }
        }
        await _admin.ExecuteAsync(new CommandDefinition(sql, cancellationToken: ct)).ConfigureAwait(false);
    }

    /// <summary>
    /// Drops a database, ending its sessions within the role's rights. WITH (FORCE) refuses the whole drop (42501) when one
    /// session is not the role's to end, an autovacuum worker among them; then sessions are ended one by one and a plain
    /// DROP, which makes autovacuum workers exit and waits 5 s for the rest, is retried. Returns true when it is gone.
    /// </summary>
    public async Task<bool> DropAsync(string db, CancellationToken ct = default, int? attempts = null)
    {
        try
        {
            await _admin.ExecuteAsync(new CommandDefinition($"DROP DATABASE IF EXISTS {Ident.Quote(db)} WITH (FORCE)", cancellationToken: ct)).ConfigureAwait(false);
            return true;
        }
        catch (PostgresException ex) when (ex.SqlState is "42501" or "55006")
        {
            _log.LogDebug("DROP DATABASE {Database} WITH (FORCE): {Message}; ending sessions one by one", db, ex.MessageText);
        }
        var max = attempts ?? DropAttempts;
        for (var attempt = 1; ; attempt++)
        {
            var blocked = await SessionTerminator.TerminateAsync(_admin, db, ct).ConfigureAwait(false);
            try
            {
                await _admin.ExecuteAsync(new CommandDefinition($"DROP DATABASE IF EXISTS {Ident.Quote(db)}", cancellationToken: ct)).ConfigureAwait(false);
                return true;
            }
            catch (PostgresException ex) when (ex.SqlState == "55006" && attempt < max)
            {
                await Task.Delay(500 * attempt, ct).ConfigureAwait(false);
            }
            catch (PostgresException ex) when (ex.SqlState == "55006")
            {
                _log.LogWarning("Could not drop {Database}: {Message}{Blocked}", db, ex.MessageText,
                    blocked.Count > 0 ? "; sessions this role may not end: " + string.Join(", ", blocked) : "");
                return false;
            }
        }
    }

    /// <summary>Puts <paramref name="fresh"/> in as live now (see <see cref="SwapAsync(string, string, CancellationToken)"/>).</summary>
    public async Task<string?> SwapAsync(string fresh, CancellationToken ct) =>
        await SwapAsync(fresh, await UniqueStampAsync(ct).ConfigureAwait(false), ct).ConfigureAwait(false);

    /// <summary>
    /// live → live_gen_stamp and fresh → live in ONE transaction: a crash, kill or cancel at any instant leaves either the old
    /// live or the new one, never a missing live name. Sessions on live are ended before the transaction; while the rename
    /// waits for live to empty (it holds the database's lock, so no new session can start) a second connection ends any
    /// session still there. Connections are never disallowed, so no flag can be left off. Returns the previous generation.
    /// </summary>
    public async Task<string?> SwapAsync(string fresh, string stamp, CancellationToken ct)
    {
        var liveExists = await ExistsAsync(Live, ct).ConfigureAwait(false);
        var previous = liveExists ? NameFor("gen", stamp) : null;
        IReadOnlyList<BlockingSession> blocked = Array.Empty<BlockingSession>();
        for (var attempt = 1; ; attempt++)
        {
            if (liveExists) blocked = await SessionTerminator.TerminateAsync(_admin, Live, ct).ConfigureAwait(false);
            await Point("swap:sessions-ended", ct).ConfigureAwait(false);
            using var stopHelper = CancellationTokenSource.CreateLinkedTokenSource(ct);
            var helper = liveExists ? EndSessionsWhileRenamingAsync(stopHelper.Token) : Task.CompletedTask;
            try
            {
                await using var tx = await _admin.BeginTransactionAsync(ct).ConfigureAwait(false);
                await Point("swap:begun", ct).ConfigureAwait(false);
                if (previous is not null)
                {
                    await _admin.ExecuteAsync(new CommandDefinition($"ALTER DATABASE {Ident.Quote(Live)} RENAME TO {Ident.Quote(previous)}", transaction: tx, cancellationToken: ct)).ConfigureAwait(false);
                    stopHelper.Cancel();
                    await Point("swap:renamed-live", ct).ConfigureAwait(false);
                }
                await _admin.ExecuteAsync(new CommandDefinition($"ALTER DATABASE {Ident.Quote(fresh)} RENAME TO {Ident.Quote(Live)}", transaction: tx, cancellationToken: ct)).ConfigureAwait(false);
                await Point("swap:renamed-new", ct).ConfigureAwait(false);
                // Past this point the swap is decided by the server alone: not cancellable, the caller checks afterwards.
                await tx.CommitAsync(CancellationToken.None).ConfigureAwait(false);
            }
            catch (PostgresException ex) when (ex.SqlState == "55006" && attempt < SwapAttempts)
            {
                _log.LogInformation("Live '{Live}' still had sessions (attempt {Attempt}): {Message}", Live, attempt, ex.MessageText);
                continue;
            }
            catch (PostgresException ex) when (ex.SqlState == "55006")
            {
                throw new StagingException("SwapBlocked", StagingErrorCategory.ResourceBusy,
                    $"Live staging '{Live}' kept sessions that this role may not end, so it could not be renamed" +
                    (blocked.Count > 0 ? $": {string.Join(", ", blocked)}" : $": {ex.MessageText}") + ". The swap transaction was rolled back.", Live, ex)
                { RecommendedAction = "End those sessions (or grant the staging role pg_signal_backend if they belong to another non-superuser role), then sync again." };
            }
            finally
            {
                stopHelper.Cancel();
                try { await helper.ConfigureAwait(false); } catch (OperationCanceledException) { }
            }
            break;
        }
        await Point("swap:committed", ct).ConfigureAwait(false);
        if (previous is not null) _log.LogInformation("Renamed {Live} to {Previous} and {Fresh} to {Live}", Live, previous, fresh, Live);
        else _log.LogInformation("Renamed {Fresh} to {Live}", fresh, Live);
        return previous;
    }

    /// <summary>Ends sessions on live from a second connection until cancelled (the rename waits up to 5 s for them).</summary>
    private async Task EndSessionsWhileRenamingAsync(CancellationToken ct)
    {
        try
        {
            await Task.Delay(300, ct).ConfigureAwait(false);
            await using var helper = await PgConnector.OpenAsync(_adminConnectionString, "staging", ct).ConfigureAwait(false);
            while (!ct.IsCancellationRequested)
            {
                await SessionTerminator.TerminateAsync(helper, Live, ct).ConfigureAwait(false);
                await Task.Delay(300, ct).ConfigureAwait(false);
            }
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            _log.LogDebug("Ending sessions during the swap: {Message}", ex.Message);
        }
    }

    /// <summary>Drops previous generations beyond the newest <paramref name="keep"/>. A drop that fails is left for the next run.</summary>
    public async Task<(IReadOnlyList<string> Dropped, IReadOnlyList<string> Left)> RotateAsync(int keep, CancellationToken ct)
    {
        var gens = await GenerationsAsync("gen", ct).ConfigureAwait(false);
        var dropped = new List<string>();
        var left = new List<string>();
        foreach (var g in gens.Skip(Math.Max(0, keep)))
        {
            await Point("rotate:drop", ct).ConfigureAwait(false);
            bool gone;
            try { gone = await DropAsync(g, ct).ConfigureAwait(false); }
            catch (PostgresException ex)
            {
                _log.LogWarning("Could not drop old generation {Generation}: {Message}", g, ex.MessageText);
                gone = false;
            }
            if (gone && !await ExistsAsync(g, ct).ConfigureAwait(false))
            {
                dropped.Add(g);
                _log.LogInformation("Dropped old generation {Generation}", g);
            }
            else
            {
                left.Add(g);
                _log.LogWarning("Old generation {Generation} is still there; the next sync drops it", g);
            }
        }
        return (dropped, left);
    }
}
