using System.Net;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Server.Kestrel.Https;
using Microsoft.Extensions.Logging;
using static KojiStaging.TestServices.Ontap.OntapJson;
using Volume = KojiStaging.TestServices.Ontap.OntapEmulatorState.Volume;

namespace KojiStaging.TestServices.Ontap;

/// <summary>
/// A loopback HTTPS server (self-signed certificate) that answers like ONTAP's REST API for the
/// endpoints the writable-snapshot strategy uses: record shapes with _links, fields selection,
/// num_records/records with _links.next paging, 202 + jobs (queued → running → success/failure),
/// error bodies with codes, 401 without valid credentials, and a snapshot that stays busy while a
/// clone uses it. /_emulator/* (no auth) injects faults and shows the state to tests.
/// </summary>
public sealed class OntapEmulator : IAsyncDisposable, IDisposable
{
    private static readonly string[] VolumeExpensive =
        { "clone.parent_snapshot", "clone.parent_volume", "clone.parent_svm", "clone.split_estimate", "clone.split_initiated", "nas.path", "nas.security_style", "nas.export_policy.id" };
    private static readonly string[] CloneBodyFields =
        { "name", "svm.name", "svm.uuid", "comment", "clone.is_flexclone", "clone.parent_volume.name", "clone.parent_volume.uuid",
          "clone.parent_snapshot.name", "clone.parent_snapshot.uuid", "clone.parent_svm.name", "nas.path", "nas.export_policy.name", "nas.security_style" };
    private static readonly string[] RuleFields = { "clients", "ro_rule", "rw_rule", "superuser", "protocols", "anonymous_user", "index", "allow_suid", "allow_device_creation", "chown_mode", "ntfs_unix_security" };
    private static readonly string[] SecurityFlavors = { "any", "none", "never", "krb5", "krb5i", "krb5p", "ntlm", "sys" };
    private static readonly string[] Protocols = { "any", "nfs", "nfs3", "nfs4", "cifs", "flexcache", "nfs40", "nfs41", "nfs42" };

    private static readonly System.Text.Json.JsonSerializerOptions JsonOut = new() { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping };
    private readonly WebApplication _app;

    private OntapEmulator(WebApplication app, OntapEmulatorState state, X509Certificate2 server, X509Certificate2 client, string user, string password)
    {
        _app = app;
        State = state;
        Certificate = server;
        ClientCertificate = client;
        User = user;
        Password = password;
    }

    public OntapEmulatorState State { get; }
    public X509Certificate2 Certificate { get; }
    /// <summary>A certificate the emulator accepts instead of a password (its thumbprint is the login).</summary>
    public X509Certificate2 ClientCertificate { get; }
    public string User { get; }
    public string Password { get; }
    public int Port { get; private set; }
    public string Cluster => $"127.0.0.1:{Port}";
    public string Url => $"https://{Cluster}";

    public static OntapEmulator Start()
    {
        var server = OntapCertificates.CreateServer();
        var client = OntapCertificates.CreateClient("kojistaging-cert");
        var state = OntapEmulatorState.Seed();
        var password = Convert.ToHexString(Guid.NewGuid().ToByteArray())[..16];
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(k => k.Listen(IPAddress.Loopback, 0, l => l.UseHttps(new HttpsConnectionAdapterOptions
        {
            ServerCertificate = server,
            ClientCertificateMode = ClientCertificateMode.AllowCertificate,
            ClientCertificateValidation = (_, _, _) => true,
        })));
        var app = builder.Build();
        var emulator = new OntapEmulator(app, state, server, client, "kojistaging", password);
        app.Run(emulator.HandleAsync);
        app.StartAsync().GetAwaiter().GetResult();
        var address = app.Urls.First();
        emulator.Port = new Uri(address).Port;
        return emulator;
    }

