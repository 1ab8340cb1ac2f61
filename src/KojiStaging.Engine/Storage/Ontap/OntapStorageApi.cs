using System.Text.Json.Nodes;

namespace KojiStaging.Engine.Storage.Ontap;

/// <summary>
/// The handful of ONTAP REST endpoints the writable-snapshot strategy uses, with the field names
/// of NetApp's REST reference (9.6+): volumes, volume snapshots, FlexClone creation, NFS export policies.
/// </summary>
public sealed class OntapStorageApi
{
    /// <summary>Fields read for a clone. clone.* and nas.path are "expensive": ONTAP returns them only when asked by name.</summary>
    public const string CloneFields =
        "uuid,name,comment,create_time,svm.name,clone.is_flexclone,clone.parent_volume.name,clone.parent_snapshot.name," +
        "clone.split_estimate,space.size,space.used,space.snapshot.reserve_percent,nas.path,nas.export_policy.name";

    private readonly OntapRestClient _client;

    public OntapStorageApi(OntapRestClient client) => _client = client;

    public OntapRestClient Client => _client;

    private static string Q(string value) => Uri.EscapeDataString(value);

    public static string VolumeQuery(string svm, string name, string fields) =>
        $"/api/storage/volumes?name={Q(name)}&svm.name={Q(svm)}&fields={fields}";

    public Task<JsonObject?> FindVolumeAsync(string svm, string name, string fields, CancellationToken ct) =>
        _client.FirstOrDefaultAsync(VolumeQuery(svm, name, fields), ct);

    public IAsyncEnumerable<JsonObject> ListClonesAsync(string? svm, string? namePattern, CancellationToken ct)
    {
        var query = "/api/storage/volumes?clone.is_flexclone=true";
        if (!string.IsNullOrEmpty(svm)) query += $"&svm.name={Q(svm)}";
        if (!string.IsNullOrEmpty(namePattern)) query += $"&name={Q(namePattern)}";
        return _client.GetRecordsAsync(query + "&fields=" + CloneFields, ct);
    }

    /// <summary>Names for tab completion: SVMs, or volumes of one SVM, starting with <paramref name="prefix"/>.</summary>
    public async Task<IReadOnlyList<string>> CompleteNamesAsync(string? svm, string prefix, int max, CancellationToken ct)
    {
        var pattern = Q(prefix.Replace("*", "") + "*");
        var path = svm is null ? $"/api/svm/svms?name={pattern}&fields=name&max_records={max}" : $"/api/storage/volumes?svm.name={Q(svm)}&name={pattern}&fields=name&max_records={max}";
        var page = await _client.GetAsync(path, ct).ConfigureAwait(false);
        return (page["records"] as JsonArray ?? new JsonArray()).Select(r => r?["name"]?.ToString()).OfType<string>().Order(StringComparer.Ordinal).ToList();
    }

    public static string SnapshotsPath(string volumeUuid) => $"/api/storage/volumes/{volumeUuid}/snapshots";

    public Task<JsonObject?> FindSnapshotAsync(string volumeUuid, string name, CancellationToken ct) =>
        _client.FirstOrDefaultAsync($"{SnapshotsPath(volumeUuid)}?name={Q(name)}&fields=uuid,name,comment,create_time", ct);

    public IAsyncEnumerable<JsonObject> ListSnapshotsAsync(string volumeUuid, CancellationToken ct) =>
        _client.GetRecordsAsync($"{SnapshotsPath(volumeUuid)}?fields=uuid,name,comment,create_time", ct);

    public async Task<JsonObject> CreateSnapshotAsync(string volumeUuid, string name, string comment, CancellationToken ct)
    {
        await _client.SendAsync(HttpMethod.Post, SnapshotsPath(volumeUuid), new JsonObject { ["name"] = name, ["comment"] = comment }, ct,
            verify: async () => await FindSnapshotAsync(volumeUuid, name, ct).ConfigureAwait(false) is not null).ConfigureAwait(false);
        return await FindSnapshotAsync(volumeUuid, name, ct).ConfigureAwait(false)
            ?? throw new OntapException("OntapNotFound", Diagnostics.StagingErrorCategory.ObjectNotFound,
                $"ONTAP reported snapshot '{name}' created but does not list it.", 200, null, null, name);
    }

    public Task DeleteSnapshotAsync(string volumeUuid, string snapshotUuid, CancellationToken ct) =>
        _client.SendAsync(HttpMethod.Delete, $"{SnapshotsPath(volumeUuid)}/{snapshotUuid}", null, ct,
            verify: async () => !await ExistsAsync($"{SnapshotsPath(volumeUuid)}/{snapshotUuid}?fields=uuid", ct).ConfigureAwait(false));

