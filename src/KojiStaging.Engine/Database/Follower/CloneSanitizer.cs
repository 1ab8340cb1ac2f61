using Dapper;
using KojiStaging.Engine.Database.Sync;
using Npgsql;

namespace KojiStaging.Engine.Database.Follower;

/// <summary>
/// Applies the sanitise rules to a clone of the follower, in place: the same transforms the stream sync evaluates in
/// its COPY, as one UPDATE per table that rewrites only the rows a rule changes (SET col = expr WHERE col IS DISTINCT
/// FROM expr), and tables that get no rows are emptied. Secrets are already absent (never published); the rules for
/// them run anyway and find nothing.
/// </summary>
public static class CloneSanitizer
{
    /// <summary>Returns the names of the rules that changed or checked something.</summary>
    public static async Task<IReadOnlyList<string>> ApplyAsync(NpgsqlConnection clone, IReadOnlyList<SanitizeRule> rules, IReadOnlyCollection<string> excludedTables,
        int syncedEvent, CancellationToken ct)
    {
        var tables = await SourceCatalog.ReadTablesAsync(clone, ct).ConfigureAwait(false);
        var transformOf = TableSanitizer.For(tables, rules, excludedTables, syncedEvent);
        var applied = new List<string>();
        var empty = new List<SourceTable>();
        foreach (var t in tables)
        {
            var (skip, columns, tableRules) = transformOf(t);
            applied.AddRange(tableRules);
            if (skip) { empty.Add(t); continue; }
            if (columns.Count == 0) continue;
            var set = string.Join(", ", columns.Select(c => $"{Ident.Quote(c.Key)} = {c.Value}"));
            var changed = string.Join(" OR ", columns.Select(c => $"{Ident.Quote(c.Key)} IS DISTINCT FROM ({c.Value})"));
            await clone.ExecuteAsync(new CommandDefinition($"UPDATE {t.QualifiedName} SET {set} WHERE {changed}", cancellationToken: ct, commandTimeout: 0)).ConfigureAwait(false);
        }
        if (empty.Count > 0)
            await clone.ExecuteAsync(new CommandDefinition($"TRUNCATE {string.Join(", ", empty.Select(t => t.QualifiedName))}", cancellationToken: ct, commandTimeout: 0)).ConfigureAwait(false);
        return applied.Distinct().ToList();
    }
}
