using System.Globalization;
using System.Text.Json;
using System.Text.RegularExpressions;
using Dapper;
using Npgsql;

namespace KojiStaging.TestServices.KojiHub;

/// <summary>
/// The hub calls the emulator answers, read from a Koji database with the queries and the Python-side
/// logic of kojihub.py (get_tag, readInheritanceData, readFullInheritance, readPackageList,
/// readTaggedBuilds, readTaggedRPMS, …), including <c>event=</c> (eventCondition: a row counts at event E
/// when create_event ≤ E &lt; revoke_event). Struct members come out sorted by name as Koji's QueryProcessor
/// emits them, with the members Koji adds afterwards (extra, child_id, …) at the end. Queries that have no
/// ORDER BY in the hub are ordered by the driving table's ctid: the physical order a plain scan returns.
/// </summary>
public sealed partial class KojiHubMethods(NpgsqlConnection db, string kojiVersion)
{
    private const int BuildComplete = 1;

    public Task<object?> CallAsync(string method, object?[] p) => method switch
    {
        "getAPIVersion" => Task.FromResult<object?>(1),
        "getKojiVersion" => Task.FromResult<object?>(kojiVersion),
        "getLastEvent" => GetLastEvent(p),
        "getEvent" => GetEvent(p),
        "getTag" => GetTagCall(p),
        "getFullInheritance" => GetFullInheritance(p),
        "getInheritanceData" => GetInheritanceData(p),
        "listTagged" => ListTagged(p),
        "getLatestBuilds" => GetLatestBuilds(p),
        "listTaggedRPMS" => ListTaggedRpms(p),
        "getBuild" => GetBuildCall(p),
        "getBuildType" => GetBuildType(p),
        "listRPMs" => ListRpms(p),
        "listBuildRPMs" => ListBuildRpms(p),
        "getRPM" => GetRpmCall(p),
        "queryRPMSigs" => QueryRpmSigs(p),
        "getBuildTarget" => GetBuildTarget(p),
        "getBuildTargets" => GetBuildTargets(p),
        "getTagExternalRepos" => GetTagExternalRepos(p),
        "listPackages" => ListPackages(p),
        "getPackage" => GetPackage(p),
        "listVolumes" => ListVolumes(p),
        "getVolume" => GetVolume(p),
        "listTags" => ListTags(p),
        "getUser" => GetUser(p),
        "listHosts" => ListHosts(p),
        "queryHistory" => QueryHistory(p),
        "listBTypes" => ListBTypes(p),
        "getArchiveTypes" => GetArchiveTypes(p),
        "listChannels" => ListChannels(p),
        "getAllPerms" => GetAllPerms(p),
        "listTasks" => ListTasks(p),
        "getRPMChecksums" => GetRpmChecksums(p),
        _ => throw HubFaultException.Generic($"Invalid method: {method}"),
    };

    // ---------- events ----------

    private async Task<object?> GetLastEvent(object?[] p)
    {
        var a = HubCallArgs.Bind("getLastEvent", p, "before", "strict");
        var before = a.Int("before");
        var row = await One("SELECT id, time FROM events" + (before is null ? "" : " WHERE id < @before") + " ORDER BY id DESC LIMIT 1", new { before });
        return row is null ? null : EventInfo(row);
    }

    private async Task<object?> GetEvent(object?[] p)
    {
        var a = HubCallArgs.Bind("getEvent", p, "id", "strict");
        var row = await One("SELECT id, time FROM events WHERE id = @id", new { id = a.Int("id") });
        if (row is null && a.Bool("strict", true)) throw HubFaultException.Generic($"No such event: {a.Int("id")}");
        return row is null ? null : EventInfo(row);
    }

    private static Dictionary<string, object?> EventInfo(Dictionary<string, object?> row) =>
        new() { ["id"] = row["id"], ["ts"] = EpochSeconds((string)row["time"]!) };

    // ---------- tags and inheritance ----------

    private async Task<object?> GetTagCall(object?[] p)
    {
        var a = HubCallArgs.Bind("getTag", p, "tagInfo", "strict", "event", "blocked");
        return await GetTag(a.Raw("tagInfo"), a.Bool("strict"), a.Int("event"), a.Bool("blocked"));
    }

