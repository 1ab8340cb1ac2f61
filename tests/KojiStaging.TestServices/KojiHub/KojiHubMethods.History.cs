namespace KojiStaging.TestServices.KojiHub;

/// <summary>
/// queryHistory as kojihub.query_history answers it: for each versioned table (all, or the ones in
/// <c>tables</c>) to which every given filter applies, the table's rows with their own columns, the
/// version columns, creator/revoker names, create_ts/revoke_ts, and a "&lt;alias&gt;.name" member for each
/// id column Koji joins a name for (tag.name, parent.name, package.name, …; tag_listing also gets the
/// build's name/version/release/epoch and "build.state"). Tables a filter does not apply to are left out.
/// </summary>
public sealed partial class KojiHubMethods
{
    private static readonly Dictionary<string, string[]> HistoryTables = new(StringComparer.Ordinal)
    {
        ["user_perms"] = new[] { "user_id", "perm_id" },
        ["user_groups"] = new[] { "user_id", "group_id" },
        ["cg_users"] = new[] { "user_id", "cg_id" },
        ["tag_inheritance"] = new[] { "tag_id", "parent_id", "priority", "maxdepth", "intransitive", "noconfig", "pkg_filter" },
        ["tag_config"] = new[] { "tag_id", "arches", "perm_id", "locked", "maven_support", "maven_include_all" },
        ["tag_extra"] = new[] { "tag_id", "key", "value" },
        ["build_target_config"] = new[] { "build_target_id", "build_tag", "dest_tag" },
        ["external_repo_config"] = new[] { "external_repo_id", "url" },
        ["host_config"] = new[] { "host_id", "arches", "capacity", "description", "comment", "enabled" },
        ["host_channels"] = new[] { "host_id", "channel_id" },
        ["tag_external_repos"] = new[] { "tag_id", "external_repo_id", "priority", "merge_mode", "arches" },
        ["tag_listing"] = new[] { "build_id", "tag_id" },
        ["tag_packages"] = new[] { "package_id", "tag_id", "blocked", "extra_arches" },
        ["tag_package_owners"] = new[] { "package_id", "tag_id", "owner" },
        ["group_config"] = new[] { "group_id", "tag_id", "blocked", "exported", "display_name", "is_default", "uservisible", "description", "langonly", "biarchonly" },
        ["group_req_listing"] = new[] { "group_id", "tag_id", "req_id", "blocked", "type", "is_metapkg" },
        ["group_package_listing"] = new[] { "group_id", "tag_id", "package", "blocked", "type", "basearchonly", "requires" },
    };

    /// <summary>id column → (joined table, alias, the member its name is sent as, inner join?), as query_history's name_joins and
    /// its group_id special case: user_id's name is "user.name"; group_id's is "group.name" (groups, or users AS usergroup in user_groups).</summary>
    private static (string Table, string Alias, string Member, bool Inner)? NameJoin(string table, string field) => field switch
    {
        "user_id" => ("users", "users", "user.name", false),
        "perm_id" => ("permissions", "permission", "permission.name", false),
        "cg_id" => ("content_generator", "content_generator", "content_generator.name", false),
        "group_id" when table == "user_groups" => ("users", "usergroup", "group.name", true),
        "group_id" when table.StartsWith("group_", StringComparison.Ordinal) => ("groups", "groups", "group.name", true),
        "tag_id" => ("tag", "tag", "tag.name", false),
        "host_id" => ("host", "host", "host.name", false),
        "channel_id" => ("channels", "channels", "channels.name", false),
        "parent_id" => ("tag", "parent", "parent.name", false),
        "build_target_id" => ("build_target", "build_target", "build_target.name", false),
        "build_tag" => ("tag", "build_tag", "build_tag.name", false),
        "dest_tag" => ("tag", "dest_tag", "dest_tag.name", false),
        "external_repo_id" => ("external_repo", "external_repo", "external_repo.name", false),
        "package_id" => ("package", "package", "package.name", false),
        "owner" => ("users", "owner", "owner.name", false),
        "req_id" => ("groups", "req", "req.name", false),
        _ => null,
    };

