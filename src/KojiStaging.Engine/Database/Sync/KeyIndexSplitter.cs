namespace KojiStaging.Engine.Database.Sync;

/// <summary>
/// Turns pg_dump's <c>ADD CONSTRAINT … PRIMARY KEY/UNIQUE (…)</c> into a <c>CREATE UNIQUE INDEX</c> plus an
/// instant <c>ADD CONSTRAINT … USING INDEX</c>. ADD CONSTRAINT builds its index under an ACCESS EXCLUSIVE
/// lock, so a table's other index builds had to wait for it; CREATE INDEX takes a SHARE lock, so all of a
/// table's indexes build at once on different workers. For a long narrow table (buildroot_listing: a
/// unique pair and an index, each a sort of the whole table) that halves the chain that ends the load.
/// The result in the catalog is the same constraint owning the same index.
/// </summary>
public static class KeyIndexSplitter
{
    public static IReadOnlyList<PostDataItem> Split(IReadOnlyList<PostDataItem> items, IReadOnlyList<KeyIndex> keys)
    {
        var byName = keys.ToDictionary(k => (k.Table, k.Constraint));
        var result = new List<PostDataItem>(items.Count + keys.Count);
        foreach (var item in items)
        {
            if (item is not { Kind: PostDataKind.TableConstraint, Table: { } table, ConstraintName: { } quoted }
                || item.Sql.Contains(" TABLESPACE ", StringComparison.Ordinal)
                || !byName.TryGetValue((table, SchemaDump.Normalize(quoted)), out var key))
            {
                result.Add(item);
                continue;
            }
            var name = Ident.Quote(key.Constraint);
            var timing = key.Deferrable ? key.Deferred ? " DEFERRABLE INITIALLY DEFERRED" : " DEFERRABLE" : "";
            result.Add(item with { Kind = PostDataKind.Index, Sql = key.IndexDefinition + ";" });
            result.Add(item with
            {
                Sql = $"ALTER TABLE ONLY {Ident.FromKey(table)} ADD CONSTRAINT {name} {(key.Primary ? "PRIMARY KEY" : "UNIQUE")} USING INDEX {name}{timing};",
                AdoptsIndex = true,
            });
        }
        return result;
    }
}
