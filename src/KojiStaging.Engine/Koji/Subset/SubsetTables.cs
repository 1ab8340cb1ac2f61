namespace KojiStaging.Engine.Koji.Subset;

/// <summary>
/// The Koji tables a subset writes, in foreign-key order, with the columns it fills and how it merges.
/// Versioned tables carry Koji's create_event/revoke_event/creator_id/revoker_id/active columns and are
/// keyed by their primary key (create_event + the table's own key).
/// </summary>
public static class SubsetTables
{
    public static readonly string[] VersionColumns = { "create_event", "revoke_event", "creator_id", "revoker_id", "active" };

    /// <summary>Data columns of each versioned table (as queryHistory returns them) and their key without create_event.</summary>
    public static readonly IReadOnlyDictionary<string, (string[] Data, string[] Key)> Versioned = new Dictionary<string, (string[], string[])>
    {
        ["tag_config"] = (new[] { "tag_id", "arches", "perm_id", "locked", "maven_support", "maven_include_all" }, new[] { "tag_id" }),
        ["tag_extra"] = (new[] { "tag_id", "key", "value" }, new[] { "tag_id", "key" }),
        ["tag_inheritance"] = (new[] { "tag_id", "parent_id", "priority", "maxdepth", "intransitive", "noconfig", "pkg_filter" }, new[] { "tag_id", "priority" }),
        ["tag_packages"] = (new[] { "package_id", "tag_id", "blocked", "extra_arches" }, new[] { "package_id", "tag_id" }),
        ["tag_package_owners"] = (new[] { "package_id", "tag_id", "owner" }, new[] { "package_id", "tag_id" }),
        ["tag_listing"] = (new[] { "build_id", "tag_id" }, new[] { "build_id", "tag_id" }),
        ["tag_external_repos"] = (new[] { "tag_id", "external_repo_id", "priority", "merge_mode", "arches" }, new[] { "tag_id", "priority" }),
        ["external_repo_config"] = (new[] { "external_repo_id", "url" }, new[] { "external_repo_id" }),
        ["build_target_config"] = (new[] { "build_target_id", "build_tag", "dest_tag" }, new[] { "build_target_id" }),
        ["group_config"] = (new[] { "group_id", "tag_id", "blocked", "exported", "display_name", "is_default", "uservisible", "description", "langonly", "biarchonly" },
            new[] { "group_id", "tag_id" }),
        ["group_req_listing"] = (new[] { "group_id", "tag_id", "req_id", "blocked", "type", "is_metapkg" }, new[] { "group_id", "tag_id", "req_id" }),
        ["group_package_listing"] = (new[] { "group_id", "tag_id", "package", "blocked", "type", "basearchonly", "requires" }, new[] { "group_id", "tag_id", "package" }),
        ["user_perms"] = (new[] { "user_id", "perm_id" }, new[] { "user_id", "perm_id" }),
    };

    /// <summary>The tag-keyed history tables read with queryHistory(tables, tag=…).</summary>
    public static readonly string[] TagHistoryTables =
        { "tag_config", "tag_extra", "tag_inheritance", "tag_packages", "tag_package_owners", "tag_external_repos",
          "group_config", "group_req_listing", "group_package_listing" };

    /// <summary>Prod's reference tables, copied whole through the hub (listBTypes, getArchiveTypes, listChannels, getAllPerms):
    /// the rows Koji's schema.sql seeds, which a schema-only dump lacks and an import needs (btype 'rpm', …).</summary>
    public static readonly (string Table, string Method)[] ReferenceTables =
        { ("btype", "listBTypes"), ("archivetypes", "getArchiveTypes"), ("channels", "listChannels"), ("permissions", "getAllPerms") };

    /// <summary>A fresh, empty set of tables in the order they must be written.</summary>
    public static Dictionary<string, SubsetTable> Create()
    {
        var list = new List<SubsetTable>
        {
            new("events", new[] { "id", "time" }, new[] { "id" }, SubsetMerge.InsertMissing),
            new("users", new[] { "id", "name", "status", "usertype" }, new[] { "id" }, SubsetMerge.InsertMissing),
            new("permissions", new[] { "id", "name", "description" }, new[] { "id" }, SubsetMerge.InsertMissing),
            new("btype", new[] { "id", "name" }, new[] { "id" }, SubsetMerge.InsertMissing),
            new("archivetypes", new[] { "id", "name", "description", "extensions", "compression_type" }, new[] { "id" }, SubsetMerge.InsertMissing),
            new("channels", new[] { "id", "name", "description", "enabled", "comment" }, new[] { "id" }, SubsetMerge.InsertMissing),
            new("groups", new[] { "id", "name" }, new[] { "id" }, SubsetMerge.InsertMissing),
            new("volume", new[] { "id", "name" }, new[] { "id" }, SubsetMerge.InsertMissing),
            new("content_generator", new[] { "id", "name" }, new[] { "id" }, SubsetMerge.InsertMissing),
            new("package", new[] { "id", "name" }, new[] { "id" }, SubsetMerge.InsertMissing),
            new("tag", new[] { "id", "name" }, new[] { "id" }, SubsetMerge.InsertMissing),
            new("external_repo", new[] { "id", "name" }, new[] { "id" }, SubsetMerge.InsertMissing),
            new("build_target", new[] { "id", "name" }, new[] { "id" }, SubsetMerge.InsertMissing),
            new("build", new[] { "id", "volume_id", "pkg_id", "version", "release", "epoch", "draft", "source", "create_event",
                "start_time", "completion_time", "promotion_time", "state", "task_id", "owner", "promoter", "cg_id", "extra" },
                new[] { "id" }, SubsetMerge.Upsert),
            new("rpminfo", new[] { "id", "build_id", "buildroot_id", "name", "version", "release", "epoch", "arch", "draft",
                "external_repo_id", "payloadhash", "size", "buildtime", "metadata_only", "extra" }, new[] { "id" }, SubsetMerge.InsertMissing),
            new("rpmsigs", new[] { "rpm_id", "sigkey", "sighash" }, new[] { "rpm_id", "sigkey" }, SubsetMerge.InsertMissing),
            new("rpm_checksum", new[] { "rpm_id", "sigkey", "checksum", "checksum_type" }, new[] { "rpm_id", "sigkey", "checksum_type" }, SubsetMerge.InsertMissing),
        };
        foreach (var (name, (data, key)) in Versioned)
            list.Add(new SubsetTable(name, data.Concat(VersionColumns).ToArray(), new[] { "create_event" }.Concat(key).ToArray(), SubsetMerge.Versioned));
        return list.ToDictionary(t => t.Name);
    }
}
