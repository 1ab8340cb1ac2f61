using Dapper;
using KojiStaging.Engine.Database.Sync;
using KojiStaging.Engine.Diagnostics;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace KojiStaging.Engine.Database.Follower;

/// <summary>What Disable-KojiStagingFollower removed, and what is left for production's DBA.</summary>
public sealed record FollowerRemoval(string Name, string Server, string FollowerDatabase, bool SubscriptionDropped, bool DatabaseDropped, bool SlotDropped,
    IReadOnlyList<string> PublicationsDropped, IReadOnlyList<string> LeftForDba);

/// <summary>
/// Removes a follower in the order that never leaves production holding WAL for nobody: the subscription (without
/// letting it reach production: slot_name = NONE), then the slot, the publications the role owns, and the follower database.
/// </summary>
public sealed class FollowerRemover
{
    public async Task<FollowerRemoval?> RunAsync(FollowerOptions o, EngineScope scope)
    {
        var log = scope.Logger<FollowerRemover>();
        var ct = scope.Cancellation;
        var names = FollowerNames.For(o.Destination.Database, o.Name);
        var sourceCs = new NpgsqlConnectionStringBuilder(o.Source.SourceConnectionString) { CommandTimeout = 0, Pooling = false }.ConnectionString;
        var stagingCs = new NpgsqlConnectionStringBuilder(o.Destination.ConnectionString) { CommandTimeout = 0, Pooling = false, Database = "postgres" }.ConnectionString;
        await using var prod = await PgConnector.OpenAsync(sourceCs, "source", ct).ConfigureAwait(false);
        await using var staging = await PgConnector.OpenAsync(stagingCs, "staging", ct).ConfigureAwait(false);
        var what = $"drop subscription {names.Subscription} and database {names.FollowerDatabase} on {o.Destination.Host}:{o.Destination.Port}; on production drop slot {names.Slot} and publications {names.Publication}, {names.InsertOnlyPublication}";
        if (o.Approve is not null && !await o.Approve(what).ConfigureAwait(false)) return null;
        return await RemoveAsync(prod, staging, stagingCs, names, log, ct, dropPublications: true).ConfigureAwait(false) with { Server = $"{o.Destination.Host}:{o.Destination.Port}" };
    }

    /// <summary>Whether the database carries the marker Enable-KojiStagingFollower writes first: only such a database is ever dropped as a follower.</summary>
    public static async Task<bool> IsFollowerAsync(string stagingCs, string database, CancellationToken ct)
    {
        await using var conn = await PgConnector.OpenAsync(PgConnectionFactory.WithDatabase(stagingCs, database), "staging", ct).ConfigureAwait(false);
        // Two statements: a query naming a table that does not exist fails when parsed, whatever guards it.
        if (!await conn.ExecuteScalarAsync<bool>(new CommandDefinition($"SELECT to_regclass('public.{StagingMarker.Table}') IS NOT NULL", cancellationToken: ct)).ConfigureAwait(false)) return false;
        return await conn.ExecuteScalarAsync<bool>(new CommandDefinition(
            $"SELECT EXISTS (SELECT 1 FROM public.{StagingMarker.Table} WHERE kind = 'follower')", cancellationToken: ct)).ConfigureAwait(false);
    }

    public async Task<FollowerRemoval> RemoveAsync(NpgsqlConnection prod, NpgsqlConnection staging, string stagingCs, FollowerNames names, ILogger log, CancellationToken ct, bool dropPublications = false)
    {
        var sub = await FollowerSubscription.FindAsync(staging, names.FollowerDatabase, ct).ConfigureAwait(false);
        var dbExists = await staging.ExecuteScalarAsync<bool>(new CommandDefinition("SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = @d)", new { d = names.FollowerDatabase }, cancellationToken: ct)).ConfigureAwait(false);
        var slotName = sub?.Slot ?? names.Slot;
        if (sub is not null)
        {
            await using var follower = await PgConnector.OpenAsync(PgConnectionFactory.WithDatabase(stagingCs, names.FollowerDatabase), "staging", ct).ConfigureAwait(false);
            await FollowerSubscription.DropAsync(follower, sub.Name, ct).ConfigureAwait(false);
            log.LogInformation("Dropped subscription {Subscription}", sub.Name);
        }
        var slotDropped = await FollowerSlot.DropAsync(prod, slotName, ct).ConfigureAwait(false);
        var left = new List<string>();
        if (!slotDropped)
        {
            left.Add($"SELECT pg_drop_replication_slot('{slotName}');");
            log.LogWarning("Slot {Slot} on production is still in use and was not dropped", slotName);
        }
        var pubsBefore = dropPublications
            ? (await prod.QueryAsync<string>(new CommandDefinition("SELECT pubname::text FROM pg_publication WHERE pubname = ANY(@n)",
                new { n = new[] { names.Publication, names.InsertOnlyPublication } }, cancellationToken: ct)).ConfigureAwait(false)).ToList()
            : new List<string>();
        var dropped = new List<string>();
        if (dropPublications)
        {
            var forDba = await PublicationInspector.DropAsync(prod, names, ct).ConfigureAwait(false);
            left.AddRange(forDba);
            dropped.AddRange(pubsBefore.Where(p => !forDba.Any(s => s.Contains(Ident.Quote(p)))));
            foreach (var s in forDba) log.LogWarning("The role may not drop a publication; production's DBA must run: {Sql}", s);
        }
        var dbDropped = false;
        if (dbExists && !await IsFollowerAsync(stagingCs, names.FollowerDatabase, ct).ConfigureAwait(false))
            log.LogWarning("{Database} has no follower marker, so the module did not make it: it is left as it is", names.FollowerDatabase);
        else if (dbExists)
        {
            var swapper = new GenerationSwapper(staging, stagingCs, names.Live, log);
            dbDropped = await swapper.DropAsync(names.FollowerDatabase, ct).ConfigureAwait(false);
        }
        return new FollowerRemoval(names.Name, "", names.FollowerDatabase, sub is not null, dbDropped, slotDropped, dropped, left);
    }
}
