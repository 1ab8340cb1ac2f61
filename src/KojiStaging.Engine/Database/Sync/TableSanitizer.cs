namespace KojiStaging.Engine.Database.Sync;

/// <summary>What the sanitise rules do to one table: no rows at all, or the SQL expression each rewritten column gets.</summary>
public sealed record TableSanitizing(bool SkipRows, IReadOnlyDictionary<string, string> Columns, IReadOnlyList<string> Rules);

/// <summary>
/// Resolves the active sanitise rules against a catalog once, then answers per table. Shared by the stream copy
/// (which rewrites columns in its SELECT) and the follower's clone (which rewrites them with UPDATEs).
/// </summary>
public static class TableSanitizer
{
    public static Func<SourceTable, TableSanitizing> For(IReadOnlyList<SourceTable> tables, IReadOnlyList<SanitizeRule> rules,
        IReadOnlyCollection<string> excludedTables, int syncedEvent)
    {
        var catalog = KojiCatalog.From(tables.Select(t => (t.Name, (IEnumerable<string>)t.Columns)));
        var forms = rules.Select(r => (Rule: r, Form: r.ResolveFor(catalog).Form)).Where(x => x.Form is not null).ToList();
        return t =>
        {
            var applied = new List<string>();
            var columns = new Dictionary<string, string>(StringComparer.Ordinal);
            var skip = excludedTables.Contains(t.DisplayName) || excludedTables.Contains(t.Name);
            foreach (var (rule, form) in forms)
                foreach (var tr in form!.Transforms.Where(x => x.Matches(t.Name)))
                {
                    if (tr.SkipRows) { skip = true; applied.Add(rule.Name); }
                    foreach (var (col, template) in tr.Columns ?? new Dictionary<string, string>())
                    {
                        var expr = template.Replace("{event}", syncedEvent.ToString());
                        if (!t.Columns.Contains(col) || !CopyPlanner.ReferencedColumnsExist(expr, t)) continue;
                        columns[col] = expr;
                        applied.Add(rule.Name);
                    }
                }
            return new TableSanitizing(skip, columns, applied.Distinct().ToList());
        };
    }
}
