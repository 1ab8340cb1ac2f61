using KojiStaging.Engine.Diagnostics;
using KojiStaging.Engine.Files;
using KojiStaging.TestServices;

namespace KojiStaging.Tests.Files;

/// <summary>
/// A destination directory that still has the source's mtime is not read again: its entries are looked up by
/// the source's names through the nearest open ancestor. These tests pin down what that may and may not miss.
/// </summary>
public class SettledDirectoryTests
{
    private const string Logs = "packages/hello/2.12/1.fc41/data/logs";

    private static void BuildTree(TreeFixture t)
    {
        t.WriteFile("packages/hello/2.12/1.fc41/x86_64/hello-2.12-1.fc41.x86_64.rpm", 5000, 1);
        t.WriteFile($"{Logs}/x86_64/build.log", 300, 2);
        t.WriteFile($"{Logs}/x86_64/root.log", 200, 3, "644");
        TreeFixture.Run("ln", "-s", "x86_64", t.Src($"{Logs}/latest"));
    }

    /// <summary>A tree copied once with -Delete, so its directories have the source's mtimes.</summary>
    private static TreeFixture Mirrored()
    {
        var t = new TreeFixture();
        BuildTree(t);
        t.Copy(delete: true);
        return t;
    }

    /// <summary>Puts a file the source does not have into the staging tree; optionally sets its directory's mtime back.</summary>
    private static string AddStray(TreeFixture t, bool resetDirectoryMtime)
    {
        var stray = t.Dst($"{Logs}/x86_64/stray.log");
        File.WriteAllText(stray, "not from production");
        if (resetDirectoryMtime) TreeFixture.Run("touch", "-r", t.Src($"{Logs}/x86_64"), t.Dst($"{Logs}/x86_64"));
        return stray;
    }

    [Fact]
    public void A_rerun_finds_what_changed_inside_directories_it_does_not_read_again()
    {
        using var t = Mirrored();
        // none of these moves a directory's mtime
        TreeFixture.Run("truncate", "-s", "10", t.Dst($"{Logs}/x86_64/build.log"));
        TreeFixture.Run("chmod", "600", t.Dst($"{Logs}/x86_64/root.log"));
        TreeFixture.Run("ln", "-sfn", "elsewhere", t.Dst($"{Logs}/latest"));
        TreeFixture.Run("touch", "-h", "-r", t.Src($"{Logs}/latest"), t.Dst($"{Logs}/latest"));
        TreeFixture.Run("touch", "-r", t.Src(Logs), t.Dst(Logs));

        var s = t.Copy(delete: true);

        // a lookup through the wrong path would find nothing and copy the other two files as well
        Assert.Equal((1L, 1L, 1L, 0L), (s.FilesCopied, s.SymlinksCreated, s.AttributesUpdated, s.Errors));
        TreeFixture.AssertSameTree(t.Source, t.Destination);
        Assert.Empty(t.OpenHandles());
    }

    [Fact]
    public void A_stray_file_moves_its_directory_mtime_and_is_deleted()
    {
        using var t = Mirrored();
        AddStray(t, resetDirectoryMtime: false);

        Assert.Equal(1, t.Copy(delete: true).FilesDeleted);
        TreeFixture.AssertSameTree(t.Source, t.Destination);
    }

    [Fact]
    public void A_stray_file_behind_a_reset_directory_mtime_is_found_only_with_Verify()
    {
        using var t = Mirrored();
        var stray = AddStray(t, resetDirectoryMtime: true);

        Assert.Equal(0, t.Copy(delete: true).FilesDeleted); // the directory was not read
        Assert.True(File.Exists(stray));
        Assert.Equal(1, t.Copy(delete: true, verify: true).FilesDeleted);
        TreeFixture.AssertSameTree(t.Source, t.Destination);
    }

