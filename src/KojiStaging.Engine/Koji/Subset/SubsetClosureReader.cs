using KojiStaging.Engine.Diagnostics;
using KojiStaging.Engine.Koji.Hub;
using Microsoft.Extensions.Logging;
using Row = System.Collections.Generic.IReadOnlyDictionary<string, object?>;

namespace KojiStaging.Engine.Koji.Subset;

/// <summary>
/// Reads, through the hub API only, the closure of rows a compose of some tags needs at one event:
/// tags with their full inheritance (configs, extras, package lists and owners, external repos), the
/// targets that use them, the selected builds (listTaggedRPMS(tag, event, inherit, latest): exactly
/// those) with packages, RPM rows and signature rows for the chosen keys, and every user and event
/// those rows name. Versioned rows come from queryHistory with their exact create/revoke events; a row
/// revoked after the event is written as still active (as it was at the event).
/// Calls go in four multiCall stages packed up to the hub's request size limit, so round trips grow with
/// (builds × RPMs per build) / ~20,000, not with builds: 1,000 builds of 16 signed RPMs take 4.
/// </summary>
public sealed class SubsetClosureReader(IKojiHub hub)
{
    private static readonly Dictionary<string, object?> NoKw = new();

    /// <param name="stagingBuilds">Builds staging already holds: their tag_listing rows are refreshed too, so a build prod
    /// untagged since the last run is untagged in staging as well.</param>
    public async Task<SubsetSnapshot> ReadAsync(SubsetOptions options, EngineScope scope, IReadOnlySet<int>? stagingBuilds = null)
    {
        var ct = scope.Cancellation;
        var log = scope.Logger<SubsetClosureReader>();
        if (options.Tags.Count == 0)
            throw new StagingException("SubsetNoTag", StagingErrorCategory.InvalidArgument, "Name at least one tag to copy.");
        var startTrips = hub.RoundTrips;
        void Phase(string what, int pct) => scope.Progress.Report(new StagingProgress(10, "Reading prod through the hub", what, pct));

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
        var eventTimes = new Dictionary<int, double> { [ev] = evTs };
        var userNames = new Dictionary<int, string?>();
        t["events"].Add(ev, evTs); // placeholder row replaced below

        // Stage 2: tags, their inheritance, the selected builds and RPMs, targets, permissions.
        Phase("tags, inheritance, tagged builds", 10);
        var evKw = new Dictionary<string, object?> { ["event"] = ev };
        var calls = new List<KojiCall> { new("getBuildTargets", Array.Empty<object?>(), evKw) };
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
        var targets = List(r2[0].GetValueOrThrow()).Select(AsRow).ToList();
        var tagRows = new Dictionary<int, Row>();
        var buildRows = new Dictionary<int, Row>();
        var rpmRows = new Dictionary<int, Row>();
        var packages = new HashSet<string>(options.Packages, StringComparer.Ordinal);
        for (var i = 0; i < options.Tags.Count; i++)
        {
            var tagValue = r2[1 + 3 * i].GetValueOrThrow();
            if (tagValue is null)
                throw new StagingException("KojiTagNotFound", StagingErrorCategory.ObjectNotFound,
                    $"Prod has no tag '{options.Tags[i]}' at event {ev}.", options.Tags[i]);
            var tagRow = AsRow(tagValue);
            tagRows[Int(tagRow["id"])] = tagRow;
            foreach (var link in List(r2[2 + 3 * i].GetValueOrThrow()).Select(AsRow))
                tagRows.TryAdd(Int(link["parent_id"]), new Dictionary<string, object?> { ["id"] = link["parent_id"], ["name"] = link["name"] });
            var tagged = List(r2[3 + 3 * i].GetValueOrThrow());
            foreach (var b in List(tagged[1]).Select(AsRow))
                if (packages.Count == 0 || packages.Contains(Str(b["package_name"])!)) buildRows.TryAdd(Int(b["build_id"]), b);
            foreach (var r in List(tagged[0]).Select(AsRow))
                if (buildRows.ContainsKey(Int(r["build_id"]))) rpmRows.TryAdd(Int(r["id"]), r);
        }
        var closureIds = tagRows.Keys.ToHashSet();
        // Targets whose build tag and destination tag are both in the closure (a target naming a tag outside it would need that tag's own closure).
        var usedTargets = targets.Where(x => closureIds.Contains(Int(x["build_tag"])) && closureIds.Contains(Int(x["dest_tag"]))).ToList();

        // Stage 3: full tag configs, versioned history, builds, listings, targets, signatures.
        Phase("history, builds, signatures", 40);
        calls.Clear();
        var tagIds = closureIds.OrderBy(x => x).ToList();
        foreach (var id in tagIds) calls.Add(new KojiCall("getTag", new object?[] { id }, evKw));
        foreach (var id in tagIds) calls.Add(History(SubsetTables.TagHistoryTables, "tag", id));
        var buildIds = buildRows.Keys.OrderBy(x => x).ToList();
        foreach (var id in buildIds) calls.Add(new KojiCall("getBuild", new object?[] { id }));
        foreach (var id in tagIds) calls.Add(History(new[] { "tag_listing" }, "tag", id));
        foreach (var x in usedTargets) calls.Add(History(new[] { "build_target_config" }, "build_target", Int(x["id"])));
        var rpmIds = rpmRows.Keys.OrderBy(x => x).ToList();
        if (options.SigKeys.Count > 0)
            // Positional (queryRPMSigs(rpm_id)): a third of the bytes of the keyword form, so ~20,000 fit in one 4 MiB request.
            foreach (var id in rpmIds) calls.Add(new KojiCall("queryRPMSigs", new object?[] { id }));
        var r3 = await hub.MultiCallAsync(calls, ct).ConfigureAwait(false);
        var pos = 0;
        var fullTags = tagIds.Select(_ => AsRow(r3[pos++].GetValueOrThrow())).ToList();
        var tagHistory = tagIds.Select(_ => AsRow(r3[pos++].GetValueOrThrow())).ToList();
        var builds = buildIds.Select(_ => AsRow(r3[pos++].GetValueOrThrow())).ToList();
        var listings = tagIds.Select(_ => AsRow(r3[pos++].GetValueOrThrow())).ToList();
        var targetHistory = usedTargets.Select(_ => AsRow(r3[pos++].GetValueOrThrow())).ToList();
        var sigs = options.SigKeys.Count > 0 ? rpmIds.Select(_ => List(r3[pos++].GetValueOrThrow()).Select(AsRow).ToList()).ToList() : null;

        foreach (var tag in fullTags)
        {
            t["tag"].Add(Int(tag["id"]), Str(tag["name"]));
            // permissions: the ones the tags name (getTag gives perm_id and perm); Koji's schema seeds the standard ones.
            if (tag.GetValueOrDefault("perm_id") is int perm) t["permissions"].Add(perm, Str(tag.GetValueOrDefault("perm")), null);
        }
        var externalRepos = new Dictionary<int, string?>();
        foreach (var h in tagHistory)
            foreach (var (table, rows) in h)
                foreach (var row in List(rows).Select(AsRow))
                    AddVersioned(t, table, row, ev, eventTimes, userNames, externalRepos);
        foreach (var h in listings)
            foreach (var row in List(h["tag_listing"]).Select(AsRow))
                if (buildRows.ContainsKey(Int(row["build_id"])) || stagingBuilds?.Contains(Int(row["build_id"])) == true)
                    AddVersioned(t, "tag_listing", row, ev, eventTimes, userNames, externalRepos);
        foreach (var h in targetHistory)
            foreach (var row in List(h["build_target_config"]).Select(AsRow))
                AddVersioned(t, "build_target_config", row, ev, eventTimes, userNames, externalRepos);
        foreach (var x in usedTargets) t["build_target"].Add(Int(x["id"]), Str(x["name"]));

        foreach (var b in builds)
        {
            var id = Int(b["id"]);
            t["package"].Add(Int(b["package_id"]), Str(b["package_name"]));
            t["volume"].Add(Int(b["volume_id"]), Str(b["volume_name"]));
            if (b["cg_id"] is int cg) t["content_generator"].Add(cg, Str(b.GetValueOrDefault("cg_name")));
            var create = Int(b["creation_event_id"]);
            eventTimes.TryAdd(create, Num(b["creation_ts"]));
            User(userNames, b["owner_id"], b["owner_name"]);
            User(userNames, b["promoter_id"], b["promoter_name"]);
            // task_id is not copied: tasks stay in prod (the task table is not part of the subset).
            t["build"].Add(id, b["volume_id"], b["package_id"], b["version"], b["release"], b["epoch"], b["draft"] ?? false, b["source"],
                create, Time(b["start_ts"]), Time(b["completion_ts"]), Time(b.GetValueOrDefault("promotion_ts")), b["state"], null,
                b["owner_id"], b["promoter_id"], b["cg_id"], b["extra"] is null ? null : b["extra"] as string ?? System.Text.Json.JsonSerializer.Serialize(b["extra"]));
        }
        var signedBy = new Dictionary<int, List<string>>();
        if (sigs is not null)
            for (var i = 0; i < rpmIds.Count; i++)
                foreach (var s in sigs[i].Where(s => options.SigKeys.Contains(Str(s["sigkey"])!, StringComparer.OrdinalIgnoreCase)))
                {
                    t["rpmsigs"].Add(rpmIds[i], Str(s["sigkey"]), Str(s["sighash"]));
                    (signedBy.TryGetValue(rpmIds[i], out var l) ? l : signedBy[rpmIds[i]] = new()).Add(Str(s["sigkey"])!);
                }
        foreach (var id in rpmIds)
        {
            var r = rpmRows[id];
            // buildroot_id is not copied: buildroots stay in prod.
            t["rpminfo"].Add(id, r["build_id"], null, r["name"], r["version"], r["release"], r["epoch"], r["arch"], r.GetValueOrDefault("draft") ?? false,
                r.GetValueOrDefault("external_repo_id") ?? 0, r["payloadhash"], Long(r["size"]), Long(r["buildtime"]), r.GetValueOrDefault("metadata_only") ?? false,
                r["extra"] is null ? null : r["extra"] as string ?? System.Text.Json.JsonSerializer.Serialize(r["extra"]));
        }
        if (rpmIds.Count > 0) t["external_repo"].Add(0, "INTERNAL");

        // Stage 4: users (status, type) and external repo configs.
        Phase("users, external repos", 80);
        calls.Clear();
        var userIds = userNames.Keys.OrderBy(x => x).ToList();
        foreach (var id in userIds) calls.Add(new KojiCall("getUser", new object?[] { id }));
        var repoIds = externalRepos.Keys.Where(x => x != 0).OrderBy(x => x).ToList();
        foreach (var id in repoIds) calls.Add(History(new[] { "external_repo_config" }, "external_repo", id));
        var r4 = calls.Count > 0 ? await hub.MultiCallAsync(calls, ct).ConfigureAwait(false) : Array.Empty<KojiCallResult>();
        pos = 0;
        foreach (var id in userIds)
        {
            var u = r4[pos++].GetValueOrThrow() is { } v ? AsRow(v) : null;
            if (u is null) throw new StagingException("KojiUserNotFound", StagingErrorCategory.ObjectNotFound, $"Prod's hub has no user {id}, which its rows name.", id);
            t["users"].Add(id, Str(u["name"]), u["status"], u["usertype"]);
        }
        foreach (var id in repoIds)
        {
            t["external_repo"].Add(id, externalRepos[id]);
            foreach (var row in List(AsRow(r4[pos++].GetValueOrThrow())["external_repo_config"]).Select(AsRow))
                AddVersioned(t, "external_repo_config", row, ev, eventTimes, userNames, externalRepos);
        }
        foreach (var id in userNames.Keys.Except(userIds))
            throw new StagingException("KojiUserNotFound", StagingErrorCategory.ObjectNotFound, $"External repo history names user {id}, not read.", id);

        t["events"].Rows.Clear();
        foreach (var (id, ts) in eventTimes.OrderBy(e => e.Key)) t["events"].Rows.Add(new object?[] { id, Time(ts) });

        var rpmsOfBuild = rpmIds.ToLookup(r => Int(rpmRows[r]["build_id"]));
        var subsetBuilds = builds.Select(b => new SubsetBuild(Int(b["id"]), Str(b["nvr"])!, Str(b["package_name"])!, Str(b["version"])!, Str(b["release"])!,
            Str(b["volume_name"]), rpmsOfBuild[Int(b["id"])].Select(r => new SubsetRpm(r, Str(rpmRows[r]["name"])!,
                Str(rpmRows[r]["version"])!, Str(rpmRows[r]["release"])!, Str(rpmRows[r]["arch"])!, Str(rpmRows[r]["payloadhash"])!, Long(rpmRows[r]["size"]),
                signedBy.TryGetValue(r, out var k) ? k : Array.Empty<string>())).ToList())).ToList();
        Phase("done", 100);
        return new SubsetSnapshot
        {
            Event = ev, EventTs = evTs, Tags = options.Tags, ClosureTags = fullTags.Select(x => Str(x["name"])!).ToList(),
            Tables = t.Values.ToList(), Builds = subsetBuilds, RoundTrips = hub.RoundTrips - startTrips,
        };
    }

