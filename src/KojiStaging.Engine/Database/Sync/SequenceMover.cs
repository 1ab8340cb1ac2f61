using Dapper;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace KojiStaging.Engine.Database.Sync;

/// <summary>
/// The Sequences rule: ids staging creates (tasks, repos, buildroots, images) start SequenceOffset above
/// production's, so a staging task or repo never shares an id (and a directory under work/ or repos/)
/// with a production one. Sequences the schema lacks are skipped.
/// </summary>
public static class SequenceMover
{
    public static async Task MoveAsync(NpgsqlConnection conn, long offset, ILogger log, CancellationToken ct)
    {
        foreach (var name in SanitizeRules.MovedSequences)
        {
            var seq = await conn.QuerySingleOrDefaultAsync<(string schema, long? last, long max)?>(new CommandDefinition(
                "SELECT schemaname::text, last_value, max_value FROM pg_sequences WHERE sequencename = @name ORDER BY schemaname = 'public' DESC LIMIT 1",
                new { name }, cancellationToken: ct)).ConfigureAwait(false);
            if (seq is null) continue;
            var (schema, last, max) = seq.Value;
            var target = (last ?? 0) + offset;
            if (target >= max)
            {
                target = (last ?? 0) + (max - (last ?? 0)) / 2;
                log.LogWarning("Sequence {Sequence}: production + offset exceeds its maximum; using {Value}", name, target);
            }
            await conn.ExecuteAsync(new CommandDefinition("SELECT setval(@seq::regclass, @target, false)",
                new { seq = $"{Ident.Quote(schema)}.{Ident.Quote(name)}", target }, cancellationToken: ct)).ConfigureAwait(false);
            log.LogInformation("Sequence {Sequence}: production {Last}, staging starts at {Target}", name, last, target);
        }
    }
}
