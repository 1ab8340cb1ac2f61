using System.Text.RegularExpressions;
using Dapper;
using KojiStaging.Engine.Diagnostics;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace KojiStaging.Engine.Database.Sync;

/// <summary>
/// Database generations on the staging server: the live name (e.g. koji), the database being built
/// (koji_new_20261124231500) and previous generations (koji_gen_20261124231500). Runs on a maintenance
/// connection to the server's 'postgres' database.
/// </summary>
public sealed class GenerationSwapper
{
    private readonly NpgsqlConnection _admin;
    private readonly ILogger _log;

    public GenerationSwapper(NpgsqlConnection admin, string live, ILogger log)
    {
        _admin = admin; _log = log; Live = live;
    }

    public string Live { get; }

    public static string Stamp(DateTimeOffset t) => t.UtcDateTime.ToString("yyyyMMddHHmmss");

    /// <summary>live + suffix, the live part shortened so the whole stays within PostgreSQL's 63 bytes.</summary>
    public string NameFor(string kind, string stamp)
    {
        var suffix = $"_{kind}_{stamp}";
        var baseName = Live;
        while (System.Text.Encoding.UTF8.GetByteCount(baseName + suffix) > 63) baseName = baseName[..^1];
        return baseName + suffix;
    }

    private Regex Pattern(string kind)
    {
        var suffix = $"_{kind}_" + new string('0', 14);
        var baseName = Live;
        while (System.Text.Encoding.UTF8.GetByteCount(baseName + suffix) > 63) baseName = baseName[..^1];
        return new Regex("^" + Regex.Escape(baseName) + "_" + kind + @"_\d{14}$");
    }

    public Task<bool> ExistsAsync(string db, CancellationToken ct) =>
        _admin.ExecuteScalarAsync<bool>(new CommandDefinition("SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = @db)", new { db }, cancellationToken: ct));

    /// <summary>Previous generations, newest first.</summary>
    public async Task<IReadOnlyList<string>> GenerationsAsync(string kind, CancellationToken ct)
    {
        var all = await _admin.QueryAsync<string>(new CommandDefinition("SELECT datname FROM pg_database", cancellationToken: ct)).ConfigureAwait(false);
        var p = Pattern(kind);
        return all.Where(n => p.IsMatch(n)).OrderByDescending(n => n[^14..]).ThenByDescending(n => n, StringComparer.Ordinal).ToList();
    }

    /// <summary>Serialises syncs of the same live database on this server (session-level advisory lock).</summary>
    public async Task LockAsync(CancellationToken ct)
    {
        var ok = await _admin.ExecuteScalarAsync<bool>(new CommandDefinition(
            "SELECT pg_try_advisory_lock(hashtext('kojistaging-sync'), hashtext(@live))", new { live = Live }, cancellationToken: ct)).ConfigureAwait(false);
        if (!ok)
            throw new StagingException("SyncInProgress", StagingErrorCategory.ResourceBusy,
                $"Another Sync-KojiStagingDb is replacing '{Live}' on this server right now.", Live);
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

    public async Task DropAsync(string db, CancellationToken ct = default) =>
        await _admin.ExecuteAsync(new CommandDefinition($"DROP DATABASE IF EXISTS {Ident.Quote(db)} WITH (FORCE)", cancellationToken: ct)).ConfigureAwait(false);

    /// <summary>
    /// live → previous generation, fresh → live. Connections to live are refused and terminated first;
    /// if the second rename fails the first is undone, so live is never left missing.
    /// </summary>
    public async Task<string?> SwapAsync(string fresh, string stamp, CancellationToken ct)
    {
        string? previous = null;
        if (await ExistsAsync(Live, ct).ConfigureAwait(false))
        {
            previous = NameFor("gen", stamp);
            await _admin.ExecuteAsync($"ALTER DATABASE {Ident.Quote(Live)} WITH ALLOW_CONNECTIONS false").ConfigureAwait(false);
            try
            {
                for (var attempt = 1; ; attempt++)
                {
                    await _admin.ExecuteAsync("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = @live AND pid <> pg_backend_pid()", new { live = Live }).ConfigureAwait(false);
                    try
                    {
                        await _admin.ExecuteAsync($"ALTER DATABASE {Ident.Quote(Live)} RENAME TO {Ident.Quote(previous)}").ConfigureAwait(false);
                        break;
                    }
                    catch (PostgresException ex) when (ex.SqlState == "55006" && attempt < 20)
                    {
                        await Task.Delay(250, CancellationToken.None).ConfigureAwait(false);
                    }
                }
            }
            finally
            {
                var current = await ExistsAsync(Live, CancellationToken.None).ConfigureAwait(false) ? Live : previous;
                await _admin.ExecuteAsync($"ALTER DATABASE {Ident.Quote(current)} WITH ALLOW_CONNECTIONS true").ConfigureAwait(false);
            }
            _log.LogInformation("Renamed {Live} to {Previous}", Live, previous);
        }
        try
        {
            await _admin.ExecuteAsync($"ALTER DATABASE {Ident.Quote(fresh)} RENAME TO {Ident.Quote(Live)}").ConfigureAwait(false);
        }
        catch
        {
            if (previous is not null)
                await _admin.ExecuteAsync($"ALTER DATABASE {Ident.Quote(previous)} RENAME TO {Ident.Quote(Live)}").ConfigureAwait(false);
            throw;
        }
        _log.LogInformation("Renamed {Fresh} to {Live}", fresh, Live);
        return previous;
    }

    /// <summary>Drops previous generations beyond the newest <paramref name="keep"/>; returns the dropped names.</summary>
    public async Task<IReadOnlyList<string>> RotateAsync(int keep, CancellationToken ct)
    {
        var gens = await GenerationsAsync("gen", ct).ConfigureAwait(false);
        var drop = gens.Skip(Math.Max(0, keep)).ToList();
        foreach (var g in drop)
        {
            await DropAsync(g, ct).ConfigureAwait(false);
            _log.LogInformation("Dropped old generation {Generation}", g);
        }
        return drop;
    }
}
