using Dapper;
using Microsoft.Extensions.Logging;

namespace KojiStaging.Engine.Database.Sync;

/// <summary>What an interrupted sync (or an older module version) left on the staging server, and the repair for it.</summary>
public sealed record Leftover(string Kind, string Database, string Repair);

/// <summary>
/// Finds and repairs what an earlier crash left around one live staging database, before a sync does anything else:
/// connections disallowed on live or a generation (module versions before the one-transaction swap), a live name missing
/// while a previous generation exists (renamed back), half-built live_new_ databases (dropped). Repairs run under the
/// sync lock, so they never touch the database of a sync that is still running.
/// </summary>
public static class StagingRecovery
{
    public const string ConnectionsDisallowed = "ConnectionsDisallowed";
    public const string LiveMissing = "LiveMissing";
    public const string HalfBuilt = "HalfBuilt";

    /// <summary>Read-only: what a repair would do now.</summary>
    public static async Task<IReadOnlyList<Leftover>> FindAsync(GenerationSwapper s, CancellationToken ct)
    {
        var found = new List<Leftover>();
        var dbs = (await s.Connection.QueryAsync<(string name, bool allow)>(new CommandDefinition(
            "SELECT datname, datallowconn FROM pg_database WHERE NOT datistemplate", cancellationToken: ct)).ConfigureAwait(false)).ToList();
        foreach (var (name, allow) in dbs.Where(d => !d.allow && (d.name == s.Live || GenerationNames.IsGenerationOf(s.Live, d.name, "gen"))))
            found.Add(new Leftover(ConnectionsDisallowed, name, $"allow connections to '{name}' again (an interrupted swap left them disallowed)"));
        if (!dbs.Any(d => d.name == s.Live))
        {
            var newest = (await s.GenerationsAsync("gen", ct).ConfigureAwait(false)).FirstOrDefault();
            if (newest is not null)
                found.Add(new Leftover(LiveMissing, newest, $"rename '{newest}' back to '{s.Live}' (the live name was missing; it is the newest previous generation)"));
        }
        foreach (var half in await s.GenerationsAsync("new", ct).ConfigureAwait(false))
            found.Add(new Leftover(HalfBuilt, half, $"drop '{half}', left half-built by an interrupted sync"));
        return found;
    }

    /// <summary>Repairs what <see cref="FindAsync"/> finds now; call it holding the sync lock. Returns the repairs done.</summary>
    public static async Task<IReadOnlyList<string>> RepairAsync(GenerationSwapper s, ILogger log, CancellationToken ct)
    {
        var done = new List<string>();
        foreach (var l in await FindAsync(s, ct).ConfigureAwait(false))
        {
            switch (l.Kind)
            {
                case ConnectionsDisallowed:
                    await s.Connection.ExecuteAsync(new CommandDefinition($"ALTER DATABASE {Ident.Quote(l.Database)} WITH ALLOW_CONNECTIONS true", cancellationToken: ct)).ConfigureAwait(false);
                    break;
                case LiveMissing:
                    await s.Connection.ExecuteAsync(new CommandDefinition($"ALTER DATABASE {Ident.Quote(l.Database)} RENAME TO {Ident.Quote(s.Live)}", cancellationToken: ct)).ConfigureAwait(false);
                    break;
                case HalfBuilt:
                    if (!await s.DropAsync(l.Database, ct).ConfigureAwait(false))
                    {
                        log.LogWarning("Repair failed: could not drop {Database}; it stays until a later sync can", l.Database);
                        continue;
                    }
                    break;
            }
            log.LogWarning("Repaired: {Repair}", l.Repair);
            done.Add(l.Repair);
        }
        return done;
    }
}
