using System.Globalization;
using System.Text.Json.Nodes;
using KojiStaging.Engine.Diagnostics;
using Microsoft.Extensions.Logging;

namespace KojiStaging.Engine.Storage.Ontap;

/// <summary>
/// The writable-snapshot strategy on ONTAP: snapshot prod's volume, export policy for the staging hosts,
/// FlexClone with a junction path; everything this call created is undone if a later step fails.
/// </summary>
public sealed class OntapSnapshotProvider : IWritableSnapshotProvider<NetAppSnapshotRequest, NetAppSnapshotKey, NetAppSnapshot>
{
    private const int Activity = 5101;
    private readonly OntapStorageApi _api;

    public OntapSnapshotProvider(OntapRestClient client) => _api = new OntapStorageApi(client);

    private string Cluster => _api.Client.Options.Cluster;

    /// <summary>The REST calls <see cref="CreateAsync"/> would make, for -WhatIf (makes none).</summary>
    public static IReadOnlyList<string> PlanCreate(NetAppSnapshotRequest r, DateTimeOffset now)
    {
        var snapshot = r.SnapshotName ?? SnapshotComment.DefaultSnapshotName(r.CloneName, now);
        var policy = r.ExportClients is { Count: > 0 } ? SnapshotComment.ExportPolicyName(r.CloneName) : null;
        var calls = new List<string>
        {
            $"GET {OntapStorageApi.VolumeQuery(r.Svm, r.Volume, "uuid,name,svm.name")}",
            $"GET /api/storage/volumes/{{uuid of {r.Volume}}}/snapshots?name={snapshot}",
            $"POST /api/storage/volumes/{{uuid of {r.Volume}}}/snapshots {{\"name\":\"{snapshot}\",\"comment\":\"{SnapshotComment.Format(r.CloneName, r.SyncedEvent)}\"}} (unless it exists)",
        };
        if (policy is not null) calls.Add($"POST /api/protocols/nfs/export-policies {OntapStorageApi.ExportPolicyBody(r.Svm, policy, r.ExportClients!).ToJsonString()}");
        calls.Add($"POST /api/storage/volumes {OntapStorageApi.CloneBody(r.Svm, r.CloneName, r.Volume, snapshot, r.JunctionPath ?? "/" + r.CloneName, policy, SnapshotComment.Format(r.CloneName, r.SyncedEvent)).ToJsonString()}");
        calls.Add("GET /api/cluster/jobs/{uuid} until success or failure, after each POST that answers 202");
        return calls;
    }

