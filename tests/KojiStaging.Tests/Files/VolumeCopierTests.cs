using KojiStaging.Engine.Diagnostics;
using KojiStaging.Engine.Files;
using KojiStaging.TestServices;

namespace KojiStaging.Tests.Files;

public class VolumeCopierTests
{
    /// <summary>A small Koji-like tree with every kind of entry the mirror must keep.</summary>
    private static void BuildTree(TreeFixture t)
    {
        var build = "packages/hello/2.12/1.fc41";
        t.WriteFile($"{build}/x86_64/hello-2.12-1.fc41.x86_64.rpm", 70_000, 1, "644", "@1600000000.123456789");
        t.WriteFile($"{build}/src/hello-2.12-1.fc41.src.rpm", 2_500_000, 2, "644");
        t.WriteFile($"{build}/data/logs/x86_64/build.log", 1234, 3, "600", "@1500000000.5");
        t.WriteFile($"{build}/data/logs/x86_64/empty.log", 0, 4, "640");
        t.WriteFile("scripts/run.sh", 99, 5, "755");
        // hardlink group of three across directories (signed copy and a repo link)
        TreeFixture.Run("mkdir", "-p", t.Src($"{build}/data/signed/26e76adc/x86_64"), t.Src("repos/f41/x86_64"));
        TreeFixture.Run("ln", t.Src($"{build}/x86_64/hello-2.12-1.fc41.x86_64.rpm"), t.Src($"{build}/data/signed/26e76adc/x86_64/hello-2.12-1.fc41.x86_64.rpm"));
        TreeFixture.Run("ln", t.Src($"{build}/x86_64/hello-2.12-1.fc41.x86_64.rpm"), t.Src("repos/f41/x86_64/hello.rpm"));
        // symlinks: relative, absolute, dangling, to a directory
        TreeFixture.Run("ln", "-s", "../../packages/hello/2.12/1.fc41/src/hello-2.12-1.fc41.src.rpm", t.Src("repos/f41/hello.src.rpm"));
        TreeFixture.Run("ln", "-s", "/mnt/koji/packages", t.Src("repos/absolute"));
        TreeFixture.Run("ln", "-s", "does/not/exist", t.Src("repos/dangling"));
        TreeFixture.Run("ln", "-s", "f41", t.Src("repos/latest"));
        TreeFixture.Run("touch", "-h", "-d", "@1400000000.25", t.Src("repos/dangling"));
        Directory.CreateDirectory(t.Src("work/empty"));
        TreeFixture.Run("chmod", "750", t.Src("work"));
        TreeFixture.Run("chmod", "555", t.Src("scripts"));
        TreeFixture.Run("chown", "-h", "nobody:nogroup", t.Src("scripts/run.sh"));
        TreeFixture.Run("touch", "-d", "@1300000000.75", t.Src("work/empty"), t.Src("work"), t.Src("packages/hello"));
    }

    [Fact]
    public void Mirrors_files_modes_mtimes_owners_symlinks_and_hardlink_groups_exactly()
    {
        using var t = new TreeFixture();
        BuildTree(t);
        var s = t.Copy();

        TreeFixture.AssertSameTree(t.Source, t.Destination);
        Assert.Equal(5, s.FilesCopied);
        Assert.Equal(2, s.FilesLinked);
        Assert.Equal(4, s.SymlinksCreated);
        Assert.Equal(0, s.Errors);
        Assert.Equal(70_000 + 2_500_000 + 1234 + 99, s.Bytes);
        var rpm = TreeFixture.Inode(t.Dst("packages/hello/2.12/1.fc41/x86_64/hello-2.12-1.fc41.x86_64.rpm"));
        Assert.Equal(3u, rpm.Nlink);
        Assert.Equal(rpm.Ino, TreeFixture.Inode(t.Dst("packages/hello/2.12/1.fc41/data/signed/26e76adc/x86_64/hello-2.12-1.fc41.x86_64.rpm")).Ino);
        Assert.Equal(rpm.Ino, TreeFixture.Inode(t.Dst("repos/f41/x86_64/hello.rpm")).Ino);
        Assert.Equal("/mnt/koji/packages", new FileInfo(t.Dst("repos/absolute")).LinkTarget);
        Assert.Equal("does/not/exist", new FileInfo(t.Dst("repos/dangling")).LinkTarget);
        Assert.Equal("1600000000.1234567890", ProcessRunner.Run("find", new[] { t.Dst("packages/hello/2.12/1.fc41/x86_64"), "-type", "f", "-printf", "%T@" }));
        Assert.Empty(TreeFixture.TempFiles(t.Destination));
        Assert.True(VolumeMarker.IsMarked(t.Destination));
    }

