using System.Net;
using KojiStaging.Engine.Diagnostics;
using KojiStaging.Engine.Storage.Ontap;
using KojiStaging.TestServices.Ontap;
using Microsoft.Extensions.Logging.Abstractions;

namespace KojiStaging.Tests.Storage;

/// <summary>The ONTAP client and provider against the loopback ONTAP emulator (real HTTPS, real jobs).</summary>
public sealed class OntapSnapshotProviderTests : IAsyncLifetime
{
    private OntapEmulator _ontap = null!;

    public Task InitializeAsync()
    {
        _ontap = OntapEmulator.Start();
        return Task.CompletedTask;
    }

    public async Task DisposeAsync() => await _ontap.DisposeAsync();

    private OntapConnectionOptions Options(bool skipCheck = true, string? password = null) => new()
    {
        Cluster = _ontap.Cluster,
        Credential = new NetworkCredential(_ontap.User, password ?? _ontap.Password),
        SkipCertificateCheck = skipCheck,
        JobPollInitial = TimeSpan.FromMilliseconds(20),
        JobPollMax = TimeSpan.FromMilliseconds(100),
        RetryBaseDelay = TimeSpan.FromMilliseconds(20),
        JobTimeout = TimeSpan.FromSeconds(5),
    };

    private OntapSnapshotProvider Provider(OntapConnectionOptions? o = null) =>
        new(new OntapRestClient(o ?? Options(), NullLogger.Instance));

    private static NetAppSnapshotRequest Request(string clone = "koji_stg", string? snapshot = null, params string[] clients) =>
        new("svm1", "koji_prod", clone, snapshot, null, clients, SyncedEvent: 166);

    private void Fault(string operation, string mode, int count = 1, string? message = null, string? code = null)
    {
        lock (_ontap.State.Lock)
            _ontap.State.Faults.Add(new OntapEmulatorState.Fault(operation, mode, count,
                message ?? (mode == "locked" ? "The volume is temporarily locked by another operation. Try again later." : "Injected failure: aggregate aggr1 is out of space."),
                code ?? (mode == "locked" ? "917646" : "13001")));
    }

    private T InState<T>(Func<OntapEmulatorState, T> f) { lock (_ontap.State.Lock) return f(_ontap.State); }

    private OntapEmulatorState.Volume Prod => InState(s => s.FindVolume("svm1", "koji_prod")!);

    [Fact]
    public async Task Create_makes_a_tagged_snapshot_an_export_policy_and_a_mounted_clone()
    {
        var s = await Provider().CreateAsync(Request(clients: new[] { "10.0.0.0/24", "stg-compose01" }), EngineScope.Silent());

        Assert.Equal("koji_stg", s.Clone);
        Assert.Equal("/koji_stg", s.JunctionPath);
        Assert.Equal($"127.0.0.1:/koji_stg", s.MountSource);
        Assert.Equal(166, s.SyncedEvent);
        Assert.True(s.ManagedByModule);
        Assert.StartsWith("kojistaging_koji_stg_", s.Snapshot);
        Assert.NotNull(s.SpaceUsedPercent);
        var clone = InState(st => st.FindVolume("svm1", "koji_stg"))!;
        Assert.Equal("koji_prod", clone.ParentVolume);
        Assert.Equal(s.Snapshot, clone.ParentSnapshot);
        Assert.Equal("kojistaging_koji_stg", clone.ExportPolicy);
        var snap = Assert.Single(Prod.Snapshots, x => x.Name == s.Snapshot);
        Assert.Contains("synced-event=166", snap.Comment);
        var rule = InState(st => st.Policies.Single(p => p.Name == "kojistaging_koji_stg")).Rules[0]!;
        Assert.Equal("10.0.0.0/24", rule["clients"]![0]!["match"]!.ToString());
        Assert.Equal("stg-compose01", rule["clients"]![1]!["match"]!.ToString());
        Assert.Equal("sys", rule["rw_rule"]![0]!.ToString());
        // Async calls went through jobs, and the lookups asked for the expensive fields by name.
        var requests = InState(st => st.Requests.ToList());
        Assert.Contains(requests, r => r.StartsWith("GET /api/cluster/jobs/"));
        Assert.Contains(requests, r => r.StartsWith("GET /api/storage/volumes?name=koji_stg") && r.Contains("clone.split_estimate"));
    }

