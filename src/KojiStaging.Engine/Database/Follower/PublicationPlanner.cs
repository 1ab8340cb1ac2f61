using KojiStaging.Engine.Database.Sync;

namespace KojiStaging.Engine.Database.Follower;

/// <summary>A table as production publishes it: the columns sent and which publication carries it.</summary>
/// <param name="ColumnList">Whether the table is published with an explicit column list. Not for REPLICA IDENTITY FULL without
/// secret columns: PostgreSQL 15 refuses UPDATE and DELETE on a FULL table whose publication has any column list.</param>
public sealed record PublishedTable(SourceTable Table, IReadOnlyList<string> Columns, IReadOnlyList<string> SecretColumns, bool InsertOnly, string? Why, bool ColumnList = true)
{
    public string Describe() => $"{Table.DisplayName}{(InsertOnly ? $" (INSERT only: {Why})" : "")}{(SecretColumns.Count > 0 ? $" without {string.Join(", ", SecretColumns)}" : "")}";
}

/// <summary>A table not published at all, and the rule that keeps its rows on production.</summary>
public sealed record UnpublishedTable(string Table, string Rule);

/// <summary>What production publishes to the follower.</summary>
public sealed record PublicationPlan(FollowerNames Names, IReadOnlyList<PublishedTable> Tables, IReadOnlyList<UnpublishedTable> Unpublished)
{
    public IEnumerable<PublishedTable> Full => Tables.Where(t => !t.InsertOnly);
    public IEnumerable<PublishedTable> InsertOnly => Tables.Where(t => t.InsertOnly);

    /// <summary>The publications that carry the published tables (the INSERT-only one only when some table needs it).</summary>
    public IReadOnlyList<string> PublicationNames => InsertOnly.Any() ? new[] { Names.Publication, Names.InsertOnlyPublication } : new[] { Names.Publication };

    /// <summary>
    /// The CREATE PUBLICATION statements. Every table has an explicit column list, so a column a later Koji adds
    /// (perhaps a secret) is not published until the follower is re-planned.
    /// </summary>
    public IReadOnlyList<string> CreateSql()
    {
        var sql = new List<string> { Create(Names.Publication, Full, "insert, update, delete, truncate") };
        if (InsertOnly.Any()) sql.Add(Create(Names.InsertOnlyPublication, InsertOnly, "insert, truncate"));
        return sql;
    }

    public IReadOnlyList<string> DropSql() =>
        new[] { Names.Publication, Names.InsertOnlyPublication }.Select(p => $"DROP PUBLICATION IF EXISTS {Ident.Quote(p)};").ToList();

    private static string Create(string name, IEnumerable<PublishedTable> tables, string publish)
    {
        var list = string.Join(",\n    ", tables.Select(t => t.ColumnList ? $"{t.Table.QualifiedName} ({string.Join(", ", t.Columns.Select(Ident.Quote))})" : t.Table.QualifiedName));
        return list.Length == 0
            ? $"CREATE PUBLICATION {Ident.Quote(name)} WITH (publish = '{publish}');"
            : $"CREATE PUBLICATION {Ident.Quote(name)} FOR TABLE\n    {list}\n    WITH (publish = '{publish}');";
    }
}

/// <summary>
/// Plans the follower's publications from production's catalog. Logical replication makes a publisher's UPDATE or
/// DELETE fail when the table publishes those actions without a replica identity, or when its column list does not
/// cover the replica identity columns (PostgreSQL 15+). Such tables go into a second publication that publishes
/// INSERT and TRUNCATE only, which can never make a statement on production fail.
/// </summary>
public static class PublicationPlanner
{
    public static PublicationPlan Plan(FollowerNames names, IReadOnlyList<SourceTable> tables, IReadOnlyDictionary<string, ReplicaIdentity> identities,
        IReadOnlyList<SanitizeRule> rules)
    {
        var atSource = FollowerRules.AtSource(rules);
        var catalog = KojiCatalog.From(tables.Select(t => (t.Name, (IEnumerable<string>)t.Columns)));
        var forms = atSource.Select(r => (Rule: r, Form: r.ResolveFor(catalog).Form)).Where(x => x.Form is not null).ToList();
        var published = new List<PublishedTable>();
        var unpublished = new List<UnpublishedTable>();
        foreach (var t in tables)
        {
            var transforms = forms.SelectMany(f => f.Form!.Transforms.Where(x => x.Matches(t.Name)).Select(x => (f.Rule.Name, Transform: x))).ToList();
            if (transforms.FirstOrDefault(x => x.Transform.SkipRows) is { Name: not null } skip)
            {
                unpublished.Add(new UnpublishedTable(t.DisplayName, skip.Name));
                continue;
            }
            var secret = transforms.SelectMany(x => x.Transform.Columns?.Keys ?? Enumerable.Empty<string>()).Where(t.Columns.Contains).Distinct().ToList();
            var columns = t.Columns.Where(c => !secret.Contains(c)).ToList();
            var id = identities.TryGetValue(t.Key, out var i) ? i : new ReplicaIdentity(t.Key, 'd', Array.Empty<string>());
            string? why = id.Columns.Count == 0 ? id.Describe()
                : id.Columns.Where(c => !columns.Contains(c)).ToList() is { Count: > 0 } missing
                    ? $"its replica identity needs {string.Join(", ", missing)}, which {(missing.Count == 1 ? "is" : "are")} not published"
                    : null;
            published.Add(new PublishedTable(t, columns, secret, why is not null, why, ColumnList: !(id.Kind == 'f' && why is null)));
        }
        return new PublicationPlan(names, published, unpublished);
    }
}
