namespace KojiStaging.TestServices.KojiHub;

/// <summary>
/// Prod's reference tables and the few lookups the subset copy makes besides tags and builds, as kojihub.py answers them:
/// list_btypes (no ORDER BY), get_archive_types (ORDER BY id), list_channels without a host (no ORDER BY), getAllPerms
/// (ORDER BY id), listTasks (Task.fields + request, result, owner_name, owner_type; queryOpts order/limit/offset) and
/// getRPMChecksums (per sigkey of the RPM's rpmsigs rows, a struct of the asked checksum types, None where not cached).
/// </summary>
public sealed partial class KojiHubMethods
{
    /// <summary>koji.CHECKSUM_TYPES.</summary>
    private static readonly string[] ChecksumTypeNames = { "md5", "sha1", "sha256" };
    /// <summary>hub.conf RPMDefaultChecksums default.</summary>
    private static readonly string[] DefaultChecksums = { "md5", "sha256" };

    private async Task<object?> ListBTypes(object?[] p)
    {
        var a = HubCallArgs.Bind("listBTypes", p, "query", "queryOpts");
        var q = a.Raw("query") as Dictionary<string, object?> ?? new Dictionary<string, object?>();
        var name = q.GetValueOrDefault("name") as string;
        var id = q.GetValueOrDefault("id") as int?;
        return await Rows($@"SELECT id, name FROM btype WHERE TRUE {(q.ContainsKey("name") ? "AND btype.name = @name" : "")}
            {(q.ContainsKey("id") ? "AND btype.id = @id" : "")} ORDER BY ctid", new { name, id });
    }

    private async Task<object?> GetArchiveTypes(object?[] p)
    {
        HubCallArgs.Bind("getArchiveTypes", p);
        return await Rows("SELECT id, name, description, extensions, compression_type FROM archivetypes ORDER BY id", null);
    }

    private async Task<object?> ListChannels(object?[] p)
    {
        var a = HubCallArgs.Bind("listChannels", p, "hostID", "event", "enabled");
        if (a.Has("hostID")) throw HubFaultException.Generic("the emulator lists channels without a host only");
        if (a.Has("event")) throw HubFaultException.Generic("list_channels with event and not host is not allowed.");
        var enabled = a.Raw("enabled");
        return await Rows($@"SELECT id, name, description, enabled, comment FROM channels
            {(enabled is null ? "" : HubCallArgs.Truthy(enabled) ? "WHERE enabled IS TRUE" : "WHERE enabled IS FALSE")} ORDER BY ctid", null);
    }

    private async Task<object?> GetAllPerms(object?[] p)
    {
        HubCallArgs.Bind("getAllPerms", p);
        return await Rows("SELECT id, name, description FROM permissions ORDER BY id", null);
    }

    private async Task<object?> ListTasks(object?[] p)
    {
        var a = HubCallArgs.Bind("listTasks", p, "opts", "queryOpts");
        var opts = a.Raw("opts") as Dictionary<string, object?> ?? new Dictionary<string, object?>();
        if (opts.Keys.Any(k => k != "decode")) throw HubFaultException.Generic("the emulator lists tasks without filters only");
        var q = a.Raw("queryOpts") as Dictionary<string, object?> ?? new Dictionary<string, object?>();
        var order = q.GetValueOrDefault("order") switch
        {
            null => "",
            "id" => "ORDER BY task.id",
            "-id" => "ORDER BY task.id DESC",
            var o => throw HubFaultException.Generic($"the emulator orders tasks by id only, not {o}"),
        };
        var limit = q.GetValueOrDefault("limit") is int l ? $"LIMIT {l}" : "";
        var offset = q.GetValueOrDefault("offset") is int o2 ? $"OFFSET {o2}" : "";
        var rows = await Rows($@"SELECT task.arch, task.awaited, task.channel_id, task.completion_time, task.create_time, task.host_id, task.id,
                task.label, task.method, task.owner, users.name AS owner_name, users.usertype AS owner_type, task.parent, task.priority,
                task.request, task.result, task.start_time, task.state, task.waiting, task.weight
            FROM task LEFT JOIN users ON task.owner = users.id {order} {limit} {offset}", null);
        foreach (var r in rows)
        {
            r["completion_ts"] = Ts(r["completion_time"]);
            r["create_ts"] = Ts(r["create_time"]);
            r["start_ts"] = Ts(r["start_time"]);
        }
        return rows.Select(r => (object?)Sorted(r)).ToList();
    }

    private async Task<object?> GetRpmChecksums(object?[] p)
    {
        var a = HubCallArgs.Bind("getRPMChecksums", p, "rpm_id", "checksum_types", "cacheonly");
        if (a.Raw("rpm_id") is not int rpmId) throw HubFaultException.Generic("rpm_id must be an integer");
        await GetRpm(rpmId, strict: true);
        var types = a.Raw("checksum_types") switch
        {
            null => DefaultChecksums,
            object?[] { Length: 0 } => DefaultChecksums,
            object?[] list => list.Select(x => x as string ?? "").ToArray(),
            _ => throw HubFaultException.Generic("checksum_type must be a list"),
        };
        foreach (var ty in types)
            if (!ChecksumTypeNames.Contains(ty)) throw HubFaultException.Generic($"Checksum_type {ty} isn't supported");
        var sigkeys = (await Rows("SELECT sigkey FROM rpmsigs WHERE rpm_id = @rpmId ORDER BY ctid", new { rpmId })).Select(r => (string)r["sigkey"]!).ToList();
        var result = new Dictionary<string, object?>(StringComparer.Ordinal);
        if (sigkeys.Count == 0) return result;
        var typeIds = types.Select(ty => Array.IndexOf(ChecksumTypeNames, ty)).ToArray();
        var cached = await Rows("SELECT checksum, checksum_type, sigkey FROM rpm_checksum WHERE rpm_id = @rpmId AND checksum_type = ANY(@typeIds)",
            new { rpmId, typeIds });
        if (cached.Count != typeIds.Length * sigkeys.Count && !a.Bool("cacheonly"))
            throw HubFaultException.Generic("the emulator does not compute missing checksums: call getRPMChecksums with cacheonly=True");
        foreach (var key in sigkeys) result[key] = types.Distinct().ToDictionary(ty => ty, _ => (object?)null, StringComparer.Ordinal);
        foreach (var r in cached)
            if (result.GetValueOrDefault((string)r["sigkey"]!) is Dictionary<string, object?> byType)
                byType[ChecksumTypeNames[(int)r["checksum_type"]!]] = r["checksum"];
        return result;
    }
}
