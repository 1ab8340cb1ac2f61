using KojiStaging.Engine.Files;
using Dapper;
using KojiStaging.Engine.Diagnostics;
using KojiStaging.Engine.Database;
using KojiStaging.Engine.Koji;
using KojiStaging.Engine.Operations;
using KojiStaging.Tests.Infrastructure;

namespace KojiStaging.Tests.Operations;

public class SecondaryVolumeServiceTests : IClassFixture<ProdTreeMount>
{
    private static readonly Func<string, string, bool> Yes = (_, _) => true;
    private readonly ProdTreeMount _tree;
    public SecondaryVolumeServiceTests(ProdTreeMount tree) => _tree = tree;

    private static Task<SecondaryVolumeResult?> Run(SecondaryVolumeRequest r, Func<string, string, bool>? confirm = null) =>
        new SecondaryVolumeService().RunAsync(r, confirm ?? Yes, EngineScope.Silent());

    [Fact]
    public async Task Repoints_only_synced_complete_builds_expires_their_repos_and_records_the_marker()
    {
        var db = await StagingVolumeDb.CreateAsync("vol_states");
        await StagingVolumeDb.AddStatesAndReposAsync(db);
        var top = _tree.NewStagingTopDir();

        var r = (await Run(new SecondaryVolumeRequest(db, TopDir: top, Path: _tree.ReadOnly)))!;

        Assert.Equal("prod", r.Volume);
        Assert.True(r.ReadOnlyMount);
        Assert.Equal(StagingVolumeDb.SyncedEvent, r.SyncedEvent); // from the sync marker
        Assert.Equal(20, r.BuildsRepointed);
        Assert.Equal(new Dictionary<string, long> { ["BUILDING"] = 1, ["CANCELED"] = 1, ["DELETED"] = 1, ["FAILED"] = 1 }, r.BuildsSkippedByState);
        Assert.Equal(1, r.BuildsNewerThanSync);
        Assert.Equal(0, r.BuildsMissingOnVolume);
        Assert.Equal(3, r.ReposExpired);
        Assert.False(r.AlreadyDone);
        Assert.True(r.VolumeRegistered);
        Assert.Equal(_tree.ReadOnly, new FileInfo(Path.Combine(top, "vol", "prod")).LinkTarget); // vol/prod → -Path

        await using var conn = await StagingVolumeDb.OpenAsync(db);
        var byVolume = (await conn.QueryAsync<(int id, string vol)>("SELECT b.id, v.name FROM build b JOIN volume v ON v.id = b.volume_id")).ToDictionary(x => x.id, x => x.vol);
        foreach (var id in new[] { 2, 7, 12, 24, 25 }) Assert.Equal("DEFAULT", byVolume[id]);
        Assert.Equal(20, byVolume.Values.Count(v => v == "prod"));
        var repos = (await conn.QueryAsync<(int id, int state)>("SELECT id, state FROM repo")).ToDictionary(x => x.id, x => x.state);
        Assert.Equal(new Dictionary<int, int> { [1] = 2, [2] = 2, [3] = 2, [4] = 3, [5] = 1 }, repos);
        // TagsAffected counts the tags whose repos were expired (1, 2, 3), not the tags of the re-pointed builds.
        var expiredTags = await conn.ExecuteScalarAsync<int>("SELECT count(DISTINCT tag_id) FROM repo WHERE id IN (1, 2, 3)");
        Assert.True(expiredTags > 0);
        Assert.Equal(expiredTags, r.TagsAffected);
        var marker = (await StagingMarker.ReadAsync(conn, "volume")).Single();
        Assert.Equal(166, marker.EventId);
        Assert.Equal(20, marker.Details.GetProperty("buildsRepointed").GetInt32());
        Assert.Equal("prod", marker.Details.GetProperty("volume").GetString());
    }

    [Fact]
    public async Task The_confirmation_names_the_repos_and_tags_the_run_then_expires()
    {
        var db = await StagingVolumeDb.CreateAsync("vol_preview");
        await StagingVolumeDb.AddStatesAndReposAsync(db);
        string? asked = null;
        var r = (await Run(new SecondaryVolumeRequest(db, TopDir: _tree.NewStagingTopDir(), Path: _tree.ReadOnly), (_, action) => { asked = action; return true; }))!;

        Assert.NotNull(asked);
        Assert.Contains($"re-point {r.BuildsRepointed} COMPLETE builds", asked);
        Assert.Contains($"expire {r.ReposExpired} repos of {r.TagsAffected} tags", asked);
    }