    private async Task<object?> QueryHistory(object?[] p)
    {
        var a = HubCallArgs.Bind("queryHistory", p, "tables", "queryOpts", "tag", "build", "package", "user", "permission",
            "cg", "external_repo", "build_target", "host", "channel", "group", "xkey", "active", "editor",
            "before", "after", "beforeEvent", "afterEvent");
        string[] tables = a.Raw("tables") switch
        {
            null => HistoryTables.Keys.ToArray(),
            object?[] list => list.Select(t => t as string ?? throw HubFaultException.Parameter("tables must be names")).ToArray(),
            string one => new[] { one },
            _ => throw HubFaultException.Parameter("tables must be a list"),
        };
        foreach (var t in tables)
            if (!HistoryTables.ContainsKey(t)) throw HubFaultException.Generic($"No such history table: {t}");

        // entity filters: (alias whose id must match, the id)
        var filters = new List<(string Kwarg, int Id)>();
        if (a.Has("tag")) filters.Add(("tag", await TagIdAnyState(a.Raw("tag"))));
        if (a.Has("build")) filters.Add(("build", (int)(await GetBuild(a.Raw("build"), strict: true))!["id"]!));
        if (a.Has("package")) filters.Add(("package", await LookupId("package", a.Raw("package"))));
        if (a.Has("user")) filters.Add(("user", await LookupId("users", a.Raw("user"))));
        if (a.Has("permission")) filters.Add(("permission", await LookupId("permissions", a.Raw("permission"))));
        if (a.Has("cg")) filters.Add(("cg", await LookupId("content_generator", a.Raw("cg"))));
        if (a.Has("external_repo")) filters.Add(("external_repo", await LookupId("external_repo", a.Raw("external_repo"))));
        if (a.Has("build_target")) filters.Add(("build_target", await LookupId("build_target", a.Raw("build_target"))));
        if (a.Has("host")) filters.Add(("host", await LookupId("host", a.Raw("host"))));
        if (a.Has("channel")) filters.Add(("channel", await LookupId("channels", a.Raw("channel"))));
        if (a.Has("group")) filters.Add(("group", await LookupId("groups", a.Raw("group"))));
        var xkey = a.Str("xkey");
        int? editor = a.Has("editor") ? await LookupId("users", a.Raw("editor")) : null;

        var result = new Dictionary<string, object?>(StringComparer.Ordinal);
        foreach (var table in tables)
        {
            var fields = HistoryTables[table];
            var clauses = new List<string>();
            var applies = true;
            foreach (var (kwarg, id) in filters)
            {
                var alias = FilterAlias(table, fields, kwarg);
                if (alias is null) { applies = false; break; }
                // kojihub.query_history special-cases tag_inheritance, which has two tag columns: the tag filter
                // matches the rows where the tag is the child OR the parent.
                clauses.Add(kwarg == "tag" && table == "tag_inheritance"
                    ? $"(tag_inheritance.tag_id = {id} OR tag_inheritance.parent_id = {id})"
                    : $"{alias}.id = {id}");
            }
            if (xkey is not null)
            {
                if (table != "tag_extra") applies = false;
                else clauses.Add("tag_extra.key = @xkey");
            }
            if (!applies) continue;

            var columns = new List<string>
            {
                $"{table}.active", $"{table}.create_event", $"{table}.revoke_event", $"{table}.creator_id", $"{table}.revoker_id",
                "creator.name AS creator_name", "revoker.name AS revoker_name", "ev1.time AS create_ts", "ev2.time AS revoke_ts",
            };
            var joins = new List<string>
            {
                "JOIN events AS ev1 ON ev1.id = " + table + ".create_event",
                "LEFT OUTER JOIN events AS ev2 ON ev2.id = " + table + ".revoke_event",
                "JOIN users AS creator ON creator.id = " + table + ".creator_id",
                "LEFT OUTER JOIN users AS revoker ON revoker.id = " + table + ".revoker_id",
            };
            foreach (var f in fields)
            {
                columns.Add($"{table}.{f}");
                if (f == "build_id")
                {
                    columns.AddRange(new[] { "package.name AS name", "build.version", "build.release", "build.epoch", "build.state AS \"build.state\"" });
                    joins.Add($"JOIN build ON {table}.build_id = build.id");
                    joins.Add("JOIN package ON build.pkg_id = package.id");
                }
                else if (NameJoin(table, f) is var (joinTable, alias, member, inner))
                {
                    columns.Add($"{alias}.name AS \"{member}\"");
                    joins.Add($"{(inner ? "JOIN" : "LEFT OUTER JOIN")} {joinTable} AS {alias} ON {table}.{f} = {alias}.id");
                }
            }
            if (a.Raw("active") is { } active)
                clauses.Add(HubCallArgs.Truthy(active) ? $"{table}.active = TRUE" : $"{table}.active IS NULL");
            if (editor is not null) clauses.Add($"(creator.id = {editor} OR revoker.id = {editor})");
            if (a.Int("beforeEvent") is { } be) clauses.Add($"({table}.create_event < {be} OR {table}.revoke_event < {be})");
            if (a.Int("afterEvent") is { } ae) clauses.Add($"({table}.create_event > {ae} OR {table}.revoke_event > {ae})");
            if (HistoryTime(a.Raw("before")) is { } before) clauses.Add("(ev1.time < @before OR ev2.time < @before)");
            if (HistoryTime(a.Raw("after")) is { } after) clauses.Add("(ev1.time > @after OR ev2.time > @after)");

            var rows = await Rows($@"SELECT {string.Join(", ", columns)} FROM {table} {string.Join(" ", joins)}
                {(clauses.Count == 0 ? "" : "WHERE " + string.Join(" AND ", clauses))} ORDER BY {table}.ctid",
                new { xkey, before = HistoryTime(a.Raw("before")), after = HistoryTime(a.Raw("after")) });
            foreach (var r in rows)
            {
                r["create_ts"] = Ts(r["create_ts"]);
                r["revoke_ts"] = Ts(r["revoke_ts"]);
            }
            result[table] = rows;
        }
        return result;
    }

