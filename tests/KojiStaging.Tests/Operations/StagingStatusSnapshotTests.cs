using System.Net;
using KojiStaging.Engine.Database;
using KojiStaging.Engine.Diagnostics;
using KojiStaging.Engine.Files;
using KojiStaging.Engine.Operations;
using KojiStaging.Engine.Storage;
using KojiStaging.Engine.Storage.Local;
using KojiStaging.Engine.Storage.Ontap;
using KojiStaging.Tests.Infrastructure;
using KojiStaging.TestServices;
using KojiStaging.TestServices.Ontap;
using Microsoft.Extensions.Logging.Abstractions;

namespace KojiStaging.Tests.Operations;

/// <summary>
/// Get-KojiStagingStatus's snapshot state: the module's FlexClones on the ONTAP emulator (real HTTPS, real jobs),
/// real overlay mounts on this host (root, as CI runs), and snapshot objects handed in — against a real staging database.
/// </summary>
public sealed class StagingStatusSnapshotTests : IAsyncLifetime
{
    private const long GiB = 1L << 30;
    private readonly string _dir = Directory.CreateTempSubdirectory("kojistaging-status-snap-").FullName;
    private OntapEmulator _ontap = null!;

    private string EmptyRoot => Path.Combine(_dir, "no-snapshots");

    public Task InitializeAsync()
    {
        _ontap = OntapEmulator.Start();
        return Task.CompletedTask;
    }

    public async Task DisposeAsync()
    {
        foreach (var m in MountTable.Read().Entries.Where(m => m.MountPoint.StartsWith(_dir, StringComparison.Ordinal)).Reverse())
            ProcessRunner.Run("umount", new[] { "-l", m.MountPoint });
        Directory.Delete(_dir, true);
        await _ontap.DisposeAsync();
    }

    private OntapConnectionOptions Options() => new()
    {
        Cluster = _ontap.Cluster,
        Credential = new NetworkCredential(_ontap.User, _ontap.Password),
        SkipCertificateCheck = true,
        JobPollInitial = TimeSpan.FromMilliseconds(20),
        JobPollMax = TimeSpan.FromMilliseconds(100),
        RetryBaseDelay = TimeSpan.FromMilliseconds(20),
        JobTimeout = TimeSpan.FromSeconds(5),
    };

    private OntapSnapshotProvider Ontap() => new(new OntapRestClient(Options(), NullLogger.Instance));

    private void InState(Action<OntapEmulatorState> f) { lock (_ontap.State.Lock) f(_ontap.State); }

    private static Task<StagingStatus> Status(KojiDatabaseConnection db, string? topDir, StagingSnapshotQuery query) =>
        new StagingStatusReader().ReadAsync(db, null, topDir, EngineScope.Silent(), query);

