using System.Runtime.InteropServices;

namespace KojiStaging.Engine.Operations.Health;

/// <summary>Tries a real link(2) and reports the errno, removing the probe link again.</summary>
public static class HardlinkProbe
{
    public const int EPERM = 1, ENOENT = 2, EACCES = 13, EEXIST = 17, EXDEV = 18, EROFS = 30, EMLINK = 31;

    /// <returns>0 when the link worked, else the errno.</returns>
    public static int Try(string source, string directory)
    {
        var probe = Path.Combine(directory, $".kojistaging-linkprobe-{Environment.ProcessId}-{Guid.NewGuid():N}");
        if (link(source, probe) == 0)
        {
            File.Delete(probe);
            return 0;
        }
        return Marshal.GetLastPInvokeError();
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
}
