using KojiStaging.Engine.Diagnostics;
using KojiStaging.Engine.Koji.Hub;
using Microsoft.Extensions.Logging;
using static KojiStaging.Engine.Koji.Subset.SubsetValues;
using Row = System.Collections.Generic.IReadOnlyDictionary<string, object?>;

namespace KojiStaging.Engine.Koji.Subset;

/// <summary>
/// Reads, through the hub API only, the closure of rows a compose of some tags needs at one event:
/// tags with their full inheritance (configs, extras, package lists and owners, external repos, comps groups
/// with their package and group lists), the targets that build into them (removed ones too), the selected builds
/// (listTaggedRPMS(tag, event, inherit, latest): exactly those) with packages, RPM rows, every signature row
/// of those RPMs for the chosen keys and the empty key (the cached unsigned header), their cached checksums,
/// the tags' whole tagging history with every build it names (any state, as rows), prod's reference tables
/// (btype, archivetypes, channels, permissions), who holds which permission, and every user and event those
/// rows name. Versioned rows come from queryHistory with their exact create/revoke events; a row revoked after
/// the event is written as still active (as it was at the event). An inheritance row whose other end lies
/// outside the closure (queryHistory(tag=X) also answers the rows in which X is the parent) is kept, and so is
/// the row of the tag it names (tag id and name only: no config, so Koji treats it as a deleted tag).
/// Calls go in multiCall stages packed up to the hub's request size limit, so round trips grow with
/// (builds × RPMs per build) / ~10,000, not with builds: 1,000 builds of 16 signed RPMs take 4 or 5.
/// </summary>
public sealed class SubsetClosureReader(IKojiHub hub)
{
    private static readonly Dictionary<string, object?> NoKw = new();
    private static readonly object?[] ChecksumTypes = { "md5", "sha1", "sha256" };
    /// <summary>koji.CHECKSUM_TYPES: the rpm_checksum.checksum_type values.</summary>
    private static readonly Dictionary<string, int> ChecksumTypeIds = new() { ["md5"] = 0, ["sha1"] = 1, ["sha256"] = 2 };