    private static KojiCall History(string[] tables, string filter, int id) =>
        new("queryHistory", Array.Empty<object?>(), new Dictionary<string, object?> { ["tables"] = tables.Cast<object?>().ToArray(), [filter] = id });

    /// <summary>A history row as of <paramref name="ev"/>: later rows are skipped, a later revocation is not yet visible.</summary>
    private static void AddVersioned(Dictionary<string, SubsetTable> t, string table, Row row, int ev,
        Dictionary<int, double> eventTimes, Dictionary<int, string?> users, Dictionary<int, string?> externalRepos)
    {
        if (!SubsetTables.Versioned.TryGetValue(table, out var spec)) return;
        var create = Int(row["create_event"]);
        if (create > ev) return;
        var revoke = row["revoke_event"] is int rv && rv <= ev ? rv : (int?)null;
        eventTimes.TryAdd(create, Num(row["create_ts"]));
        User(users, row["creator_id"], row.GetValueOrDefault("creator_name"));
        if (revoke is { } r)
        {
            eventTimes.TryAdd(r, Num(row["revoke_ts"]));
            User(users, row["revoker_id"], row.GetValueOrDefault("revoker_name"));
        }
        if (table == "tag_package_owners") User(users, row["owner"], row.GetValueOrDefault("owner.name"));
        if (row.TryGetValue("package_id", out var pkg) && pkg is int p) t["package"].Add(p, Str(row.GetValueOrDefault("package.name")));
        if (table == "tag_inheritance" && row["parent_id"] is int parent && row.GetValueOrDefault("parent.name") is string pn) t["tag"].Add(parent, pn);
        if (row.TryGetValue("external_repo_id", out var er) && er is int e) externalRepos.TryAdd(e, Str(row.GetValueOrDefault("external_repo.name")));
        var values = spec.Data.Select(c => row.GetValueOrDefault(c)).ToList();
        values.Add(create);
        values.Add(revoke);
        values.Add(row["creator_id"]);
        values.Add(revoke is null ? null : row["revoker_id"]);
        values.Add(revoke is null ? true : null);
        t[table].Add(values.ToArray());
    }

