using System.Text.Json.Nodes;

namespace KojiStaging.TestServices.Ontap;

/// <summary>The emulated cluster: SVMs, volumes, snapshots, export policies and async jobs.</summary>
public sealed class OntapEmulatorState
{
    public sealed class Volume
    {
        public string Uuid { get; } = Guid.NewGuid().ToString();
        public required string Name { get; init; }
        public required string Svm { get; init; }
        public string Comment { get; set; } = "";
        public DateTimeOffset CreateTime { get; init; } = DateTimeOffset.UtcNow;
        public long Size { get; set; } = 100L << 30;
        public long Used { get; set; } = 1L << 20;
        public int ReservePercent { get; set; } = 5;
        public string? NasPath { get; set; }
        public string ExportPolicy { get; set; } = "default";
        public string? ParentVolume { get; init; }
        public string? ParentSnapshot { get; init; }
        public bool IsFlexClone => ParentVolume is not null;
        public List<Snapshot> Snapshots { get; } = new();
    }

    public sealed class Snapshot
    {
        public string Uuid { get; } = Guid.NewGuid().ToString();
        public required string Name { get; init; }
        public string Comment { get; init; } = "";
        public DateTimeOffset CreateTime { get; init; } = DateTimeOffset.UtcNow;
    }

    public sealed class ExportPolicy
    {
        public required long Id { get; init; }
        public required string Name { get; init; }
        public required string Svm { get; init; }
        public JsonArray Rules { get; init; } = new();
    }

    public sealed class Job
    {
        public string Uuid { get; } = Guid.NewGuid().ToString();
        public required string Description { get; init; }
        public DateTimeOffset Queued { get; } = DateTimeOffset.UtcNow;
        public required Func<(bool Ok, string Message, long Code)> Action { get; init; }
        public string State { get; set; } = "queued";
        public string Message { get; set; } = "";
        public long Code { get; set; }
        public DateTimeOffset? Start { get; set; }
        public DateTimeOffset? End { get; set; }
    }

    /// <summary>A failure to inject into the next matching operations.</summary>
    public sealed record Fault(string Operation, string Mode, int Count, string Message, string Code);

    public object Lock { get; } = new();
    public List<string> Svms { get; } = new() { "svm1" };
    public List<Volume> Volumes { get; } = new();
    public List<ExportPolicy> Policies { get; } = new();
    public Dictionary<string, Job> Jobs { get; } = new();
    public List<Fault> Faults { get; } = new();
    /// <summary>Every request the emulator answered, "METHOD /path?query", for tests.</summary>
    public List<string> Requests { get; } = new();
    public long NextPolicyId { get; set; } = 8589934594;

    public int PageSize { get; set; } = 2;
    public TimeSpan QueuedFor { get; set; } = TimeSpan.FromMilliseconds(80);
    public TimeSpan RunningFor { get; set; } = TimeSpan.FromMilliseconds(200);
    /// <summary>ONTAP deletes finished jobs after 300 s; tests shorten this to see the 404.</summary>
    public TimeSpan JobRetention { get; set; } = TimeSpan.FromMinutes(5);

    public static OntapEmulatorState Seed()
    {
        var s = new OntapEmulatorState();
        var prod = new Volume { Name = "koji_prod", Svm = "svm1", Size = 10L << 40, Used = 7L << 40, NasPath = "/koji_prod", Comment = "Fedora Koji /mnt/koji" };
        prod.Snapshots.Add(new Snapshot { Name = "hourly.2026-11-24_2305", CreateTime = DateTimeOffset.UtcNow.AddHours(-1) });
        s.Volumes.Add(prod);
        s.Volumes.Add(new Volume { Name = "svm1_root", Svm = "svm1", Size = 1L << 30, NasPath = "/" });
        // Clones someone made by hand: not the module's, listed only with -IncludeForeign, never removed without -Force.
        for (var i = 1; i <= 3; i++)
            s.Volumes.Add(new Volume
            {
                Name = $"dev_clone{i}", Svm = "svm1", ParentVolume = "koji_prod", ParentSnapshot = "hourly.2026-11-24_2305",
                Size = prod.Size, Used = (long)i << 30, NasPath = $"/dev_clone{i}", Comment = "made by hand for a test",
                CreateTime = DateTimeOffset.UtcNow.AddDays(-i),
            });
        return s;
    }

    public Volume? FindVolume(string svm, string name) => Volumes.FirstOrDefault(v => v.Svm == svm && v.Name == name);

    /// <summary>Takes one injected fault for an operation, if any.</summary>
    public Fault? TakeFault(string operation)
    {
        var f = Faults.FirstOrDefault(x => x.Operation == operation);
        if (f is null) return null;
        Faults.Remove(f);
        if (f.Count > 1) Faults.Insert(0, f with { Count = f.Count - 1 });
        return f;
    }

    /// <summary>Moves jobs along queued → running → success/failure as time passes; the action runs once.</summary>
    public void Advance(Job job)
    {
        var now = DateTimeOffset.UtcNow;
        if (job.State == "queued" && now - job.Queued >= QueuedFor) { job.State = "running"; job.Start = now; }
        if (job.State == "running" && now - job.Queued >= QueuedFor + RunningFor)
        {
            var (ok, message, code) = job.Action();
            job.State = ok ? "success" : "failure";
            job.Message = message;
            job.Code = code;
            job.End = now;
        }
    }