    [Fact]
    public void A_rerun_copies_nothing_and_touching_one_file_copies_just_that_file()
    {
        using var t = new TreeFixture();
        BuildTree(t);
        t.Copy();
        var before = TreeFixture.Snapshot(t.Destination, withInodes: true);

        var again = t.Copy();
        Assert.Equal((0, 0, 0, 0L), (again.FilesCopied, again.FilesLinked, again.SymlinksCreated, again.Bytes));
        Assert.Equal(5 + 2 + 4, again.FilesSkipped);
        Assert.Equal(before, TreeFixture.Snapshot(t.Destination, withInodes: true)); // not even an inode changed
        Assert.Empty(t.OpenHandles()); // every directory handle of the walk was closed

        TreeFixture.Run("touch", "-d", "@1700000000", t.Src("packages/hello/2.12/1.fc41/data/logs/x86_64/build.log"));
        File.AppendAllText(t.Src("scripts/new.txt"), "new file");
        TreeFixture.Run("ln", t.Src("repos/f41/x86_64/hello.rpm"), t.Src("repos/f41/x86_64/hello-again.rpm"));
        // a symlink pointed elsewhere with its old mtime: only its target tells
        TreeFixture.Run("ln", "-sfn", "f42", t.Src("repos/latest"));
        TreeFixture.Run("touch", "-h", "-r", t.Dst("repos/latest"), t.Src("repos/latest"));
        var groupIno = TreeFixture.Inode(t.Dst("repos/f41/x86_64/hello.rpm")).Ino;
        var third = t.Copy();
        Assert.Equal(1, third.SymlinksCreated);
        Assert.Equal(2, third.FilesCopied);
        Assert.Equal(1234 + 8, third.Bytes);
        Assert.Equal(1, third.FilesLinked);
        TreeFixture.AssertSameTree(t.Source, t.Destination);
        Assert.Equal((groupIno, 4u), TreeFixture.Inode(t.Dst("repos/f41/x86_64/hello-again.rpm"))); // linked, not copied again
    }

    [Fact]
    public void Delete_removes_what_vanished_from_the_source_only_when_asked()
    {
        using var t = new TreeFixture();
        BuildTree(t);
        t.Copy();
        File.Delete(t.Src("scripts/run.sh"));
        Directory.Delete(t.Src("packages/hello/2.12/1.fc41/data/logs"), true);
        File.Delete(t.Src("repos/dangling"));

        var keep = t.Copy();
        Assert.Equal(0, keep.FilesDeleted);
        Assert.True(File.Exists(t.Dst("scripts/run.sh")));
        Assert.True(Directory.Exists(t.Dst("packages/hello/2.12/1.fc41/data/logs/x86_64")));

        var plan = t.Copy(delete: true, whatIf: true);
        Assert.Equal(4, plan.FilesDeleted);
        Assert.True(File.Exists(t.Dst("scripts/run.sh")));

        var gone = t.Copy(delete: true);
        Assert.Equal(4, gone.FilesDeleted); // run.sh, build.log, empty.log, dangling
        Assert.Equal(2, gone.DirectoriesDeleted);
        TreeFixture.AssertSameTree(t.Source, t.Destination);
        Assert.True(VolumeMarker.IsMarked(t.Destination));
    }