    [Fact]
    public async Task The_modules_flexclones_are_reported_with_space_used_and_whether_to_rotate()
    {
        var db = await StagingVolumeDb.CreateAsync("status_ontap"); // synced to event 166
        await Ontap().CreateAsync(new NetAppSnapshotRequest("svm1", "koji_prod", "koji_fresh", SyncedEvent: 166), EngineScope.Silent());
        await Ontap().CreateAsync(new NetAppSnapshotRequest("svm1", "koji_prod", "koji_full", SyncedEvent: 166), EngineScope.Silent());
        InState(s =>
        {
            // koji_full has grown to 90 GiB of the 95 GiB left after the 5 % snapshot reserve of 100 GiB.
            var full = s.FindVolume("svm1", "koji_full")!;
            (full.Size, full.Used, full.ReservePercent) = (100 * GiB, 90 * GiB, 5);
            var fresh = s.FindVolume("svm1", "koji_fresh")!;
            (fresh.Size, fresh.Used, fresh.ReservePercent) = (100 * GiB, 1 * GiB, 5);
            // A clone the module made three weeks ago for an older sync, and a tagged snapshot whose clone is gone.
            s.Volumes.Add(new OntapEmulatorState.Volume
            {
                Name = "koji_old", Svm = "svm1", ParentVolume = "koji_prod", ParentSnapshot = "hourly.2026-11-24_2305",
                Comment = SnapshotComment.Format("koji_old", 150), CreateTime = DateTimeOffset.UtcNow.AddDays(-21),
                NasPath = "/koji_old", Size = 100 * GiB, Used = 2 * GiB,
            });
            s.FindVolume("svm1", "koji_prod")!.Snapshots.Add(new OntapEmulatorState.Snapshot
            {
                Name = "kojistaging_koji_gone_20261101_000000", Comment = SnapshotComment.Format("koji_gone", 140),
                CreateTime = DateTimeOffset.UtcNow.AddDays(-30),
            });
        });

        var status = await Status(db, null, new StagingSnapshotQuery(LocalRoot: EmptyRoot, Ontap: Options(), Svm: "svm1"));

        // Only the module's clones: the hand-made dev_clone1..3 are left out; the leftover snapshot needs -Volume.
        Assert.Equal(new[] { "svm1:koji_fresh", "svm1:koji_full", "svm1:koji_old" }, status.Snapshots.Select(s => s.Name));
        var by = status.Snapshots.ToDictionary(s => s.Name);
        var full = by["svm1:koji_full"];
        Assert.Equal("ontap", full.Provider);
        Assert.Equal("127.0.0.1:/koji_full", full.Path);
        Assert.StartsWith("svm1:koji_prod@kojistaging_koji_full_", full.Origin);
        Assert.Equal(90 * GiB, full.UsedBytes);
        Assert.Equal(95 * GiB, full.BoundBytes);
        Assert.Equal(94.7, full.SpaceUsedPercent);
        Assert.Equal(166, full.SyncedEvent);
        Assert.True(full.Mounted);
        Assert.True(full.RotateSoon);
        Assert.Equal(new[] { "94.7% of its bound used (rotate at 80%)" }, full.RotateReasons);
        Assert.IsType<NetAppSnapshot>(full.Snapshot);

        var fresh = by["svm1:koji_fresh"];
        Assert.False(fresh.RotateSoon);
        Assert.Empty(fresh.RotateReasons);
        Assert.InRange(fresh.Age!.Value, TimeSpan.Zero, TimeSpan.FromMinutes(5));

        var old = by["svm1:koji_old"];
        Assert.True(old.RotateSoon);
        Assert.Equal(new[] { "21 days old (rotate after 14 days)", "taken at event 150 but the staging database is synced to event 166" }, old.RotateReasons);
        Assert.Contains(status.SnapshotSources, s => s == $"ontap {_ontap.Cluster} svm svm1");

        // The operator's own thresholds; -Volume adds the module's snapshot that no longer backs a clone.
        var lax = await Status(db, null, new StagingSnapshotQuery(LocalRoot: EmptyRoot, Ontap: Options(), Svm: "svm1", Volume: "koji_prod",
            Rotation: new SnapshotRotation(95, TimeSpan.FromDays(30))));
        by = lax.Snapshots.ToDictionary(s => s.Name);
        Assert.False(by["svm1:koji_full"].RotateSoon);
        Assert.Equal(new[] { "taken at event 150 but the staging database is synced to event 166" }, by["svm1:koji_old"].RotateReasons);
        var gone = by["svm1:koji_prod@kojistaging_koji_gone_20261101_000000"];
        Assert.Null(gone.Mounted);
        Assert.Contains("a tagged snapshot left without a clone", gone.RotateReasons);
    }