    /// <param name="stagingBuilds">Builds staging already holds (kept for callers; every tagging row of the closure tags is read now).</param>
    public async Task<SubsetSnapshot> ReadAsync(SubsetOptions options, EngineScope scope, IReadOnlySet<int>? stagingBuilds = null)
    {
        var ct = scope.Cancellation;
        var log = scope.Logger<SubsetClosureReader>();
        if (options.Tags.Count == 0)
            throw new StagingException("SubsetNoTag", StagingErrorCategory.InvalidArgument, "Name at least one tag to copy.");
        var startTrips = hub.RoundTrips;
        void Phase(string what, int pct) => scope.Progress.Report(new StagingProgress(10, "Reading prod through the hub", what, pct));
        var allKeys = options.SigKeys.Contains("*");
        bool Chosen(string? key) => key == "" || allKeys || options.SigKeys.Contains(key, StringComparer.OrdinalIgnoreCase);

        // Stage 1: the event (read once).
        Phase("event", 0);
        int ev; double evTs;
        if (options.Event is { } wanted)
        {
            var e = KojiHubExtensions.Struct(await hub.CallAsync("getEvent", new object?[] { wanted }, NoKw, ct).ConfigureAwait(false), "getEvent");
            ev = wanted; evTs = Num(e["ts"]);
        }
        else (ev, evTs) = await hub.GetLastEventAsync(ct).ConfigureAwait(false);
        log.LogInformation("Copying tags {Tags} as of prod event {Event}", string.Join(", ", options.Tags), ev);

        var t = SubsetTables.Create();
        var events = new EventTimes();
        events.AddTs(ev, evTs);
        var userNames = new Dictionary<int, string?>();

        // Stage 2: tags, their inheritance, the selected builds and RPMs; reference tables, permissions held, prod's newest task.
        Phase("tags, inheritance, tagged builds", 10);
        var evKw = new Dictionary<string, object?> { ["event"] = ev };
        var calls = new List<KojiCall>();
        foreach (var (_, method) in SubsetTables.ReferenceTables) calls.Add(new KojiCall(method, Array.Empty<object?>()));
        calls.Add(History(new[] { "user_perms" }, null, null));
        calls.Add(new KojiCall("listTasks", new object?[] { NoKw, new Dictionary<string, object?> { ["order"] = "-id", ["limit"] = 1 } }));
        var fixedCalls = calls.Count;
        foreach (var tag in options.Tags)
        {
            calls.Add(new KojiCall("getTag", new object?[] { tag }, evKw));
            calls.Add(new KojiCall("getFullInheritance", new object?[] { tag }, evKw));
            var kw = new Dictionary<string, object?> { ["event"] = ev, ["inherit"] = options.Inherit, ["latest"] = options.Latest };
            if (options.Arches.Count > 0) kw["arch"] = options.Arches.Cast<object?>().ToArray();
            if (options.Packages.Count == 1) kw["package"] = options.Packages[0];
            calls.Add(new KojiCall("listTaggedRPMS", new object?[] { tag }, kw));
        }
        var r2 = await hub.MultiCallAsync(calls, ct).ConfigureAwait(false);
        for (var i = 0; i < SubsetTables.ReferenceTables.Length; i++)
            AddReferenceRows(t[SubsetTables.ReferenceTables[i].Table], List(r2[i].GetValueOrThrow()));
        var permHistory = AsRow(r2[SubsetTables.ReferenceTables.Length].GetValueOrThrow());
        var newestTask = List(r2[1 + SubsetTables.ReferenceTables.Length].GetValueOrThrow()).Select(AsRow).Select(x => Long(x["id"])).DefaultIfEmpty(0).Max();
        var tagRows = new Dictionary<int, Row>();
        var buildRows = new Dictionary<int, Row>();
        var rpmRows = new Dictionary<int, Row>();
        var packages = new HashSet<string>(options.Packages, StringComparer.Ordinal);
        for (var i = 0; i < options.Tags.Count; i++)
        {
            var at = fixedCalls + 3 * i;
            var tagValue = r2[at].GetValueOrThrow();
            if (tagValue is null)
                throw new StagingException("KojiTagNotFound", StagingErrorCategory.ObjectNotFound,
                    $"Prod has no tag '{options.Tags[i]}' at event {ev}.{await hub.NearestTagsAsync(options.Tags[i], ct).ConfigureAwait(false)}", options.Tags[i]);
            var tagRow = AsRow(tagValue);
            tagRows[Int(tagRow["id"])] = tagRow;
            foreach (var link in List(r2[at + 1].GetValueOrThrow()).Select(AsRow))
                tagRows.TryAdd(Int(link["parent_id"]), new Dictionary<string, object?> { ["id"] = link["parent_id"], ["name"] = link["name"] });
            var tagged = List(r2[at + 2].GetValueOrThrow());
            foreach (var b in List(tagged[1]).Select(AsRow))
                if (packages.Count == 0 || packages.Contains(Str(b["package_name"])!)) buildRows.TryAdd(Int(b["build_id"]), b);
            foreach (var r in List(tagged[0]).Select(AsRow))
                if (buildRows.ContainsKey(Int(r["build_id"]))) rpmRows.TryAdd(Int(r["id"]), r);
        }
        var closureIds = tagRows.Keys.ToHashSet();

        // Stage 3: full tag configs, versioned history (tags, groups, taggings), builds, targets, every signature row.
        Phase("history, builds, signatures", 40);
        calls.Clear();
        var tagIds = closureIds.OrderBy(x => x).ToList();
        foreach (var id in tagIds) calls.Add(new KojiCall("getTag", new object?[] { id }, evKw));
        foreach (var id in tagIds) calls.Add(History(SubsetTables.TagHistoryTables, "tag", id));
        var buildIds = buildRows.Keys.OrderBy(x => x).ToList();
        foreach (var id in buildIds) calls.Add(new KojiCall("getBuild", new object?[] { id }));
        // queryHistory's tag filter on build_target_config matches dest_tag (query_history joins build_tag, then dest_tag, as 'tag'):
        // the targets building into a closure tag, removed ones included.
        foreach (var id in tagIds) calls.Add(History(new[] { "tag_listing", "build_target_config" }, "tag", id));
        var rpmIds = rpmRows.Keys.OrderBy(x => x).ToList();
        // Positional (queryRPMSigs(rpm_id)): a third of the bytes of the keyword form, so ~20,000 fit in one 4 MiB request.
        foreach (var id in rpmIds) calls.Add(new KojiCall("queryRPMSigs", new object?[] { id }));
        var r3 = await hub.MultiCallAsync(calls, ct).ConfigureAwait(false);
        var pos = 0;
        var fullTags = tagIds.Select(_ => AsRow(r3[pos++].GetValueOrThrow())).ToList();
        var tagHistory = tagIds.Select(_ => AsRow(r3[pos++].GetValueOrThrow())).ToList();
        var builds = buildIds.Select(_ => AsRow(r3[pos++].GetValueOrThrow())).ToList();
        var listings = tagIds.Select(_ => AsRow(r3[pos++].GetValueOrThrow())).ToList();
        var sigs = rpmIds.Select(_ => List(r3[pos++].GetValueOrThrow()).Select(AsRow).ToList()).ToList();

        foreach (var tag in fullTags) t["tag"].Add(Int(tag["id"]), Str(tag["name"]));
        var externalRepos = new Dictionary<int, string?>();
        var history = new HistoryRows(t, ev, events, userNames, externalRepos);
        foreach (var h in tagHistory)
            foreach (var (table, rows) in h)
                foreach (var row in List(rows).Select(AsRow))
                    history.Add(table, row);
        foreach (var (table, rows) in permHistory)
            foreach (var row in List(rows).Select(AsRow))
                history.Add(table, row);
        // The tags' whole tagging history, so queryHistory and listTagged at any event up to this one answer as in prod.
        var listedBuilds = new HashSet<int>();
        foreach (var h in listings)
            foreach (var row in List(h["tag_listing"]).Select(AsRow))
                if (history.Add("tag_listing", row)) listedBuilds.Add(Int(row["build_id"]));
        foreach (var h in listings)
            foreach (var row in List(h["build_target_config"]).Select(AsRow))
                history.Add("build_target_config", row);
        foreach (var b in builds) AddBuild(t, b, events, userNames);

        var signedBy = new Dictionary<int, List<string>>();
        var sigRows = new List<(int Rpm, string Key, string Hash)>();
        for (var i = 0; i < rpmIds.Count; i++)
            foreach (var s in sigs[i].Where(s => Chosen(Str(s["sigkey"]))))
            {
                var key = Str(s["sigkey"])!;
                t["rpmsigs"].Add(rpmIds[i], key, Str(s["sighash"]));
                sigRows.Add((rpmIds[i], key, Str(s["sighash"])!));
                if (key.Length > 0) (signedBy.TryGetValue(rpmIds[i], out var l) ? l : signedBy[rpmIds[i]] = new()).Add(key);
            }
        foreach (var id in rpmIds)
        {
            var r = rpmRows[id];
            // buildroot_id is not copied: buildroots stay in prod.
            t["rpminfo"].Add(id, r["build_id"], null, r["name"], r["version"], r["release"], r["epoch"], r["arch"], r.GetValueOrDefault("draft") ?? false,
                r.GetValueOrDefault("external_repo_id") ?? 0, r["payloadhash"], Long(r["size"]), Long(r["buildtime"]), r.GetValueOrDefault("metadata_only") ?? false,
                Json(r.GetValueOrDefault("extra")));
        }
        if (rpmIds.Count > 0) t["external_repo"].Add(0, "INTERNAL");

        // Stage 4: users, external repo configs, cached checksums of the signed RPMs, and the builds only the tagging history names.
        Phase("users, external repos, checksums", 80);
        var extraBuildIds = listedBuilds.Except(buildIds).OrderBy(x => x).ToList();
        var checksumRpms = signedBy.Keys.OrderBy(x => x).ToList();
        calls.Clear();
        var userIds = userNames.Keys.OrderBy(x => x).ToList();
        foreach (var id in userIds) calls.Add(new KojiCall("getUser", new object?[] { id }));
        var repoIds = externalRepos.Keys.Where(x => x != 0).OrderBy(x => x).ToList();
        foreach (var id in repoIds) calls.Add(History(new[] { "external_repo_config" }, "external_repo", id));
        // Positional getRPMChecksums(rpm_id, types, cacheonly=True): the cached rows only; the hub computes nothing.
        foreach (var id in checksumRpms) calls.Add(new KojiCall("getRPMChecksums", new object?[] { id, ChecksumTypes, true }));
        foreach (var id in extraBuildIds) calls.Add(new KojiCall("getBuild", new object?[] { id }));
        var r4 = calls.Count > 0 ? await hub.MultiCallAsync(calls, ct).ConfigureAwait(false) : Array.Empty<KojiCallResult>();
        pos = 0;
        foreach (var id in userIds) AddUser(t, id, r4[pos++]);
        foreach (var id in repoIds)
        {
            t["external_repo"].Add(id, externalRepos[id]);
            foreach (var row in List(AsRow(r4[pos++].GetValueOrThrow())["external_repo_config"]).Select(AsRow))
                history.Add("external_repo_config", row);
        }
        foreach (var id in checksumRpms)
            foreach (var (sigkey, byType) in AsRow(r4[pos++].GetValueOrThrow()))
                if (Chosen(sigkey))
                    foreach (var (type, sum) in AsRow(byType))
                        if (sum is string s && ChecksumTypeIds.TryGetValue(type, out var typeId)) t["rpm_checksum"].Add(id, sigkey, s, typeId);
        foreach (var id in extraBuildIds)
        {
            var b = r4[pos++].GetValueOrThrow();
            if (b is null) throw new StagingException("KojiBuildNotFound", StagingErrorCategory.ObjectNotFound, $"Prod's tagging history names build {id}, which its hub does not know.", id);
            AddBuild(t, AsRow(b), events, userNames);
        }

        // Stage 5, only when a history-only build or an external repo's history names a user not read yet.
        var lateUsers = userNames.Keys.Except(userIds).OrderBy(x => x).ToList();
        if (lateUsers.Count > 0)
        {
            var r5 = await hub.MultiCallAsync(lateUsers.Select(id => new KojiCall("getUser", new object?[] { id })).ToList(), ct).ConfigureAwait(false);
            for (var i = 0; i < lateUsers.Count; i++) AddUser(t, lateUsers[i], r5[i]);
        }

        foreach (var (id, time) in events.All) t["events"].Add(id, time);

        var rpmsOfBuild = rpmIds.ToLookup(r => Int(rpmRows[r]["build_id"]));
        var sigsOfRpm = sigRows.ToLookup(s => s.Rpm);
        var subsetBuilds = builds.Select(b => new SubsetBuild(Int(b["id"]), Str(b["nvr"])!, Str(b["package_name"])!, Str(b["version"])!, Str(b["release"])!,
            Str(b["volume_name"]), rpmsOfBuild[Int(b["id"])].Select(r => new SubsetRpm(r, Str(rpmRows[r]["name"])!,
                Str(rpmRows[r]["version"])!, Str(rpmRows[r]["release"])!, Str(rpmRows[r]["arch"])!, Str(rpmRows[r]["payloadhash"])!, Long(rpmRows[r]["size"]),
                signedBy.TryGetValue(r, out var k) ? k : Array.Empty<string>())
            { SigCache = sigsOfRpm[r].Select(s => new SubsetSigCache(s.Key, s.Hash)).ToList() }).ToList())).ToList();
        Phase("done", 100);
        return new SubsetSnapshot
        {
            Event = ev, EventTs = evTs, Tags = options.Tags, ClosureTags = fullTags.Select(x => Str(x["name"])!).ToList(),
            Tables = t.Values.ToList(), Builds = subsetBuilds, RoundTrips = hub.RoundTrips - startTrips,
            ProdNewestTask = newestTask,
        };
    }