    private async Task HandleAsync(HttpContext ctx)
    {
        var path = ctx.Request.Path.Value ?? "/";
        var method = ctx.Request.Method;
        JsonObject? body = null;
        if (ctx.Request.ContentLength is > 0 || ctx.Request.Headers.TransferEncoding.Count > 0)
        {
            using var reader = new StreamReader(ctx.Request.Body, Encoding.UTF8);
            var text = await reader.ReadToEndAsync();
            try { body = text.Length == 0 ? null : JsonNode.Parse(text) as JsonObject; }
            catch (Exception) { await WriteError(ctx, 400, "Invalid JSON input.", "262145", null); return; }
        }
        (int Status, JsonNode? Body) result;
        lock (State.Lock)
        {
            if (!path.StartsWith("/_emulator")) State.Requests.Add($"{method} {path}{ctx.Request.QueryString.Value}");
            try
            {
                if (path.StartsWith("/_emulator/")) result = Control(path, method, body);
                else if (!Authorized(ctx)) result = (401, Error("not authorized for that command", "6", null));
                else result = Route(ctx, path, method, body);
            }
            catch (BadRequest ex) { result = (400, Error(ex.Message, ex.Code, ex.Target)); }
        }
        ctx.Response.StatusCode = result.Status;
        if (result.Body is not null)
        {
            ctx.Response.ContentType = "application/hal+json";
            await ctx.Response.WriteAsync(result.Body.ToJsonString(JsonOut));
        }
    }

    private static Task WriteError(HttpContext ctx, int status, string message, string code, string? target)
    {
        ctx.Response.StatusCode = status;
        ctx.Response.ContentType = "application/hal+json";
        return ctx.Response.WriteAsync(Error(message, code, target).ToJsonString(JsonOut));
    }

    private static JsonObject Error(string message, string code, string? target)
    {
        var e = new JsonObject { ["message"] = message, ["code"] = code };
        if (target is not null) e["target"] = target;
        return new JsonObject { ["error"] = e };
    }

    private bool Authorized(HttpContext ctx)
    {
        if (ctx.Connection.ClientCertificate is { } cert && cert.Thumbprint == ClientCertificate.Thumbprint) return true;
        var header = ctx.Request.Headers.Authorization.ToString();
        if (!header.StartsWith("Basic ", StringComparison.Ordinal)) return false;
        try { return Encoding.UTF8.GetString(Convert.FromBase64String(header[6..])) == $"{User}:{Password}"; }
        catch (FormatException) { return false; }
    }

    private (int, JsonNode?) Route(HttpContext ctx, string path, string method, JsonObject? body)
    {
        var q = ctx.Request.Query.ToDictionary(kv => kv.Key, kv => kv.Value.ToString());
        var seg = path.Trim('/').Split('/');
        var fields = q.GetValueOrDefault("fields");
        switch (seg)
        {
            case ["api", "cluster"] when method == "GET":
                return (200, new JsonObject { ["name"] = "emu-cluster", ["version"] = new JsonObject { ["full"] = "NetApp Release 9.13.1 (emulated)", ["generation"] = 9, ["major"] = 13, ["minor"] = 1 } });
            case ["api", "svm", "svms"] when method == "GET":
                return Collection(path, q, State.Svms.Select(n => new JsonObject
                {
                    ["uuid"] = "0b3c2d8a-41be-11e9-81d5-00a0986138f7", ["name"] = n, ["state"] = "running",
                    ["_links"] = new JsonObject { ["self"] = new JsonObject { ["href"] = "/api/svm/svms/0b3c2d8a-41be-11e9-81d5-00a0986138f7" } },
                }), new[] { "uuid", "name" }, Array.Empty<string>());
            case ["api", "cluster", "jobs", var uuid] when method == "GET":
                return GetJob(uuid, fields);
            case ["api", "storage", "volumes"] when method == "GET":
                return Collection(path, q, State.Volumes.Select(State.VolumeJson), new[] { "uuid", "name" }, VolumeExpensive);
            case ["api", "storage", "volumes"] when method == "POST":
                return CreateClone(body ?? throw new BadRequest("A body is required.", "262145"));
            case ["api", "storage", "volumes", var uuid] when method == "GET":
                return Volume(uuid) is { } v ? (200, Select(State.VolumeJson(v), fields ?? "*", new[] { "uuid", "name" }, VolumeExpensive, Array.Empty<string>())) : NotFound("volume", uuid);
            case ["api", "storage", "volumes", var uuid] when method == "PATCH":
                return PatchVolume(uuid, body ?? new JsonObject());
            case ["api", "storage", "volumes", var uuid] when method == "DELETE":
                return DeleteVolume(uuid);
            case ["api", "storage", "volumes", var uuid, "snapshots"] when method == "GET":
                return Volume(uuid) is { } sv ? Collection(path, q, sv.Snapshots.Select(s => OntapEmulatorState.SnapshotJson(sv, s)), new[] { "uuid", "name" }, Array.Empty<string>()) : NotFound("volume", uuid);
            case ["api", "storage", "volumes", var uuid, "snapshots"] when method == "POST":
                return CreateSnapshot(uuid, body ?? throw new BadRequest("A body is required.", "262145"));
            case ["api", "storage", "volumes", var uuid, "snapshots", var suuid] when method == "GET":
                return Volume(uuid)?.Snapshots.FirstOrDefault(s => s.Uuid == suuid) is { } snap
                    ? (200, Select(OntapEmulatorState.SnapshotJson(Volume(uuid)!, snap), fields ?? "*", new[] { "uuid", "name" }, Array.Empty<string>(), Array.Empty<string>()))
                    : NotFound("snapshot", suuid);
            case ["api", "storage", "volumes", var uuid, "snapshots", var suuid] when method == "DELETE":
                return DeleteSnapshot(uuid, suuid);
            case ["api", "protocols", "nfs", "export-policies"] when method == "GET":
                return Collection(path, q, State.Policies.Select(OntapEmulatorState.PolicyJson), new[] { "id", "name" }, Array.Empty<string>());
            case ["api", "protocols", "nfs", "export-policies"] when method == "POST":
                return CreatePolicy(body ?? throw new BadRequest("A body is required.", "262145"), q.GetValueOrDefault("return_records") == "true");
            case ["api", "protocols", "nfs", "export-policies", var id] when method == "GET":
                return State.Policies.FirstOrDefault(p => p.Id.ToString() == id) is { } pol ? (200, OntapEmulatorState.PolicyJson(pol)) : NotFound("export policy", id);
            case ["api", "protocols", "nfs", "export-policies", var id] when method == "DELETE":
                return DeletePolicy(id);
        }
        return (404, Error($"API not found: {method} {path}", "3", null));
    }