    [Fact]
    public void What_a_run_did_not_delete_is_deleted_by_the_next_run_with_Delete()
    {
        using var t = Mirrored();
        File.Delete(t.Src($"{Logs}/x86_64/root.log"));
        File.Delete(t.Src($"{Logs}/x86_64/build.log"));
        var stuck = t.Dst($"{Logs}/x86_64/root.log");
        TreeFixture.Run("chattr", "+i", stuck);
        try
        {
            var errors = new List<StagingException>();
            var failed = t.Copy(delete: true, errors: errors);
            Assert.Equal((1L, 1L), (failed.FilesDeleted, failed.Errors));
        }
        finally { TreeFixture.Run("chattr", "-i", stuck); }
        Assert.Equal(0, t.Copy().FilesDeleted); // without -Delete the extra stays, and so does the directory's own mtime

        var again = t.Copy(delete: true);

        Assert.Equal(1, again.FilesDeleted);
        TreeFixture.AssertSameTree(t.Source, t.Destination);
    }

    [Fact]
    public void A_tree_another_tool_copied_is_read_in_full_once()
    {
        using var t = new TreeFixture();
        BuildTree(t);
        TreeFixture.Run("cp", "-a", t.Source, t.Destination);
        // what cp -a or rsync -a (without --delete) leave: an extra file, and the source's mtime on its directory
        AddStray(t, resetDirectoryMtime: true);

        var first = t.Copy(delete: true, force: true);

        Assert.Equal(1, first.FilesDeleted);
        TreeFixture.AssertSameTree(t.Source, t.Destination);
        Assert.Equal(new[] { "" }, VolumeMarker.SettledSubtrees(t.Destination));
    }

    [Fact]
    public void Only_the_included_subtrees_of_a_completed_run_are_recorded()
    {
        using var t = new TreeFixture();
        BuildTree(t);
        t.WriteFile("repos/f41/repomd.xml", 100, 9);
        Assert.Empty(VolumeMarker.SettledSubtrees(t.Destination));

        t.Copy(include: new[] { "packages/hello", "repos" }, whatIf: true);
        Assert.Empty(VolumeMarker.SettledSubtrees(t.Destination));
        t.Copy(include: new[] { "packages/hello", "repos" });
        Assert.Equal(new[] { "packages/hello", "repos" }, VolumeMarker.SettledSubtrees(t.Destination));
        Assert.True(VolumeMarker.IsSettled(VolumeMarker.SettledSubtrees(t.Destination), "packages/hello/2.12"));
        Assert.False(VolumeMarker.IsSettled(VolumeMarker.SettledSubtrees(t.Destination), "packages/hello2"));

        t.Copy();
        Assert.Equal(new[] { "" }, VolumeMarker.SettledSubtrees(t.Destination));
        Assert.Empty(TreeFixture.TempFiles(t.Destination));
        var marker = File.ReadAllText(t.Dst(VolumeMarker.FileName));
        Assert.Contains("\"kind\":\"volume\"", marker);
        Assert.Contains("+00:00", marker); // the first run's timestamp, kept as written
    }

    [Fact]
    public void An_interrupted_run_records_nothing()
    {
        using var t = new TreeFixture();
        for (var i = 0; i < 200; i++) t.WriteFile($"packages/p{i}/1/1/x86_64/p{i}.rpm", 20_000, i);
        using var cts = new CancellationTokenSource();
        cts.Cancel();
        Assert.ThrowsAny<OperationCanceledException>(() => t.Copy(ct: cts.Token));
        Assert.True(VolumeMarker.IsMarked(t.Destination));
        Assert.Empty(VolumeMarker.SettledSubtrees(t.Destination));
    }

    [Fact]
    public void A_marker_that_cannot_be_read_means_reading_every_directory_not_a_failed_run()
    {
        using var t = Mirrored();
        File.WriteAllText(t.Dst(VolumeMarker.FileName), "written by hand, not JSON\n");
        AddStray(t, resetDirectoryMtime: true);

        var s = t.Copy(delete: true);

        Assert.Equal((1L, 0L), (s.FilesDeleted, s.Errors)); // nothing recorded that can be read: every directory is read
        Assert.Empty(VolumeMarker.SettledSubtrees(t.Destination));
        Assert.Equal("written by hand, not JSON\n", File.ReadAllText(t.Dst(VolumeMarker.FileName)));
        TreeFixture.AssertSameTree(t.Source, t.Destination);
    }
}
