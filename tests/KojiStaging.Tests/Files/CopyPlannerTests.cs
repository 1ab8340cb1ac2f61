using KojiStaging.Engine.Files;

namespace KojiStaging.Tests.Files;

public class CopyPlannerTests
{
    private static FsEntry File(long size = 10, long mtime = 100, uint nsec = 5, uint mode = 0x1A4, uint nlink = 1, ulong ino = 1) =>
        new("f", EntryKind.File, mode, 0, 0, nlink, 1, ino, size, mtime, nsec);

    [Fact]
    public void The_quick_check_compares_size_and_nanosecond_mtime_only()
    {
        Assert.Equal(FileAction.Copy, CopyPlanner.Decide(File(), null, false));
        Assert.Equal(FileAction.Skip, CopyPlanner.Decide(File(), File(ino: 99), false));
        Assert.Equal(FileAction.Copy, CopyPlanner.Decide(File(), File(size: 11), false));
        Assert.Equal(FileAction.Copy, CopyPlanner.Decide(File(), File(nsec: 6), false));
        Assert.Equal(FileAction.FixAttributes, CopyPlanner.Decide(File(), File(mode: 0x180), false));
        // the source split a hardlink the destination still has
        Assert.Equal(FileAction.Copy, CopyPlanner.Decide(File(), File(nlink: 2), false));
        var dir = new FsEntry("f", EntryKind.Directory, 0x1ED, 0, 0, 2, 1, 5, 4096, 1, 0);
        Assert.Equal(FileAction.ReplaceDirectory, CopyPlanner.Decide(File(), dir, false));
        var link = new FsEntry("f", EntryKind.Symlink, 0x1FF, 0, 0, 1, 1, 6, 3, 100, 5);
        Assert.Equal(FileAction.Copy, CopyPlanner.Decide(File(), link, false));
        Assert.Equal(FileAction.Skip, CopyPlanner.Decide(link, link with { Ino = 7 }, false));
        Assert.Equal(FileAction.FixAttributes, CopyPlanner.Decide(link, link with { MtimeSec = 1 }, false));
        Assert.Equal(FileAction.FixAttributes, CopyPlanner.Decide(File(), File() with { Uid = 48 }, compareOwner: true));
    }

    [Fact]
    public void Temporary_names_stay_in_the_directory_and_within_NAME_MAX()
    {
        Assert.Equal("/d/x/.a.rpm.kojistaging-tmp", CopyPlanner.TempPath("/d/x/a.rpm"));
        var longName = new string('n', 250);
        var temp = CopyPlanner.TempPath($"/d/{longName}");
        Assert.StartsWith("/d/.", temp);
        Assert.True(Path.GetFileName(temp).Length <= 255);
        Assert.True(CopyPlanner.IsTempName(System.Text.Encoding.UTF8.GetBytes(Path.GetFileName(temp))));
        Assert.False(CopyPlanner.IsTempName("a.rpm.kojistaging-tm"u8));
    }
}