    private static (int, JsonNode?) NotFound(string what, string id) => (404, Error($"Entry doesn't exist: {what} {id}", "4", "uuid"));

    private Volume? Volume(string uuid) => State.Volumes.FirstOrDefault(v => v.Uuid == uuid);

    private static readonly HashSet<string> NonFilters = new() { "fields", "max_records", "return_records", "return_timeout", "start.index", "order_by" };

    private (int, JsonNode?) Collection(string path, Dictionary<string, string> q, IEnumerable<JsonObject> all, string[] keys, string[] expensive)
    {
        var records = all.ToList();
        var known = records.Count > 0 ? Leaves(records[0]).ToList() : keys.ToList();
        foreach (var (k, v) in q)
            if (!NonFilters.Contains(k)) records = records.Where(r => Matches(r, k, v, known)).ToList();
        var start = int.TryParse(q.GetValueOrDefault("start.index"), out var s) ? s : 0;
        var size = int.TryParse(q.GetValueOrDefault("max_records"), out var m) && m > 0 ? m : State.PageSize;
        var page = records.Skip(start).Take(size).Select(r => Select(r, q.GetValueOrDefault("fields"), keys, expensive, keys)).ToList();
        // "wrong_types": a broken or foreign REST answer, with a number where ONTAP documents a string and a string where a struct
        if (State.TakeFault("list") is { Mode: "wrong_types" })
            foreach (var r in page)
            {
                if (r.ContainsKey("uuid")) r["uuid"] = 12345;
                if (r.ContainsKey("clone")) r["clone"] = "yes";
            }
        var self = path + "?" + string.Join("&", q.Select(kv => $"{kv.Key}={Uri.EscapeDataString(kv.Value)}"));
        var links = new JsonObject { ["self"] = new JsonObject { ["href"] = self } };
        if (start + size < records.Count)
        {
            var nextQuery = q.Where(kv => kv.Key != "start.index").Select(kv => $"{kv.Key}={Uri.EscapeDataString(kv.Value)}").Append($"start.index={start + size}");
            links["next"] = new JsonObject { ["href"] = path + "?" + string.Join("&", nextQuery) };
        }
        return (200, new JsonObject { ["records"] = new JsonArray(page.Select(p => (JsonNode)p).ToArray()), ["num_records"] = page.Count, ["_links"] = links });
    }