    [Fact]
    public async Task A_second_run_changes_nothing_and_says_so()
    {
        var db = await StagingVolumeDb.CreateAsync("vol_idem");
        var top = _tree.NewStagingTopDir();
        var req = new SecondaryVolumeRequest(db, TopDir: top, Path: _tree.ReadOnly);
        var first = (await Run(req))!;
        Assert.Equal(23, first.BuildsRepointed);
        var before = await StagingVolumeDb.SnapshotAsync(db);

        var second = (await Run(req))!;

        Assert.True(second.AlreadyDone);
        Assert.Equal(0, second.BuildsRepointed);
        Assert.Equal(0, second.LinksCreated);
        Assert.Equal(first.VolumeId, second.VolumeId);
        Assert.Equal(before, await StagingVolumeDb.SnapshotAsync(db));
    }

    [Fact]
    public async Task WhatIf_changes_nothing()
    {
        var db = await StagingVolumeDb.CreateAsync("vol_whatif");
        var top = _tree.NewStagingTopDir();
        var before = await StagingVolumeDb.SnapshotAsync(db);
        string? asked = null;

        var r = await Run(new SecondaryVolumeRequest(db, TopDir: top, Path: _tree.ReadOnly), (_, action) => { asked = action; return false; });

        Assert.Null(r);
        Assert.Contains("re-point 23 COMPLETE builds", asked);
        Assert.Equal(before, await StagingVolumeDb.SnapshotAsync(db));
        Assert.False(Directory.Exists(Path.Combine(top, "vol")));
    }

    [Fact]
    public async Task A_writable_mount_is_refused_unless_allowed()
    {
        var db = await StagingVolumeDb.CreateAsync("vol_rw");
        var top = _tree.NewStagingTopDir();
        var before = await StagingVolumeDb.SnapshotAsync(db);

        var ex = await Assert.ThrowsAsync<StagingException>(() => Run(new SecondaryVolumeRequest(db, TopDir: top, Path: _tree.Writable)));
        Assert.Equal("VolumeMountWritable", ex.ErrorId);
        Assert.Equal(before, await StagingVolumeDb.SnapshotAsync(db));
        Assert.False(Directory.Exists(Path.Combine(top, "vol")));

        var allowed = (await Run(new SecondaryVolumeRequest(db, TopDir: top, Path: _tree.Writable, AllowWritable: true)))!;
        Assert.False(allowed.ReadOnlyMount);
        Assert.Equal(23, allowed.BuildsRepointed);
    }

    [Theory]
    [InlineData("missing", "VolumePathNotFound")]
    [InlineData("empty", "VolumeNotKojiTree")]
    [InlineData("foreign", "VolumeNotKojiTree")]
    [InlineData("badname", "VolumeNameInvalid")]
    [InlineData("DEFAULT", "VolumeNameInvalid")]
    [InlineData("unmarked", "TargetNotStaging")]
    public async Task Bad_input_gives_a_clear_error_and_no_change(string kind, string errorId)
    {
        var db = await StagingVolumeDb.CreateAsync("vol_bad", marked: kind != "unmarked");
        var top = _tree.NewStagingTopDir();
        var scratch = Directory.CreateTempSubdirectory("ks-volbad-").FullName;
        var path = kind switch
        {
            "missing" => Path.Combine(scratch, "nope"),
            "empty" => scratch,
            "foreign" => MakeForeignTree(scratch),
            _ => _tree.ReadOnly,
        };
        var name = kind switch { "badname" => "prod/../x", "DEFAULT" => "DEFAULT", _ => "prod" };
        var before = await StagingVolumeDb.SnapshotAsync(db);

        var ex = await Assert.ThrowsAsync<StagingException>(() => Run(new SecondaryVolumeRequest(db, Name: name, TopDir: top, Path: path, AllowWritable: true)));

        Assert.Equal(errorId, ex.ErrorId);
        Assert.False(string.IsNullOrWhiteSpace(ex.Message));
        Assert.Equal(before, await StagingVolumeDb.SnapshotAsync(db));
        Assert.False(Directory.Exists(Path.Combine(top, "vol")));
        Directory.Delete(scratch, true);
    }

    private static string MakeForeignTree(string dir)
    {
        Directory.CreateDirectory(Path.Combine(dir, "packages", "other", "1.0", "1"));
        return dir;
    }