    [Fact]
    public void WhatIf_counts_files_bytes_links_and_changes_nothing()
    {
        using var t = new TreeFixture();
        BuildTree(t);
        var plan = t.Copy(whatIf: true);
        Assert.True(plan.WhatIf);
        Assert.Equal((5L, 2L, 4L), (plan.FilesCopied, plan.FilesLinked, plan.SymlinksCreated));
        Assert.Equal(70_000 + 2_500_000 + 1234 + 99, plan.Bytes);
        Assert.False(Directory.Exists(t.Destination));
    }

    [Fact]
    public void An_interrupted_copy_leaves_no_partial_file_and_a_rerun_completes_it()
    {
        using var t = new TreeFixture();
        for (var i = 0; i < 150; i++) t.WriteFile($"packages/big/1/1/x86_64/f{i:000}.rpm", 1 << 20, i);
        using var cts = new CancellationTokenSource();
        var run = Task.Run(() => t.Copy(threads: 1, ct: cts.Token));
        var target = t.Dst("packages/big/1/1/x86_64");
        while (!run.IsCompleted && !(Directory.Exists(target) && Directory.EnumerateFiles(target, "f*").Any())) Thread.Sleep(1);
        cts.Cancel();
        Assert.ThrowsAny<OperationCanceledException>(() => run.GetAwaiter().GetResult());

        var done = Directory.EnumerateFiles(target, "f*").ToList();
        Assert.InRange(done.Count, 1, 149);
        foreach (var f in done) Assert.Equal(File.ReadAllBytes(t.Src($"packages/big/1/1/x86_64/{Path.GetFileName(f)}")), File.ReadAllBytes(f));
        Assert.Empty(TreeFixture.TempFiles(t.Destination));
        Assert.Empty(t.OpenHandles());

        File.WriteAllText(Path.Combine(target, ".f149.rpm" + CopyPlanner.TempSuffix), "leftover of a killed run");
        var rerun = t.Copy();
        Assert.Equal(150 - done.Count, rerun.FilesCopied);
        Assert.Equal(1, rerun.TempFilesRemoved);
        TreeFixture.AssertSameTree(t.Source, t.Destination);
        Assert.Empty(TreeFixture.TempFiles(t.Destination));
    }

    [Fact]
    public void Verify_finds_and_repairs_a_corrupted_file_the_quick_check_misses()
    {
        using var t = new TreeFixture();
        BuildTree(t);
        t.Copy();
        var victim = t.Dst("packages/hello/2.12/1.fc41/src/hello-2.12-1.fc41.src.rpm");
        var mtime = ProcessRunner.Run("stat", new[] { "-c", "%y", victim }).Trim();
        using (var f = new FileStream(victim, FileMode.Open, FileAccess.Write)) { f.Position = 1000; f.WriteByte(0xFF); f.WriteByte(0x00); }
        TreeFixture.Run("touch", "-d", mtime, victim);

        Assert.Equal(0, t.Copy().FilesCopied); // same size and mtime: the quick check cannot see it
        var verified = t.Copy(verify: true);
        Assert.Equal(1, verified.VerifyMismatches);
        Assert.Equal(1, verified.FilesCopied);
        Assert.Equal(5, verified.FilesVerified);
        TreeFixture.AssertSameTree(t.Source, t.Destination);
        Assert.Equal(0, t.Copy(verify: true).VerifyMismatches);
    }

    [Fact]
    public void Copies_from_a_read_only_bind_mount_and_leaves_the_source_unchanged()
    {
        using var t = new TreeFixture();
        BuildTree(t);
        var ro = Path.Combine(t.Root, "ro");
        Directory.CreateDirectory(ro);
        TreeFixture.Run("mount", "--bind", t.Source, ro);
        try
        {
            TreeFixture.Run("mount", "-o", "remount,bind,ro", ro);
            Assert.Throws<IOException>(() => File.WriteAllText(Path.Combine(ro, "probe"), "x"));
            var before = TreeFixture.Snapshot(ro, withInodes: true);
            var s = t.Copy(source: ro, verify: true);
            Assert.Equal(0, s.Errors);
            TreeFixture.AssertSameTree(ro, t.Destination);
            Assert.Equal(before, TreeFixture.Snapshot(ro, withInodes: true));
        }
        finally { TreeFixture.Run("umount", ro); }
    }