    private static void User(Dictionary<int, string?> users, object? id, object? name)
    {
        if (id is int i) users.TryAdd(i, name as string);
    }

    private static object?[] List(object? v) => v as object?[] ?? (v as System.Collections.IEnumerable)?.Cast<object?>().ToArray()
        ?? throw Koji.XmlRpc.XmlRpcReader.ProtocolError("expected an array from the hub");
    private static Row AsRow(object? v) => KojiHubExtensions.Struct(v, "hub answer");
    private static int Int(object? v) => v switch { int i => i, long l => checked((int)l), _ => throw Koji.XmlRpc.XmlRpcReader.ProtocolError($"expected an int, got {v ?? "nil"}") };
    private static long Long(object? v) => v switch { int i => i, long l => l, double d => (long)d, _ => throw Koji.XmlRpc.XmlRpcReader.ProtocolError($"expected an integer, got {v ?? "nil"}") };
    private static double Num(object? v) => v switch { int i => i, long l => l, double d => d, _ => throw Koji.XmlRpc.XmlRpcReader.ProtocolError($"expected a number, got {v ?? "nil"}") };
    private static string? Str(object? v) => v as string;
    private static DateTime? Time(object? ts) => ts is null ? null : DateTime.UnixEpoch.AddTicks((long)Math.Round(Num(ts) * TimeSpan.TicksPerSecond));
}