    [Fact]
    public async Task A_failed_clone_job_rolls_back_the_export_policy_and_the_snapshot()
    {
        Fault("clone_create", "job_failure");
        var before = Prod.Snapshots.Count;

        var ex = await Assert.ThrowsAsync<OntapException>(() => Provider().CreateAsync(Request(clients: new[] { "10.0.0.0/24" }), EngineScope.Silent()));

        Assert.Equal("OntapJobFailed", ex.ErrorId);
        Assert.Equal("13001", ex.OntapCode);
        Assert.Contains("aggregate aggr1 is out of space", ex.Message);
        Assert.Equal(before, Prod.Snapshots.Count);
        Assert.Null(InState(st => st.FindVolume("svm1", "koji_stg")));
        Assert.DoesNotContain(InState(st => st.Policies.ToList()), p => p.Name == "kojistaging_koji_stg");
    }

    [Fact]
    public async Task A_refused_export_policy_rolls_back_the_snapshot_and_quotes_ontap()
    {
        Fault("export_policy_create", "error", message: "Export policy limit reached.", code: "1703955");
        var before = Prod.Snapshots.Count;

        var ex = await Assert.ThrowsAsync<OntapException>(() => Provider().CreateAsync(Request(clients: new[] { "10.0.0.0/24" }), EngineScope.Silent()));

        Assert.Equal("OntapError", ex.ErrorId);
        Assert.Contains("Export policy limit reached.", ex.Message);
        Assert.Contains("1703955", ex.Message);
        Assert.Equal(before, Prod.Snapshots.Count);
    }

    [Fact]
    public async Task An_existing_snapshot_is_used_and_never_deleted_by_a_rollback()
    {
        Fault("clone_create", "job_failure");
        await Assert.ThrowsAsync<OntapException>(() => Provider().CreateAsync(Request(snapshot: "hourly.2026-11-24_2305"), EngineScope.Silent()));
        Assert.Contains(Prod.Snapshots, x => x.Name == "hourly.2026-11-24_2305");

        var s = await Provider().CreateAsync(Request(snapshot: "hourly.2026-11-24_2305"), EngineScope.Silent());
        Assert.Equal("hourly.2026-11-24_2305", s.Snapshot);
    }

    [Fact]
    public async Task The_server_certificate_is_verified_unless_told_otherwise()
    {
        var ex = await Assert.ThrowsAsync<OntapException>(() => Provider(Options(skipCheck: false)).CreateAsync(Request(), EngineScope.Silent()));
        Assert.Equal("OntapCertificateUntrusted", ex.ErrorId);
        Assert.Equal(StagingErrorCategory.SecurityError, ex.Category);
        Assert.Empty(InState(st => st.Requests.ToList()));
    }

    [Fact]
    public async Task A_wrong_password_is_an_authentication_failure_with_ontaps_code()
    {
        var ex = await Assert.ThrowsAsync<OntapException>(() => Provider(Options(password: "wrong")).ListAsync(null, false, EngineScope.Silent()));
        Assert.Equal("OntapAuthenticationFailed", ex.ErrorId);
        Assert.Equal(401, ex.HttpStatus);
        Assert.Equal("6", ex.OntapCode);
        Assert.DoesNotContain("wrong", ex.Message);
    }

    [Fact]
    public async Task A_client_certificate_logs_in_without_a_password()
    {
        var o = new OntapConnectionOptions { Cluster = _ontap.Cluster, ClientCertificate = _ontap.ClientCertificate, SkipCertificateCheck = true };
        var list = await Provider(o).ListAsync(null, true, EngineScope.Silent());
        Assert.Equal(3, list.Count);
    }

    [Fact]
    public async Task List_follows_next_links_and_hides_foreign_clones_unless_asked()
    {
        await Provider().CreateAsync(Request(), EngineScope.Silent());
        var mine = await Provider().ListAsync(null, false, EngineScope.Silent());
        var all = await Provider().ListAsync(null, true, EngineScope.Silent());

        Assert.Equal("koji_stg", Assert.Single(mine).Clone);
        Assert.Equal(4, all.Count);   // page size 2: three pages
        Assert.Contains(InState(st => st.Requests.ToList()), r => r.Contains("start.index=2"));
        Assert.All(all, s => Assert.NotNull(s.SplitEstimate));
    }