    public async Task<Dictionary<string, object?>?> GetTag(object? info, bool strict, int? ev, bool blocked = false)
    {
        var (where, arg) = ByNameOrId(info, "tag");
        var tag = await One($@"SELECT tag_config.arches, tag.id, tag_config.locked, tag_config.maven_include_all,
                tag_config.maven_support, tag.name, permissions.name AS perm, tag_config.perm_id
            FROM tag JOIN tag_config ON tag.id = tag_config.tag_id
            LEFT OUTER JOIN permissions ON tag_config.perm_id = permissions.id
            WHERE {Ev("tag_config")} AND {where}", new { ev, arg });
        if (tag is null)
        {
            if (strict) throw HubFaultException.Generic($"No such tagInfo: {HubCallArgs.Repr(info)}");
            return null;
        }
        var extra = new Dictionary<string, object?>(StringComparer.Ordinal);
        foreach (var row in await Rows($@"SELECT key, value FROM tag_extra WHERE tag_id = @id AND {Ev("tag_extra")}
                {(blocked ? "" : "AND value IS NOT NULL")} ORDER BY ctid", new { id = tag["id"], ev }))
        {
            var value = FromJson(row["value"] as string);
            extra[(string)row["key"]!] = blocked ? new object?[] { row["value"] is null, value } : value;
        }
        tag["extra"] = extra;
        if (ev is not null) tag["query_event"] = ev;
        return tag;
    }

    private async Task<int> TagId(object? info, int? ev = null)
    {
        var tag = await GetTag(info, strict: true, ev);
        return (int)tag!["id"]!;
    }

    private async Task<object?> GetInheritanceData(object?[] p)
    {
        var a = HubCallArgs.Bind("getInheritanceData", p, "tag", "event");
        var ev = a.Int("event");
        return await ReadInheritanceData(await TagId(a.Raw("tag"), ev), ev);
    }

    private async Task<List<Dictionary<string, object?>>> ReadInheritanceData(int tagId, int? ev)
    {
        var rows = await Rows($@"SELECT tag_inheritance.intransitive, tag_inheritance.maxdepth, tag.name, tag_inheritance.noconfig,
                tag_inheritance.parent_id, tag_inheritance.pkg_filter, tag_inheritance.priority
            FROM tag_inheritance JOIN tag ON tag_inheritance.parent_id = tag.id
            WHERE {Ev("tag_inheritance")} AND tag_inheritance.tag_id = @tagId ORDER BY tag_inheritance.priority", new { tagId, ev });
        foreach (var r in rows) r["child_id"] = tagId;
        return rows;
    }

    private async Task<object?> GetFullInheritance(object?[] p)
    {
        var a = HubCallArgs.Bind("getFullInheritance", p, "tag", "event", "reverse");
        if (a.Bool("reverse")) throw HubFaultException.Generic("the emulator does not implement reverse inheritance");
        var ev = a.Int("event");
        return await ReadFullInheritance(await TagId(a.Raw("tag"), ev), ev);
    }

    /// <summary>kojihub.readFullInheritance: depth-first over parents by priority, pruning loops and redundant paths.</summary>
    public async Task<List<Dictionary<string, object?>>> ReadFullInheritance(int tagId, int? ev)
    {
        var order = new List<Dictionary<string, object?>>();
        await Recurse(tagId, new HashSet<int>(), new Dictionary<int, List<Dictionary<string, object?>>>(), 0, null, false, new List<string>());
        return order;

        async Task Recurse(int id, HashSet<int> top, Dictionary<int, List<Dictionary<string, object?>>> hist,
            int currdepth, int? maxdepth, bool noconfig, List<string> pfilter)
        {
            if (maxdepth is < 1) return;
            currdepth++;
            top = new HashSet<int>(top) { id };
            foreach (var link in await ReadInheritanceData(id, ev))
            {
                var parent = (int)link["parent_id"]!;
                if (top.Contains(parent)) continue;
                if ((bool)link["intransitive"]! && top.Count > 1) continue;
                var nextdepth = link["maxdepth"] as int?;
                if (nextdepth is null) { if (maxdepth is not null) nextdepth = maxdepth - 1; }
                else if (maxdepth is not null) nextdepth = Math.Min(nextdepth.Value, maxdepth.Value) - 1;
                link["nextdepth"] = nextdepth;
                link["currdepth"] = currdepth;
                if ((bool)link["noconfig"]!) noconfig = true;
                var filter = new List<string>(pfilter);
                if (link["pkg_filter"] is string { Length: > 0 } pattern) filter.Add(pattern);
                link["filter"] = filter.Cast<object?>().ToArray();
                if (hist.TryGetValue(parent, out var previous))
                {
                    var rescan = true;
                    foreach (var prev in previous)
                    {
                        var sufficient = true;
                        var lastdepth = prev["nextdepth"] as int?;
                        if (nextdepth is null) { if (lastdepth is not null) sufficient = false; }
                        else if (lastdepth is not null && lastdepth < nextdepth) sufficient = false;
                        if ((bool)prev["noconfig"]! && !noconfig) sufficient = false;
                        if (((object?[])prev["filter"]!).Length > 0) sufficient = false;
                        if (sufficient) rescan = false;
                    }
                    if (!rescan) continue;
                }
                else hist[parent] = new List<Dictionary<string, object?>>();
                hist[parent].Add(link);
                order.Add(link);
                await Recurse(parent, top, hist, currdepth, nextdepth, noconfig, filter);
            }
        }
    }

    /// <summary>kojihub.readPackageList: the tag's own entries, then inherited ones (first wins, filters apply).</summary>
    private async Task<List<Dictionary<string, object?>>> ReadPackageList(int tagId, object? pkg, int? ev, bool inherit,
        bool withDups, bool withOwners, bool withBlocked)
    {
        var sql = $@"SELECT tag_packages.blocked, tag_packages.extra_arches{(withOwners ? ", users.id AS owner_id, users.name AS owner_name" : "")},
                package.id AS package_id, package.name AS package_name, tag.id AS tag_id, tag.name AS tag_name
            FROM tag_packages JOIN tag ON tag.id = tag_packages.tag_id JOIN package ON package.id = tag_packages.package_id
            {(withOwners ? "JOIN tag_package_owners ON tag_packages.tag_id = tag_package_owners.tag_id AND tag_packages.package_id = tag_package_owners.package_id JOIN users ON users.id = tag_package_owners.owner" : "")}
            WHERE {Ev("tag_packages")} AND tag.id = @tid
            {(pkg is int ? "AND package.id = @pkg" : pkg is string ? "AND package.name = @pkg" : "")}
            {(withOwners ? "AND " + Ev("tag_package_owners") : "")}
            {(withBlocked ? "" : "AND NOT tag_packages.blocked")}
            ORDER BY tag_packages.ctid";
        var result = new List<Dictionary<string, object?>>();
        var seen = new HashSet<int>();
        foreach (var r in await Rows(sql, new { tid = tagId, pkg, ev }))
            if (withDups || seen.Add((int)r["package_id"]!)) result.Add(r);
        if (!inherit) return result;
        foreach (var link in await ReadFullInheritance(tagId, ev))
        {
            var patterns = ((object?[])link["filter"]!).Select(f => new Regex("^(?:" + (string)f! + ")")).ToList();
            foreach (var r in await Rows(sql, new { tid = (int)link["parent_id"]!, pkg, ev }))
            {
                var id = (int)r["package_id"]!;
                if (!withDups && seen.Contains(id)) continue;
                if (patterns.Any(re => !re.IsMatch((string)r["package_name"]!))) continue;
                seen.Add(id);
                result.Add(r);
            }
        }
        return result;
    }

    private async Task<object?> ListPackages(object?[] p)
    {
        var a = HubCallArgs.Bind("listPackages", p, "tagID", "userID", "pkgID", "prefix", "inherited", "with_dups",
            "event", "queryOpts", "with_owners", "with_blocked");
        var ev = a.Int("event");
        if (!a.Has("tagID") && !a.Has("userID") && !a.Has("pkgID"))
            return await Rows("SELECT id AS package_id, name AS package_name FROM package ORDER BY ctid", null);
        if (!a.Has("tagID")) throw HubFaultException.Generic("the emulator lists packages by tagID only");
        var list = await ReadPackageList(await TagId(a.Raw("tagID"), ev), a.Raw("pkgID"), ev, a.Bool("inherited"),
            a.Bool("with_dups"), a.Bool("with_owners", true), a.Bool("with_blocked", true));
        if (a.Str("prefix") is { } prefix)
            list = list.Where(r => ((string)r["package_name"]!).StartsWith(prefix, StringComparison.OrdinalIgnoreCase)).ToList();
        return list;
    }

    // ---------- tagged builds and rpms ----------

    private async Task<object?> ListTagged(object?[] p)
    {
        var a = HubCallArgs.Bind("listTagged", p, "tag", "event", "inherit", "prefix", "latest", "package", "owner",
            "type", "strict", "extra", "draft");
        var ev = a.Int("event");
        var tag = await GetTag(a.Raw("tag"), a.Bool("strict", true), ev);
        if (tag is null) return Array.Empty<object?>();
        var builds = await ReadTaggedBuilds((int)tag["id"]!, ev, a.Bool("inherit"), Latest(a.Raw("latest")),
            a.Str("package"), a.Str("owner"), a.Bool("extra"));
        if (a.Str("prefix") is { } prefix)
            builds = builds.Where(b => ((string)b["package_name"]!).StartsWith(prefix, StringComparison.OrdinalIgnoreCase)).ToList();
        return builds;
    }

    private async Task<object?> GetLatestBuilds(object?[] p)
    {
        var a = HubCallArgs.Bind("getLatestBuilds", p, "tag", "event", "package", "type", "draft");
        var ev = a.Int("event");
        return await ReadTaggedBuilds(await TagId(a.Raw("tag"), ev), ev, true, 1, a.Str("package"), null, false);
    }

    private static int Latest(object? v) => v switch
    {
        null or false => 0,
        true => 1,
        int i => i,
        _ => HubCallArgs.Truthy(v) ? 1 : 0,
    };

    /// <summary>kojihub.readTaggedBuilds: per tag of the inheritance order, newest tagging first; the package list
    /// (inherited, blocks honoured) decides what counts; latest=N keeps the first N per package.</summary>
    public async Task<List<Dictionary<string, object?>>> ReadTaggedBuilds(int tagId, int? ev, bool inherit, int latest,
        string? package, string? owner, bool extra)
    {
        var tags = new List<int> { tagId };
        if (inherit) tags.AddRange((await ReadFullInheritance(tagId, ev)).Select(l => (int)l["parent_id"]!));
        var packages = (await ReadPackageList(tagId, package, ev, inherit: true, withDups: false, withOwners: false, withBlocked: true))
            .ToDictionary(r => (int)r["package_id"]!);
        var sql = $@"SELECT build.id AS build_id, build.completion_time, tag_listing.create_event, events.id AS creation_event_id,
                events.time AS creation_time, build.draft, build.epoch{(extra ? ", build.extra" : "")}, build.id, package.name AS name,
                package.name || '-' || build.version || '-' || build.release AS nvr, users.id AS owner_id, users.name AS owner_name,
                package.id AS package_id, package.name AS package_name, promoter.id AS promoter_id, promoter.name AS promoter_name,
                build.promotion_time, build.release, build.start_time, build.state, tag.id AS tag_id, tag.name AS tag_name,
                build.task_id, build.version, volume.id AS volume_id, volume.name AS volume_name
            FROM tag_listing JOIN tag ON tag.id = tag_listing.tag_id JOIN build ON build.id = tag_listing.build_id
            JOIN events ON events.id = build.create_event JOIN package ON package.id = build.pkg_id
            JOIN volume ON volume.id = build.volume_id JOIN users ON users.id = build.owner
            LEFT OUTER JOIN users promoter ON promoter.id = build.promoter
            WHERE {Ev("tag_listing")} AND tag_listing.tag_id = @tid AND build.state = {BuildComplete}
            {(package is null ? "" : "AND package.name = @package")} {(owner is null ? "" : "AND users.name = @owner")}
            ORDER BY tag_listing.create_event DESC, tag_listing.ctid";
        var builds = new List<Dictionary<string, object?>>();
        var seen = new Dictionary<int, int>();
        foreach (var tid in tags)
            foreach (var b in await Rows(sql, new { tid, ev, package, owner }))
            {
                if (extra) b["extra"] = FromJson(b["extra"] as string);
                var pkg = (int)b["package_id"]!;
                if (!packages.TryGetValue(pkg, out var pinfo) || (bool)pinfo["blocked"]!) continue;
                if (latest > 0)
                {
                    if (seen.GetValueOrDefault(pkg) >= latest) continue;
                    seen[pkg] = seen.GetValueOrDefault(pkg) + 1;
                }
                builds.Add(b);
            }
        return builds;
    }

    private async Task<object?> ListTaggedRpms(object?[] p)
    {
        var a = HubCallArgs.Bind("listTaggedRPMS", p, "tag", "event", "inherit", "latest", "package", "arch", "rpmsigs",
            "owner", "type", "strict", "extra", "draft");
        var ev = a.Int("event");
        var tag = await GetTag(a.Raw("tag"), a.Bool("strict", true), ev);
        if (tag is null) return new object?[] { Array.Empty<object?>(), Array.Empty<object?>() };
        var tagId = (int)tag["id"]!;
        var inherit = a.Bool("inherit");
        var tags = new List<int> { tagId };
        if (inherit) tags.AddRange((await ReadFullInheritance(tagId, ev)).Select(l => (int)l["parent_id"]!));
        var package = a.Str("package");
        var builds = await ReadTaggedBuilds(tagId, ev, inherit, Latest(a.Raw("latest")), package, a.Str("owner"), false);
        var byId = builds.ToDictionary(b => (int)b["build_id"]!);
        string[]? arches = a.Raw("arch") switch
        {
            null => null,
            string s => new[] { s },
            object?[] list => list.Select(x => (string)x!).ToArray(),
            _ => throw HubFaultException.Generic("Invalid type for arch option"),
        };
        var rpmsigs = a.Bool("rpmsigs");
        var extra = a.Bool("extra", true);
        var sql = $@"SELECT rpminfo.arch, rpminfo.build_id, rpminfo.buildroot_id, rpminfo.buildtime, rpminfo.draft, rpminfo.epoch,
                {(extra ? "rpminfo.extra," : "")} rpminfo.id, rpminfo.metadata_only, rpminfo.name, rpminfo.payloadhash, rpminfo.release,
                {(rpmsigs ? "rpmsigs.sigkey," : "")} rpminfo.size, rpminfo.version
            FROM rpminfo JOIN tag_listing ON rpminfo.build_id = tag_listing.build_id
            {(package is null ? "" : "JOIN build ON rpminfo.build_id = build.id JOIN package ON package.id = build.pkg_id")}
            {(rpmsigs ? "LEFT OUTER JOIN rpmsigs ON rpminfo.id = rpmsigs.rpm_id" : "")}
            WHERE {Ev("tag_listing")} AND tag_listing.tag_id = @tid
            {(package is null ? "" : "AND package.name = @package")} {(arches is null ? "" : "AND rpminfo.arch = ANY(@arches)")}
            ORDER BY rpminfo.ctid{(rpmsigs ? ", rpmsigs.ctid" : "")}";
        var rpms = new List<Dictionary<string, object?>>();
        foreach (var tid in tags.Distinct())
            foreach (var r in await Rows(sql, new { tid, ev, package, arches }))
            {
                if (!byId.TryGetValue((int)r["build_id"]!, out var b) || (int)b["tag_id"]! != tid) continue;
                if (extra) r["extra"] = FromJson(r["extra"] as string);
                rpms.Add(r);
            }
        return new object?[] { rpms, builds };
    }

    // ---------- builds and rpms ----------

    private async Task<object?> GetBuildCall(object?[] p)
    {
        var a = HubCallArgs.Bind("getBuild", p, "buildInfo", "strict");
        return await GetBuild(a.Raw("buildInfo"), a.Bool("strict"));
    }

    public async Task<Dictionary<string, object?>?> GetBuild(object? info, bool strict)
    {
        switch (info)
        {
            case int id:
                return await BuildQuery("build.id = @id", new { id }, info, strict);
            case string nvr:
                var (n, v, r) = SplitNvr(nvr);
                return await BuildQuery("package.name = @n AND build.version = @v AND build.release = @r", new { n, v, r }, info, strict);
            default:
                throw HubFaultException.Generic($"Invalid build info: {HubCallArgs.Repr(info)}");
        }
    }

    private async Task<Dictionary<string, object?>?> BuildQuery(string where, object args, object? info, bool strict)
    {
        var b = await One($@"SELECT build.id AS build_id, build.cg_id, build.completion_time, events.id AS creation_event_id,
                events.time AS creation_time, build.draft, build.epoch, build.extra, build.id, package.name AS name,
                package.name || '-' || build.version || '-' || build.release AS nvr, users.id AS owner_id, users.name AS owner_name,
                package.id AS package_id, package.name AS package_name, promoter.id AS promoter_id, promoter.name AS promoter_name,
                build.promotion_time, build.release, build.source, build.start_time, build.state, build.task_id, build.version,
                volume.id AS volume_id, volume.name AS volume_name, content_generator.name AS cg_name
            FROM build JOIN events ON build.create_event = events.id JOIN package ON build.pkg_id = package.id
            JOIN volume ON build.volume_id = volume.id JOIN users ON build.owner = users.id
            LEFT OUTER JOIN users promoter ON build.promoter = promoter.id
            LEFT OUTER JOIN content_generator ON build.cg_id = content_generator.id
            WHERE {where}", args);
        if (b is null)
        {
            if (strict) throw HubFaultException.Generic($"No such build: {HubCallArgs.Repr(info)}");
            return null;
        }
        var cg = b["cg_name"];
        b.Remove("cg_name");
        b["extra"] = FromJson(b["extra"] as string);
        b = Sorted(b
            .Append(new("completion_ts", Ts(b["completion_time"]))).Append(new("creation_ts", Ts(b["creation_time"])))
            .Append(new("promotion_ts", Ts(b["promotion_time"]))).Append(new("start_ts", Ts(b["start_time"]))));
        b["cg_name"] = cg;
        return b;
    }

    private async Task<object?> GetBuildType(object?[] p)
    {
        var a = HubCallArgs.Bind("getBuildType", p, "buildInfo", "strict");
        var b = await GetBuild(a.Raw("buildInfo"), a.Bool("strict"));
        if (b is null) return null;
        var result = new Dictionary<string, object?>(StringComparer.Ordinal);
        foreach (var r in await Rows("SELECT btype.name FROM build_types JOIN btype ON btype.id = build_types.btype_id WHERE build_types.build_id = @id ORDER BY btype.id", new { id = b["id"] }))
            result[(string)r["name"]!] = null;
        return result;
    }

    private const string RpmColumns = @"rpminfo.arch, rpminfo.build_id, rpminfo.buildroot_id, rpminfo.buildtime, rpminfo.draft, rpminfo.epoch,
        rpminfo.external_repo_id, external_repo.name AS external_repo_name, rpminfo.extra, rpminfo.id, rpminfo.metadata_only,
        rpminfo.name, rpminfo.payloadhash, rpminfo.release, rpminfo.size, rpminfo.version";

    private async Task<object?> ListRpms(object?[] p)
    {
        var a = HubCallArgs.Bind("listRPMs", p, "buildID", "buildrootID", "imageID", "componentBuildrootID", "hostID",
            "arches", "queryOpts", "draft");
        var buildId = a.Int("buildID");
        if (buildId is null) throw HubFaultException.Generic("the emulator lists RPMs by buildID only");
        return await RpmsOfBuild(buildId.Value, a.Raw("arches") switch
        {
            null => null,
            string s => new[] { s },
            object?[] l => l.Select(x => (string)x!).ToArray(),
            _ => null,
        });
    }

    private async Task<object?> ListBuildRpms(object?[] p)
    {
        var a = HubCallArgs.Bind("listBuildRPMs", p, "build");
        var b = await GetBuild(a.Raw("build"), strict: true);
        return await RpmsOfBuild((int)b!["id"]!, null);
    }

    private async Task<List<Dictionary<string, object?>>> RpmsOfBuild(int buildId, string[]? arches)
    {
        var rows = await Rows($@"SELECT {RpmColumns}, rpminfo.name || '-' || rpminfo.version || '-' || rpminfo.release AS nvr
            FROM rpminfo JOIN external_repo ON rpminfo.external_repo_id = external_repo.id
            WHERE rpminfo.build_id = @buildId {(arches is null ? "" : "AND rpminfo.arch = ANY(@arches)")} ORDER BY rpminfo.ctid",
            new { buildId, arches });
        return rows.Select(r => { r["extra"] = FromJson(r["extra"] as string); return Sorted(r); }).ToList();
    }

    private async Task<object?> GetRpmCall(object?[] p)
    {
        var a = HubCallArgs.Bind("getRPM", p, "rpminfo", "strict", "multi");
        return await GetRpm(a.Raw("rpminfo"), a.Bool("strict"));
    }

    private async Task<Dictionary<string, object?>?> GetRpm(object? info, bool strict)
    {
        Dictionary<string, object?>? r;
        const string from = "FROM rpminfo JOIN external_repo ON rpminfo.external_repo_id = external_repo.id";
        if (info is int id)
            r = await One($"SELECT {RpmColumns} {from} WHERE rpminfo.id = @id", new { id });
        else if (info is string nvra && nvra.LastIndexOf('.') is var dot and > 0)
        {
            var (n, v, rel) = SplitNvr(nvra[..dot]);
            var arch = nvra[(dot + 1)..];
            r = await One($"SELECT {RpmColumns} {from} WHERE rpminfo.name = @n AND rpminfo.version = @v AND rpminfo.release = @rel AND rpminfo.arch = @arch ORDER BY rpminfo.external_repo_id LIMIT 1", new { n, v, rel, arch });
        }
        else throw HubFaultException.Generic($"Invalid rpminfo: {HubCallArgs.Repr(info)}");
        if (r is null)
        {
            if (strict) throw HubFaultException.Generic($"No such rpm: {HubCallArgs.Repr(info)}");
            return null;
        }
        r["extra"] = FromJson(r["extra"] as string);
        return r;
    }

    private async Task<object?> QueryRpmSigs(object?[] p)
    {
        var a = HubCallArgs.Bind("queryRPMSigs", p, "rpm_id", "sigkey", "queryOpts");
        var raw = a.Raw("rpm_id");
        int? rpmId = raw switch
        {
            null => null,
            int i => i,
            _ => (int)(await GetRpm(raw, strict: true))!["id"]!,
        };
        var sigkey = a.Str("sigkey");
        return await Rows($@"SELECT rpm_id, sighash, sigkey FROM rpmsigs WHERE TRUE
            {(rpmId is null ? "" : "AND rpm_id = @rpmId")} {(sigkey is null ? "" : "AND sigkey = @sigkey")} ORDER BY ctid", new { rpmId, sigkey });
    }

    // ---------- targets, repos, volumes, users, hosts ----------

    private async Task<object?> GetBuildTarget(object?[] p)
    {
        var a = HubCallArgs.Bind("getBuildTarget", p, "info", "event", "strict");
        var targets = await BuildTargets(a.Raw("info"), a.Int("event"), null, null);
        if (targets.Count == 1) return targets[0];
        if (a.Bool("strict")) throw HubFaultException.Generic($"No such build target: {a.Raw("info")}");
        return null;
    }

    private async Task<object?> GetBuildTargets(object?[] p)
    {
        var a = HubCallArgs.Bind("getBuildTargets", p, "info", "event", "buildTagID", "destTagID", "queryOpts");
        var ev = a.Int("event");
        int? buildTag = a.Has("buildTagID") ? await TagId(a.Raw("buildTagID"), ev) : null;
        int? destTag = a.Has("destTagID") ? await TagId(a.Raw("destTagID"), ev) : null;
        return await BuildTargets(a.Raw("info"), ev, buildTag, destTag);
    }

    private Task<List<Dictionary<string, object?>>> BuildTargets(object? info, int? ev, int? buildTag, int? destTag) =>
        Rows($@"SELECT build_target_config.build_tag, bt.name AS build_tag_name, build_target_config.dest_tag, dt.name AS dest_tag_name,
                build_target.id, build_target.name
            FROM build_target_config JOIN build_target ON build_target_config.build_target_id = build_target.id
            JOIN tag bt ON build_target_config.build_tag = bt.id JOIN tag dt ON build_target_config.dest_tag = dt.id
            WHERE {Ev("build_target_config")}
            {(info is int ? "AND build_target.id = @info" : info is string ? "AND build_target.name = @info" : "")}
            {(buildTag is null ? "" : "AND build_target_config.build_tag = @buildTag")} {(destTag is null ? "" : "AND build_target_config.dest_tag = @destTag")}
            ORDER BY build_target_config.ctid", new { info, ev, buildTag, destTag });

    private async Task<object?> GetTagExternalRepos(object?[] p)
    {
        var a = HubCallArgs.Bind("getTagExternalRepos", p, "tag_info", "repo_info", "event");
        var ev = a.Int("event");
        int? tagId = a.Has("tag_info") ? await TagId(a.Raw("tag_info"), ev) : null;
        var repo = a.Raw("repo_info");
        return await Rows($@"SELECT tag_external_repos.arches, external_repo.id AS external_repo_id, external_repo.name AS external_repo_name,
                tag_external_repos.merge_mode, tag_external_repos.priority, tag.id AS tag_id, tag.name AS tag_name, external_repo_config.url
            FROM tag_external_repos JOIN tag ON tag_external_repos.tag_id = tag.id
            JOIN external_repo ON tag_external_repos.external_repo_id = external_repo.id
            JOIN external_repo_config ON external_repo.id = external_repo_config.external_repo_id
            WHERE {Ev("tag_external_repos")} AND {Ev("external_repo_config")}
            {(tagId is null ? "" : "AND tag.id = @tagId")}
            {(repo is int ? "AND external_repo.id = @repo" : repo is string ? "AND external_repo.name = @repo" : "")}
            ORDER BY tag_external_repos.priority", new { ev, tagId, repo });
    }

    private async Task<object?> GetPackage(object?[] p)
    {
        var a = HubCallArgs.Bind("getPackage", p, "info", "strict", "create");
        var info = a.Raw("info");
        var (where, arg) = ByNameOrId(info, "package");
        var pkg = await One($"SELECT id, name FROM package WHERE {where}", new { arg });
        if (pkg is null && a.Bool("strict")) throw HubFaultException.Generic($"No such package: {info}");
        return pkg;
    }

    private Task<object?> ListVolumes(object?[] p)
    {
        HubCallArgs.Bind("listVolumes", p);
        return Rows("SELECT id, name FROM volume ORDER BY id", null).ContinueWith(t => (object?)t.Result);
    }

    private async Task<object?> GetVolume(object?[] p)
    {
        var a = HubCallArgs.Bind("getVolume", p, "volume", "strict");
        var info = a.Raw("volume");
        var (where, arg) = ByNameOrId(info, "volume");
        var v = await One($"SELECT id, name FROM volume WHERE {where}", new { arg });
        if (v is null && a.Bool("strict")) throw HubFaultException.Generic($"No such volume: {info}");
        return v;
    }

    private async Task<object?> ListTags(object?[] p)
    {
        var a = HubCallArgs.Bind("listTags", p, "build", "package", "perms", "queryOpts", "pattern");
        if (a.Has("build") || a.Has("package")) throw HubFaultException.Generic("the emulator lists all tags only");
        var perms = a.Bool("perms", true);
        return await Rows($@"SELECT tag_config.arches, tag.id, tag_config.locked, tag_config.maven_include_all, tag_config.maven_support,
                tag.name{(perms ? ", permissions.name AS perm, tag_config.perm_id" : "")}
            FROM tag_config JOIN tag ON tag.id = tag_config.tag_id
            {(perms ? "LEFT OUTER JOIN permissions ON tag_config.perm_id = permissions.id" : "")}
            WHERE tag_config.active = TRUE ORDER BY tag.ctid", null);
    }

    private async Task<object?> GetUser(object?[] p)
    {
        var a = HubCallArgs.Bind("getUser", p, "userInfo", "strict", "krb_princs", "groups");
        var info = a.Raw("userInfo");
        if (info is null) return null; // anonymous session
        var (where, arg) = ByNameOrId(info, "users");
        var u = await One($"SELECT id, name, status, usertype FROM users WHERE {where}", new { arg });
        if (u is null)
        {
            if (a.Bool("strict")) throw HubFaultException.Generic($"No such user: {HubCallArgs.Repr(info)}");
            return null;
        }
        if (a.Bool("krb_princs", true))
            u["krb_principals"] = (await Rows("SELECT krb_principal FROM user_krb_principals WHERE user_id = @id ORDER BY krb_principal", new { id = u["id"] }))
                .Select(r => r["krb_principal"]).ToArray();
        return u;
    }

    private async Task<object?> ListHosts(object?[] p)
    {
        HubCallArgs.Bind("listHosts", p, "arches", "channelID", "ready", "enabled", "userID", "queryOpts");
        var rows = await Rows(@"SELECT host_config.arches, host_config.capacity, host_config.comment, host_config.description,
                host_config.enabled, host.id, host.name, host.ready, host.task_load, host.update_time AS update_ts, host.user_id
            FROM host JOIN host_config ON host.id = host_config.host_id WHERE host_config.active = TRUE ORDER BY host.id", null);
        foreach (var r in rows) r["update_ts"] = Ts(r["update_ts"]);
        return rows;
    }

    // ---------- helpers ----------

    /// <summary>Koji's eventCondition: active rows now, or rows alive at event @ev.</summary>
    private static string Ev(string table) =>
        $"(CASE WHEN @ev::int IS NULL THEN {table}.active IS TRUE ELSE ({table}.create_event <= @ev::int AND ({table}.revoke_event IS NULL OR @ev::int < {table}.revoke_event)) END)";

    private static (string Where, object Arg) ByNameOrId(object? info, string table) => info switch
    {
        int id => ($"{table}.id = @arg", id),
        string name => ($"{table}.name = @arg", name),
        _ => throw HubFaultException.Generic($"Invalid name or id value: {HubCallArgs.Repr(info)}"),
    };

    private static (string N, string V, string R) SplitNvr(string nvr)
    {
        var r = nvr.LastIndexOf('-');
        var v = r > 0 ? nvr.LastIndexOf('-', r - 1) : -1;
        if (r <= 0 || v <= 0) throw HubFaultException.Generic($"invalid format: {nvr}");
        return (nvr[..v], nvr[(v + 1)..r], nvr[(r + 1)..]);
    }

    private async Task<List<Dictionary<string, object?>>> Rows(string sql, object? args)
    {
        var result = new List<Dictionary<string, object?>>();
        foreach (IDictionary<string, object?> row in await db.QueryAsync(sql, args))
        {
            var d = new Dictionary<string, object?>(StringComparer.Ordinal);
            foreach (var (k, v) in row) d[k] = ToPython(v);
            result.Add(Sorted(d));
        }
        return result;
    }

    private async Task<Dictionary<string, object?>?> One(string sql, object? args) => (await Rows(sql, args)).FirstOrDefault();

    private static Dictionary<string, object?> Sorted(IEnumerable<KeyValuePair<string, object?>> d)
    {
        var s = new Dictionary<string, object?>(StringComparer.Ordinal);
        foreach (var kv in d.OrderBy(kv => kv.Key, StringComparer.Ordinal)) s[kv.Key] = kv.Value;
        return s;
    }

    /// <summary>Database values as psycopg2 hands them to the hub; timestamps become str(datetime) as Koji sends them.</summary>
    private static object? ToPython(object? v) => v switch
    {
        null or DBNull => null,
        DateTime dt => PyTimestamp(dt),
        short s => (int)s,
        float f => (double)f,
        decimal m => (double)m,
        _ => v,
    };

    private static string PyTimestamp(DateTime dt)
    {
        var utc = dt.Kind == DateTimeKind.Local ? dt.ToUniversalTime() : dt;
        var micro = (utc.Ticks % TimeSpan.TicksPerSecond) / 10;
        return utc.ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture)
            + (micro == 0 ? "" : "." + micro.ToString("000000", CultureInfo.InvariantCulture)) + "+00:00";
    }

    /// <summary>Seconds since the epoch of a timestamp string made by <see cref="PyTimestamp"/> (microseconds exact).</summary>
    private static object? Ts(object? pyTimestamp) => pyTimestamp is string s ? EpochSeconds(s) : null;

    private static double EpochSeconds(string pyTimestamp)
    {
        var dt = DateTime.ParseExact(pyTimestamp[..^6], new[] { "yyyy-MM-dd HH:mm:ss", "yyyy-MM-dd HH:mm:ss.ffffff" },
            CultureInfo.InvariantCulture, DateTimeStyles.AdjustToUniversal | DateTimeStyles.AssumeUniversal);
        var micros = (dt.Ticks - DateTime.UnixEpoch.Ticks) / 10;
        return micros / 1e6;
    }

    /// <summary>Koji stores extra fields as JSON text and decodes them for the answer.</summary>
    private static object? FromJson(string? json)
    {
        if (json is null) return null;
        using var doc = JsonDocument.Parse(json);
        return ToXmlRpcValue(doc.RootElement);
    }

    /// <summary>A JSON value as the XML-RPC layer's .NET value: int, then long (i8), then double; arrays and ordinal-keyed structs.</summary>
    public static object? ToXmlRpcValue(JsonElement e) => e.ValueKind switch
    {
        JsonValueKind.Null => null,
        JsonValueKind.True => true,
        JsonValueKind.False => false,
        JsonValueKind.String => e.GetString(),
        JsonValueKind.Number when e.TryGetInt32(out var i) => i,
        JsonValueKind.Number when e.TryGetInt64(out var l) => l,
        JsonValueKind.Number => e.GetDouble(),
        JsonValueKind.Array => e.EnumerateArray().Select(ToXmlRpcValue).ToArray(),
        _ => e.EnumerateObject().ToDictionary(p => p.Name, p => ToXmlRpcValue(p.Value), StringComparer.Ordinal),
    };
}