    /// <summary>The joined alias a filter compares with in <paramref name="table"/>, or null when it does not apply there.</summary>
    private static string? FilterAlias(string table, string[] fields, string kwarg) => kwarg switch
    {
        "tag" when fields.Contains("tag_id") => "tag",
        "tag" when table == "build_target_config" => "dest_tag", // joined['tag'] is the last tag column joined: dest_tag
        "build" when fields.Contains("build_id") => "build",
        "package" when fields.Contains("package_id") => "package",
        "package" when fields.Contains("build_id") => "package",
        "user" when table == "user_groups" => "usergroup",
        "user" when fields.Contains("user_id") => "users",
        "user" when fields.Contains("owner") => "owner",
        "permission" when fields.Contains("perm_id") => "permission",
        "cg" when fields.Contains("cg_id") => "content_generator",
        "external_repo" when fields.Contains("external_repo_id") => "external_repo",
        "build_target" when fields.Contains("build_target_id") => "build_target",
        "host" when fields.Contains("host_id") => "host",
        "channel" when fields.Contains("channel_id") => "channels",
        "group" when fields.Contains("req_id") => "req",
        "group" when fields.Contains("group_id") && table != "user_groups" => "groups",
        _ => null,
    };

    private static DateTime? HistoryTime(object? v) => v switch
    {
        null => null,
        int i => DateTime.UnixEpoch.AddSeconds(i),
        long l => DateTime.UnixEpoch.AddSeconds(l),
        double d => DateTime.UnixEpoch.AddTicks((long)(d * TimeSpan.TicksPerSecond)),
        string s => DateTime.SpecifyKind(DateTime.Parse(s, System.Globalization.CultureInfo.InvariantCulture), DateTimeKind.Utc),
        _ => throw HubFaultException.Parameter("before/after must be a timestamp"),
    };

    /// <summary>get_tag_id(strict=True): the tag by name or id, whether or not it has an active config.</summary>
    private Task<int> TagIdAnyState(object? info) => LookupId("tag", info);

    private async Task<int> LookupId(string table, object? info)
    {
        var (where, arg) = ByNameOrId(info, table);
        var row = await One($"SELECT id FROM {table} WHERE {where}", new { arg });
        return row is null
            ? throw HubFaultException.Generic($"No such entry in table {table}: {info}")
            : (int)row["id"]!;
    }
}