    private (int, JsonNode?) Accepted(string description, string operation, Func<(bool, string, long)> action)
    {
        var fault = State.TakeFault(operation);
        if (fault is { Mode: "error" }) return (400, Error(fault.Message, fault.Code, null));
        if (fault is { Mode: "locked" }) return (409, Error(fault.Message, fault.Code, null));
        var job = new OntapEmulatorState.Job
        {
            Description = description,
            Action = fault switch
            {
                { Mode: "job_failure" } => () => (false, fault.Message, long.Parse(fault.Code)),
                { Mode: "hang" } => () => throw new InvalidOperationException("hang"),
                _ => action,
            },
        };
        if (fault is { Mode: "hang" }) job.State = "paused";
        if (fault is { Mode: "vanish" }) Vanishing.Add(job.Uuid);
        State.Jobs[job.Uuid] = job;
        return (202, new JsonObject { ["job"] = new JsonObject { ["uuid"] = job.Uuid, ["_links"] = new JsonObject { ["self"] = new JsonObject { ["href"] = $"/api/cluster/jobs/{job.Uuid}" } } } });
    }

    private HashSet<string> Vanishing { get; } = new();

    private (int, JsonNode?) GetJob(string uuid, string? fields)
    {
        if (!State.Jobs.TryGetValue(uuid, out var job)) return NotFound("job", uuid);
        if (job.State != "paused") State.Advance(job);
        var retention = Vanishing.Contains(uuid) ? TimeSpan.Zero : State.JobRetention;
        if (job.End is { } end && DateTimeOffset.UtcNow - end >= retention)
        {
            State.Jobs.Remove(uuid);
            return NotFound("job", uuid);
        }
        return (200, Select(OntapEmulatorState.JobJson(job), fields ?? "*", new[] { "uuid" }, Array.Empty<string>(), Array.Empty<string>()));
    }

    private (int, JsonNode?) CreateSnapshot(string volumeUuid, JsonObject body)
    {
        CheckBody(body, new[] { "name", "comment", "expiry_time", "snapmirror_label" });
        var v = Volume(volumeUuid);
        if (v is null) return NotFound("volume", volumeUuid);
        var name = Str(body, "name") ?? throw new BadRequest("Missing required field \"name\".", "262186", "name");
        var comment = Str(body, "comment") ?? "";
        if (comment.Length > 255) throw new BadRequest("The comment is too long (max 255).", "1638440", "comment");
        if (v.Snapshots.Any(s => s.Name == name)) return (409, Error($"Snapshot copy \"{name}\" of volume \"{v.Name}\" already exists.", "1638407", "name"));
        return Accepted($"POST /api/storage/volumes/{volumeUuid}/snapshots", "snapshot_create", () =>
        {
            v.Snapshots.Add(new OntapEmulatorState.Snapshot { Name = name, Comment = comment });
            return (true, "success", 0);
        });
    }

    private (int, JsonNode?) DeleteSnapshot(string volumeUuid, string snapshotUuid)
    {
        var v = Volume(volumeUuid);
        var snap = v?.Snapshots.FirstOrDefault(s => s.Uuid == snapshotUuid);
        if (v is null || snap is null) return NotFound("snapshot", snapshotUuid);
        return Accepted($"DELETE /api/storage/volumes/{volumeUuid}/snapshots/{snapshotUuid}", "snapshot_delete", () =>
        {
            if (State.Volumes.Any(c => c.Svm == v.Svm && c.ParentVolume == v.Name && c.ParentSnapshot == snap.Name))
                return (false, $"Snapshot copy \"{snap.Name}\" of volume \"{v.Name}\" on Vserver \"{v.Svm}\" has not expired or is locked. Use the \"snapshot show -fields owners, expiry-time\" command to view the expiry and lock status of the Snapshot copy.", 1638555);
            v.Snapshots.Remove(snap);
            return (true, "success", 0);
        });
    }

