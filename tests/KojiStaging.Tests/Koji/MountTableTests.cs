using KojiStaging.Engine.Koji;
using KojiStaging.Tests.Infrastructure;

namespace KojiStaging.Tests.Koji;

public class MountTableTests : IClassFixture<ProdTreeMount>
{
    private readonly ProdTreeMount _tree;
    public MountTableTests(ProdTreeMount tree) => _tree = tree;

    [Fact]
    public void Parses_mountinfo_lines_with_escapes_and_both_option_sets()
    {
        var table = MountTable.Parse(new[]
        {
            "22 1 8:1 / / rw,relatime shared:1 - ext4 /dev/sda1 rw,errors=remount-ro",
            "40 22 0:45 /exports/koji /mnt/koji/vol/prod ro,nosuid master:7 - nfs4 nfs01:/koji rw,vers=4.2",
            "41 22 8:1 /srv/a\\040b /mnt/with\\040space rw - ext4 /dev/sda1 ro",
        });
        Assert.Equal(3, table.Entries.Count);
        var nfs = table.Entries[1];
        Assert.Equal("/mnt/koji/vol/prod", nfs.MountPoint);
        Assert.Equal("nfs4", nfs.FsType);
        Assert.Equal("nfs01:/koji", nfs.Source);
        Assert.True(nfs.ReadOnly);              // per-mount ro
        Assert.True(nfs.IsBindOfSubtree);
        Assert.Equal("/mnt/with space", table.Entries[2].MountPoint);
        Assert.Equal("/srv/a b", table.Entries[2].Root);
        Assert.True(table.Entries[2].ReadOnly); // super-block ro
        Assert.False(table.Entries[0].ReadOnly);
    }

    [Fact]
    public void Finds_the_read_only_bind_mount_holding_a_path_and_through_a_symlink()
    {
        var table = MountTable.Read();
        var inside = Path.Combine(_tree.ReadOnly, "packages", "hello");
        var m = table.Find(inside)!;
        Assert.Equal(_tree.ReadOnly, m.MountPoint);
        Assert.True(m.ReadOnly);
        Assert.True(table.IsMountPoint(_tree.ReadOnly));

        var writable = table.Find(Path.Combine(_tree.Writable, "packages"))!;
        Assert.False(writable.ReadOnly);

        var link = Path.Combine(_tree.Root, "link-to-ro");
        if (!File.Exists(link) && !Directory.Exists(link)) File.CreateSymbolicLink(link, _tree.ReadOnly);
        Assert.True(table.Find(Path.Combine(link, "packages"))!.ReadOnly);
        Assert.Equal(Path.Combine(_tree.ReadOnly, "packages"), MountTable.RealPath(Path.Combine(link, "packages")));
    }
}