    [Fact]
    public async Task Space_used_is_reported_against_the_space_left_after_the_snapshot_reserve()
    {
        await Provider().CreateAsync(Request(), EngineScope.Silent());
        lock (_ontap.State.Lock)
        {
            var v = _ontap.State.FindVolume("svm1", "koji_stg")!;
            v.Size = 1000L << 30;
            v.ReservePercent = 20;
            v.Used = 400L << 30;
        }
        var s = Assert.Single(await Provider().ListAsync("koji_*", false, EngineScope.Silent()));
        Assert.Equal(50.0, s.SpaceUsedPercent);
        Assert.Equal(400L << 30, s.SpaceUsed);
        Assert.Equal(20, s.SnapshotReservePercent);
        Assert.True(s.Age >= TimeSpan.Zero);
    }

    [Fact]
    public async Task Remove_unmounts_deletes_the_clone_the_policy_and_the_snapshot()
    {
        var p = Provider();
        var s = await p.CreateAsync(Request(clients: new[] { "10.0.0.0/24" }), EngineScope.Silent());
        var result = await p.RemoveAsync(new NetAppSnapshotKey("svm1", "koji_stg"), false, EngineScope.Silent());

        Assert.Null(result.KeptBecause);
        Assert.Equal(new[] { "clone koji_stg", "export policy kojistaging_koji_stg", $"snapshot {s.Snapshot}" }, result.Removed);
        Assert.Null(InState(st => st.FindVolume("svm1", "koji_stg")));
        Assert.DoesNotContain(Prod.Snapshots, x => x.Name == s.Snapshot);
        var requests = InState(st => st.Requests.ToList());
        Assert.True(requests.FindIndex(r => r.StartsWith("PATCH /api/storage/volumes/")) < requests.FindIndex(r => r.StartsWith("DELETE /api/storage/volumes/") && !r.Contains("snapshots")));
    }

    [Fact]
    public async Task A_snapshot_that_still_backs_another_clone_is_kept_and_reported_busy()
    {
        var p = Provider();
        var first = await p.CreateAsync(Request("koji_stg"), EngineScope.Silent());
        await p.CreateAsync(Request("koji_stg2", snapshot: first.Snapshot), EngineScope.Silent());

        var r1 = await p.RemoveAsync(new NetAppSnapshotKey("svm1", "koji_stg"), false, EngineScope.Silent());
        Assert.Equal("OntapSnapshotBusy", r1.KeptBecause?.ErrorId);
        Assert.Contains("1638555", r1.KeptBecause!.Message);
        Assert.Contains(Prod.Snapshots, x => x.Name == first.Snapshot);

        var r2 = await p.RemoveAsync(new NetAppSnapshotKey("svm1", "koji_stg2"), false, EngineScope.Silent());
        Assert.Null(r2.KeptBecause);
        Assert.DoesNotContain(Prod.Snapshots, x => x.Name == first.Snapshot);
    }

    [Fact]
    public async Task Remove_refuses_foreign_clones_without_force_and_other_volumes_always()
    {
        var p = Provider();
        var ex = await Assert.ThrowsAsync<StagingException>(() => p.RemoveAsync(new NetAppSnapshotKey("svm1", "dev_clone1"), false, EngineScope.Silent()));
        Assert.Equal("OntapNotManaged", ex.ErrorId);
        Assert.NotNull(InState(st => st.FindVolume("svm1", "dev_clone1")));

        var prod = await Assert.ThrowsAsync<StagingException>(() => p.RemoveAsync(new NetAppSnapshotKey("svm1", "koji_prod"), true, EngineScope.Silent()));
        Assert.Equal("OntapNotAClone", prod.ErrorId);
        Assert.NotNull(InState(st => st.FindVolume("svm1", "koji_prod")));

        var forced = await p.RemoveAsync(new NetAppSnapshotKey("svm1", "dev_clone1"), true, EngineScope.Silent());
        Assert.Null(InState(st => st.FindVolume("svm1", "dev_clone1")));
        Assert.Equal("OntapSnapshotBusy", forced.KeptBecause?.ErrorId);   // dev_clone2 and 3 still use it
    }

