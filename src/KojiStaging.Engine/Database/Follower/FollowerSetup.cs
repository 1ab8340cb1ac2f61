using Dapper;
using KojiStaging.Engine.Database.Sync;
using KojiStaging.Engine.Diagnostics;
using Npgsql;

namespace KojiStaging.Engine.Database.Follower;

/// <summary>One server setting a follower needs on production: its value now and what it should be.</summary>
public sealed record FollowerSetting(string Name, string Current, string Required, bool Ok, string Why);

/// <summary>What production's DBA runs once for a follower (Get-KojiStagingFollowerSetup): settings, the role, the publications.</summary>
public sealed record FollowerSetup(string Name, string Source, string Role, IReadOnlyList<FollowerSetting> Settings, IReadOnlyList<string> InsertOnlyTables,
    IReadOnlyList<string> UnpublishedTables, IReadOnlyList<string> LeftOutColumns, IReadOnlyList<string> ReplicaIdentityFull, bool PublicationsMatch, string Sql);

/// <summary>
/// Writes the production-side setup for the DBA, from production's catalog as it is (read-only): the module itself never
/// needs a superuser there, only a role with REPLICATION and SELECT; the publications are made by the tables' owner.
/// </summary>
public static class FollowerSetupWriter
{
    /// <param name="keepReplicaIdentity">Leave tables without a replica identity as they are (published INSERT-only) instead of proposing REPLICA IDENTITY FULL.</param>
    public static async Task<FollowerSetup> RunAsync(FollowerOptions o, string role, string maxSlotWalKeepSize, bool keepReplicaIdentity, EngineScope scope)
    {
        var ct = scope.Cancellation;
        var names = FollowerNames.For(o.Destination.Database, o.Name);
        var sourceCs = new NpgsqlConnectionStringBuilder(o.Source.SourceConnectionString) { Pooling = false }.ConnectionString;
        await using var prod = await PgConnector.OpenAsync(sourceCs, "source", ct).ConfigureAwait(false);
        var asIs = await FollowerBuilder.PlanAsync(prod, names, ct).ConfigureAwait(false);
        // Koji revokes by UPDATE (tag_listing, user_perms, … have no primary key): INSERT-only, a revoke would never reach the
        // follower. REPLICA IDENTITY FULL (made by the DBA) lets them replicate fully; it cannot make a statement fail.
        var givenFull = keepReplicaIdentity ? new List<PublishedTable>() : asIs.InsertOnly.Where(t => t.SecretColumns.Count == 0).ToList();
        var plan = givenFull.Count == 0 ? asIs : await FollowerBuilder.PlanAsync(prod, names, ct, givenFull.Select(t => t.Table.Key).ToList()).ConfigureAwait(false);
        var finding = await PublicationInspector.CompareAsync(prod, plan, ct).ConfigureAwait(false);
        var s = (await prod.QueryAsync<(string name, string setting)>(new CommandDefinition(
            "SELECT name, setting || coalesce(unit, '') FROM pg_settings WHERE name IN ('wal_level', 'max_replication_slots', 'max_wal_senders', 'max_slot_wal_keep_size')", cancellationToken: ct)).ConfigureAwait(false))
            .ToDictionary(x => x.name, x => x.setting);
        var db = await prod.ExecuteScalarAsync<string>(new CommandDefinition("SELECT current_database()", cancellationToken: ct)).ConfigureAwait(false) ?? "koji";
        var schemas = plan.Tables.Select(t => t.Table.Schema).Distinct().ToList();
        var settings = new List<FollowerSetting>
        {
            new("wal_level", s.GetValueOrDefault("wal_level", "?"), "logical", s.GetValueOrDefault("wal_level") == "logical", "logical decoding for the slot (needs a restart)"),
            new("max_replication_slots", s.GetValueOrDefault("max_replication_slots", "?"), "one more than in use", int.TryParse(s.GetValueOrDefault("max_replication_slots"), out var m) && m > 0, "the follower's slot"),
            new("max_wal_senders", s.GetValueOrDefault("max_wal_senders", "?"), "one more than in use", int.TryParse(s.GetValueOrDefault("max_wal_senders"), out var w) && w > 0, "the follower's walsender"),
            new("max_slot_wal_keep_size", s.GetValueOrDefault("max_slot_wal_keep_size", "?"), maxSlotWalKeepSize, s.GetValueOrDefault("max_slot_wal_keep_size") is { } k && k != "-1" && k != "-1MB",
                "a follower that stops consuming cannot fill production's disk: past this the slot is invalidated instead"),
        };
        var q = Ident.Quote(role);
        var sql = new List<string>
        {
            "-- Production setup for the KojiStaging follower '" + names.Name + "' (run as a superuser or the tables' owner, as marked).",
            "-- 1. Settings (superuser; wal_level needs a restart):",
            "ALTER SYSTEM SET wal_level = 'logical';",
            $"ALTER SYSTEM SET max_slot_wal_keep_size = '{maxSlotWalKeepSize}';",
            "-- and max_replication_slots / max_wal_senders at least one above what is in use now.",
            "-- 2. The follower's role: REPLICATION and SELECT only, never a superuser:",
            $"CREATE ROLE {q} LOGIN REPLICATION PASSWORD 'choose-one';",
            $"GRANT CONNECT ON DATABASE {Ident.Quote(db)} TO {q};",
        };
        foreach (var sc in schemas)
        {
            sql.Add($"GRANT USAGE ON SCHEMA {Ident.Quote(sc)} TO {q};");
            sql.Add($"GRANT SELECT ON ALL TABLES IN SCHEMA {Ident.Quote(sc)} TO {q};");
            sql.Add($"GRANT SELECT ON ALL SEQUENCES IN SCHEMA {Ident.Quote(sc)} TO {q};");
        }
        sql.Add($"-- pg_hba.conf: a logical replication connection matches the database name, not 'replication':");
        sql.Add($"--   host {db} {role} <staging-server-address>/32 scram-sha-256");
        if (givenFull.Count > 0)
        {
            sql.Add("-- 3. A replica identity for the tables without one (as the tables' owner): Koji revokes by UPDATE, so without it");
            sql.Add("--    revokes in these tables would not reach staging. Costs the old row in the WAL of their UPDATEs and DELETEs; never fails one.");
            sql.AddRange(givenFull.Select(t => $"ALTER TABLE {t.Table.QualifiedName} REPLICA IDENTITY FULL;   -- {t.Why}"));
        }
        sql.Add("-- 4. The publications (as the tables' owner). Secret columns are left out; tables without a usable replica");
        sql.Add("--    identity publish INSERT only, so no UPDATE or DELETE on production can ever fail because of them:");
        if (!finding.Missing && !finding.Matches) sql.AddRange(plan.DropSql());
        sql.AddRange(plan.CreateSql());
        if (plan.InsertOnly.Any())
            sql.Add($"-- INSERT only, so their UPDATEs and DELETEs do not reach staging: {string.Join(", ", plan.InsertOnly.Select(t => $"{t.Table.DisplayName} ({t.Why})"))}");
        return new FollowerSetup(names.Name, o.Source.ToString(), role, settings, plan.InsertOnly.Select(t => t.Table.DisplayName).ToList(),
            plan.Unpublished.Select(u => $"{u.Table} ({u.Rule})").ToList(), plan.Tables.SelectMany(t => t.SecretColumns.Select(c => t.Table.Name + "." + c)).ToList(),
            givenFull.Select(t => t.Table.DisplayName).ToList(), finding.Matches, string.Join("\n", sql));
    }
}