    private static KojiCall History(string[] tables, string? filter, int? id)
    {
        var kw = new Dictionary<string, object?> { ["tables"] = tables.Cast<object?>().ToArray() };
        if (filter is not null) kw[filter] = id;
        return new KojiCall("queryHistory", Array.Empty<object?>(), kw);
    }

    /// <summary>Reference rows as the hub lists them, in the table's column order (columns the hub does not send stay null).</summary>
    private static void AddReferenceRows(SubsetTable table, object?[] rows)
    {
        foreach (var row in rows.Select(AsRow))
            table.Add(table.Columns.Select(c => row.GetValueOrDefault(c)).ToArray());
    }

    private static void AddUser(Dictionary<string, SubsetTable> t, int id, KojiCallResult result)
    {
        var u = result.GetValueOrThrow() is { } v ? AsRow(v) : null;
        if (u is null) throw new StagingException("KojiUserNotFound", StagingErrorCategory.ObjectNotFound, $"Prod's hub has no user {id}, which its rows name.", id);
        t["users"].Add(id, Str(u["name"]), u["status"], u["usertype"]);
    }

    /// <summary>A build row from getBuild, with its package, volume, content generator, owner and creation event (exact string times).</summary>
    private static void AddBuild(Dictionary<string, SubsetTable> t, Row b, EventTimes events, Dictionary<int, string?> users)
    {
        t["package"].Add(Int(b["package_id"]), Str(b["package_name"]));
        t["volume"].Add(Int(b["volume_id"]), Str(b["volume_name"]));
        if (b["cg_id"] is int cg) t["content_generator"].Add(cg, Str(b.GetValueOrDefault("cg_name")));
        var create = Int(b["creation_event_id"]);
        events.AddExact(create, Time(b, "creation_time", "creation_ts"));
        HistoryRows.User(users, b["owner_id"], b["owner_name"]);
        HistoryRows.User(users, b["promoter_id"], b["promoter_name"]);
        // task_id is not copied: tasks stay in prod (the task table is not part of the subset).
        t["build"].Add(Int(b["id"]), b["volume_id"], b["package_id"], b["version"], b["release"], b["epoch"], b["draft"] ?? false, b["source"],
            create, Time(b, "start_time", "start_ts"), Time(b, "completion_time", "completion_ts"), Time(b, "promotion_time", "promotion_ts"), b["state"], null,
            b["owner_id"], b["promoter_id"], b["cg_id"], Json(b["extra"]));
    }
}