    public JsonObject VolumeJson(Volume v)
    {
        var parentSnap = v.IsFlexClone ? FindVolume(v.Svm, v.ParentVolume!)?.Snapshots.FirstOrDefault(s => s.Name == v.ParentSnapshot) : null;
        return new JsonObject
        {
            ["uuid"] = v.Uuid,
            ["name"] = v.Name,
            ["comment"] = v.Comment,
            ["create_time"] = v.CreateTime.ToString("yyyy-MM-ddTHH:mm:sszzz"),
            ["state"] = "online",
            ["style"] = "flexvol",
            ["type"] = "rw",
            ["size"] = v.Size,
            ["svm"] = new JsonObject { ["name"] = v.Svm, ["uuid"] = "0b3c2d8a-41be-11e9-81d5-00a0986138f7" },
            ["clone"] = new JsonObject
            {
                ["is_flexclone"] = v.IsFlexClone,
                ["parent_volume"] = new JsonObject { ["name"] = v.ParentVolume, ["uuid"] = v.IsFlexClone ? FindVolume(v.Svm, v.ParentVolume!)?.Uuid : null },
                ["parent_snapshot"] = new JsonObject { ["name"] = v.ParentSnapshot, ["uuid"] = parentSnap?.Uuid },
                ["split_estimate"] = v.IsFlexClone ? v.Size - v.Used : 0,
                ["split_initiated"] = false,
            },
            ["nas"] = new JsonObject
            {
                ["path"] = v.NasPath ?? "",
                ["security_style"] = "unix",
                ["export_policy"] = new JsonObject { ["name"] = v.ExportPolicy, ["id"] = Policies.FirstOrDefault(p => p.Name == v.ExportPolicy)?.Id ?? 8589934593 },
            },
            ["space"] = new JsonObject
            {
                ["size"] = v.Size,
                ["used"] = v.Used,
                ["available"] = v.Size * (100 - v.ReservePercent) / 100 - v.Used,
                ["snapshot"] = new JsonObject { ["reserve_percent"] = v.ReservePercent, ["used"] = 0 },
            },
            ["_links"] = new JsonObject { ["self"] = new JsonObject { ["href"] = $"/api/storage/volumes/{v.Uuid}" } },
        };
    }

    public static JsonObject SnapshotJson(Volume v, Snapshot s) => new()
    {
        ["uuid"] = s.Uuid,
        ["name"] = s.Name,
        ["comment"] = s.Comment,
        ["create_time"] = s.CreateTime.ToString("yyyy-MM-ddTHH:mm:sszzz"),
        ["state"] = "valid",
        ["volume"] = new JsonObject { ["name"] = v.Name, ["uuid"] = v.Uuid },
        ["svm"] = new JsonObject { ["name"] = v.Svm },
        ["_links"] = new JsonObject { ["self"] = new JsonObject { ["href"] = $"/api/storage/volumes/{v.Uuid}/snapshots/{s.Uuid}" } },
    };

    public static JsonObject PolicyJson(ExportPolicy p) => new()
    {
        ["id"] = p.Id,
        ["name"] = p.Name,
        ["svm"] = new JsonObject { ["name"] = p.Svm, ["uuid"] = "0b3c2d8a-41be-11e9-81d5-00a0986138f7" },
        ["rules"] = p.Rules.DeepClone(),
        ["_links"] = new JsonObject { ["self"] = new JsonObject { ["href"] = $"/api/protocols/nfs/export-policies/{p.Id}" } },
    };

    public static JsonObject JobJson(Job j) => new()
    {
        ["uuid"] = j.Uuid,
        ["description"] = j.Description,
        ["state"] = j.State,
        ["message"] = j.Message,
        ["code"] = j.Code,
        ["start_time"] = j.Start?.ToString("yyyy-MM-ddTHH:mm:sszzz"),
        ["end_time"] = j.End?.ToString("yyyy-MM-ddTHH:mm:sszzz"),
        ["_links"] = new JsonObject { ["self"] = new JsonObject { ["href"] = $"/api/cluster/jobs/{j.Uuid}" } },
    };

    /// <summary>What tests look at: names of volumes, snapshots, policies; job states.</summary>
    public JsonObject Dump() => new()
    {
        ["volumes"] = new JsonArray(Volumes.Select(v => (JsonNode)new JsonObject
        {
            ["name"] = v.Name, ["svm"] = v.Svm, ["comment"] = v.Comment, ["nas_path"] = v.NasPath, ["export_policy"] = v.ExportPolicy,
            ["parent_volume"] = v.ParentVolume, ["parent_snapshot"] = v.ParentSnapshot, ["used"] = v.Used, ["size"] = v.Size,
            ["snapshots"] = new JsonArray(v.Snapshots.Select(s => (JsonNode)new JsonObject { ["name"] = s.Name, ["comment"] = s.Comment }).ToArray()),
        }).ToArray()),
        ["export_policies"] = new JsonArray(Policies.Select(p => (JsonNode)PolicyJson(p)).ToArray()),
        ["jobs"] = new JsonArray(Jobs.Values.Select(j => (JsonNode)JobJson(j)).ToArray()),
        ["requests"] = new JsonArray(Requests.Select(r => (JsonNode)r).ToArray()),
    };
}