    [Fact]
    public void Mirrors_the_fixture_topdir_exactly_and_limits_to_included_subtrees()
    {
        using var t = new TreeFixture();
        var top = Fixtures.ExtractTopDir(t.Source);
        var s = t.Copy(source: top);
        Assert.Equal(0, s.Errors);
        Assert.True(s.FilesCopied > 100);
        TreeFixture.AssertSameTree(top, t.Destination);

        using var part = new TreeFixture();
        var first = Directory.GetDirectories(Path.Combine(top, "packages")).Order().First();
        var name = Path.GetFileName(first);
        var sub = part.Copy(source: top, include: new[] { $"packages/{name}", "work" });
        Assert.True(sub.FilesCopied > 0);
        Assert.Equal(new[] { "packages", "work" }, Directory.GetDirectories(part.Destination).Select(Path.GetFileName).Order());
        Assert.Equal(new[] { name }, Directory.GetDirectories(part.Dst("packages")).Select(Path.GetFileName));
        TreeFixture.AssertSameTree(first, part.Dst($"packages/{name}"));
    }

    [Fact]
    public void Bad_input_gives_stable_error_ids()
    {
        using var t = new TreeFixture();
        BuildTree(t);
        string Id(Action a) => Assert.Throws<StagingException>(a).ErrorId;
        Assert.Equal("SourceNotFound", Id(() => t.Copy(source: Path.Combine(t.Root, "missing"))));
        Assert.Equal("DestinationInsideSource", Id(() => new VolumeCopier().Run(new VolumeCopyOptions { Source = t.Source, Destination = t.Src("packages/copy") }, EngineScope.Silent())));
        Assert.Equal("SourceInsideDestination", Id(() => new VolumeCopier().Run(new VolumeCopyOptions { Source = t.Source, Destination = t.Root }, EngineScope.Silent())));
        Assert.Equal("IncludeOutsideSource", Id(() => t.Copy(include: new[] { "../etc" })));
        Directory.CreateDirectory(t.Destination);
        File.WriteAllText(t.Dst("precious.txt"), "not a staging tree");
        Assert.Equal("DestinationNotStaging", Id(() => t.Copy()));
        Assert.Equal(0, t.Copy(force: true).Errors);
        Assert.True(VolumeMarker.IsMarked(t.Destination));
    }

    [Fact]
    public void No_space_left_stops_the_run_with_DestinationFull_and_leaves_no_temp_file()
    {
        using var t = new TreeFixture();
        for (var i = 0; i < 4; i++) t.WriteFile($"packages/p/1/1/noarch/f{i}.rpm", 700_000, i);
        Directory.CreateDirectory(t.Destination);
        TreeFixture.Run("mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", t.Destination);
        try
        {
            var ex = Assert.Throws<StagingException>(() => t.Copy(threads: 2));
            Assert.Equal("DestinationFull", ex.ErrorId);
            Assert.Equal(StagingErrorCategory.LimitsExceeded, ex.Category);
            Assert.Empty(TreeFixture.TempFiles(t.Destination));
            // the destination existed (an empty mount point): what the run added is taken away again, and said so
            Assert.Empty(Directory.EnumerateFiles(t.Destination, "*.rpm", SearchOption.AllDirectories));
            Assert.False(Directory.Exists(t.Dst("packages")));
            Assert.Contains("Removed what this run had added", ex.Message);
        }
        finally { TreeFixture.Run("umount", t.Destination); }
    }

