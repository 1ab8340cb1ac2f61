using Dapper;

namespace KojiStaging.Engine.Database.Sync;

/// <summary>
/// Production's schema into the new database, read in the copy's own snapshot: pg_dump's pre-data (tables, types,
/// functions) made loadable on the target's release, sequences set to production's values, and the post-data
/// (indexes, keys, triggers) parsed for the loader, with key indexes split out so COPY can build them per table.
/// Publications and subscriptions are left out: staging must neither re-publish production nor subscribe again.
/// </summary>
public static class SchemaLoader
{
    public static readonly string[] DumpArguments = { "--no-publications", "--no-subscriptions" };

    public static async Task<IReadOnlyList<PostDataItem>> LoadAsync(ParallelLoader loader, SourceSnapshot snapshot, string sourceCs, string pgDump, CancellationToken ct)
    {
        var pre = SchemaDump.DumpAsync(sourceCs, snapshot.SnapshotId, "pre-data", DumpArguments, ct, pgDump);
        var post = SchemaDump.DumpAsync(sourceCs, snapshot.SnapshotId, "post-data", DumpArguments, ct, pgDump);
        await using var conn = await loader.OpenTargetAsync(ct).ConfigureAwait(false);
        var known = (await conn.QueryAsync<string>("SELECT name FROM pg_settings").ConfigureAwait(false)).ToHashSet(StringComparer.Ordinal);
        await conn.ExecuteAsync(new CommandDefinition(PgVersionSupport.ForTarget(await pre.ConfigureAwait(false), known), cancellationToken: ct)).ConfigureAwait(false);
        await CopySequencesAsync(snapshot.Connection, conn, ct).ConfigureAwait(false);
        var keys = await SourceCatalog.ReadKeyIndexesAsync(snapshot.Connection, ct).ConfigureAwait(false);
        return KeyIndexSplitter.Split(SchemaDump.ParsePostData(await post.ConfigureAwait(false)), keys);
    }

    /// <summary>Sets every sequence of <paramref name="target"/> to the value it has in <paramref name="source"/>.</summary>
    public static async Task CopySequencesAsync(Npgsql.NpgsqlConnection source, Npgsql.NpgsqlConnection target, CancellationToken ct)
    {
        foreach (var s in (await SourceCatalog.ReadSequencesAsync(source, ct).ConfigureAwait(false)).Where(s => s.LastValue is not null))
            await target.ExecuteAsync(new CommandDefinition($"SELECT pg_catalog.setval({Ident.Literal(s.QualifiedName)}, {s.LastValue}, true)", cancellationToken: ct)).ConfigureAwait(false);
    }
}