    public static JsonObject ExportPolicyBody(string svm, string name, IEnumerable<string> clients) => new()
    {
        ["name"] = name,
        ["svm"] = new JsonObject { ["name"] = svm },
        ["rules"] = new JsonArray(new JsonObject
        {
            ["clients"] = new JsonArray(clients.Select(c => (JsonNode)new JsonObject { ["match"] = c }).ToArray()),
            ["ro_rule"] = new JsonArray("sys"),
            ["rw_rule"] = new JsonArray("sys"),
            ["superuser"] = new JsonArray("sys"),
            ["protocols"] = new JsonArray("nfs"),
        }),
    };

    /// <summary>Creates an export policy with one rule for the staging hosts; returns its id.</summary>
    public async Task<long> CreateExportPolicyAsync(string svm, string name, IReadOnlyList<string> clients, CancellationToken ct)
    {
        var body = await _client.SendAsync(HttpMethod.Post, "/api/protocols/nfs/export-policies?return_records=true",
            ExportPolicyBody(svm, name, clients), ct).ConfigureAwait(false);
        if (body?["records"] is JsonArray { Count: > 0 } records && records[0]?["id"] is { } id) return id.GetValue<long>();
        return await FindExportPolicyAsync(svm, name, ct).ConfigureAwait(false)
            ?? throw new OntapException("OntapNotFound", Diagnostics.StagingErrorCategory.ObjectNotFound,
                $"ONTAP reported export policy '{name}' created but does not list it.", 201, null, null, name);
    }

    public async Task<long?> FindExportPolicyAsync(string svm, string name, CancellationToken ct)
    {
        var rec = await _client.FirstOrDefaultAsync($"/api/protocols/nfs/export-policies?name={Q(name)}&svm.name={Q(svm)}&fields=id,name", ct).ConfigureAwait(false);
        return rec?["id"]?.GetValue<long>();
    }

    public Task DeleteExportPolicyAsync(long id, CancellationToken ct) =>
        _client.SendAsync(HttpMethod.Delete, $"/api/protocols/nfs/export-policies/{id}", null, ct);

    public static JsonObject CloneBody(string svm, string clone, string parentVolume, string parentSnapshot,
        string junctionPath, string? exportPolicy, string comment)
    {
        var nas = new JsonObject { ["path"] = junctionPath };
        if (exportPolicy is not null) nas["export_policy"] = new JsonObject { ["name"] = exportPolicy };
        return new JsonObject
        {
            ["name"] = clone,
            ["svm"] = new JsonObject { ["name"] = svm },
            ["comment"] = comment,
            ["clone"] = new JsonObject
            {
                ["is_flexclone"] = true,
                ["parent_volume"] = new JsonObject { ["name"] = parentVolume },
                ["parent_snapshot"] = new JsonObject { ["name"] = parentSnapshot },
            },
            ["nas"] = nas,
        };
    }

    public async Task<JsonObject> CreateCloneAsync(JsonObject body, CancellationToken ct)
    {
        var svm = body["svm"]!["name"]!.GetValue<string>();
        var name = body["name"]!.GetValue<string>();
        await _client.SendAsync(HttpMethod.Post, "/api/storage/volumes", body, ct,
            verify: async () => await FindVolumeAsync(svm, name, "uuid", ct).ConfigureAwait(false) is not null).ConfigureAwait(false);
        return await FindVolumeAsync(svm, name, CloneFields, ct).ConfigureAwait(false)
            ?? throw new OntapException("OntapNotFound", Diagnostics.StagingErrorCategory.ObjectNotFound,
                $"ONTAP reported clone '{name}' created but does not list it.", 200, null, null, name);
    }

    /// <summary>Takes the volume out of the namespace (empty junction path) so it can be deleted.</summary>
    public Task UnmountAsync(string volumeUuid, CancellationToken ct) =>
        _client.SendAsync(HttpMethod.Patch, $"/api/storage/volumes/{volumeUuid}", new JsonObject { ["nas"] = new JsonObject { ["path"] = "" } }, ct);

    public Task DeleteVolumeAsync(string volumeUuid, CancellationToken ct) =>
        _client.SendAsync(HttpMethod.Delete, $"/api/storage/volumes/{volumeUuid}", null, ct,
            verify: async () => !await ExistsAsync($"/api/storage/volumes/{volumeUuid}?fields=uuid", ct).ConfigureAwait(false));

    private async Task<bool> ExistsAsync(string path, CancellationToken ct)
    {
        try { await _client.GetAsync(path, ct).ConfigureAwait(false); return true; }
        catch (OntapException ex) when (ex.HttpStatus == 404) { return false; }
    }
}