    [Fact]
    public async Task Default_path_is_topdir_vol_name_and_a_conflicting_link_is_refused()
    {
        var db = await StagingVolumeDb.CreateAsync("vol_default");
        var top = _tree.NewStagingTopDir();
        _tree.BindReadOnly(_tree.Writable, Path.Combine(top, "vol", "prod"));

        var r = (await Run(new SecondaryVolumeRequest(db, TopDir: top)))!;
        Assert.Equal(Path.Combine(top, "vol", "prod"), r.Path);
        Assert.True(r.ReadOnlyMount);
        Assert.Equal(23, r.BuildsRepointed);

        var top2 = _tree.NewStagingTopDir();
        Directory.CreateDirectory(Path.Combine(top2, "vol"));
        File.CreateSymbolicLink(Path.Combine(top2, "vol", "prod"), "/nonexistent-elsewhere");
        var ex = await Assert.ThrowsAsync<StagingException>(() => Run(new SecondaryVolumeRequest(db, TopDir: top2, Path: _tree.ReadOnly)));
        Assert.Equal("VolumeDirConflict", ex.ErrorId);
    }

    [Fact]
    public async Task Compat_links_are_relative_and_resolve_to_the_files_on_the_volume()
    {
        var db = await StagingVolumeDb.CreateAsync("vol_links");
        var top = _tree.NewStagingTopDir();

        var r = (await Run(new SecondaryVolumeRequest(db, TopDir: top, Path: _tree.ReadOnly, CompatLinks: true)))!;

        Assert.Equal(23 + 1, r.LinksCreated); // 23 build links + vol/prod
        var link = Path.Combine(top, "packages", "hello", "2.12.1", "2.fc41");
        Assert.Equal("../../../vol/prod/packages/hello/2.12.1/2.fc41", new FileInfo(link).LinkTarget);
        Assert.True(File.Exists(Path.Combine(link, "x86_64", "hello-2.12.1-2.fc41.x86_64.rpm")));
        Assert.True(File.Exists(Path.Combine(link, "data", "signed", "26e76adc", "x86_64", "hello-2.12.1-2.fc41.x86_64.rpm")));
        Assert.False(Directory.Exists(Path.Combine(top, "packages", "google-noto-lab-fonts", "20240301"))); // DELETED build: no link
        Assert.False(File.Exists(Path.Combine(_tree.ReadOnly, "toplink"))); // read-only volume: toplink not written

        var again = (await Run(new SecondaryVolumeRequest(db, TopDir: top, Path: _tree.ReadOnly, CompatLinks: true)))!;
        Assert.True(again.AlreadyDone);
        Assert.Equal(0, again.LinksCreated);
    }

    [Fact]
    public async Task On_a_writable_volume_the_toplink_leads_back_to_the_topdir()
    {
        var db = await StagingVolumeDb.CreateAsync("vol_toplink");
        var top = _tree.NewStagingTopDir();
        var copy = Path.Combine(_tree.Root, "copy-" + Guid.NewGuid().ToString("N"));
        KojiStaging.TestServices.ProcessRunner.Run("cp", new[] { "-a", _tree.Writable, copy });

        var r = (await Run(new SecondaryVolumeRequest(db, TopDir: top, Path: copy, CompatLinks: true, AllowWritable: true)))!;

        Assert.Equal(23 + 2, r.LinksCreated);
        Assert.Equal(top, new FileInfo(Path.Combine(copy, "toplink")).LinkTarget);
        Assert.Equal(MountTable.RealPath(top), MountTable.RealPath(Path.Combine(top, "vol", "prod", "toplink")));
    }

    [Fact]
    public async Task An_explicit_synced_event_bounds_what_moves()
    {
        var db = await StagingVolumeDb.CreateAsync("vol_event");
        var top = _tree.NewStagingTopDir();
        await using var conn = await StagingVolumeDb.OpenAsync(db);
        var atOrBefore = await conn.ExecuteScalarAsync<long>("SELECT count(*) FROM build WHERE state = 1 AND create_event <= 100");

        var r = (await Run(new SecondaryVolumeRequest(db, SyncedEvent: 100, TopDir: top, Path: _tree.ReadOnly)))!;

        Assert.Equal(atOrBefore, r.BuildsRepointed);
        Assert.True(r.BuildsNewerThanSync > 0);
        Assert.Equal(0, await conn.ExecuteScalarAsync<long>("SELECT count(*) FROM build b JOIN volume v ON v.id = b.volume_id WHERE v.name = 'prod' AND b.create_event > 100"));
    }
}