/// <summary>Event ids and their times: an exact string time wins over a float one.</summary>
internal sealed class EventTimes
{
    private readonly SortedDictionary<int, (DateTime? Time, bool Exact)> _times = new();

    public IEnumerable<(int Id, DateTime? Time)> All => _times.Select(kv => (kv.Key, kv.Value.Time));

    public void AddTs(int id, object? ts)
    {
        if (!_times.ContainsKey(id)) _times[id] = (FromTs(ts), false);
    }

    public void AddExact(int id, DateTime? time)
    {
        if (time is null) return;
        if (!_times.TryGetValue(id, out var known) || !known.Exact) _times[id] = (time, true);
    }
}

/// <summary>Versioned rows from queryHistory, as of the copy's event, with the users, tags, packages, groups and repos they name.</summary>
internal sealed class HistoryRows(Dictionary<string, SubsetTable> t, int ev, EventTimes events, Dictionary<int, string?> users, Dictionary<int, string?> externalRepos)
{
    /// <summary>Adds a row as of the event: later rows are skipped (false), a later revocation is not yet visible.</summary>
    public bool Add(string table, Row row)
    {
        if (!SubsetTables.Versioned.TryGetValue(table, out var spec)) return false;
        var create = Int(row["create_event"]);
        if (create > ev) return false;
        var revoke = row["revoke_event"] is int rv && rv <= ev ? rv : (int?)null;
        events.AddTs(create, row["create_ts"]);
        User(users, row["creator_id"], row.GetValueOrDefault("creator_name"));
        if (revoke is { } r)
        {
            events.AddTs(r, row["revoke_ts"]);
            User(users, row["revoker_id"], row.GetValueOrDefault("revoker_name"));
        }
        if (table == "tag_package_owners") User(users, row["owner"], row.GetValueOrDefault("owner.name"));
        if (table == "user_perms") User(users, row["user_id"], row.GetValueOrDefault("user.name"));
        if (table == "build_target_config")
        {
            t["build_target"].Add(Int(row["build_target_id"]), Str(row.GetValueOrDefault("build_target.name")));
            if (row["build_tag"] is int bt) t["tag"].Add(bt, Str(row.GetValueOrDefault("build_tag.name")));
            if (row["dest_tag"] is int dt) t["tag"].Add(dt, Str(row.GetValueOrDefault("dest_tag.name")));
        }
        if (row.TryGetValue("package_id", out var pkg) && pkg is int p) t["package"].Add(p, Str(row.GetValueOrDefault("package.name")));
        // Both ends of an inheritance link: the row of a tag outside the closure comes along (id and name only).
        if (table == "tag_inheritance")
        {
            if (row["parent_id"] is int parent) t["tag"].Add(parent, Str(row.GetValueOrDefault("parent.name")));
            if (row["tag_id"] is int child) t["tag"].Add(child, Str(row.GetValueOrDefault("tag.name")));
        }
        if (table.StartsWith("group_", StringComparison.Ordinal) && row["group_id"] is int g) t["groups"].Add(g, Str(row.GetValueOrDefault("group.name")));
        if (table == "group_req_listing" && row["req_id"] is int req) t["groups"].Add(req, Str(row.GetValueOrDefault("req.name")));
        if (row.TryGetValue("external_repo_id", out var er) && er is int e) externalRepos.TryAdd(e, Str(row.GetValueOrDefault("external_repo.name")));
        var values = spec.Data.Select(c => row.GetValueOrDefault(c)).ToList();
        values.Add(create);
        values.Add(revoke);
        values.Add(row["creator_id"]);
        values.Add(revoke is null ? null : row["revoker_id"]);
        values.Add(revoke is null ? true : null);
        t[table].Add(values.ToArray());
        return true;
    }

    public static void User(Dictionary<int, string?> users, object? id, object? name)
    {
        if (id is int i) users.TryAdd(i, name as string);
    }
}
