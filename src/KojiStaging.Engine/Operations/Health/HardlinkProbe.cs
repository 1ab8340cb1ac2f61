using System.Runtime.InteropServices;
using KojiStaging.Engine.Files;

namespace KojiStaging.Engine.Operations.Health;

/// <summary>
/// Whether link(2) from a volume file into a directory works, found without changing anything outside that
/// directory. link(2) never crosses mounts, so two different mounts answer EXDEV from the mount table alone.
/// On one mount the probe links a file of its own inside the directory (and removes both names): it never links
/// the volume's file, which on overlayfs would copy that file up into the upper layer.
/// </summary>
public static class HardlinkProbe
{
    public const int EPERM = 1, ENOENT = 2, EACCES = 13, EEXIST = 17, EXDEV = 18, EROFS = 30, EMLINK = 31;
    private const int O_WRONLY = 1, O_CREAT = 0x40, O_EXCL = 0x80;

    /// <returns>0 when a link would work, else the errno.</returns>
    public static int Try(string source, string directory, MountTable mounts)
    {
        var from = mounts.Find(source);
        var to = mounts.Find(directory);
        if (from is not null && to is not null && from.MountId != to.MountId) return EXDEV;

        var probe = Path.Combine(directory, $".kojistaging-linkprobe-{Environment.ProcessId}-{Guid.NewGuid():N}");
        var fd = open(probe, O_WRONLY | O_CREAT | O_EXCL, Convert.ToInt32("600", 8));
        if (fd < 0) return Marshal.GetLastPInvokeError();
        close(fd);
        try
        {
            if (link(probe, probe + ".link") != 0) return Marshal.GetLastPInvokeError();
            File.Delete(probe + ".link");
            return 0;
        }
        finally { File.Delete(probe); }
    }

    public static string Describe(int errno) => errno switch
    {
        EXDEV => "EXDEV (different mount or file system)",
        EROFS => "EROFS (the compose area is read-only)",
        EACCES => "EACCES (permission denied)",
        EPERM => "EPERM (not permitted, e.g. fs.protected_hardlinks)",
        ENOENT => "ENOENT (no such file or directory)",
        EMLINK => "EMLINK (too many links)",
        _ => $"errno {errno}",
    };

    [DllImport("libc", SetLastError = true)]
    private static extern int link(string oldpath, string newpath);

    [DllImport("libc", SetLastError = true)]
    private static extern int open(string path, int flags, int mode);

    [DllImport("libc", SetLastError = true)]
    private static extern int close(int fd);
}