    public static IReadOnlyList<string> PlanRemove(NetAppSnapshotKey k)
    {
        var calls = new List<string>();
        if (k.Clone is not null)
        {
            calls.Add($"GET {OntapStorageApi.VolumeQuery(k.Svm ?? "*", k.Clone, OntapStorageApi.CloneFields)}");
            calls.Add($"PATCH /api/storage/volumes/{{uuid of {k.Clone}}} {{\"nas\":{{\"path\":\"\"}}}}");
            calls.Add($"DELETE /api/storage/volumes/{{uuid of {k.Clone}}}");
            calls.Add($"DELETE /api/protocols/nfs/export-policies/{{id of {SnapshotComment.ExportPolicyName(k.Clone)}}} (if it exists)");
        }
        calls.Add($"DELETE /api/storage/volumes/{{uuid of {k.ParentVolume ?? "the parent volume"}}}/snapshots/{{uuid of {k.Snapshot ?? "the clone's parent snapshot"}}}");
        return calls;
    }

    public Task<NetAppSnapshot> CreateAsync(NetAppSnapshotRequest r, EngineScope scope) => Shaped(() => CreateCoreAsync(r, scope));

    private async Task<NetAppSnapshot> CreateCoreAsync(NetAppSnapshotRequest r, EngineScope scope)
    {
        var log = scope.Logger<OntapSnapshotProvider>();
        var ct = scope.Cancellation;
        var comment = SnapshotComment.Format(r.CloneName, r.SyncedEvent);
        var junction = r.JunctionPath ?? "/" + r.CloneName;
        if (!junction.StartsWith('/'))
            throw new StagingException("OntapJunctionPathInvalid", StagingErrorCategory.InvalidArgument, $"The junction path '{junction}' must start with '/'.", junction);
        void Step(string status, int pct) => scope.Progress.Report(new StagingProgress(Activity, $"New-NetAppSnapshot {r.CloneName}", status, pct));

        Step($"Looking up volume {r.Svm}:{r.Volume}", 5);
        var parent = await _api.FindVolumeAsync(r.Svm, r.Volume, "uuid,name,svm.name", ct).ConfigureAwait(false)
            ?? throw new OntapException("OntapNotFound", StagingErrorCategory.ObjectNotFound,
                $"ONTAP has no volume '{r.Volume}' on SVM '{r.Svm}' at {Cluster}.", 200, null, null, r.Volume);
        var parentUuid = parent["uuid"]!.GetValue<string>();
        if (await _api.FindVolumeAsync(r.Svm, r.CloneName, "uuid", ct).ConfigureAwait(false) is not null)
            throw new OntapException("OntapCloneExists", StagingErrorCategory.ResourceExists,
                $"A volume named '{r.CloneName}' already exists on SVM '{r.Svm}'; remove it first (Remove-NetAppSnapshot) or choose another -CloneName.", 200, null, null, r.CloneName);

        var undo = new UndoStack(log);
        try
        {
            var snapshotName = r.SnapshotName ?? SnapshotComment.DefaultSnapshotName(r.CloneName, DateTimeOffset.UtcNow);
            Step($"Snapshot {snapshotName}", 20);
            var snapshot = await _api.FindSnapshotAsync(parentUuid, snapshotName, ct).ConfigureAwait(false);
            if (snapshot is null)
            {
                log.LogInformation("Creating snapshot {Snapshot} of {Svm}:{Volume}", snapshotName, r.Svm, r.Volume);
                snapshot = await _api.CreateSnapshotAsync(parentUuid, snapshotName, comment, ct).ConfigureAwait(false);
                var snapUuid = snapshot["uuid"]!.GetValue<string>();
                undo.Push($"snapshot {snapshotName}", () => _api.DeleteSnapshotAsync(parentUuid, snapUuid, CancellationToken.None));
            }
            else log.LogInformation("Using the existing snapshot {Snapshot} of {Svm}:{Volume}", snapshotName, r.Svm, r.Volume);

            string? policy = null;
            if (r.ExportClients is { Count: > 0 } clients)
            {
                policy = SnapshotComment.ExportPolicyName(r.CloneName);
                Step($"Export policy {policy} for {string.Join(", ", clients)}", 40);
                log.LogInformation("Creating export policy {Policy} for {Clients}", policy, string.Join(", ", clients));
                var policyId = await _api.CreateExportPolicyAsync(r.Svm, policy, clients, ct).ConfigureAwait(false);
                undo.Push($"export policy {policy}", () => _api.DeleteExportPolicyAsync(policyId, CancellationToken.None));
            }

            Step($"FlexClone {r.CloneName} at {junction}", 60);
            log.LogInformation("Creating FlexClone {Clone} of {Volume}@{Snapshot} at {Junction}", r.CloneName, r.Volume, snapshotName, junction);
            var cloneBody = OntapStorageApi.CloneBody(r.Svm, r.CloneName, r.Volume, snapshotName, junction, policy, comment);
            // Registered before the call: a clone job that fails late may still leave a volume behind.
            undo.Push($"clone {r.CloneName}", () => RemoveCloneIfPresentAsync(r.Svm, r.CloneName, comment));
            var clone = await _api.CreateCloneAsync(cloneBody, ct).ConfigureAwait(false);
            Step("Done", 100);
            undo.Commit();
            return ToSnapshot(clone, r.NfsServer, snapshot);
        }
        catch (Exception ex)
        {
            var left = await undo.RollbackAsync().ConfigureAwait(false);
            if (left.Count > 0 && ex is StagingException se)
                throw new StagingException(se.ErrorId, se.Category, $"{se.Message} Rolling back left behind: {string.Join("; ", left)}.", se.Target, ex);
            throw;
        }
        finally
        {
            scope.Progress.Report(new StagingProgress(Activity, $"New-NetAppSnapshot {r.CloneName}", "Done", 100, Completed: true));
        }
    }

    /// <summary>Undo of a clone creation: only a FlexClone carrying this call's comment is removed.</summary>
    private async Task RemoveCloneIfPresentAsync(string svm, string clone, string comment)
    {
        var vol = await _api.FindVolumeAsync(svm, clone, "uuid,comment,clone.is_flexclone,nas.path", CancellationToken.None).ConfigureAwait(false);
        if (vol is null) return;
        if (vol["comment"]?.ToString() != comment || vol["clone"]?["is_flexclone"]?.GetValue<bool>() != true)
            throw new StagingException("OntapNotManaged", StagingErrorCategory.PermissionDenied, $"Volume '{svm}:{clone}' is not the clone this call made; it was left alone.", clone);
        var uuid = vol["uuid"]!.GetValue<string>();
        if (!string.IsNullOrEmpty(vol["nas"]?["path"]?.ToString())) await _api.UnmountAsync(uuid, CancellationToken.None).ConfigureAwait(false);
        await _api.DeleteVolumeAsync(uuid, CancellationToken.None).ConfigureAwait(false);
    }

    public async Task<IReadOnlyList<NetAppSnapshot>> ListAsync(string? namePattern, bool includeForeign, EngineScope scope) =>
        await ListAsync(null, namePattern, null, includeForeign, scope).ConfigureAwait(false);

    /// <summary>The module's clones on <paramref name="svm"/> (all SVMs when null) and, for <paramref name="volume"/>, its tagged snapshots without a clone.</summary>
    public Task<IReadOnlyList<NetAppSnapshot>> ListAsync(string? svm, string? namePattern, string? volume, bool includeForeign,
        EngineScope scope, string? nfsServer = null) => Shaped(() => ListCoreAsync(svm, namePattern, volume, includeForeign, scope, nfsServer));

    private async Task<IReadOnlyList<NetAppSnapshot>> ListCoreAsync(string? svm, string? namePattern, string? volume, bool includeForeign,
        EngineScope scope, string? nfsServer)
    {
        var ct = scope.Cancellation;
        var result = new List<NetAppSnapshot>();
        await foreach (var vol in _api.ListClonesAsync(svm, namePattern, ct).ConfigureAwait(false))
        {
            var s = ToSnapshot(vol, nfsServer, null);
            if (s.ManagedByModule || includeForeign) result.Add(s);
        }
        if (volume is not null && svm is not null)
        {
            var parent = await _api.FindVolumeAsync(svm, volume, "uuid,name", ct).ConfigureAwait(false)
                ?? throw new OntapException("OntapNotFound", StagingErrorCategory.ObjectNotFound, $"ONTAP has no volume '{volume}' on SVM '{svm}'.", 200, null, null, volume);
            var backed = result.Where(r => r.ParentVolume == volume).Select(r => r.Snapshot).ToHashSet();
            await foreach (var snap in _api.ListSnapshotsAsync(parent["uuid"]!.GetValue<string>(), ct).ConfigureAwait(false))
            {
                var comment = snap["comment"]?.ToString();
                var name = snap["name"]?.ToString();
                if (!SnapshotComment.IsManaged(comment) || backed.Contains(name)) continue;
                result.Add(new NetAppSnapshot
                {
                    Cluster = Cluster, Svm = svm, ParentVolume = volume, Snapshot = name, Comment = comment,
                    Created = ParseTime(snap["create_time"]), SyncedEvent = SnapshotComment.SyncedEvent(comment), ManagedByModule = true,
                });
            }
        }
        return result;
    }

    public Task<SnapshotRemoval> RemoveAsync(NetAppSnapshotKey key, bool force, EngineScope scope) => Shaped(() => RemoveCoreAsync(key, force, scope));

    /// <summary>
    /// ONTAP JSON with other types than the REST API documents (a number for a uuid, a string for a struct) fails
    /// inside System.Text.Json; it is ONTAP's protocol broken, reported as OntapProtocolError, not a raw exception.
    /// </summary>
    private async Task<T> Shaped<T>(Func<Task<T>> work)
    {
        try { return await work().ConfigureAwait(false); }
        catch (Exception ex) when (ex is not StagingException && (ex is FormatException or InvalidCastException or System.Text.Json.JsonException
            || (ex is InvalidOperationException && ex.TargetSite?.DeclaringType?.Namespace?.StartsWith("System.Text.Json", StringComparison.Ordinal) == true)))
        {
            throw new OntapException("OntapProtocolError", StagingErrorCategory.ProtocolError,
                $"ONTAP at {Cluster} answered JSON of another shape than its REST API documents: {ex.Message}", null, null, null, Cluster, ex);
        }
    }

    private async Task<SnapshotRemoval> RemoveCoreAsync(NetAppSnapshotKey key, bool force, EngineScope scope)
    {
        var log = scope.Logger<OntapSnapshotProvider>();
        var ct = scope.Cancellation;
        var removed = new List<string>();
        string? svm = key.Svm, parentVolume = key.ParentVolume, snapshotName = key.Snapshot;
        var name = key.Clone ?? $"{parentVolume}@{snapshotName}";
        if (key.Clone is not null)
        {
            if (svm is null) throw new StagingException("OntapSvmRequired", StagingErrorCategory.InvalidArgument, "Give -Svm with -Clone.", key.Clone);
            var vol = await _api.FindVolumeAsync(svm, key.Clone, OntapStorageApi.CloneFields, ct).ConfigureAwait(false)
                ?? throw new OntapException("OntapNotFound", StagingErrorCategory.ObjectNotFound, $"ONTAP has no volume '{key.Clone}' on SVM '{svm}'.", 200, null, null, key.Clone);
            if (vol["clone"]?["is_flexclone"]?.GetValue<bool>() != true)
                throw new StagingException("OntapNotAClone", StagingErrorCategory.PermissionDenied,
                    $"Volume '{svm}:{key.Clone}' is not a FlexClone; Remove-NetAppSnapshot never deletes other volumes, -Force or not.", key.Clone);
            var comment = vol["comment"]?.ToString();
            if (!SnapshotComment.IsManaged(comment) && !force)
                throw new StagingException("OntapNotManaged", StagingErrorCategory.PermissionDenied,
                    $"Clone '{svm}:{key.Clone}' was not created by KojiStaging (its comment is '{comment}'); not removing it.", key.Clone)
                { RecommendedAction = "Check that this is the clone you mean, then add -Force." };
            parentVolume ??= vol["clone"]?["parent_volume"]?["name"]?.ToString();
            snapshotName ??= vol["clone"]?["parent_snapshot"]?["name"]?.ToString();
            var uuid = vol["uuid"]!.GetValue<string>();
            if (!string.IsNullOrEmpty(vol["nas"]?["path"]?.ToString()))
            {
                log.LogInformation("Unmounting {Clone} from {Path}", key.Clone, vol["nas"]?["path"]);
                await _api.UnmountAsync(uuid, ct).ConfigureAwait(false);
            }
            log.LogInformation("Deleting clone {Clone}", key.Clone);
            await _api.DeleteVolumeAsync(uuid, ct).ConfigureAwait(false);
            removed.Add($"clone {key.Clone}");
            var policy = SnapshotComment.ExportPolicyName(key.Clone);
            if (vol["nas"]?["export_policy"]?["name"]?.ToString() == policy &&
                await _api.FindExportPolicyAsync(svm, policy, ct).ConfigureAwait(false) is { } policyId)
            {
                log.LogInformation("Deleting export policy {Policy}", policy);
                await _api.DeleteExportPolicyAsync(policyId, ct).ConfigureAwait(false);
                removed.Add($"export policy {policy}");
            }
        }
        if (svm is null || parentVolume is null || snapshotName is null) return new SnapshotRemoval(name, removed);

        var parent = await _api.FindVolumeAsync(svm, parentVolume, "uuid", ct).ConfigureAwait(false);
        var snap = parent is null ? null : await _api.FindSnapshotAsync(parent["uuid"]!.GetValue<string>(), snapshotName, ct).ConfigureAwait(false);
        if (parent is null || snap is null)
        {
            if (key.Clone is null) throw new OntapException("OntapNotFound", StagingErrorCategory.ObjectNotFound, $"ONTAP has no snapshot '{snapshotName}' of '{svm}:{parentVolume}'.", 200, null, null, snapshotName);
            return new SnapshotRemoval(name, removed);
        }
        if (!SnapshotComment.IsManaged(snap["comment"]?.ToString()) && !force)
            return new SnapshotRemoval(name, removed, new StagingException("OntapNotManaged", StagingErrorCategory.PermissionDenied,
                $"Snapshot '{snapshotName}' of '{svm}:{parentVolume}' was not created by KojiStaging; it was kept (use -Force to delete it too).", snapshotName));
        try
        {
            log.LogInformation("Deleting snapshot {Snapshot} of {Volume}", snapshotName, parentVolume);
            await _api.DeleteSnapshotAsync(parent["uuid"]!.GetValue<string>(), snap["uuid"]!.GetValue<string>(), ct).ConfigureAwait(false);
            removed.Add($"snapshot {snapshotName}");
            return new SnapshotRemoval(name, removed);
        }
        catch (OntapException ex) when (OntapErrors.IsSnapshotBusy(ex))
        {
            return new SnapshotRemoval(name, removed, new OntapException("OntapSnapshotBusy", StagingErrorCategory.ResourceBusy,
                $"Snapshot '{snapshotName}' of '{svm}:{parentVolume}' is busy (it still backs another clone); it was kept. ONTAP said: {ex.OntapMessage} (ONTAP error {ex.OntapCode}).",
                ex.HttpStatus, ex.OntapCode, ex.OntapMessage, snapshotName, ex)
            { RecommendedAction = "Remove the other clones made from this snapshot (Get-NetAppSnapshot shows them), then remove the snapshot." });
        }
    }

    private NetAppSnapshot ToSnapshot(JsonObject vol, string? nfsServer, JsonObject? snapshot)
    {
        var comment = vol["comment"]?.ToString();
        var path = vol["nas"]?["path"]?.ToString();
        return new NetAppSnapshot
        {
            Cluster = Cluster,
            Svm = vol["svm"]?["name"]?.ToString(),
            ParentVolume = vol["clone"]?["parent_volume"]?["name"]?.ToString(),
            Snapshot = vol["clone"]?["parent_snapshot"]?["name"]?.ToString() ?? snapshot?["name"]?.ToString(),
            Clone = vol["name"]?.ToString(),
            CloneUuid = vol["uuid"]?.ToString(),
            JunctionPath = string.IsNullOrEmpty(path) ? null : path,
            MountSource = string.IsNullOrEmpty(path) ? null : $"{nfsServer ?? _api.Client.Options.Host}:{path}",
            Created = ParseTime(vol["create_time"]) ?? ParseTime(snapshot?["create_time"]),
            SyncedEvent = SnapshotComment.SyncedEvent(comment),
            Comment = comment,
            ExportPolicy = vol["nas"]?["export_policy"]?["name"]?.ToString(),
            SpaceUsed = Long(vol["space"]?["used"]),
            SpaceSize = Long(vol["space"]?["size"]),
            SnapshotReservePercent = (int?)Long(vol["space"]?["snapshot"]?["reserve_percent"]),
            SplitEstimate = Long(vol["clone"]?["split_estimate"]),
            ManagedByModule = SnapshotComment.IsManaged(comment),
        };
    }

    private static long? Long(JsonNode? n) => n is JsonValue v && v.TryGetValue<long>(out var l) ? l : null;

    private static DateTimeOffset? ParseTime(JsonNode? n) =>
        n?.ToString() is { Length: > 0 } s && DateTimeOffset.TryParse(s, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var t) ? t : null;
}
