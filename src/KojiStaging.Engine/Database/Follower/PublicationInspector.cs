using Dapper;
using KojiStaging.Engine.Database.Sync;
using Npgsql;

namespace KojiStaging.Engine.Database.Follower;

/// <summary>
/// Compares the publications production has with the plan: which are missing, and how an existing one differs
/// (tables, column lists, published actions). A publication of the module's name that publishes UPDATE or DELETE
/// for a table whose replica identity it does not carry is reported too: it would make production's statements fail.
/// </summary>
public static class PublicationInspector
{
    public sealed record Finding(bool Missing, IReadOnlyList<string> Differences)
    {
        public bool Matches => !Missing && Differences.Count == 0;
    }

    public static async Task<Finding> CompareAsync(NpgsqlConnection prod, PublicationPlan plan, CancellationToken ct)
    {
        var pubs = (await prod.QueryAsync<(string name, bool ins, bool upd, bool del, bool all)>(new CommandDefinition(
            "SELECT pubname::text, pubinsert, pubupdate, pubdelete, puballtables FROM pg_publication WHERE pubname = ANY(@names)",
            new { names = new[] { plan.Names.Publication, plan.Names.InsertOnlyPublication } }, cancellationToken: ct)).ConfigureAwait(false)).ToList();
        var wanted = plan.PublicationNames;
        if (pubs.Count == 0) return new Finding(true, Array.Empty<string>());
        var diffs = new List<string>();
        foreach (var w in wanted.Where(w => pubs.All(p => p.name != w))) diffs.Add($"publication {w} is missing");
        foreach (var p in pubs.Where(p => !wanted.Contains(p.name))) diffs.Add($"publication {p.name} is not needed (no table lacks a usable replica identity)");
        var members = (await prod.QueryAsync<(string pub, string schema, string table, string[] cols)>(new CommandDefinition(
            "SELECT pubname::text, schemaname::text, tablename::text, attnames::text[] FROM pg_publication_tables WHERE pubname = ANY(@names)",
            new { names = pubs.Select(p => p.name).ToArray() }, cancellationToken: ct)).ConfigureAwait(false)).ToList();
        foreach (var p in pubs)
        {
            if (p.all) diffs.Add($"publication {p.name} is FOR ALL TABLES (it would publish secrets)");
            var insertOnly = p.name == plan.Names.InsertOnlyPublication;
            if (insertOnly && (p.upd || p.del)) diffs.Add($"publication {p.name} publishes UPDATE or DELETE (it must publish INSERT only)");
            if (!insertOnly && !(p.ins && p.upd && p.del)) diffs.Add($"publication {p.name} does not publish INSERT, UPDATE and DELETE");
            var planned = (insertOnly ? plan.InsertOnly : plan.Full).ToDictionary(t => t.Table.Key);
            var have = members.Where(m => m.pub == p.name).ToDictionary(m => $"{m.schema}.{m.table}");
            foreach (var (key, t) in planned)
            {
                if (!have.TryGetValue(key, out var m)) { diffs.Add($"{p.name} lacks table {t.Table.DisplayName}"); continue; }
                if (!m.cols.ToHashSet().SetEquals(t.Columns))
                    diffs.Add($"{p.name} publishes columns of {t.Table.DisplayName} other than planned (extra: {string.Join(", ", m.cols.Except(t.Columns).DefaultIfEmpty("none"))}; missing: {string.Join(", ", t.Columns.Except(m.cols).DefaultIfEmpty("none"))})");
            }
            foreach (var key in have.Keys.Where(k => !planned.ContainsKey(k))) diffs.Add($"{p.name} publishes table {key}, which the plan does not");
        }
        return new Finding(false, diffs);
    }

    /// <summary>Whether the role may create the publications itself: it owns every published table and is no superuser (the module never uses one on production).</summary>
    public static async Task<bool> RoleMayCreateAsync(NpgsqlConnection prod, PublicationPlan plan, CancellationToken ct)
    {
        var superuser = await prod.ExecuteScalarAsync<bool>(new CommandDefinition("SELECT rolsuper FROM pg_roles WHERE rolname = current_user", cancellationToken: ct)).ConfigureAwait(false);
        if (superuser) return false;
        var notOwned = await prod.ExecuteScalarAsync<long>(new CommandDefinition("""
            SELECT count(*) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
            WHERE n.nspname || '.' || c.relname = ANY(@keys) AND NOT pg_has_role(c.relowner, 'USAGE')
            """, new { keys = plan.Tables.Select(t => t.Table.Key).ToArray() }, cancellationToken: ct)).ConfigureAwait(false);
        var mayCreate = await prod.ExecuteScalarAsync<bool>(new CommandDefinition("SELECT has_database_privilege(current_database(), 'CREATE')", cancellationToken: ct)).ConfigureAwait(false);
        return notOwned == 0 && mayCreate;
    }

    /// <summary>Creates the publications: the one write the module makes on production besides its slot, in its own READ WRITE transaction.</summary>
    public static async Task CreateAsync(NpgsqlConnection prod, PublicationPlan plan, CancellationToken ct)
    {
        await using var tx = await prod.BeginTransactionAsync(ct).ConfigureAwait(false);
        await prod.ExecuteAsync(new CommandDefinition("SET TRANSACTION READ WRITE", transaction: tx, cancellationToken: ct)).ConfigureAwait(false);
        foreach (var sql in plan.CreateSql()) await prod.ExecuteAsync(new CommandDefinition(sql, transaction: tx, cancellationToken: ct)).ConfigureAwait(false);
        await tx.CommitAsync(ct).ConfigureAwait(false);
    }

    /// <summary>Drops the module's publications where the role owns them; returns the statements left for the DBA.</summary>
    public static async Task<IReadOnlyList<string>> DropAsync(NpgsqlConnection prod, FollowerNames names, CancellationToken ct)
    {
        var left = new List<string>();
        var pubs = await prod.QueryAsync<(string name, bool mine)>(new CommandDefinition(
            "SELECT pubname::text, pg_has_role(pubowner, 'USAGE') AND NOT (SELECT rolsuper FROM pg_roles WHERE rolname = current_user) FROM pg_publication WHERE pubname = ANY(@names)",
            new { names = new[] { names.Publication, names.InsertOnlyPublication } }, cancellationToken: ct)).ConfigureAwait(false);
        foreach (var (name, mine) in pubs)
        {
            var sql = $"DROP PUBLICATION IF EXISTS {Ident.Quote(name)};";
            if (!mine) { left.Add(sql); continue; }
            await using var tx = await prod.BeginTransactionAsync(ct).ConfigureAwait(false);
            await prod.ExecuteAsync(new CommandDefinition("SET TRANSACTION READ WRITE", transaction: tx, cancellationToken: ct)).ConfigureAwait(false);
            await prod.ExecuteAsync(new CommandDefinition(sql, transaction: tx, cancellationToken: ct)).ConfigureAwait(false);
            await tx.CommitAsync(ct).ConfigureAwait(false);
        }
        return left;
    }
}