    [Fact]
    public async Task Snapshot_objects_handed_in_are_reported_once_and_ontap_filters_need_a_cluster()
    {
        var db = await StagingVolumeDb.CreateAsync("status_given");
        await Ontap().CreateAsync(new NetAppSnapshotRequest("svm1", "koji_prod", "koji_given", SyncedEvent: 166), EngineScope.Silent());
        var listed = await Ontap().ListAsync("svm1", "koji_given", null, false, EngineScope.Silent());

        var given = await Status(db, null, new StagingSnapshotQuery(LocalRoot: EmptyRoot, Given: listed));
        Assert.Equal("svm1:koji_given", Assert.Single(given.Snapshots).Name);
        Assert.Equal(new[] { $"overlay {EmptyRoot}", "given (1)" }, given.SnapshotSources);

        var both = await Status(db, null, new StagingSnapshotQuery(LocalRoot: EmptyRoot, Ontap: Options(), Svm: "svm1", Given: listed));
        Assert.Equal("svm1:koji_given", Assert.Single(both.Snapshots).Name);

        // Without a query the module's overlays are looked for where Get-KojiLocalSnapshot looks by default.
        var plain = await new StagingStatusReader().ReadAsync(db, null, null, EngineScope.Silent());
        Assert.Contains($"overlay {OverlaySnapshotProvider.DefaultRoot}", plain.SnapshotSources);

        // Bad combinations fail before any database is opened (this one is unreachable).
        var nowhere = new KojiDatabaseConnection("Host=127.0.0.1;Port=1;Database=koji;Timeout=2");
        var noCluster = await Assert.ThrowsAsync<StagingException>(() => Status(nowhere, null, new StagingSnapshotQuery(Svm: "svm1")));
        Assert.Equal("OntapClusterRequired", noCluster.ErrorId);
        var noSvm = await Assert.ThrowsAsync<StagingException>(() => Status(nowhere, null, new StagingSnapshotQuery(Ontap: Options(), Volume: "koji_prod")));
        Assert.Equal("OntapSvmRequired", noSvm.ErrorId);
    }

    [Fact]
    public async Task Local_overlays_are_found_under_the_root_limited_to_the_topdir_and_unmounted_ones_flagged()
    {
        if (!Environment.IsPrivilegedProcess) return; // overlay mounts need root (CI runs as root)
        var db = await StagingVolumeDb.CreateAsync("status_overlay");
        var source = Path.Combine(_dir, "prod");
        Directory.CreateDirectory(Path.Combine(source, "packages"));
        File.WriteAllText(Path.Combine(source, "README"), "prod");
        var root = Path.Combine(_dir, "snapshots");
        var top = Path.Combine(_dir, "mnt", "koji");
        var overlays = new OverlaySnapshotProvider(root);
        await overlays.CreateAsync(new LocalSnapshotRequest("stg", source, root, MountPath: top, MaxSize: 10_000, SyncedEvent: 166), EngineScope.Silent());
        var other = await overlays.CreateAsync(new LocalSnapshotRequest("other", source, root, SyncedEvent: 166), EngineScope.Silent());
        File.WriteAllText(Path.Combine(top, "compose.log"), new string('x', 8500));

        var status = await Status(db, top, new StagingSnapshotQuery(LocalRoot: root));

        var stg = Assert.Single(status.Snapshots); // 'other' is mounted elsewhere: not this topdir's
        Assert.Equal(("overlay", "stg", top, source), (stg.Provider, stg.Name, stg.Path, stg.Origin));
        Assert.Equal(8500, stg.UsedBytes);
        Assert.Equal(10_000, stg.BoundBytes);
        Assert.Equal(85.0, stg.SpaceUsedPercent);
        Assert.True(stg.Mounted);
        Assert.Equal(new[] { "85% of its bound used (rotate at 80%)" }, stg.RotateReasons);
        Assert.IsType<LocalSnapshot>(stg.Snapshot);
        Assert.True(Assert.Single(status.Volumes).Present);

        // Without -TopDir every snapshot under the root; one whose overlay is gone (e.g. after a reboot) is due.
        ProcessRunner.Run("umount", new[] { other.Path });
        var all = await Status(db, null, new StagingSnapshotQuery(LocalRoot: root));
        Assert.Equal(new[] { "other", "stg" }, all.Snapshots.Select(s => s.Name));
        var unmounted = all.Snapshots[0];
        Assert.False(unmounted.Mounted);
        Assert.Equal(new[] { "not mounted" }, unmounted.RotateReasons);
        Assert.Equal(0, unmounted.UsedBytes);
        Assert.True(unmounted.BoundBytes > 0); // no -MaxSize: the upper file system's room
    }
}
