using System.Diagnostics;
using KojiStaging.Engine.Files;
using KojiStaging.Engine.Operations.Health;

namespace KojiStaging.Tests.Operations;

/// <summary>The compose hardlink probe answers without changing anything outside the compose area.</summary>
public class HardlinkProbeTests
{
    [Fact]
    public void Different_mounts_answer_EXDEV_from_the_mount_table_without_a_link()
    {
        var dir = Directory.CreateTempSubdirectory("ks-probe-").FullName;
        try
        {
            // /proc is its own mount everywhere: no link is attempted, nothing is created in dir.
            Assert.Equal(HardlinkProbe.EXDEV, HardlinkProbe.Try("/proc/self/status", dir, MountTable.Read()));
            Assert.Empty(Directory.EnumerateFileSystemEntries(dir));
        }
        finally { Directory.Delete(dir, true); }
    }

    [Fact]
    public void On_one_mount_it_links_its_own_file_leaves_the_source_alone_and_cleans_up()
    {
        var dir = Directory.CreateTempSubdirectory("ks-probe-").FullName;
        try
        {
            var source = Path.Combine(dir, "volume.rpm");
            File.WriteAllText(source, "rpm");
            var compose = Directory.CreateDirectory(Path.Combine(dir, "compose")).FullName;
            Assert.Equal(0, HardlinkProbe.Try(source, compose, MountTable.Read()));
            Assert.Equal("1", Run("stat", "-c", "%h", source));   // the volume's file got no second name
            Assert.Empty(Directory.EnumerateFileSystemEntries(compose));
        }
        finally { Directory.Delete(dir, true); }
    }

    [Fact]
    public void On_an_overlay_the_volume_file_is_not_copied_up()
    {
        var dir = Directory.CreateTempSubdirectory("ks-probe-").FullName;
        var merged = Path.Combine(dir, "merged");
        foreach (var d in new[] { "lower/packages", "upper", "work", "merged" }) Directory.CreateDirectory(Path.Combine(dir, d));
        File.WriteAllText(Path.Combine(dir, "lower/packages/hello.rpm"), "prod rpm");
        if (Run("id", "-u") != "0")
        {
            // Without root there is no overlay to mount; the lower file stays untouched by a probe from it all the same.
            Assert.Equal(0, HardlinkProbe.Try(Path.Combine(dir, "lower/packages/hello.rpm"), Path.Combine(dir, "upper"), MountTable.Read()));
            Assert.Equal("1", Run("stat", "-c", "%h", Path.Combine(dir, "lower/packages/hello.rpm")));
            Directory.Delete(dir, true);
            return;
        }
        Run("mount", "-t", "overlay", "overlay", "-o", $"lowerdir={dir}/lower,upperdir={dir}/upper,workdir={dir}/work", merged);
        try
        {
            var compose = Directory.CreateDirectory(Path.Combine(merged, "compose")).FullName;
            Assert.Equal(0, HardlinkProbe.Try(Path.Combine(merged, "packages/hello.rpm"), compose, MountTable.Read()));
            // Only the compose directory reached the upper layer: packages/hello.rpm was not copied up.
            Assert.Equal(new[] { Path.Combine(dir, "upper", "compose") }, Directory.EnumerateFileSystemEntries(Path.Combine(dir, "upper")).ToArray());
            Assert.Empty(Directory.EnumerateFileSystemEntries(Path.Combine(dir, "upper", "compose")));
        }
        finally
        {
            Run("umount", merged);
            Directory.Delete(dir, true);
        }
    }

    private static string Run(string file, params string[] args)
    {
        var psi = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in args) psi.ArgumentList.Add(a);
        using var p = Process.Start(psi)!;
        var output = p.StandardOutput.ReadToEnd().Trim();
        p.WaitForExit();
        Assert.True(p.ExitCode == 0, $"{file} {string.Join(' ', args)}: {p.StandardError.ReadToEnd()}");
        return output;
    }
}