    [Fact]
    public async Task Temporarily_locked_answers_are_retried()
    {
        Fault("snapshot_create", "locked", count: 2);
        var s = await Provider().CreateAsync(Request(), EngineScope.Silent());
        Assert.NotNull(s.Clone);
        Assert.Equal(3, InState(st => st.Requests.Count(r => r.StartsWith("POST /api/storage/volumes/") && r.EndsWith("/snapshots"))));
    }

    [Fact]
    public async Task A_job_that_vanished_after_finishing_is_judged_by_its_result()
    {
        Fault("clone_create", "vanish");
        var s = await Provider().CreateAsync(Request(), EngineScope.Silent());
        Assert.Equal("koji_stg", s.Clone);
    }

    [Fact]
    public async Task A_job_that_never_finishes_times_out_and_rolls_back()
    {
        Fault("clone_create", "hang");
        var o = Options();
        var ex = await Assert.ThrowsAsync<OntapException>(() =>
            Provider(new OntapConnectionOptions { Cluster = o.Cluster, Credential = o.Credential, SkipCertificateCheck = true, JobPollInitial = TimeSpan.FromMilliseconds(20), JobTimeout = TimeSpan.FromMilliseconds(500) })
                .CreateAsync(Request(), EngineScope.Silent()));
        Assert.Equal("OntapJobTimeout", ex.ErrorId);
        Assert.DoesNotContain(Prod.Snapshots, x => x.Name.StartsWith("kojistaging_"));
    }

    [Fact]
    public async Task The_emulator_refuses_fields_that_do_not_exist()
    {
        using var client = new OntapRestClient(Options(), NullLogger.Instance);
        var ex = await Assert.ThrowsAsync<OntapException>(() => client.GetAsync("/api/storage/volumes?fields=clone.split_estmate", default));
        Assert.Equal("262197", ex.OntapCode);
        Assert.Equal("OntapError", ex.ErrorId);
    }

    [Fact]
    public void The_whatif_plan_names_every_call_and_no_secret()
    {
        var plan = OntapSnapshotProvider.PlanCreate(Request(clients: new[] { "10.0.0.0/24" }), DateTimeOffset.UtcNow);
        Assert.Contains(plan, c => c.StartsWith("POST /api/storage/volumes {") && c.Contains("\"is_flexclone\":true"));
        Assert.Contains(plan, c => c.StartsWith("POST /api/protocols/nfs/export-policies"));
        Assert.Contains(plan, c => c.Contains("/snapshots") && c.Contains("synced-event=166"));
    }

    [Fact]
    public async Task ONTAP_JSON_with_wrong_types_is_OntapProtocolError_not_a_raw_exception()
    {
        await Provider().CreateAsync(Request(), EngineScope.Silent());
        Fault("list", "wrong_types");

        var ex = await Assert.ThrowsAsync<OntapException>(() => Provider().ListAsync("svm1", null, null, includeForeign: true, EngineScope.Silent()));

        Assert.Equal("OntapProtocolError", ex.ErrorId);
        Assert.Equal(StagingErrorCategory.ProtocolError, ex.Category);
        Assert.Contains("another shape", ex.Message);
    }

    [Fact]
    public async Task A_relative_junction_path_an_existing_clone_and_no_cluster_are_refused_before_anything_is_made()
    {
        var relative = await Assert.ThrowsAsync<StagingException>(() => Provider().CreateAsync(Request() with { JunctionPath = "koji_stg" }, EngineScope.Silent()));
        Assert.Equal("OntapJunctionPathInvalid", relative.ErrorId);
        Assert.Empty(InState(s => s.Volumes.Where(v => v.Name == "koji_stg").ToList()));

        await Provider().CreateAsync(Request(), EngineScope.Silent());
        var snapshots = InState(s => s.FindVolume("svm1", "koji_prod")!.Snapshots.Count);
        var again = await Assert.ThrowsAsync<OntapException>(() => Provider().CreateAsync(Request(), EngineScope.Silent()));
        Assert.Equal("OntapCloneExists", again.ErrorId);
        Assert.Equal(StagingErrorCategory.ResourceExists, again.Category);
        Assert.Equal(snapshots, InState(s => s.FindVolume("svm1", "koji_prod")!.Snapshots.Count));

        var none = Assert.Throws<StagingException>(() => new OntapConnectionOptions { Cluster = " " }.BaseUri);
        Assert.Equal("OntapClusterMissing", none.ErrorId);
    }
}
