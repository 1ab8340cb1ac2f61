using KojiStaging.Engine.Diagnostics;
using KojiStaging.Engine.Storage.Local;

namespace KojiStaging.Tests.Storage;

/// <summary>Real overlay mounts (tests run as root in CI): writes land in the clone, the source stays as it was.</summary>
public sealed class OverlaySnapshotProviderTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("kojistaging-overlay-test-").FullName;
    private string Source => Path.Combine(_dir, "prod");
    private string Root => Path.Combine(_dir, "snapshots");

    public OverlaySnapshotProviderTests()
    {
        Directory.CreateDirectory(Path.Combine(Source, "packages/bash/5.2/1.fc41/x86_64"));
        File.WriteAllText(Path.Combine(Source, "packages/bash/5.2/1.fc41/x86_64/bash-5.2-1.fc41.x86_64.rpm"), "prod rpm");
        File.WriteAllText(Path.Combine(Source, "README"), "prod");
    }

    public void Dispose()
    {
        foreach (var m in MountTable.Read().Where(m => m.MountPoint.StartsWith(_dir)).Reverse())
            System.Diagnostics.Process.Start("umount", new[] { "-l", m.MountPoint })!.WaitForExit();
        Directory.Delete(_dir, true);
    }

    private OverlaySnapshotProvider Provider => new(Root);

    [Fact]
    public async Task Writes_land_in_the_clone_and_the_source_stays_unchanged()
    {
        if (!Environment.IsPrivilegedProcess)
        {
            var ex = await Assert.ThrowsAsync<StagingException>(() => Provider.CreateAsync(new LocalSnapshotRequest("stg", Source, Root), EngineScope.Silent()));
            Assert.Equal("LocalSnapshotRequiresRoot", ex.ErrorId);
            return;
        }
        var s = await Provider.CreateAsync(new LocalSnapshotRequest("stg", Source, Root, MaxSize: 1000, SyncedEvent: 166), EngineScope.Silent());
        Assert.True(s.Mounted);
        Assert.Equal("overlay", MountTable.Find(s.Path)?.FsType);
        Assert.Equal("prod", File.ReadAllText(Path.Combine(s.Path, "README")));

        File.WriteAllText(Path.Combine(s.Path, "README"), "staging wrote this");
        File.WriteAllText(Path.Combine(s.Path, "new-compose.log"), new string('x', 500));
        File.Delete(Path.Combine(s.Path, "packages/bash/5.2/1.fc41/x86_64/bash-5.2-1.fc41.x86_64.rpm"));

        Assert.Equal("prod", File.ReadAllText(Path.Combine(Source, "README")));
        Assert.False(File.Exists(Path.Combine(Source, "new-compose.log")));
        Assert.True(File.Exists(Path.Combine(Source, "packages/bash/5.2/1.fc41/x86_64/bash-5.2-1.fc41.x86_64.rpm")));
        Assert.Equal("staging wrote this", File.ReadAllText(Path.Combine(s.UpperDir, "README")));

        var listed = Assert.Single(await Provider.ListAsync(null, false, EngineScope.Silent()));
        Assert.Equal(166, listed.SyncedEvent);
        Assert.Equal("staging wrote this".Length + 500, listed.UsedBytes);
        Assert.Equal(Math.Round((18 + 500) * 100.0 / 1000, 1), listed.SpaceUsedPercent);
    }

    [Fact]
    public async Task Remove_unmounts_and_deletes_every_directory_it_made()
    {
        if (!Environment.IsPrivilegedProcess) return;
        var mount = Path.Combine(_dir, "mnt/koji-stg");
        var s = await Provider.CreateAsync(new LocalSnapshotRequest("stg", Source, Root, MountPath: mount), EngineScope.Silent());
        Assert.Equal(mount, s.Path);
        File.WriteAllText(Path.Combine(mount, "x"), "y");

        var r = await Provider.RemoveAsync(new LocalSnapshotKey(Root, "stg"), false, EngineScope.Silent());

        Assert.Null(MountTable.Find(mount));
        Assert.False(Directory.Exists(Path.Combine(Root, "stg")));
        Assert.False(Directory.Exists(mount));
        Assert.Contains($"mount {mount}", r.Removed);
        Assert.Empty(await Provider.ListAsync(null, false, EngineScope.Silent()));
        Assert.Equal("prod", File.ReadAllText(Path.Combine(Source, "README")));
    }

    [Fact]
    public async Task A_busy_mount_is_refused_without_force_and_detached_with_it()
    {
        if (!Environment.IsPrivilegedProcess) return;
        var s = await Provider.CreateAsync(new LocalSnapshotRequest("stg", Source, Root), EngineScope.Silent());
        using (File.Open(Path.Combine(s.Path, "README"), FileMode.Open, FileAccess.Read))
        {
            var ex = await Assert.ThrowsAsync<StagingException>(() => Provider.RemoveAsync(new LocalSnapshotKey(Root, "stg"), false, EngineScope.Silent()));
            Assert.Equal("LocalSnapshotBusy", ex.ErrorId);
            Assert.True(Directory.Exists(s.UpperDir));
            await Provider.RemoveAsync(new LocalSnapshotKey(Root, "stg"), true, EngineScope.Silent());
        }
        Assert.False(Directory.Exists(Path.Combine(Root, "stg")));
    }

    [Fact]
    public async Task Only_directories_the_module_made_are_removed_and_a_failed_mount_leaves_nothing()
    {
        Directory.CreateDirectory(Path.Combine(Root, "handmade"));
        var ex = await Assert.ThrowsAsync<StagingException>(() => Provider.RemoveAsync(new LocalSnapshotKey(Root, "handmade"), true, EngineScope.Silent()));
        Assert.Equal("LocalSnapshotNotFound", ex.ErrorId);
        Assert.True(Directory.Exists(Path.Combine(Root, "handmade")));

        var missing = await Assert.ThrowsAsync<StagingException>(() => Provider.CreateAsync(new LocalSnapshotRequest("x", Path.Combine(_dir, "nope"), Root), EngineScope.Silent()));
        Assert.Equal(Environment.IsPrivilegedProcess ? "LocalSourceNotFound" : "LocalSnapshotRequiresRoot", missing.ErrorId);
        Assert.False(Directory.Exists(Path.Combine(Root, "x")));

        var bad = await Assert.ThrowsAsync<StagingException>(() => Provider.RemoveAsync(new LocalSnapshotKey(Root, "../prod"), true, EngineScope.Silent()));
        Assert.Equal("LocalSnapshotNameInvalid", bad.ErrorId);
    }
}