    private (int, JsonNode?) CreateClone(JsonObject body)
    {
        CheckBody(body, CloneBodyFields);
        var name = Str(body, "name") ?? throw new BadRequest("Missing required field \"name\".", "262186", "name");
        var svm = Str(body, "svm.name") ?? throw new BadRequest("Missing required field \"svm.name\" or \"svm.uuid\".", "262186", "svm");
        if (!State.Svms.Contains(svm)) throw new BadRequest($"SVM \"{svm}\" does not exist.", "2621462", "svm.name");
        if (Get(body, "clone.is_flexclone") is not JsonValue flex || !flex.GetValue<bool>())
            throw new BadRequest("This emulator only creates FlexClone volumes: set clone.is_flexclone to true.", "917927", "clone.is_flexclone");
        var parentName = Str(body, "clone.parent_volume.name") ?? throw new BadRequest("Missing required field \"clone.parent_volume.name\".", "262186", "clone.parent_volume");
        var parent = State.FindVolume(svm, parentName) ?? throw new BadRequest($"Volume \"{parentName}\" does not exist in SVM \"{svm}\".", "917927", "clone.parent_volume.name");
        var snapName = Str(body, "clone.parent_snapshot.name");
        if (snapName is not null && parent.Snapshots.All(s => s.Name != snapName))
            throw new BadRequest($"Snapshot copy \"{snapName}\" does not exist on volume \"{parentName}\".", "917927", "clone.parent_snapshot.name");
        var policy = Str(body, "nas.export_policy.name") ?? "default";
        if (policy != "default" && State.Policies.All(p => p.Name != policy || p.Svm != svm))
            throw new BadRequest($"Export policy \"{policy}\" does not exist in SVM \"{svm}\".", "918236", "nas.export_policy.name");
        var junction = Str(body, "nas.path");
        if (junction is not null && !junction.StartsWith('/')) throw new BadRequest("The junction path must start with \"/\".", "917536", "nas.path");
        if (State.FindVolume(svm, name) is not null) return (409, Error($"Duplicate volume name {name}.", "917535", "name"));
        if (junction is not null && State.Volumes.Any(v => v.Svm == svm && v.NasPath == junction))
            return (409, Error($"Junction path \"{junction}\" is already in use.", "917536", "nas.path"));
        var comment = Str(body, "comment") ?? "";
        return Accepted("POST /api/storage/volumes", "clone_create", () =>
        {
            State.Volumes.Add(new Volume
            {
                Name = name, Svm = svm, ParentVolume = parentName, ParentSnapshot = snapName ?? parent.Snapshots.Last().Name,
                Size = parent.Size, Used = 4L << 20, ReservePercent = parent.ReservePercent, NasPath = junction, ExportPolicy = policy, Comment = comment,
            });
            return (true, "success", 0);
        });
    }

    private (int, JsonNode?) PatchVolume(string uuid, JsonObject body)
    {
        CheckBody(body, new[] { "nas.path", "nas.export_policy.name", "comment" });
        var v = Volume(uuid);
        if (v is null) return NotFound("volume", uuid);
        return Accepted($"PATCH /api/storage/volumes/{uuid}", "volume_patch", () =>
        {
            if (Str(body, "nas.path") is { } p) v.NasPath = p.Length == 0 ? null : p;
            if (Str(body, "comment") is { } c) v.Comment = c;
            if (Str(body, "nas.export_policy.name") is { } e) v.ExportPolicy = e;
            return (true, "success", 0);
        });
    }

    private (int, JsonNode?) DeleteVolume(string uuid)
    {
        var v = Volume(uuid);
        if (v is null) return NotFound("volume", uuid);
        return Accepted($"DELETE /api/storage/volumes/{uuid}", "volume_delete", () =>
        {
            if (v.NasPath is not null)
                return (false, $"Volume \"{v.Name}\" in Vserver \"{v.Svm}\" is mounted at \"{v.NasPath}\". Unmount it before deleting it.", 917545);
            if (State.Volumes.Any(c => c.Svm == v.Svm && c.ParentVolume == v.Name))
                return (false, $"Volume \"{v.Name}\" has FlexClone volumes; delete or split them first.", 917546);
            State.Volumes.Remove(v);
            return (true, "success", 0);
        });
    }