    [Fact]
    public void No_space_left_in_a_destination_the_run_made_removes_all_of_it()
    {
        using var t = new TreeFixture();
        for (var i = 0; i < 4; i++) t.WriteFile($"packages/p/1/1/noarch/f{i}.rpm", 700_000, i);
        var fs = Path.Combine(t.Root, "small");
        Directory.CreateDirectory(fs);
        TreeFixture.Run("mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", fs);
        try
        {
            var ex = Assert.Throws<StagingException>(() => new VolumeCopier().Run(new VolumeCopyOptions
            {
                Source = t.Source, Destination = Path.Combine(fs, "koji"), ThrottleLimit = 2,
            }, EngineScope.Silent()));
            Assert.Equal("DestinationFull", ex.ErrorId);
            Assert.Contains("was made by this run and has been removed: nothing is left.", ex.Message);
            Assert.Empty(Directory.EnumerateFileSystemEntries(fs));
        }
        finally { TreeFixture.Run("umount", fs); }
    }

    [Fact]
    public void One_file_that_cannot_be_written_is_a_non_terminating_error_and_the_rest_is_copied()
    {
        using var t = new TreeFixture();
        BuildTree(t);
        t.Copy();
        var stuck = t.Dst("scripts/run.sh");
        TreeFixture.Run("chattr", "+i", stuck);
        try
        {
            TreeFixture.Run("touch", t.Src("scripts/run.sh"), t.Src("packages/hello/2.12/1.fc41/data/logs/x86_64/build.log"));
            var errors = new List<StagingException>();
            var s = t.Copy(errors: errors);
            Assert.Equal(1, s.Errors);
            Assert.Equal("DestinationWriteDenied", Assert.Single(errors).ErrorId);
            Assert.Equal(1, s.FilesCopied);
            Assert.Equal(File.GetLastWriteTimeUtc(t.Src("packages/hello/2.12/1.fc41/data/logs/x86_64/build.log")),
                File.GetLastWriteTimeUtc(t.Dst("packages/hello/2.12/1.fc41/data/logs/x86_64/build.log")));
            Assert.Empty(TreeFixture.TempFiles(t.Destination));
        }
        finally { TreeFixture.Run("chattr", "-i", stuck); }
    }
}

public class VolumeCopierHardlinkTests
{
    [Fact]
    public void Hardlink_groups_spread_over_many_directories_keep_one_inode_each_with_many_workers()
    {
        using var t = new TreeFixture();
        for (var g = 0; g < 120; g++)
        {
            var first = t.WriteFile($"packages/p{g % 7}/1/{g}/x86_64/p-{g}.rpm", 1000 + g, g);
            foreach (var other in new[] { $"packages/p{g % 7}/1/{g}/data/signed/k/x86_64/p-{g}.rpm", $"repos/r{g % 11}/p-{g}.rpm" })
            {
                Directory.CreateDirectory(Path.GetDirectoryName(t.Src(other))!);
                TreeFixture.Run("ln", first, t.Src(other));
            }
        }
        var s = t.Copy(threads: 8);
        Assert.Equal((120L, 240L, 0L), (s.FilesCopied, s.FilesLinked, s.Errors));
        TreeFixture.AssertSameTree(t.Source, t.Destination);
        for (var g = 0; g < 120; g += 17)
        {
            var a = TreeFixture.Inode(t.Dst($"packages/p{g % 7}/1/{g}/x86_64/p-{g}.rpm"));
            Assert.Equal((a.Ino, 3u), TreeFixture.Inode(t.Dst($"repos/r{g % 11}/p-{g}.rpm")));
        }

        // a destination made without -H (every name its own inode) is relinked, not copied again
        using var plain = new TreeFixture();
        TreeFixture.Run("cp", "-a", "--no-preserve=links", t.Source, plain.Destination);
        var relinked = plain.Copy(source: t.Source, force: true);
        Assert.Equal((0L, 240L), (relinked.FilesCopied, relinked.FilesLinked));
        TreeFixture.AssertSameTree(t.Source, plain.Destination);
    }
}