    private (int, JsonNode?) CreatePolicy(JsonObject body, bool returnRecords)
    {
        CheckBody(body, new[] { "name", "svm.name", "svm.uuid", "rules" });
        var name = Str(body, "name") ?? throw new BadRequest("Missing required field \"name\".", "262186", "name");
        var svm = Str(body, "svm.name") ?? throw new BadRequest("Missing required field \"svm.name\" or \"svm.uuid\".", "262186", "svm");
        if (!State.Svms.Contains(svm)) throw new BadRequest($"SVM \"{svm}\" does not exist.", "2621462", "svm.name");
        var rules = body["rules"] as JsonArray ?? new JsonArray();
        foreach (var rule in rules.OfType<JsonObject>())
        {
            foreach (var (k, _) in rule)
                if (!RuleFields.Contains(k)) throw new BadRequest($"Unexpected argument \"rules.{k}\".", "262179", $"rules.{k}");
            if (rule["clients"] is not JsonArray { Count: > 0 } clients || clients.Any(c => c?["match"] is null))
                throw new BadRequest("Missing required field \"rules.clients.match\".", "262186", "rules.clients");
            foreach (var key in new[] { "ro_rule", "rw_rule" })
                if (rule[key] is not JsonArray { Count: > 0 }) throw new BadRequest($"Missing required field \"rules.{key}\".", "262186", $"rules.{key}");
            foreach (var key in new[] { "ro_rule", "rw_rule", "superuser" })
                if (rule[key] is JsonArray a && a.Any(x => !SecurityFlavors.Contains(x?.ToString())))
                    throw new BadRequest($"Invalid value in \"rules.{key}\".", "262196", $"rules.{key}");
            if (rule["protocols"] is JsonArray ps && ps.Any(x => !Protocols.Contains(x?.ToString())))
                throw new BadRequest("Invalid value in \"rules.protocols\".", "262196", "rules.protocols");
        }
        if (State.TakeFault("export_policy_create") is { } fault) return (fault.Mode == "locked" ? 409 : 400, Error(fault.Message, fault.Code, null));
        if (State.Policies.Any(p => p.Svm == svm && p.Name == name)) return (409, Error($"Export policy \"{name}\" already exists in SVM \"{svm}\".", "1703952", "name"));
        var policy = new OntapEmulatorState.ExportPolicy { Id = State.NextPolicyId++, Name = name, Svm = svm, Rules = (JsonArray)rules.DeepClone() };
        State.Policies.Add(policy);
        return (201, returnRecords ? new JsonObject { ["num_records"] = 1, ["records"] = new JsonArray(OntapEmulatorState.PolicyJson(policy)) } : null);
    }

    private (int, JsonNode?) DeletePolicy(string id)
    {
        var p = State.Policies.FirstOrDefault(x => x.Id.ToString() == id);
        if (p is null) return NotFound("export policy", id);
        if (State.Volumes.Any(v => v.Svm == p.Svm && v.ExportPolicy == p.Name))
            return (400, Error($"Cannot delete export policy \"{p.Name}\": it is in use by a volume.", "1703954", "id"));
        State.Policies.Remove(p);
        return (200, null);
    }

    /// <summary>
    /// POST /_emulator/faults {"operation","mode","count","message","code"} — operations: snapshot_create,
    /// snapshot_delete, export_policy_create, clone_create, volume_patch, volume_delete; modes: job_failure,
    /// error, locked, vanish, hang. POST /_emulator/settings {"page_size","job_retention_seconds"}.
    /// POST /_emulator/space {"volume","used","size"}. GET /_emulator/state.
    /// </summary>
    private (int, JsonNode?) Control(string path, string method, JsonObject? body)
    {
        switch (path, method)
        {
            case ("/_emulator/state", "GET"):
                return (200, State.Dump());
            case ("/_emulator/faults", "POST"):
                var mode = Str(body!, "mode") ?? "job_failure";
                State.Faults.Add(new OntapEmulatorState.Fault(Str(body!, "operation") ?? "", mode,
                    body!["count"]?.GetValue<int>() ?? 1,
                    Str(body!, "message") ?? (mode == "locked" ? "The volume is temporarily locked by another operation. Try again later." : "Injected failure."),
                    Str(body!, "code") ?? (mode == "locked" ? "917646" : "13001")));
                return (204, null);
            case ("/_emulator/faults", "DELETE"):
                State.Faults.Clear();
                return (204, null);
            case ("/_emulator/settings", "POST"):
                if (body!["page_size"] is { } ps) State.PageSize = ps.GetValue<int>();
                if (body["job_retention_seconds"] is { } jr) State.JobRetention = TimeSpan.FromSeconds(jr.GetValue<double>());
                return (204, null);
            case ("/_emulator/space", "POST"):
                var v = State.Volumes.FirstOrDefault(x => x.Name == Str(body!, "volume"));
                if (v is null) return (404, Error("no such volume", "4", "volume"));
                v.Used = body!["used"]!.GetValue<long>();
                if (body["size"] is { } size) v.Size = size.GetValue<long>();
                return (204, null);
        }
        return (404, Error("unknown emulator control", "3", null));
    }

    public void Dispose() => DisposeAsync().AsTask().GetAwaiter().GetResult();

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
        Certificate.Dispose();
        ClientCertificate.Dispose();
    }
}
